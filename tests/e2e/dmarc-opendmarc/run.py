"""DMARC agreement with the incumbents: the same messages go through the scripted
milter client (tests/e2e/lib/milterclient.py) to `domainauth serve` (report only,
dmarc.mode default) and to the pair it replaces, Debian's opendkim (Mode v) then
Debian's opendmarc (report only, SPFSelfValidate, the public suffix list of Debian's
publicsuffix package), which reads OpenDKIM's Authentication-Results as an upstream
verifier's (same authserv-id). DNS from DnsServer (the peers read /etc/resolv.conf ->
127.0.0.53 inside netns-run). Messages are signed by dkimpy (python3-dkim), a third
implementation. Cases: SPF-only alignment, DKIM-only alignment (strict and relaxed,
unaligned and broken signatures), a subdomain under sp=, and a SERVFAIL on the _dmarc
lookup. Each case asserts that both write the same dmarc= result and p= in their
Authentication-Results, and the expected one; then an enforcing pair (OpenDMARC
RejectFailures + HoldQuarantinedMessages true, domainauth dmarc.enforce = true) must
take the same action: 550 reject for p=reject, the milter quarantine for p=quarantine,
accept otherwise. Where we depart from OpenDMARC on purpose (DEPARTURES: two From
fields), the test asserts both sides' actual behaviour, so a change on either fails it.
Run inside tests/e2e/lib/netns-run (as root).
"""

import base64
import os
import re
import shutil
import subprocess
import tempfile
import unittest

import dkim

from daemons import Daemons, milter_answers
from dnsserver import DnsServer
from milterclient import MilterClient, milter_form

