"""The seed setup (../shared/seed-setup) run two ways on the same mail (issue 16's
"done means"): as it runs today, Debian's opendkim then opendmarc reading the seed's
opendkim.conf, opendmarc.conf and tables; and as `domainauth migrate` turns it into one
domainauth.toml served by `domainauth serve`. The scripted milter client plays Postfix
for both (for the peers it hands OpenDKIM's added fields on to OpenDMARC, as Postfix
does with two milters). Per message the test compares what the outside world sees:
  - the DKIM signatures made (d=, s=, c=),
  - the Authentication-Results methods and results (and DMARC's p= and dis=),
  - the SMTP reply at end of message,
  - the reports sent (DMARC failure reports and RFC 6651 DKIM failure reports: kind and
    recipients).
Edits to the seed are the environment's only, the same for both: file locations (keys
and tables in a private folder, /var/run in another), no `mailnull` user on Debian
(both run as root), the test DNS server, and where reports go (the peers' sendmail
command -> a capture script; domainauth's [report] relay -> a loopback capture server).
The MTA's host name (the j macro) is this host's, as Postfix's myhostname would be: the
seed's OpenDMARC (AuthservID HOSTNAME) trusts OpenDKIM's results only then.
Cases: signing from a TrustedHosts address for example.com and example.jp, IgnoreMailFrom
domains, a p=reject failure (reported, not rejected: RejectFailures is not set; the
report goes to ruf= and FailureReportsBcc), a valid third-party DKIM signature (dkimpy),
a broken one with r=y (a DKIM report to ra=) and without (none), and for a domain with
no ruf= the FailureReportsBcc copy alone. Where we depart on purpose (DEPARTURES) the
test asserts what each side does, so a change on either side fails it.
Run inside tests/e2e/lib/netns-run (as root).
"""

import base64
import glob
import os
import re
import socket
import subprocess
import tempfile
import time
import unittest

import dkimpy_signer
from daemons import Daemons
from dnsserver import DnsServer
from milterclient import MilterClient, milter_form
from postfix import CaptureServer

DOMAINAUTH = os.environ["DOMAINAUTH"]
SEED = os.path.join(os.environ["DOMAINAUTH_TESTSUITES"], "..", "seed-setup")
SEED_KEYS = {"example.com": "20230319", "example.jp": "20230320"}
INSIDE = "127.0.0.1"    # in the seed's TrustedHosts: its mail is signed
OUTSIDE = "192.0.2.1"   # anyone else: its mail is verified
RELAY_PORT = 18026
REPORT_WAIT_SECONDS = 10
world = {}

# partner.example signs with dkimpy (its key added in setUpModule) and asks for DKIM
# failure reports; bank.example's SPF fails for OUTSIDE and it wants DMARC failure reports.
RECORDS = [
    ("example.com", "TXT", "v=spf1 ip4:127.0.0.1 -all"),
    ("example.jp", "TXT", "v=spf1 ip4:127.0.0.1 -all"),
    ("_dmarc.example.com", "TXT", "v=DMARC1; p=reject"),
    ("_dmarc.example.jp", "TXT", "v=DMARC1; p=reject"),
    ("bank.example", "TXT", "v=spf1 ip4:192.0.2.99 -all"),
    ("_dmarc.bank.example", "TXT", "v=DMARC1; p=reject; ruf=mailto:ruf@bank.example; fo=1"),
    ("partner.example", "TXT", "v=spf1 -all"),
    ("_dmarc.partner.example", "TXT", "v=DMARC1; p=reject"),
    ("_report._domainkey.partner.example", "TXT", "ra=dkim-failures; rp=100; rr=all"),
]

CAPTURE_SCRIPT = """#!/bin/sh
# The peers' sendmail: keeps each report with the arguments it was given.
f=$(mktemp {folder}/report.XXXXXX)
echo "$@" > "$f.args"
cat > "$f"
"""


def run(args, data=b""):
    p = subprocess.run(args, input=data, capture_output=True)
    if p.returncode != 0:
        raise RuntimeError("%s: %s" % (" ".join(args), p.stderr.decode(errors="replace")))
    return p.stdout.decode()


def private_folder():
    """A 0700 tmpfs under /run (netns-run's private mount namespace): OpenDKIM refuses keys
    and configuration below a folder others may write."""
    path = tempfile.mkdtemp(prefix="domainauth-seed-parity-", dir="/run")
    run(["mount", "-t", "tmpfs", "-o", "mode=0700,size=64m", "tmpfs", path])
    return path


def seed_text(name, replacements, drop=(), add=()):
    """A seed file with the environment's edits: paths replaced, lines dropped and added."""
    text = open(os.path.join(SEED, name)).read()
    for old, new in replacements:
        text = text.replace(old, new)
    lines = [line for line in text.splitlines() if not any(line.startswith(d) for d in drop)]
    return "\n".join(lines + list(add)) + "\n"


