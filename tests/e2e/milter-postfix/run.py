"""`domainauth serve` as the milter of a real Postfix 3.7 on loopback (smtpd_milters and
non_smtpd_milters = inet:127.0.0.1:PORT, milter_default_action = tempfail,
milter_protocol = 6), unbound serving the test keys, the seed's OpenDKIM tables
(/work/shared/seed-setup: KeyTable, SigningTable, TrustedHosts, Canonicalization
simple/simple) with their paths rewritten to this test's folder:

  (a) example.jp mail from an internal client is signed with selector 20230320; the
      signature verifies in `domainauth dkim verify --dns` and in dkimpy;
  (b) SASL-authenticated submission (Cyrus SASL, sasldb) from an outside address is signed;
  (c) inbound mail from an outside client signed by dkimpy gets spf, dkim and dmarc pass;
  (d) a forged Authentication-Results with our authserv-id is removed, another kept;
  (e) example.com mail is signed with selector 20230319, simple/simple;
  (g) DMARC enforcement ([dmarc] enforce = true): a spoofed From of a p=reject domain is
      refused with 550 5.7.1, also behind a second From, without From, over-long, or past
      the header limits; aligned DKIM pass alone gives dmarc=pass and is accepted;
      p=quarantine puts the message in Postfix's hold queue (milter quarantine); a domain
      in dmarc.exceptions is reported only; after a reload with never_reject and
      quarantine_as_header, p=reject gives the X-DMARC-Quarantine header mark; with
      dmarc.required_headers each RFC 5322 3.6 breach OpenDMARC's RequiredHeaders checks
      is refused with 550 5.7.1 naming it;
  (f) faults: with the DNS server stopped the message gets 451 4.4.3 within the DNS
      timeout (plus margin); a milter client vanishing mid-message leaves the daemon
      serving.
  (i) DMARC failure reports ([failure_reports], RFC 9991 / RFC 6591): a spoofed From of a
      domain publishing p=reject; ruf=mailto:...; fo=1 is refused with 550 and its failure
      report reaches the [report] relay (a loopback SMTP capture) addressed to the ruf
      mailbox and, as a blind copy, to failure_reports.bcc; parsed with the email module:
      multipart/report with the feedback-report fields, local-parts redacted.
  (j) DKIM failure reports (failure_reports.dkim, RFC 6651, OpenDKIM SendReports): a
      dkimpy signature with r=y whose body was changed on the way gets dkim=fail, and
      the report (Auth-Failure: bodyhash) reaches the relay from dkim_sent_by
      (ReportAddress) to the ra= of the signing domain's _report._domainkey record and
      to dkim_bcc (ReportBccAddress);
      the same breakage without r=y sends none.
  (k, l) ARC sealing ([arc] seal, RFC 8617): inbound mail leaves with an ARC set (i=1,
      cv=none, our Authentication-Results in the AAR) that dkimpy validates; a message
      sealed upstream by dkimpy gets arc=pass and our i=2 set with cv=pass, and dkimpy
      validates the two-set chain.
Run inside tests/e2e/lib/netns-run (as root).
"""

import email
import json
import os
import shutil
import signal
import smtplib
import subprocess
import tempfile
import time
import unittest

import dkim

import dkimpy_signer
from daemons import Serve
from dnsserver import DnsServer
from milterclient import MilterClient
from postfix import CaptureServer, Postfix

DOMAINAUTH = os.environ["DOMAINAUTH"]
SEED = os.path.join(os.environ.get("DOMAINAUTH_SOURCE", "."), "..", "shared", "seed-setup")
if not os.path.isdir(SEED):
    SEED = "/work/shared/seed-setup"
MILTER_PORT = 18891
POLICY_PORT = 18023
RELAY_PORT = 18025       # [report] relay: where failure reports are submitted
REPORTS_FROM = "dmarc@mx.milter.test"
REPORTS_BCC = "audit@mx.milter.test"
DKIM_REPORTS_FROM = "dkim@mx.milter.test"
AUTHSERV_ID = "mx.milter.test"
DNS_TIMEOUT_SECONDS = 2
TIMING_MARGIN_SECONDS = 2.5  # Postfix, smtplib and process scheduling on a busy machine
INTERNAL = "127.0.0.1"   # in the seed's TrustedHosts
OUTSIDE = "127.0.0.20"
SASL_USER, SASL_PASSWORD = "taro", "secret-pw"
ARC_DOMAIN, ARC_SELECTOR = "forwarder.test", "arc2026"  # [arc]: this host seals what it verifies
UPSTREAM_ARC = ("upstream.test", "fw")                    # a forwarder before us, sealing with dkimpy
world = {}


def run(args, stdin=None):
    return subprocess.run(args, input=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=True)


def keygen(folder, domain, selector, algorithm="rsa"):
    out = run([DOMAINAUTH, "dkim", "keygen", "--domain", domain, "--selector", selector,
               "--algorithm", algorithm, "--out", folder, "--json"])
    return json.loads(out.stdout)


