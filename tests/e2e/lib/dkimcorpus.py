"""The message corpus of the DKIM interop tests (tests/e2e/dkim, tests/e2e/dkim-opendkim):
>= 50 varied messages that exercise canonicalization (RFC 6376 3.4) — folded and long
headers, long lines, empty body, trailing blank lines, 8-bit, multipart, dot lines, a body
without a final line break — built with LF line endings; crlf() gives the wire form.

    from dkimcorpus import corpus, crlf
    for name, msg in corpus():      # msg: bytes, LF endings, From: joe@example.com
        wire = crlf(msg)
"""

DOMAIN = "example.com"  # the From domain of every message


def _bodies():
    return {
        "plain": b"Hello,\n\nsee you at noon.\n",
        "empty": b"",
        "blank-lines": b"text\n\n\n\n",
        "only-blank": b"\n\n\n",
        "no-final-newline": b"last line without newline",
        "long-line": b"x" * 5000 + b"\n",
        "spaces": b"  indented   text \t \nline\twith\ttabs  \n",
        "8bit": "Grüße aus München — ça va? 日本語\n".encode("utf-8"),
        "dots": b".\n..\n.leading dot\n",
        "multipart": (b"--BOUNDARY\nContent-Type: text/plain; charset=utf-8\n\npart one\n"
                      b"--BOUNDARY\nContent-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\n"
                      b"AAECAwQFBgcICQ==\n--BOUNDARY--\n"),
    }


def _header_sets():
    return {
        "simple": [b"Subject: lunch"],
        "folded": [b"Subject: a subject that is folded\n\tonto a second line\n  and a third", b"Cc: a@example.org,\n b@example.org"],
        "long": [b"Subject: " + b"word " * 200, b"References: " + b" ".join(b"<%d@example.com>" % i for i in range(40))],
        "8bit-header": ["Subject: Grüße".encode("utf-8")],
        "spaced": [b"Subject:    lots   of   space   ", b"X-Tab:\tvalue\t"],
    }


def corpus():
    """[(name, message bytes with LF endings)]: every body with every header set."""
    out = []
    for bname, body in _bodies().items():
        for hname, extra in _header_sets().items():
            headers = [b"From: Joe <joe@" + DOMAIN.encode() + b">", b"To: ann@example.org",
                       b"Date: Mon, 1 Jan 2024 10:00:00 +0000",
                       b"Message-ID: <%s.%s@example.com>" % (bname.encode(), hname.encode())] + extra
            if bname == "multipart":
                headers += [b"MIME-Version: 1.0", b'Content-Type: multipart/mixed; boundary="BOUNDARY"']
            msg = b"\n".join(headers) + b"\n\n" + body
            out.append(("%s-%s" % (bname, hname), msg))
    return out


def crlf(msg):
    """LF line endings -> CRLF (the message must not contain CR already)."""
    return msg.replace(b"\n", b"\r\n")