def listening(socket_path):
    return lambda: os.path.exists(socket_path)


def setUpModule():
    folder = world["dir"] = private_folder()
    world["daemons"] = Daemons(folder)
    tables, keys = os.path.join(folder, "tables"), os.path.join(folder, "keys")
    peers_run, our_run = os.path.join(folder, "peers-run"), os.path.join(folder, "run")
    world["peer_reports"] = os.path.join(folder, "peer-reports")
    for path in (tables, keys, peers_run, our_run, world["peer_reports"],
                 os.path.join(peers_run, "milteropendkim"), os.path.join(peers_run, "opendmarc"),
                 os.path.join(our_run, "milteropendkim")):
        os.makedirs(path, mode=0o700, exist_ok=True)
    records = list(RECORDS)
    for domain, selector in SEED_KEYS.items():  # as the seed's README says it made them
        run(["opendkim-genkey", "-D", keys, "-d", domain, "-s", selector])
        strings = re.findall(r'"([^"]*)"', open(os.path.join(keys, selector + ".txt")).read())
        records.append(("%s._domainkey.%s" % (selector, domain), "TXT", "".join(strings)))
    partner_key = os.path.join(keys, "partner.pem")
    run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", partner_key])
    der = subprocess.run(["openssl", "pkey", "-in", partner_key, "-pubout", "-outform", "DER"],
                         capture_output=True, check=True).stdout
    records.append(("sel._domainkey.partner.example", "TXT", "v=DKIM1; k=rsa; p=" + base64.b64encode(der).decode()))
    with open(partner_key, "rb") as f:
        world["partner_key"] = f.read()
    for name in ("KeyTable", "SigningTable", "TrustedHosts"):
        with open(os.path.join(tables, name), "w") as f:
            f.write(seed_text(name, [("/var/db/dkim", keys)]))
    world["dns"] = DnsServer(records).__enter__()
    capture = os.path.join(folder, "sendmail")
    with open(capture, "w") as f:
        f.write(CAPTURE_SCRIPT.format(folder=world["peer_reports"]))
    os.chmod(capture, 0o755)
    paths = [("/usr/local/etc/mail/opendkim", tables), ("/var/run", peers_run)]
    opendkim_conf, opendmarc_conf = os.path.join(folder, "opendkim.conf"), os.path.join(folder, "opendmarc.conf")
    with open(opendkim_conf, "w") as f:
        f.write(seed_text("opendkim.conf", paths, drop=("UserID",),
                          add=("Nameservers " + world["dns"].address, "MTACommand " + capture)))
    with open(opendmarc_conf, "w") as f:
        f.write(seed_text("opendmarc.conf", paths, drop=("UserID",), add=("ReportCommand %s -t" % capture,)))
    world["opendkim"] = os.path.join(peers_run, "milteropendkim", "socket")
    world["opendmarc"] = os.path.join(peers_run, "opendmarc", "socket")
    world["daemons"].start("opendkim", ["opendkim", "-f", "-x", opendkim_conf], listening(world["opendkim"]))
    world["daemons"].start("opendmarc", ["opendmarc", "-f", "-c", opendmarc_conf], listening(world["opendmarc"]))

    # domainauth: the seed's own files migrated, then the same environment's edits.
    config = os.path.join(folder, "domainauth.toml")
    run([DOMAINAUTH, "migrate", "--opendkim", os.path.join(SEED, "opendkim.conf"),
         "--opendmarc", os.path.join(SEED, "opendmarc.conf"), "--out", config,
         "--path-map", "/usr/local/etc/mail/opendkim=" + tables, "--path-map", "/var/run=" + our_run])
    text = open(config).read().replace('user = "mailnull"', 'user = ""')
    text = re.sub(r'socket_group = "mailnull"\n', "", text)
    relay = 'relay = "127.0.0.1:%d"\n' % RELAY_PORT
    text = text.replace("[report]\n", "[report]\n" + relay) if "[report]\n" in text else text + "\n[report]\n" + relay
    with open(config, "w") as f:
        f.write(text)
    world["config_text"] = text
    world["relay"] = CaptureServer(RELAY_PORT)
    world["domainauth"] = os.path.join(our_run, "milteropendkim", "socket")
    world["daemons"].start("domainauth", [DOMAINAUTH, "serve", "--config", config, "--dns", world["dns"].spec],
                           listening(world["domainauth"]))


def tearDownModule():
    if "daemons" in world:
        world["daemons"].stop()
    if "relay" in world:
        world["relay"].close()
    if "dns" in world:
        world["dns"].__exit__(None, None, None)
    if "dir" in world:
        subprocess.run(["umount", world["dir"]])
        os.rmdir(world["dir"])