def seed_tables(folder, keys_folder):
    """The seed's tables with /var/db/dkim and /usr/local/etc/mail/opendkim rewritten."""
    for name in ("KeyTable", "SigningTable", "TrustedHosts"):
        with open(os.path.join(SEED, name)) as f:
            text = f.read().replace("/var/db/dkim", keys_folder)
        with open(os.path.join(folder, name), "w") as f:
            f.write(text)


def sasl_setup(folder):
    sasldb = os.path.join(folder, "sasldb2")
    subprocess.run(["saslpasswd2", "-p", "-c", "-f", sasldb, "-u", "mx.postfix.test", SASL_USER],
                   input=SASL_PASSWORD.encode(), check=True)
    shutil.chown(sasldb, "postfix", "postfix")
    os.chmod(sasldb, 0o640)
    with open(os.path.join(folder, "smtpd.conf"), "w") as f:
        f.write("pwcheck_method: auxprop\nauxprop_plugin: sasldb\nsasldb_path: %s\n"
                "mech_list: PLAIN LOGIN\n" % sasldb)


def write_config(path, folder, dns_spec):
    with open(path, "w") as f:
        f.write("""[dns]
servers = ["{dns}"]
timeout = {timeout}
[milter]
listen = ["inet:127.0.0.1:{milter}"]
authserv_id = "{authserv}"
[policy]
listen = ["inet:127.0.0.1:{policy}"]
[sign]
keytable = "{folder}/KeyTable"
signingtable = "refile:{folder}/SigningTable"
internal_hosts = ["refile:{folder}/TrustedHosts"]
external_ignore = ["refile:{folder}/TrustedHosts"]
subdomains = true
multiple_signatures = true
canonicalization = "simple/simple"
[daemon]
user = ""
[dmarc]
enforce = true
exceptions = ["partner.test"]
[report]
relay = "127.0.0.1:{relay}"
[failure_reports]
enabled = true
sent_by = "DMARC failures <{reports_from}>"
bcc = ["{bcc}"]
dkim_bcc = ["{bcc}"]
dkim = true
dkim_sent_by = "DKIM failures <{dkim_reports_from}>"
[arc]
seal = true
domain = "{arc_domain}"
selector = "{arc_selector}"
key = "{folder}/keys/{arc_selector}.private"
""".format(dns=dns_spec, timeout=DNS_TIMEOUT_SECONDS, milter=MILTER_PORT, authserv=AUTHSERV_ID,
           policy=POLICY_PORT, folder=folder, relay=RELAY_PORT, reports_from=REPORTS_FROM, bcc=REPORTS_BCC,
           arc_domain=ARC_DOMAIN, arc_selector=ARC_SELECTOR, dkim_reports_from=DKIM_REPORTS_FROM))


# A message whose From (and other) fields a test chooses: subject, Message-ID local part, fields.
HEADER_CASE = "To: b@example.org\r\nSubject: %s\r\nMessage-ID: <%s@test>\r\n%s\r\nHello.\r\n"


def message(sender, subject, extra_headers=""):
    return ("From: Sender <%s>\r\nTo: b@example.org\r\nSubject: %s\r\n"
            "Message-ID: <%s@test>\r\n%s\r\nHello, this is a test.\r\n" % (sender, subject, subject, extra_headers))


