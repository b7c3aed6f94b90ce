"""DMARC agreement with OpenDMARC: Debian's opendmarc (report only, SPFSelfValidate,
the public suffix list of Debian's publicsuffix package) and `domainauth serve`
(report only, dmarc.mode default) see the same messages through the scripted milter
client (tests/e2e/lib/milterclient.py); DNS from DnsServer (OpenDMARC reads
/etc/resolv.conf -> 127.0.0.53 inside netns-run). Each case asserts that both write
the same dmarc= result and p= in their Authentication-Results, and the expected one;
then an enforcing pair (OpenDMARC RejectFailures + HoldQuarantinedMessages true,
domainauth dmarc.enforce = true) must take the same action: 550 reject for p=reject,
the milter quarantine for p=quarantine, accept otherwise.
SPF-only cases: OpenDMARC takes DKIM results from an upstream OpenDKIM's
Authentication-Results, which this test does not run.
Run inside tests/e2e/lib/netns-run (as root).
"""

import os
import re
import shutil
import subprocess
import tempfile
import time
import unittest

from dnsserver import DnsServer
from milterclient import MilterClient

DOMAINAUTH = os.environ["DOMAINAUTH"]
OPENDMARC_PORT = 18895
DOMAINAUTH_PORT = 18896
ENFORCING_OPENDMARC_PORT = 18898     # RejectFailures true
ENFORCING_DOMAINAUTH_PORT = 18899    # dmarc.enforce = true
CLIENT = "127.0.0.20"
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
]
# (name, envelope sender, From address, expected dmarc result, expected p=, action when enforcing)
CASES = [
    ("pass-spf-aligned", "a@pass.test", "a@pass.test", "pass", "reject", "accept"),
    ("pass-spf-relaxed-subdomain", "a@mail.pass.test", "a@pass.test", "pass", "reject", "accept"),
    ("fail-reject", "x@mailer.test", "ceo@bank.test", "fail", "reject", "reject"),
    ("fail-quarantine", "x@mailer.test", "info@hold.test", "fail", "quarantine", "quarantine"),
    ("fail-none", "x@mailer.test", "info@relaxed.test", "fail", "none", "accept"),
    ("none-no-record", "a@nodmarc.test", "a@nodmarc.test", "none", None, "accept"),
]
world = {}


def wait_for_milter(port, process, log_path):
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            with MilterClient("inet:127.0.0.1:%d" % port) as m:
                m.optneg()
            return
        except OSError:
            time.sleep(0.1)
    with open(log_path) as f:
        raise RuntimeError("milter on port %d did not start:\n%s" % (port, f.read()))


def start(folder, name, args, port):
    log_path = os.path.join(folder, name + ".log")
    log = open(log_path, "w")
    process = subprocess.Popen(args, stdout=log, stderr=log)
    world.setdefault("processes", []).append((process, log))
    wait_for_milter(port, process, log_path)


def setUpModule():
    folder = tempfile.mkdtemp(prefix="domainauth-opendmarc-")
    world["dir"] = folder
    world["dns"] = DnsServer(RECORDS).__enter__()
    for name, port, reject in (("opendmarc", OPENDMARC_PORT, "false"),
                               ("opendmarc-enforcing", ENFORCING_OPENDMARC_PORT, "true")):
        conf = os.path.join(folder, name + ".conf")
        with open(conf, "w") as f:
            f.write("AuthservID opendmarc.test\nSocket inet:%d@127.0.0.1\nRejectFailures %s\n"
                    "SPFSelfValidate true\nSyslog false\nFailureReports false\n"
                    "PublicSuffixList /usr/share/publicsuffix/public_suffix_list.dat\n"
                    "HoldQuarantinedMessages %s\nPidFile %s/%s.pid\nUserID root\n" % (port, reject, reject, folder, name))
        start(folder, name, ["opendmarc", "-f", "-c", conf], port)
    for name, port, policy_port, enforce in (("domainauth", DOMAINAUTH_PORT, 18897, "false"),
                                             ("domainauth-enforcing", ENFORCING_DOMAINAUTH_PORT, 18900, "true")):
        toml = os.path.join(folder, name + ".toml")
        with open(toml, "w") as f:
            f.write('[dns]\nservers = ["%s"]\n[milter]\nlisten = ["inet:127.0.0.1:%d"]\n'
                    'authserv_id = "domainauth.test"\n[policy]\nlisten = ["inet:127.0.0.1:%d"]\n'
                    '[daemon]\nuser = ""\n[dmarc]\nenforce = %s\n'
                    % (world["dns"].spec, port, policy_port, enforce))
        start(folder, name, [DOMAINAUTH, "serve", "--config", toml], port)


def tearDownModule():
    for process, log in world.get("processes", []):
        if process.poll() is None:
            process.terminate()
            process.wait(30)
        log.close()
    if "dns" in world:
        world["dns"].__exit__(None, None, None)
    shutil.rmtree(world["dir"], ignore_errors=True)


def dmarc_of(port, sender, author, subject):
    """The (result, p=) of the dmarc= the milter on port writes, and its EOM reply code."""
    with MilterClient("inet:127.0.0.1:%d" % port) as m:
        m.optneg()
        m.macros("C", {"j": "mx.test", "{daemon_name}": "smtpd"})
        m.connect("client.example", "4", 25, CLIENT)
        m.helo("client.example")
        m.macros("M", {"i": "QUEUEID"})
        headers = [("From", " Sender <%s>" % author), ("To", " b@example.org"), ("Subject", " " + subject),
                   ("Message-ID", " <%s@test>" % subject), ("Date", " Sun, 29 Nov 2026 12:00:00 +0000")]
        result = m.message(headers, b"Hello.\r\n", sender="<%s>" % sender)
        m.quit()
    text = " ".join(str(mod[-1]) for mod in result.modifications)  # header values
    found = re.search(r"dmarc=(\w+)(?:\s+\((?:[^)]*?)?\bp=(\w+))?", text)
    return (found.group(1), found.group(2)) if found else (None, None), result, text


def action(result):
    """What the MTA is told: reject (a 550 reply), quarantine, tempfail or accept."""
    if result.reply.code == "y":
        return "reject" if result.reply.text.startswith("550") else "tempfail " + result.reply.text
    if result.reply.code == "r":
        return "reject"
    if any(mod[0] == "quarantine" for mod in result.modifications):
        return "quarantine"
    return "accept"


class AgreesWithOpenDmarc(unittest.TestCase):
    def test_common_cases(self):
        for name, sender, author, result, policy, _ in CASES:
            with self.subTest(name):
                ours, our_eom, our_text = dmarc_of(DOMAINAUTH_PORT, sender, author, name)
                theirs, their_eom, their_text = dmarc_of(OPENDMARC_PORT, sender, author, name)
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
        for name, sender, author, _, _, expected in CASES:
            with self.subTest(name):
                _, ours, our_text = dmarc_of(ENFORCING_DOMAINAUTH_PORT, sender, author, name + "-enforcing")
                _, theirs, their_text = dmarc_of(ENFORCING_OPENDMARC_PORT, sender, author, name + "-enforcing")
                self.assertEqual(action(ours), expected, (ours, our_text))
                self.assertEqual(action(theirs), expected, (theirs, their_text))
                if expected == "reject":
                    self.assertIn("5.7.1", ours.reply.text)


if __name__ == "__main__":
    unittest.main(verbosity=2)