def message(author, subject, signer=None, request_reports=False, broken=False):
    wire = ("From: Sender <%s>\r\nTo: bob@example.org\r\nSubject: %s\r\nMessage-ID: <%s@test>\r\n"
            "Date: Mon, 07 Dec 2026 12:00:00 +0000\r\n\r\nHello from the seed parity test.\r\n"
            % (author, subject, subject)).encode()
    if signer:
        wire = dkimpy_signer.sign(wire, b"sel", signer.encode(), world["partner_key"], request_reports) + wire
    if broken:
        wire = wire.replace(b"Hello from", b"Hello again from")
    return milter_form(wire)


def session(socket_path, client, headers, body, sender, queue_id):
    with MilterClient("unix:" + socket_path) as m:
        m.optneg()
        m.macros("C", {"j": socket.gethostname(), "{daemon_name}": "smtpd"})
        m.connect("client.example", "4", 25, client)
        m.helo("client.example")
        m.macros("M", {"i": queue_id})
        result = m.message(headers, body, sender="<%s>" % sender)
        m.quit()
    return result


def added(result, name):
    return [mod[-1] for mod in result.modifications
            if mod[0] in ("insheader", "addheader") and mod[-2].lower() == name.lower()]


def outcome(results):
    """What the world sees of one message: signatures, A-R results, the reply."""
    signatures, methods, dmarc, reply = [], set(), None, "accept"
    for result in results:
        for value in added(result, "DKIM-Signature"):
            tags = dict(t.strip().split("=", 1) for t in re.sub(r"\s+", "", value).split(";") if "=" in t)
            signatures.append((tags.get("d"), tags.get("s"), tags.get("c", "simple/simple")))
        for value in added(result, "Authentication-Results"):
            for method, res in re.findall(r"\b(spf|dkim|dmarc|arc)=(\w+)", value):
                if (method, res) != ("dkim", "none"):  # OpenDKIM writes no dkim=none; we do
                    methods.add((method, res))
            found = re.search(r"dmarc=\w+\s*\(([^)]*)\)", value)
            if found:
                dmarc = " ".join(sorted(re.findall(r"\b(?:p|dis)=\w+", found.group(1))))
        if result.reply.code in "ry":
            reply = result.reply.text[:3] if result.reply.text else result.reply.code
        elif result.reply.code == "t":
            reply = "451"
    return {"signatures": sorted(signatures), "results": sorted(methods), "dmarc": dmarc, "reply": reply}


def peers(client, headers, body, sender, tag):
    first = session(world["opendkim"], client, headers, body, sender, "DKIM" + tag)
    upstream = [(b"Authentication-Results", (" " + v.lstrip()).encode()) for v in added(first, "Authentication-Results")]
    second = session(world["opendmarc"], client, upstream + headers, body, sender, "DMARC" + tag)
    return outcome([first, second])


def ours(client, headers, body, sender, tag):
    return outcome([session(world["domainauth"], client, headers, body, sender, "DA" + tag)])


def peer_reports(subject):
    """(kind, recipients) of the reports the peers' sendmail got about the message."""
    out = []
    for path in glob.glob(os.path.join(world["peer_reports"], "report.??????")):
        text = open(path, errors="replace").read()
        if subject in text:
            out.append(report_of(text, open(path + ".args").read().split()))
    return sorted(out)


def our_reports(subject):
    return sorted(report_of(m.data, m.rcpt_to) for m in world["relay"].messages if subject in m.data)


def report_of(text, recipients):
    kind = re.search(r"Auth-Failure:\s*(\w+)", text)
    head = text.split("\n\n", 1)[0].split("\r\n\r\n", 1)[0]
    listed = re.findall(r"^(?:To|Cc|Bcc):\s*(.*)$", head, re.M | re.I)
    named = [r for r in recipients if "@" in r and not r.startswith("-")]  # not sendmail's -f
    addresses = set(re.findall(r"[\w.+-]+@[\w.-]+", " ".join(listed + named)))
    return (kind.group(1).lower() if kind else "?", tuple(sorted(a.lower() for a in addresses)))