def setUpModule():
    folder = tempfile.mkdtemp(prefix="domainauth-milter-e2e-")
    os.chmod(folder, 0o755)  # Postfix's smtpd (user postfix) reads the SASL settings below it
    world["dir"] = folder
    keys_folder = os.path.join(folder, "keys")
    os.mkdir(keys_folder, 0o700)
    com = keygen(keys_folder, "example.com", "20230319")
    jp = keygen(keys_folder, "example.jp", "20230320")
    outside = keygen(keys_folder, "sender.test", "ext")
    arc = keygen(keys_folder, ARC_DOMAIN, ARC_SELECTOR)
    upstream = keygen(keys_folder, *UPSTREAM_ARC)
    world["upstream_key"] = os.path.join(keys_folder, UPSTREAM_ARC[1] + ".private")
    world["outside_key"] = os.path.join(keys_folder, "ext.private")
    seed_tables(folder, keys_folder)
    sasl_dir = os.path.join(folder, "sasl")
    os.mkdir(sasl_dir, 0o755)
    sasl_setup(sasl_dir)
    records = [
        (com["name"], "TXT", com["record"]),
        (jp["name"], "TXT", jp["record"]),
        (outside["name"], "TXT", outside["record"]),
        (arc["name"], "TXT", arc["record"]),
        (upstream["name"], "TXT", upstream["record"]),
        ("sender.test", "TXT", "v=spf1 ip4:%s -all" % OUTSIDE),
        ("_dmarc.sender.test", "TXT", "v=DMARC1; p=reject"),
        # RFC 6651: where sender.test wants the reports its r=y signatures ask for.
        ("_report._domainkey.sender.test", "TXT", "ra=dkim-failures; rr=v:x"),
        ("example.jp", "TXT", "v=spf1 ip4:127.0.0.1 -all"),
        ("example.com", "TXT", "v=spf1 ip4:127.0.0.1 -all"),
        # DMARC enforcement: domains whose mail never comes from OUTSIDE.
        ("bank.test", "TXT", "v=spf1 ip4:127.0.0.30 -all"),
        ("_dmarc.bank.test", "TXT", "v=DMARC1; p=reject"),
        ("_dmarc.hold.test", "TXT", "v=DMARC1; p=quarantine"),
        ("_dmarc.partner.test", "TXT", "v=DMARC1; p=reject"),
        # Failure reports: a p=reject domain asking for them (fo=1: any unaligned mechanism).
        ("forensic.test", "TXT", "v=spf1 ip4:127.0.0.30 -all"),
        ("_dmarc.forensic.test", "TXT",
         "v=DMARC1; p=reject; ruf=mailto:dmarc-failures@forensic.test; fo=1"),
    ]
    world["records"] = records
    world["dns"] = DnsServer(records).__enter__()
    config = os.path.join(folder, "domainauth.toml")
    world["config"] = config
    write_config(config, folder, world["dns"].spec)
    world["relay"] = CaptureServer(RELAY_PORT)
    world["daemon"] = Serve(DOMAINAUTH, config)
    milter = "inet:127.0.0.1:%d" % MILTER_PORT
    world["postfix"] = Postfix(main_cf={
        "smtpd_milters": milter, "non_smtpd_milters": milter,
        "milter_default_action": "tempfail", "milter_protocol": "6",
        "smtpd_sasl_auth_enable": "yes", "smtpd_sasl_type": "cyrus",
        "cyrus_sasl_config_path": sasl_dir, "smtpd_sasl_path": "smtpd",
        "smtpd_sasl_security_options": "noanonymous",
        "smtpd_recipient_restrictions": "permit_sasl_authenticated, reject_unauth_destination",
    }).__enter__()
    # Debian's Postfix reads $config_directory/sasl/smtpd.conf (its patch overrides
    # cyrus_sasl_config_path): put the settings there too and restart smtpd.
    postfix_sasl = os.path.join(world["postfix"].config_directory, "sasl")
    os.mkdir(postfix_sasl, 0o755)
    shutil.copy(os.path.join(sasl_dir, "smtpd.conf"), postfix_sasl)
    subprocess.run(["postfix", "-c", world["postfix"].config_directory, "reload"], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1)


def tearDownModule():
    if os.environ.get("DOMAINAUTH_E2E_VERBOSE") and "postfix" in world:
        print(world["postfix"].maillog())
    for name in ("postfix", "dns"):
        if name in world:
            world[name].__exit__(None, None, None)
    if "relay" in world:
        world["relay"].close()
    if "daemon" in world:
        world["daemon"].stop()
        if os.environ.get("DOMAINAUTH_E2E_VERBOSE"):
            print(world["daemon"].log())
    shutil.rmtree(world["dir"], ignore_errors=True)


def dkimpy_dns(name, timeout=5):
    for n, _, value in world["records"]:
        if name.decode().rstrip(".") == n:
            return value.encode()
    return None


def signed_outside(subject):
    """A message From news@sender.test signed by dkimpy with the outside domain's key."""
    text = message("news@sender.test", subject).encode()
    with open(world["outside_key"], "rb") as f:
        signature = dkim.sign(text, b"ext", b"sender.test", f.read(),
                              include_headers=[b"from", b"to", b"subject", b"message-id"])
    return (signature + text).decode()


def broken_outside(subject, request_reports):
    """news@sender.test's mail signed by dkimpy (r=y when asked), its body changed afterwards."""
    text = message("news@sender.test", subject).encode()
    with open(world["outside_key"], "rb") as f:
        signature = dkimpy_signer.sign(text, b"ext", b"sender.test", f.read(), request_reports)
    return (signature + text).decode().replace("this is a test", "this is a changed test")