DOMAINAUTH = os.environ["DOMAINAUTH"]
OPENDMARC_PORT = 18895
DOMAINAUTH_PORT = 18896
ENFORCING_OPENDMARC_PORT = 18898     # RejectFailures true
ENFORCING_DOMAINAUTH_PORT = 18899    # dmarc.enforce = true
OPENDKIM_PORT = 18901
CLIENT = "127.0.0.20"
AUTHSERV_ID = "opendmarc.test"  # OpenDKIM's results are trusted as OpenDMARC's own
SELECTOR = "sel"
# OpenDKIM resolves with libunbound, which answers NXDOMAIN for the special-use
# .test TLD (RFC 6761) itself: the signing domains are in .example. OpenDMARC's
# Organizational Domain needs the TLD in its public suffix list (RFC 7489 3.2's
# implicit "*" rule is not applied): it gets Debian's list plus these two.
PSL_EXTRA = "test\nexample\n"
RECORDS = [
    ("pass.test", "TXT", "v=spf1 ip4:%s -all" % CLIENT),
    ("_dmarc.pass.test", "TXT", "v=DMARC1; p=reject"),
    ("mail.pass.test", "TXT", "v=spf1 ip4:%s -all" % CLIENT),
    ("bank.test", "TXT", "v=spf1 ip4:127.0.0.30 -all"),
    ("_dmarc.bank.test", "TXT", "v=DMARC1; p=reject"),
    ("hold.test", "TXT", "v=spf1 ip4:127.0.0.30 -all"),
    ("_dmarc.hold.test", "TXT", "v=DMARC1; p=quarantine"),
    ("relaxed.test", "TXT", "v=spf1 ip4:127.0.0.30 -all"),
    ("_dmarc.relaxed.test", "TXT", "v=DMARC1; p=none"),
    ("nodmarc.test", "TXT", "v=spf1 ip4:%s -all" % CLIENT),
    # DKIM-only: SPF of the envelope domain (mailer.test) is none; the signature decides.
    ("signed.example", "TXT", "v=spf1 -all"),
    ("_dmarc.signed.example", "TXT", "v=DMARC1; p=reject"),
    ("_dmarc.strictdkim.example", "TXT", "v=DMARC1; p=reject; adkim=s"),
    ("_dmarc.strict.test", "TXT", "v=DMARC1; p=none; sp=reject"),
    ("broken.test", "TXT", "v=spf1 -all"),  # its _dmarc lookup fails (SERVFAIL)
]
SERVFAIL = ["_dmarc.broken.test"]
# (name, envelope sender, From address, signing domain or None, expected dmarc result,
#  expected p=, action when enforcing); a signing domain ending in "!" has its body
#  changed after signing.
CASES = [
    ("pass-spf-aligned", "a@pass.test", "a@pass.test", None, "pass", "reject", "accept"),
    ("pass-spf-relaxed-subdomain", "a@mail.pass.test", "a@pass.test", None, "pass", "reject", "accept"),
    ("fail-reject", "x@mailer.test", "ceo@bank.test", None, "fail", "reject", "reject"),
    ("fail-quarantine", "x@mailer.test", "info@hold.test", None, "fail", "quarantine", "quarantine"),
    ("fail-none", "x@mailer.test", "info@relaxed.test", None, "fail", "none", "accept"),
    ("none-no-record", "a@nodmarc.test", "a@nodmarc.test", None, "none", None, "accept"),
    ("dkim-aligned", "x@mailer.test", "a@signed.example", "signed.example", "pass", "reject", "accept"),
    ("dkim-relaxed-subdomain", "x@mailer.test", "a@news.signed.example", "signed.example", "pass", "reject", "accept"),
    ("dkim-parent-signs-strict", "x@mailer.test", "a@news.strictdkim.example", "strictdkim.example", "fail",
     "reject", "reject"),
    ("dkim-unaligned", "x@mailer.test", "ceo@signed.example", "other.example", "fail", "reject", "reject"),
    ("dkim-broken", "x@mailer.test", "ceo@signed.example", "signed.example!", "fail", "reject", "reject"),
    ("subdomain-sp-reject", "x@mailer.test", "a@sub.strict.test", None, "fail", "reject", "reject"),
    ("organizational-p-none", "x@mailer.test", "a@strict.test", None, "fail", "none", "accept"),
]
# Where we depart from OpenDMARC on purpose: (name, sender, From address, From fields,
# our (dmarc=, action report-only, action enforcing), theirs (the same)).
DEPARTURES = [
    # RFC 7489 6.6.1 / RFC 9989 5.3.1: several From fields are "typically rejected";
    # permerror says the message cannot be judged. OpenDMARC evaluates the domain.
    # Both reject when enforcing.
    ("two-from-fields", "x@mailer.test", "ceo@bank.test", 2, ("permerror", "accept", "reject"),
     ("fail", "accept", "reject")),
    # RFC 7489 6.6.3 / RFC 9989 5.3.3: a DNS failure is a temporary error, never "no
    # policy": milter.on_dns_error = "tempfail" (the default) defers the message, as
    # OpenDKIM does for its keys. OpenDMARC reads SERVFAIL as no record (dmarc=none)
    # and accepts, so anyone who can make the lookup fail escapes p=reject.
    ("dmarc-lookup-servfail", "x@mailer.test", "a@broken.test", 1, (None, "tempfail", "tempfail"),
     ("none", "accept", "accept")),
]
SIGNING_DOMAINS = ("signed.example", "strictdkim.example", "other.example")
world = {}


def make_key(folder):
    """An RSA-2048 key: (PEM private key bytes, TXT record text)."""
    pem = os.path.join(folder, "dkim.pem")
    subprocess.run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", pem],
                   check=True, capture_output=True)
    der = subprocess.run(["openssl", "pkey", "-in", pem, "-pubout", "-outform", "DER"], check=True,
                         capture_output=True).stdout
    with open(pem, "rb") as f:
        return f.read(), "v=DKIM1; k=rsa; p=" + base64.b64encode(der).decode()