# (name, client, envelope sender, From, dkimpy signer, r=y, broken, expected outcome)
CASES = [
    ("sign-example-com", INSIDE, "alice@example.com", "alice@example.com", None, False, False,
     {"signatures": [("example.com", "20230319", "simple/simple")]}),
    ("sign-example-jp", INSIDE, "alice@example.jp", "alice@example.jp", None, False, False,
     {"signatures": [("example.jp", "20230320", "simple/simple")]}),
    ("ignore-mail-from", OUTSIDE, "x@example.com", "x@example.com", None, False, False, {"dmarc": None}),
    ("dmarc-fail-reported", OUTSIDE, "x@mailer.example", "ceo@bank.example", None, False, False,
     {"results": [("dmarc", "fail")], "dmarc": "dis=none p=reject", "reply": "accept"}),
    ("dkim-pass", OUTSIDE, "x@mailer.example", "news@partner.example", "partner.example", False, False,
     {"results": [("dkim", "pass"), ("dmarc", "pass")]}),
    ("dkim-broken-r-y", OUTSIDE, "x@mailer.example", "news@partner.example", "partner.example", True, True,
     {"results": [("dkim", "fail"), ("dmarc", "fail")]}),
    ("dkim-broken-no-r", OUTSIDE, "x@mailer.example", "news@partner.example", "partner.example", False, True,
     {"results": [("dkim", "fail"), ("dmarc", "fail")]}),
]

# (name, client, envelope sender, From, what we do, what the seed's peers do, why)
DEPARTURES = [
    # SubDomains: neither signs sub.example.com (OpenDKIM's refile: patterns are
    # anchored; sign.subdomains applies to [[sign.key]] only). Then OpenDMARC, which
    # ignores connections from 127.0.0.1 (IgnoreHosts), still evaluates at end of message
    # with no context and tempfails (its log: "opendmarc_policy_store_from_domain()
    # returned status 2"): the seed defers its own users' mail from any From domain
    # outside IgnoreMailFrom. We let the unsigned mail leave unjudged.
    ("subdomain-from-inside", INSIDE, "alice@sub.example.com", "alice@sub.example.com",
     {"signatures": [], "results": [], "dmarc": None, "reply": "accept"},
     {"signatures": [], "results": [], "dmarc": None, "reply": "451"}),
    # The seed gives OpenDMARC no PublicSuffixList, so it finds no Organizational
    # Domain and reads sub.example.com as having no policy (dmarc=none). RFC 7489 6.6.3 /
    # RFC 9989 4.10: the policy of example.com applies (dmarc.mode = rfc9989_tree_walk).
    ("subdomain-from-outside", OUTSIDE, "x@mailer.example", "news@sub.example.com",
     {"results": [("dmarc", "fail"), ("spf", "none")], "dmarc": "dis=none p=reject", "reply": "accept"},
     {"results": [("dmarc", "none"), ("spf", "none")], "dmarc": "dis=none p=none", "reply": "accept"}),
]


class SeedParity(unittest.TestCase):
    def test_migrated_setup_keeps_the_seed_settings(self):
        text = world["config_text"]
        for line in ('canonicalization = "simple/simple"', "ignore_mail_from", "example.jp"):
            self.assertIn(line, text)

    def test_same_outcome_per_message(self):
        for name, client, sender, author, signer, request_reports, broken, expected in CASES:
            with self.subTest(name):
                headers, body = message(author, name, signer, request_reports, broken)
                theirs = peers(client, headers, body, sender, name)
                mine = ours(client, headers, body, sender, name)
                self.assertEqual(mine, theirs, "domainauth vs OpenDKIM + OpenDMARC")
                for key, value in expected.items():
                    if key == "results":
                        for item in value:
                            self.assertIn(item, mine["results"], mine)
                    else:
                        self.assertEqual(mine[key], value, mine)

    def test_departures(self):
        for name, client, sender, author, mine_expected, theirs_expected in DEPARTURES:
            with self.subTest(name):
                headers, body = message(author, name)
                theirs = peers(client, headers, body, sender, name)
                mine = ours(client, headers, body, sender, name)
                self.assertEqual({k: mine[k] for k in mine_expected}, mine_expected, mine)
                self.assertEqual({k: theirs[k] for k in theirs_expected}, theirs_expected, theirs)

    def test_same_reports_sent(self):
        """Run after the messages (unittest orders tests by name): the reports each side sent."""
        copy = ("dmarc", ("postmaster@example.com",))  # FailureReportsBcc: partner.example has no ruf=
        expected = {
            "dmarc-fail-reported": [("dmarc", ("postmaster@example.com", "ruf@bank.example"))],
            "dkim-broken-r-y": sorted([("bodyhash", ("dkim-failures@partner.example",)), copy]),
            "dkim-broken-no-r": [copy],
        }
        deadline = time.monotonic() + REPORT_WAIT_SECONDS
        for subject, want in expected.items():
            with self.subTest(subject):
                while time.monotonic() < deadline and (len(peer_reports(subject)) < len(want)
                                                       or len(our_reports(subject)) < len(want)):
                    time.sleep(0.2)
                self.assertEqual(our_reports(subject), peer_reports(subject))
                self.assertEqual(our_reports(subject), want)


if __name__ == "__main__":
    unittest.main(verbosity=2)