class MilterThroughPostfix(unittest.TestCase):
    def deliver(self, sender, subject, source, extra_headers="", login=False):
        mta = world["postfix"]
        text = message(sender, subject, extra_headers)
        if login:
            with smtplib.SMTP("127.0.0.1", mta.smtpd_port, local_hostname="client.example",
                              source_address=(source, 0), timeout=60) as client:
                client.login(SASL_USER, SASL_PASSWORD)
                client.sendmail(sender, ["b@example.org"], text)
        else:
            mta.send(sender, ["b@example.org"], text, source=source)
        return mta.wait_for_message(lambda m: ("Subject: %s\r\n" % subject) in m.data)

    def assert_verifies(self, delivered, domain, selector):
        raw = delivered.data.encode()
        out = run([DOMAINAUTH, "dkim", "verify", "--dns", world["dns"].spec, "--json"], stdin=raw)
        sigs = json.loads(out.stdout)["signatures"]
        self.assertEqual([(s["domain"], s["selector"], s["result"]) for s in sigs], [(domain, selector, "pass")],
                         out.stdout)
        self.assertTrue(dkim.verify(raw, dnsfunc=dkimpy_dns), "dkimpy does not verify:\n" + delivered.data)

    def test_a_internal_example_jp_signed_and_verifies_in_domainauth_and_dkimpy(self):
        delivered = self.deliver("taro@example.jp", "internal-jp", INTERNAL)
        [signature] = delivered.header("DKIM-Signature")
        self.assertIn("d=example.jp", signature)
        self.assertIn("s=20230320", signature)
        self.assertEqual(delivered.header("Authentication-Results"), [])
        self.assert_verifies(delivered, "example.jp", "20230320")

    def test_b_sasl_authenticated_submission_is_signed(self):
        delivered = self.deliver("hanako@example.jp", "sasl-jp", OUTSIDE, login=True)
        self.assertEqual(len(delivered.header("DKIM-Signature")), 1, delivered.data)
        self.assert_verifies(delivered, "example.jp", "20230320")
        # Without the login the same client is an outsider: verified, not signed.
        unsigned = self.deliver("hanako@example.jp", "nosasl-jp", OUTSIDE)
        self.assertEqual(unsigned.header("DKIM-Signature"), [])
        [ar] = unsigned.header("Authentication-Results")
        self.assertIn("spf=fail", ar)

    def test_c_inbound_gets_authentication_results(self):
        mta = world["postfix"]
        mta.send("news@sender.test", ["b@example.org"], signed_outside("inbound-signed"), source=OUTSIDE)
        delivered = mta.wait_for_message(lambda m: "Subject: inbound-signed\r\n" in m.data)
        [ar] = delivered.header("Authentication-Results")
        self.assertTrue(ar.startswith(AUTHSERV_ID + ";"), ar)
        self.assertIn("spf=pass smtp.mailfrom=news@sender.test", ar)
        self.assertIn("dkim=pass header.d=sender.test", ar)
        self.assertIn("header.s=ext", ar)
        self.assertRegex(ar, r"header\.b=\"?[A-Za-z0-9+/]{8,}")  # quoted when it holds a /
        self.assertIn("dmarc=pass (p=reject dis=none) header.from=sender.test", ar)

    def test_d_forged_authentication_results_removed_other_kept(self):
        forged = ("Authentication-Results: %s; dkim=pass header.d=bank.example\r\n"
                  "Authentication-Results: other.example; spf=pass smtp.mailfrom=x@y.example\r\n" % AUTHSERV_ID)
        delivered = self.deliver("news@sender.test", "forged-ar", OUTSIDE, extra_headers=forged)
        fields = delivered.header("Authentication-Results")
        ours = [f for f in fields if f.startswith(AUTHSERV_ID + ";")]
        self.assertEqual(len(ours), 1, fields)
        self.assertNotIn("bank.example", ours[0])
        self.assertIn("other.example; spf=pass smtp.mailfrom=x@y.example", fields)

    def test_e_seed_tables_sign_example_com_with_its_selector_simple_simple(self):
        delivered = self.deliver("info@example.com", "internal-com", INTERNAL)
        [signature] = delivered.header("DKIM-Signature")
        self.assertIn("d=example.com", signature)
        self.assertIn("s=20230319", signature)
        self.assertIn("c=simple/simple", signature)
        self.assert_verifies(delivered, "example.com", "20230319")
        # SubDomains yes, as in OpenDKIM: it applies to the Domain list only, and the
        # refile: pattern *@example.com is anchored, so a subdomain stays unsigned.
        sub = self.deliver("info@sub.example.com", "internal-subdomain", INTERNAL)
        self.assertEqual(sub.header("DKIM-Signature"), [])

    def test_h_local_submission_through_non_smtpd_milters_is_signed(self):
        # sendmail(1) -> postdrop -> pickup -> cleanup: Postfix hands the message to
        # non_smtpd_milters as from the local host, an internal client.
        mta = world["postfix"]
        subprocess.run(["sendmail", "-C", mta.config_directory, "-f", "hanako@example.jp", "b@example.org"],
                       input=message("hanako@example.jp", "local-submission").encode(), check=True, timeout=60)
        delivered = mta.wait_for_message(lambda m: "Subject: local-submission\r\n" in m.data)
        [signature] = delivered.header("DKIM-Signature")
        self.assertIn("s=20230320", signature)
        self.assert_verifies(delivered, "example.jp", "20230320")

    def reload_with(self, text):
        before = world["daemon"].log().count("event=reloaded")
        with open(world["config"], "w") as f:
            f.write(text)
        world["daemon"].process.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 10
        while world["daemon"].log().count("event=reloaded") == before and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertGreater(world["daemon"].log().count("event=reloaded"), before)

    def held(self, sender, timeout=10):
        """The hold-queue entries (postqueue -j) of this envelope sender."""
        deadline = time.monotonic() + timeout
        while True:
            out = run(["postqueue", "-c", world["postfix"].config_directory, "-j"]).stdout.decode()
            entries = [json.loads(line) for line in out.splitlines() if line.strip()]
            found = [e for e in entries if e.get("sender") == sender and e.get("queue_name") == "hold"]
            if found or time.monotonic() > deadline:
                return found
            time.sleep(0.2)

    def test_g1_spoofed_from_of_p_reject_domain_refused_with_550_5_7_1(self):
        with self.assertRaises(smtplib.SMTPDataError) as refused:
            world["postfix"].send("attacker@mailer.test", ["b@example.org"],
                                  message("ceo@bank.test", "dmarc-spoof"), source=OUTSIDE)
        self.assertEqual(refused.exception.smtp_code, 550, refused.exception)
        self.assertIn(b"5.7.1", refused.exception.smtp_error)
        self.assertIn(b"bank.test (p=reject)", refused.exception.smtp_error)
        log = world["daemon"].log()
        self.assertIn("dmarc_policy=reject dmarc_disposition=reject dmarc_action=reject", log)
        self.assertIn("action=reject code=550", log)

    def assert_each_refused(self, prefix, cases):
        """Each (name, header fields, reason) sent from OUTSIDE gets 550 5.7.1 naming the reason."""
        for name, headers, why in cases:
            with self.subTest(name):
                with self.assertRaises(smtplib.SMTPDataError) as refused:
                    world["postfix"].send("attacker@mailer.test", ["b@example.org"],
                                          HEADER_CASE % (prefix + name, name, headers), source=OUTSIDE)
                self.assertEqual(refused.exception.smtp_code, 550, refused.exception)
                self.assertIn(b"5.7.1", refused.exception.smtp_error)
                self.assertIn(why, refused.exception.smtp_error.replace(b"\n", b""))

    def test_g6_hostile_from_and_header_limits_do_not_bypass_enforcement(self):
        # A forged From of a p=reject domain must stay refused when the attacker adds
        # a second From, drops it, makes it over-long or pads the header past the
        # limits (CVE-2019-16378 in OpenDMARC was the first of these).
        cases = [
            ("two-from", "From: <ceo@bank.test>\r\nFrom: <x@mailer.test>\r\n", b"2 From fields"),
            ("no-from", "Sender: <ceo@bank.test>\r\n", b"no From field"),
            ("long-from", "From: \"%s\" <ceo@bank.test>\r\n" % ("a" * 17000), b"longer than 16384"),
            ("padded", "From: <ceo@bank.test>\r\n" + "X-Pad: x\r\n" * 1100, b"bank.test (p=reject)"),
        ]
        self.assert_each_refused("hostile-", cases)

    def test_g7_required_headers_rejects_each_rfc5322_breach_as_opendmarc_does(self):
        with open(world["config"]) as f:
            text = f.read()
        date = "Date: Mon, 7 Dec 2026 10:00:00 +0000\r\n"
        cases = [
            ("no-date", "From: <a@sender.test>\r\n", b"no Date field"),
            ("two-dates", "From: <a@sender.test>\r\n" + date * 2, b"2 Date fields"),
            ("two-subjects", "From: <a@sender.test>\r\n" + date + "Subject: again\r\n", b"2 Subject fields"),
            ("two-to", "From: <a@sender.test>\r\n" + date + "To: c@example.org\r\n", b"2 To fields"),
            ("two-message-ids", "From: <a@sender.test>\r\n" + date + "Message-ID: <2@test>\r\n",
             b"2 Message-ID fields"),
            ("group-from", "From: undisclosed-recipients:;\r\n" + date, b"no usable domain"),
        ]
        try:
            self.reload_with(text.replace("[dmarc]\n", "[dmarc]\nrequired_headers = true\n", 1))
            self.assert_each_refused("required-", cases)
            # A conformant message still goes through, with its results.
            mta = world["postfix"]
            mta.send("news@sender.test", ["b@example.org"],
                     HEADER_CASE % ("required-ok", "ok", "From: <news@sender.test>\r\n" + date), source=OUTSIDE)
            delivered = mta.wait_for_message(lambda m: "Subject: required-ok\r\n" in m.data)
            [ar] = delivered.header("Authentication-Results")
            self.assertIn("dmarc=pass", ar)
        finally:
            self.reload_with(text)

    def test_g2_aligned_dkim_pass_alone_accepted_with_dmarc_pass(self):
        mta = world["postfix"]
        # The envelope domain has no SPF record: only DKIM can align.
        mta.send("bounce@mailer.test", ["b@example.org"], signed_outside("dmarc-dkim-only"), source=OUTSIDE)
        delivered = mta.wait_for_message(lambda m: "Subject: dmarc-dkim-only\r\n" in m.data)
        [ar] = delivered.header("Authentication-Results")
        self.assertIn("spf=none", ar)
        self.assertIn("dkim=pass header.d=sender.test", ar)
        self.assertIn("dmarc=pass (p=reject dis=none) header.from=sender.test", ar)

    def test_g3_p_quarantine_is_held_by_postfix(self):
        world["postfix"].send("quarantine@mailer.test", ["b@example.org"],
                              message("info@hold.test", "dmarc-quarantine"), source=OUTSIDE)
        held = self.held("quarantine@mailer.test")
        self.assertEqual(len(held), 1, world["postfix"].maillog()[-3000:])
        self.assertIn("milter-hold", world["postfix"].maillog())
        self.assertIn("dmarc_action=quarantine", world["daemon"].log())

    def test_g4_exception_domain_is_reported_not_enforced(self):
        mta = world["postfix"]
        mta.send("a@mailer.test", ["b@example.org"], message("news@partner.test", "dmarc-exception"), source=OUTSIDE)
        delivered = mta.wait_for_message(lambda m: "Subject: dmarc-exception\r\n" in m.data)
        [ar] = delivered.header("Authentication-Results")
        # dis= is what was done (OpenDMARC's meaning), p= the domain owner's policy.
        self.assertIn("dmarc=fail (p=reject dis=none) header.from=partner.test", ar)
        self.assertIn("dmarc_action=accept dmarc_skipped=exception", world["daemon"].log())

    def test_g5_never_reject_and_quarantine_as_header_give_a_header_mark(self):
        with open(world["config"]) as f:
            text = f.read()
        try:
            self.reload_with(text.replace("enforce = true", "enforce = true\nnever_reject = true\n"
                                          "quarantine_as_header = true"))
            mta = world["postfix"]
            mta.send("attacker@mailer.test", ["b@example.org"], message("ceo@bank.test", "dmarc-mark"),
                     source=OUTSIDE)
            delivered = mta.wait_for_message(lambda m: "Subject: dmarc-mark\r\n" in m.data)
            self.assertEqual(delivered.header("X-DMARC-Quarantine"), ["DMARC p=reject of bank.test: failed"])
            [ar] = delivered.header("Authentication-Results")
            self.assertIn("dmarc=fail (p=reject dis=quarantine) header.from=bank.test", ar)
        finally:
            self.reload_with(text)

    def test_f1_client_vanishing_mid_message_leaves_the_daemon_serving(self):
        for _ in range(5):
            m = MilterClient("inet:127.0.0.1:%d" % MILTER_PORT).__enter__()
            m.optneg()
            m.connect("gone.example", "4", 25, OUTSIDE)
            m.helo("gone.example")
            m.mail("<a@sender.test>")
            m.header("From", " a@sender.test")
            m.header("DKIM-Signature", " v=1; a=rsa-sha256; d=sender.test; s=ext; h=from; bh=AA; b=BB")
            m.eoh()
            m.body(b"partial")
            m.__exit__(None, None, None)
        self.assertIsNone(world["daemon"].process.poll())
        delivered = self.deliver("news@sender.test", "after-vanish", OUTSIDE)
        self.assertEqual(len(delivered.header("Authentication-Results")), 1)

    def test_y_sighup_reloads_settings_and_keeps_connections(self):
        kept = MilterClient("inet:127.0.0.1:%d" % MILTER_PORT).__enter__()
        try:
            kept.optneg()
            kept.connect("localhost", "4", 25, INTERNAL)
            with open(world["config"]) as f:
                text = f.read()
            self.reload_with(text.replace('"simple/simple"', '"relaxed/relaxed"'))
            delivered = self.deliver("taro@example.jp", "after-reload", INTERNAL)
            self.assertIn("c=relaxed/relaxed", delivered.header("DKIM-Signature")[0])
            self.assert_verifies(delivered, "example.jp", "20230320")
            # The connection opened before the reload still works.
            kept.helo("localhost")
            kept.mail("<taro@example.jp>")
            kept.header("From", " taro@example.jp")
            kept.eoh()
            kept.body(b"kept\r\n")
            result = kept.eom()
            self.assertEqual(result.reply.code, "c")
            self.assertTrue(any(m[0] == "insheader" and m[2] == "DKIM-Signature" for m in result.modifications),
                            result.modifications)
        finally:
            kept.__exit__(None, None, None)
            self.reload_with(text)

    def test_z_dns_stopped_gives_temperror_action_within_the_timeout(self):
        world["dns"].stop()
        try:
            start = time.monotonic()
            with self.assertRaises(smtplib.SMTPDataError) as refused:
                # A name nobody asked for yet: nothing in the resolver's cache.
                world["postfix"].send("a@uncached.test", ["b@example.org"],
                                      message("a@uncached.test", "dns-down"), source=OUTSIDE)
            took = time.monotonic() - start
            self.assertEqual(refused.exception.smtp_code, 451, refused.exception)
            self.assertIn(b"4.4.3", refused.exception.smtp_error)
            self.assertLess(took, DNS_TIMEOUT_SECONDS + TIMING_MARGIN_SECONDS)
            self.assertIn("action=tempfail", world["daemon"].log())
        finally:
            world["dns"].start()

    def test_k_inbound_mail_is_arc_sealed_and_dkimpy_validates_the_chain(self):
        mta = world["postfix"]
        mta.send("news@sender.test", ["b@example.org"], signed_outside("arc-sealed"), source=OUTSIDE)
        delivered = mta.wait_for_message(lambda m: "Subject: arc-sealed\r\n" in m.data)
        [seal] = delivered.header("ARC-Seal")
        self.assertIn("i=1;", seal)
        self.assertIn("cv=none;", seal)
        self.assertIn("d=%s;" % ARC_DOMAIN, seal)
        [aar] = delivered.header("ARC-Authentication-Results")
        self.assertTrue(aar.startswith("i=1; %s;" % AUTHSERV_ID), aar)
        self.assertIn("dkim=pass header.d=sender.test", aar)
        cv, _, comment = dkim.arc_verify(delivered.data.encode(), dnsfunc=dkimpy_dns)
        self.assertEqual(cv, dkim.CV_Pass, "dkimpy: %s\n%s" % (comment, delivered.data))
        self.assertIn("arc_seal=yes arc_cv=none", world["daemon"].log())

    def test_k2_long_signed_header_list_still_validates_in_stock_dkimpy(self):
        # Debian's dkimpy 1.1.4 finds an ARC set by the literal bytes " i=N;": a fold
        # right before i= made it raise on every message with a long h= list.
        mta = world["postfix"]
        extra = "".join("%s: <x%d@sender.test>\r\n" % (name, n) for n, name in enumerate(
            ["Cc", "Reply-To", "In-Reply-To", "References", "List-Id", "List-Unsubscribe",
             "List-Post", "List-Help", "Resent-From", "Resent-To", "Sender"] * 2))
        mta.send("news@sender.test", ["b@example.org"], message("news@sender.test", "arc-long-h", extra),
                 source=OUTSIDE)
        delivered = mta.wait_for_message(lambda m: "Subject: arc-long-h\r\n" in m.data)
        for name in ("ARC-Seal", "ARC-Message-Signature"):
            raw = [line for line in delivered.data.split("\r\n\r\n")[0].split("\r\n") if line.startswith(name + ":")]
            self.assertTrue(raw and raw[0].startswith(name + ": i=1;"), raw)
        [ams] = delivered.header("ARC-Message-Signature")
        self.assertGreater(len(ams), 300, ams)  # long enough to fold several times
        cv, _, comment = dkim.arc_verify(delivered.data.encode(), dnsfunc=dkimpy_dns)
        self.assertEqual(cv, dkim.CV_Pass, "dkimpy: %s\n%s" % (comment, delivered.data))

    def test_l_upstream_dkimpy_arc_set_validates_and_our_seal_continues_the_chain(self):
        text = signed_outside("arc-second-hop").encode()
        upstream = b"Authentication-Results: mx.upstream.test; spf=pass smtp.mailfrom=news@sender.test\r\n" + text
        with open(world["upstream_key"], "rb") as f:
            arc_set = dkim.arc_sign(upstream, UPSTREAM_ARC[1].encode(), UPSTREAM_ARC[0].encode(), f.read(),
                                    b"mx.upstream.test", include_headers=[b"from", b"to", b"subject"])
        self.assertEqual(len(arc_set), 3, arc_set)
        mta = world["postfix"]
        mta.send("news@sender.test", ["b@example.org"], (b"".join(arc_set) + upstream).decode(), source=OUTSIDE)
        delivered = mta.wait_for_message(lambda m: "Subject: arc-second-hop\r\n" in m.data)
        [ar] = [v for v in delivered.header("Authentication-Results") if v.startswith(AUTHSERV_ID + ";")]
        self.assertIn("arc=pass", ar)
        seals = delivered.header("ARC-Seal")
        self.assertEqual(len(seals), 2, seals)
        self.assertIn("i=2;", seals[0])
        self.assertIn("cv=pass;", seals[0])
        cv, _, comment = dkim.arc_verify(delivered.data.encode(), dnsfunc=dkimpy_dns)
        self.assertEqual(cv, dkim.CV_Pass, "dkimpy: %s\n%s" % (comment, delivered.data))

    def test_i_failure_report_of_refused_spoof_reaches_the_relay_redacted(self):
        with self.assertRaises(smtplib.SMTPDataError) as refused:
            world["postfix"].send("attacker.name@mailer.test", ["b@example.org"],
                                  message("ceo.private@forensic.test", "dmarc-forensic"), source=OUTSIDE)
        self.assertEqual(refused.exception.smtp_code, 550, refused.exception)
        report = world["relay"].wait_for(lambda m: "Reported-Domain: forensic.test" in m.data, 30)
        self.assertIsNotNone(report, world["daemon"].log()[-3000:])
        self.assertEqual(report.mail_from, "<%s>" % REPORTS_FROM)
        self.assertEqual(report.rcpt_to, ["<dmarc-failures@forensic.test>", "<%s>" % REPORTS_BCC])
        parsed = email.message_from_string(report.data)
        self.assertEqual(parsed["From"], "DMARC failures <%s>" % REPORTS_FROM)
        self.assertEqual(parsed["To"], "dmarc-failures@forensic.test")
        self.assertNotIn(REPORTS_BCC, str(parsed))  # a blind copy: envelope only
        self.assertEqual(parsed.get_content_type(), "multipart/report")
        self.assertEqual(parsed.get_param("report-type"), "feedback-report")
        human, feedback, original = parsed.get_payload()
        self.assertEqual(human.get_content_type(), "text/plain")
        self.assertEqual(feedback.get_content_type(), "message/feedback-report")
        fields = feedback.get_payload()[0]  # the email module parses message/* as a message
        self.assertEqual(fields["Feedback-Type"], "auth-failure")
        self.assertEqual(fields["Version"], "1")
        self.assertEqual(fields["Auth-Failure"], "dmarc")
        self.assertEqual(fields["Reported-Domain"], "forensic.test")
        self.assertEqual(fields["Source-IP"], OUTSIDE)
        self.assertEqual(fields["Identity-Alignment"], "dkim, spf")
        self.assertEqual(fields["Delivery-Result"], "reject")
        self.assertTrue(fields["User-Agent"])
        self.assertTrue(fields["Arrival-Date"])
        self.assertIn("%s; dmarc=fail" % AUTHSERV_ID, fields["Authentication-Results"])
        self.assertIn("header.from=forensic.test", fields["Authentication-Results"])
        self.assertRegex(fields["Original-Mail-From"], r"^<[0-9a-f]{16}@mailer\.test>$")
        self.assertEqual(original.get_content_type(), "text/rfc822-headers")
        self.assertIn("Subject: dmarc-forensic", original.get_payload())
        # failure_reports.redact (the default): no original local-part anywhere (RFC 6590).
        for local in ("ceo.private", "attacker.name"):
            self.assertNotIn(local, report.data)
        # The worker logs once the relay answered the end of data: wait for the line.
        sent = "event=failure_report_sent domain=forensic.test recipients=2"
        deadline = time.monotonic() + 10
        while sent not in world["daemon"].log() and time.monotonic() < deadline:
            time.sleep(0.1)
        self.assertIn(sent, world["daemon"].log())

    def test_j_broken_signature_with_r_y_is_reported_to_the_signing_domain(self):
        mta = world["postfix"]
        for subject, request in (("dkim-no-request", False), ("dkim-request", True)):
            mta.send("news@sender.test", ["b@example.org"], broken_outside(subject, request), source=OUTSIDE)
            delivered = mta.wait_for_message(lambda m: ("Subject: %s\r\n" % subject) in m.data)
            self.assertIsNotNone(delivered, subject)
            self.assertIn("dkim=fail", delivered.data)  # SPF aligns: delivered, DMARC pass
        report = world["relay"].wait_for(lambda m: "Subject: dkim-request" in m.data, 30)
        self.assertIsNotNone(report, world["daemon"].log()[-3000:])
        self.assertEqual(report.mail_from, "<%s>" % DKIM_REPORTS_FROM)
        self.assertEqual(report.rcpt_to, ["<dkim-failures@sender.test>", "<%s>" % REPORTS_BCC])
        parsed = email.message_from_string(report.data)
        self.assertEqual(parsed["From"], "DKIM failures <%s>" % DKIM_REPORTS_FROM)
        self.assertEqual(parsed["To"], "dkim-failures@sender.test")
        self.assertEqual(parsed["Subject"], "DKIM failure report for sender.test (bodyhash)")
        self.assertEqual(parsed.get_param("report-type"), "feedback-report")
        _, feedback, original = parsed.get_payload()
        fields = feedback.get_payload()[0]
        self.assertEqual(fields["Feedback-Type"], "auth-failure")
        self.assertEqual(fields["Auth-Failure"], "bodyhash")
        self.assertEqual(fields["Reported-Domain"], "sender.test")
        self.assertEqual(fields["DKIM-Domain"], "sender.test")
        self.assertEqual(fields["DKIM-Selector"], "ext")
        self.assertEqual(fields["Source-IP"], OUTSIDE)
        self.assertIn("%s; dkim=fail" % AUTHSERV_ID, fields["Authentication-Results"])
        self.assertIsNone(fields["Identity-Alignment"])  # not a DMARC report
        self.assertEqual(original.get_content_type(), "text/rfc822-headers")
        # One queue, in arrival order: the message without r=y, sent first, asked for nothing.
        sent = "event=failure_report_sent domain=sender.test recipients=2"
        deadline = time.monotonic() + 10
        while sent not in world["daemon"].log() and time.monotonic() < deadline:
            time.sleep(0.1)
        self.assertEqual(world["daemon"].log().count(sent), 1, world["daemon"].log()[-3000:])
        self.assertFalse([m for m in world["relay"].messages if "Subject: dkim-no-request" in m.data])


if __name__ == "__main__":
    unittest.main(verbosity=2)
