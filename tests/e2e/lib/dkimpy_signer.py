"""dkimpy (Debian's python3-dkim) as the third-party signer of test mail.

    from dkimpy_signer import sign
    signed = sign(message_bytes, b"sel", b"example.com", key_pem, request_reports=True)

request_reports adds RFC 6651's r=y among the signed tags (dkimpy has no option for it).
"""

import dkim

SIGNED_HEADERS = [b"from", b"to", b"subject", b"message-id"]


class ReportRequestingDKIM(dkim.DKIM):
    """dkimpy's signer with r=y before b= in the signed tags."""

    def gen_header(self, fields, *args, **kwargs):
        return super().gen_header(fields[:-1] + [(b"r", b"y"), fields[-1]], *args, **kwargs)


def sign(message, selector, domain, key_pem, request_reports=False, headers=SIGNED_HEADERS):
    """The DKIM-Signature field dkimpy makes for message (bytes, CRLF), with its CRLF."""
    signer = ReportRequestingDKIM(message) if request_reports else dkim.DKIM(message)
    signature = signer.sign(selector, domain, key_pem, include_headers=headers)
    assert (b" r=y;" in signature) == request_reports, signature
    return signature