def setUpModule():
    folder = tempfile.mkdtemp(prefix="domainauth-opendmarc-")
    world["dir"] = folder
    world["daemons"] = Daemons(folder)
    world["key"], record = make_key(folder)
    keys = [("%s._domainkey.%s" % (SELECTOR, domain), "TXT", record) for domain in SIGNING_DOMAINS]
    world["dns"] = DnsServer(RECORDS + keys, servfail_names=SERVFAIL).__enter__()
    conf = os.path.join(folder, "opendkim.conf")
    with open(conf, "w") as f:
        f.write("Mode v\nSyslog no\nAuthservID %s\nAlwaysAddARHeader yes\nSocket inet:%d@127.0.0.1\n"
                "Nameservers 127.0.0.1@%d\nPidFile %s/opendkim.pid\nUserID root\n"
                % (AUTHSERV_ID, OPENDKIM_PORT, world["dns"].port, folder))
    world["daemons"].start("opendkim", ["opendkim", "-f", "-x", conf], milter_answers("inet:127.0.0.1:%d" % OPENDKIM_PORT))
    psl = os.path.join(folder, "public_suffix_list.dat")
    with open("/usr/share/publicsuffix/public_suffix_list.dat") as debian, open(psl, "w") as f:
        f.write(debian.read() + "\n" + PSL_EXTRA)
    for name, port, reject in (("opendmarc", OPENDMARC_PORT, "false"),
                               ("opendmarc-enforcing", ENFORCING_OPENDMARC_PORT, "true")):
        conf = os.path.join(folder, name + ".conf")
        with open(conf, "w") as f:
            f.write("AuthservID " + AUTHSERV_ID + "\nSocket inet:%d@127.0.0.1\nRejectFailures %s\n"
                    "SPFSelfValidate true\nSyslog false\nFailureReports false\n"
                    "PublicSuffixList %s\n"
                    "HoldQuarantinedMessages %s\nPidFile %s/%s.pid\nUserID root\n" % (port, reject, psl, reject, folder, name))
        world["daemons"].start(name, ["opendmarc", "-f", "-c", conf], milter_answers("inet:127.0.0.1:%d" % port))
    for name, port, policy_port, enforce in (("domainauth", DOMAINAUTH_PORT, 18897, "false"),
                                             ("domainauth-enforcing", ENFORCING_DOMAINAUTH_PORT, 18900, "true")):
        toml = os.path.join(folder, name + ".toml")
        with open(toml, "w") as f:
            f.write('[dns]\nservers = ["%s"]\n[milter]\nlisten = ["inet:127.0.0.1:%d"]\n'
                    'authserv_id = "domainauth.test"\n[policy]\nlisten = ["inet:127.0.0.1:%d"]\n'
                    '[daemon]\nuser = ""\n[dmarc]\nenforce = %s\n'
                    % (world["dns"].spec, port, policy_port, enforce))
        world["daemons"].start(name, [DOMAINAUTH, "serve", "--config", toml], milter_answers("inet:127.0.0.1:%d" % port))


def tearDownModule():
    if "daemons" in world:
        world["daemons"].stop()
    if "dns" in world:
        world["dns"].__exit__(None, None, None)
    shutil.rmtree(world["dir"], ignore_errors=True)


def message(author, subject, signer, from_fields=1):
    """The message as the MTA hands it to a milter: ([(name, value)], body)."""
    head = "".join("From: Sender <%s>\r\n" % author for _ in range(from_fields))
    head += ("To: b@example.org\r\nSubject: %s\r\nMessage-ID: <%s@test>\r\n"
             "Date: Sun, 29 Nov 2026 12:00:00 +0000\r\n" % (subject, subject))
    wire = (head + "\r\nHello.\r\n").encode()
    if signer:
        domain = signer.rstrip("!")
        signature = dkim.sign(wire, SELECTOR.encode(), domain.encode(), world["key"],
                              include_headers=[b"from", b"to", b"subject", b"message-id", b"date"])
        wire = signature + wire
        if signer.endswith("!"):
            wire = wire.replace(b"Hello.", b"Hello!")
    return milter_form(wire)


def session(port, headers, body, sender, tag):
    with MilterClient("inet:127.0.0.1:%d" % port) as m:
        m.optneg()
        m.macros("C", {"j": "mx.test", "{daemon_name}": "smtpd"})
        m.connect("client.example", "4", 25, CLIENT)
        m.helo("client.example")
        m.macros("M", {"i": "QUEUE" + tag})
        result = m.message(headers, body, sender="<%s>" % sender)
        m.quit()
    return result


def added_results(result):
    return [mod[-1] for mod in result.modifications
            if mod[0] in ("insheader", "addheader") and mod[-2].lower() == "authentication-results"]


def dmarc_of(port, sender, author, subject, signer=None, from_fields=1, peers=False):
    """The (result, p=) of the dmarc= the milter on port writes, its EOM, and the
    Authentication-Results text. peers: OpenDKIM verifies first, and its
    Authentication-Results go on top of the message, as an upstream milter's would."""
    headers, body = message(author, subject, signer, from_fields)
    if peers:
        verified = added_results(session(OPENDKIM_PORT, headers, body, sender, "DKIM"))
        headers = [(b"Authentication-Results", (" " + v.lstrip()).encode()) for v in verified] + headers
    result = session(port, headers, body, sender, "DMARC")
    text = " ".join(added_results(result))
    found = re.search(r"dmarc=(\w+)(?:\s+\((?:[^)]*?)?\bp=(\w+))?", text)
    return (found.group(1), found.group(2)) if found else (None, None), result, text


def action(result):
    """What the MTA is told: reject (a 550 reply), quarantine, tempfail (451) or accept."""
    if result.reply.code == "y":
        for code, name in (("550 5.7.1", "reject"), ("451 4.4.3", "tempfail")):
            if result.reply.text.startswith(code):
                return name
        return "unexpected " + result.reply.text
    if result.reply.code == "r":
        return "reject"
    if any(mod[0] == "quarantine" for mod in result.modifications):
        return "quarantine"
    return "accept"


class AgreesWithOpenDmarc(unittest.TestCase):
    def test_common_cases(self):
        for name, sender, author, signer, result, policy, _ in CASES:
            with self.subTest(name):
                ours, our_eom, our_text = dmarc_of(DOMAINAUTH_PORT, sender, author, name, signer)
                theirs, their_eom, their_text = dmarc_of(OPENDMARC_PORT, sender, author, name, signer, peers=True)
                our_code, their_code = our_eom.reply.code, their_eom.reply.code
                self.assertEqual(ours[0], result, our_text)
                self.assertEqual(theirs[0], result, their_text)
                if policy is not None:
                    self.assertEqual(ours[1], policy, our_text)
                    self.assertEqual(theirs[1], policy, their_text)
                self.assertEqual(our_code, "c")  # report only
                self.assertIn(their_code, ("c", "a"))  # OpenDMARC answers accept

    def test_enforcing_actions(self):
        """RejectFailures true vs dmarc.enforce = true: the same action per case."""
        for name, sender, author, signer, _, _, expected in CASES:
            with self.subTest(name):
                _, ours, our_text = dmarc_of(ENFORCING_DOMAINAUTH_PORT, sender, author, name + "-enforcing", signer)
                _, theirs, their_text = dmarc_of(ENFORCING_OPENDMARC_PORT, sender, author, name + "-enforcing",
                                                 signer, peers=True)
                self.assertEqual(action(ours), expected, (ours, our_text))
                self.assertEqual(action(theirs), expected, (theirs, their_text))
                if expected == "reject":
                    self.assertIn("5.7.1", ours.reply.text)

    def test_departures(self):
        """Each departure as both sides actually behave, report only and enforcing."""
        for name, sender, author, from_fields, ours, theirs in DEPARTURES:
            for side, expected, ports in (("ours", ours, (DOMAINAUTH_PORT, ENFORCING_DOMAINAUTH_PORT)),
                                          ("theirs", theirs, (OPENDMARC_PORT, ENFORCING_OPENDMARC_PORT))):
                with self.subTest(name=name, side=side):
                    peers = side == "theirs"
                    got, eom, text = dmarc_of(ports[0], sender, author, name, None, from_fields, peers)
                    _, enforcing, enforcing_text = dmarc_of(ports[1], sender, author, name + "-enforcing", None,
                                                            from_fields, peers)
                    self.assertEqual((got[0], action(eom), action(enforcing)), expected, (text, eom, enforcing))


if __name__ == "__main__":
    unittest.main(verbosity=2)
