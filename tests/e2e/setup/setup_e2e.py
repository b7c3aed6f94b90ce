"""domainauth init -> publish -> check, the broken zones check must diagnose,
keys rotate through DNS, and explain on a bounce, against a real unbound on
loopback (tests/e2e/lib/dnsserver.py). Run inside netns-run.
Prints "N passed, N failed"; exit status 1 on any failure.
"""

import json
import os
import pwd
import re
import stat
import subprocess
import sys
import tempfile
import tomllib

from checks import expect, finish
from dnsserver import DnsServer

DOMAINAUTH = os.environ["DOMAINAUTH"]
SOURCE = os.environ["DOMAINAUTH_SOURCE"]
IP = "192.0.2.10"
HELO = "mail.example.com"


def run(*args, stdin=None):
    p = subprocess.run([DOMAINAUTH, *args], input=stdin, capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr


def zone_records(path):
    """records.zone (as init writes it) -> DnsServer records: (name, TXT, presentation strings)."""
    text = "\n".join(l for l in open(path).read().splitlines() if l and not l.startswith(";"))
    out = []
    for m in re.finditer(r'^(\S+)\t\d+\tIN\tTXT\t(\(.*?\)|"[^\n]*")', text, re.M | re.S):
        value = m.group(2).strip("()").strip()
        out.append((m.group(1), "TXT", " ".join(value.split())))
    return out


def host_records():
    return [("mail.example.com", "A", IP), ("example.com", "MX", "10 mail.example.com"),
            ("example.jp", "MX", "10 mail.example.com"),
            ("10.2.0.192.in-addr.arpa", "PTR", "mail.example.com")]


def check(dns, domain, *extra):
    code, out, err = run("check", domain, "--dns", dns.spec, "--json", *extra)
    try:
        return code, json.loads(out)
    except ValueError:
        print("check printed no JSON:", out, err)
        return code, {"findings": []}


def severity(report, finding, subject=None):
    for f in report["findings"]:
        if f["id"] == finding and (subject is None or f["subject"] == subject):
            return f["severity"]
    return None


def test_init_publish_check(work):
    code, out, err = run("init", "--domain", "example.com", "--domain", "example.jp", "--ip", IP,
                         "--admin", "postmaster@example.com", "--out", work, "--json")
    expect(code == 0, "init exits 0: " + err)
    config = os.path.join(work, "domainauth.toml")
    printed = json.loads(out)
    expect(printed["ok"] and printed["config"] == config and printed["config_status"] == "written",
           "init --json names the configuration it wrote: %s" % printed)
    expect(len(printed["keys_created"]) == 4 and printed["keys_reused"] == [] and printed["daemon_user"] == "nobody",
           "init --json lists four new keys: %s" % printed["keys_created"])
    expect(all("not readable by user nobody" in w for w in printed["warnings"]) and printed["warnings"],
           "init --json warns that nobody cannot read the keys below mkdtemp's 0700: %s" % printed["warnings"])
    expect(printed["records_file"] == os.path.join(work, "records.zone") and
           printed["records"] == open(printed["records_file"]).read(), "init --json carries records.zone")
    expect("smtpd_milters = inet:127.0.0.1:8891" in printed["postfix"]["main_cf"], "init --json: main.cf lines")
    code, out, err = run("init", "--domain", "bad", "--json")
    expect(code == 1 and json.loads(out) == {"ok": False, "error": "--domain bad is not a domain name"},
           "init --json of bad usage: %s" % out)
    records = zone_records(os.path.join(work, "records.zone"))
    expect(len(records) == 9, "init prints 9 records (2 x SPF, 2 DKIM, DMARC; 1 report authorization): %d" % len(records))
    with DnsServer(records + host_records()) as dns:
        for domain in ("example.com", "example.jp"):
            code, report = check(dns, domain, "--ip", IP, "--helo", HELO, "--config", config)
            errors = [f for f in report["findings"] if f["severity"] == "error"]
            warnings = [f["id"] for f in report["findings"] if f["severity"] == "warning"]
            expect(code == 0 and not errors, "%s: init's records make check clean: %s" % (domain, errors))
            expect(warnings == ["dmarc.policy"], "%s: only p=none is left to do: %s" % (domain, warnings))
            expect(len([f for f in report["findings"] if f["id"] == "dkim.matches_local"
                        and f["severity"] == "ok"]) == 2, domain + ": both published keys match the local keys")
        test_check_message(work, config, dns)
        test_rotation(work, config, records, dns)
        test_explain(dns)
    return config, records


def test_check_message(work, config, dns):
    """check --message: a bulk message signed with init's RSA key over its unsubscribe fields meets
    every rule and carries verify's result; signed without them, message.unsubscribe_signed."""
    keys = os.path.join(work, "keys", "example.com")
    rsa = [f for f in sorted(os.listdir(keys)) if f.endswith(".private") and not f.endswith("-ed.private")][0]
    plain = ("From: News <news@example.com>\r\nTo: someone@example.net\r\nSubject: offers\r\n"
             "Date: Mon, 7 Dec 2026 10:00:00 +0000\r\nMessage-ID: <1@example.com>\r\n"
             "List-Unsubscribe: <https://example.com/u?t=opaque>, <mailto:u@example.com>\r\n"
             "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n\r\nhello\r\n")
    base = ["--domain", "example.com", "--selector", rsa[:-len(".private")], "--key", os.path.join(keys, rsa)]
    for name, headers, want_code, want_signed in (
            ("covered", "from:to:subject:date:message-id:list-unsubscribe:list-unsubscribe-post", 0, "ok"),
            ("uncovered", "from:to:subject:date:message-id", 3, "error")):
        code, signed, err = run("dkim", "sign", *base, "--headers", headers, stdin=plain)
        path = os.path.join(work, name + ".eml")
        with open(path, "w") as f:
            f.write(signed)
        code, out, err = run("check", "--message", path, "--ip", IP, "--helo", HELO, "--sender",
                             "bounce@example.com", "--bulk", "--config", config, "--dns", dns.spec, "--json")
        report = json.loads(out) if out.startswith("{") else {"findings": []}
        ids = {f["id"]: f["severity"] for f in report["findings"]}
        others = {i: s for i, s in ids.items() if i != "message.unsubscribe_signed"}
        expect(code == want_code and ids.get("message.unsubscribe_signed") == want_signed,
               "check --message, unsubscribe fields %s: exit %d, %s %s" % (name, code, ids, err))
        expect(len(others) == 7 and set(others.values()) == {"ok"}, "%s: every other rule met: %s" % (name, others))
        expect(all(f["fix"] for f in report["findings"] if f["severity"] != "ok"), name + ": every finding has a fix")
        verify = report.get("verify", {})
        expect([d["result"] for d in verify.get("dkim", [])] == ["pass"] and verify["dmarc"]["result"] == "pass"
               and verify["spf"]["result"] == "pass", "%s: verify's result alongside: %s" % (name, verify))
    code, out, err = run("check", "--message", path, "--dns", dns.spec)
    expect(code == 1 and "--message needs --ip" in err, "check --message without --ip: usage error: " + err)


def test_rotation(work, config, records, dns):
    # The new keys go to the configuration's daemon.user (init writes none: this one is set here), 0600,
    # as init hands its keys over: a reload after the privilege drop reads them as that user.
    daemon = pwd.getpwnam("daemon")
    with open(config, "a") as f:
        f.write('\n[daemon]\nuser = "daemon"\n')
    os.chmod(work, 0o755)  # mkdtemp's 0700 would hide every key from daemon.user
    for folder in ("keys", "keys/example.com"):  # init gave its folders to the default user (nobody)
        os.chown(os.path.join(work, folder), daemon.pw_uid, daemon.pw_gid)
    code, out, err = run("keys", "rotate", "--domain", "example.com", "--config", config, "--dns", dns.spec, "--json")
    printed = json.loads(out)
    expect(code == 0 and printed["ok"] and printed["step"] == "start" and printed["domain"] == "example.com",
           "rotate start: %s %s" % (out, err))
    expect("warning" not in err and printed["warnings"] == [], "rotate hands the new keys over without a warning: " + err)
    state = json.load(open(config + ".rotation.json"))["domains"]["example.com"]
    expect(state["phase"] == "pending" and len(state["keys"]) == 2, "rotation pending with two keys")
    expect(sorted((k["selector"], k["key_file"]) for k in printed["keys"]) ==
           sorted((k["new_selector"], k["new_key_file"]) for k in state["keys"]), "rotate --json names the new keys")
    for key in printed["keys"]:
        expect(key["name"] == key["selector"] + "._domainkey.example.com" and key["record"].startswith("v=DKIM1;"),
               "rotate --json record of %s: %s" % (key["selector"], key["record"][:40]))
    for key in state["keys"]:
        st = os.stat(key["new_key_file"])
        expect(st.st_uid == daemon.pw_uid and stat.S_IMODE(st.st_mode) == 0o600,
               "%s is daemon.user's, mode 0600: uid %d mode %o" % (key["new_key_file"], st.st_uid,
                                                                  stat.S_IMODE(st.st_mode)))
        expect(subprocess.run(["setpriv", "--reuid", str(daemon.pw_uid), "--regid", str(daemon.pw_gid),
                               "--init-groups", "cat", key["new_key_file"]], capture_output=True).returncode == 0,
               "daemon.user can read " + key["new_key_file"])
    code, out, err = run("keys", "rotate", "--domain", "example.com", "--config", config, "--dns", dns.spec)
    expect(code == 3 and "NOT YET" in out, "rotate refuses to switch before the records are published")
    code, out, err = run("keys", "rotate", "--domain", "example.com", "--config", config, "--dns", dns.spec, "--json")
    printed = json.loads(out)
    expect(code == 3 and not printed["ok"] and printed["step"] == "switch" and not printed["switched"] and
           [r["problem"] for r in printed["records"]] == ["no record", "no record"],
           "rotate --json before the records are published: %s" % out)
    new_records = []
    for key in state["keys"]:
        txt = os.path.splitext(key["new_key_file"])[0] + ".txt"
        new_records += zone_records(txt)
    dns.stop()
    with DnsServer(records + new_records + host_records(), port=5354, extra_addresses=()) as dns2:
        code, out, err = run("keys", "rotate", "--domain", "example.com", "--config", config, "--dns", dns2.spec)
        expect(code == 0 and "now signs" in out, "rotate switches once published: " + out + err)
        with open(config, "rb") as f:
            signing = [(k["domain"], k["selector"]) for k in tomllib.load(f)["sign"]["key"]]
        expect(sorted(s for d, s in signing if d == "example.com") == sorted(k["new_selector"] for k in state["keys"]),
               "the configuration signs example.com with the new selectors: %s" % signing)
        expect(len([d for d, _ in signing if d == "example.jp"]) == 2, "example.jp's keys are untouched")
        code, report = check(dns2, "example.com", "--ip", IP, "--helo", HELO, "--config", config)
        expect(code == 0, "check is clean with the rotated keys")
        code, out, err = run("keys", "rotate", "--domain", "example.com", "--config", config)
        expect(code == 0 and "Nothing to do yet" in out, "the old keys are kept during the grace period")
        saved = json.load(open(config + ".rotation.json"))
        saved["domains"]["example.com"]["switched"] -= 8 * 86400
        json.dump(saved, open(config + ".rotation.json", "w"))
        code, out, err = run("keys", "rotate", "--domain", "example.com", "--config", config, "--prune", "--json")
        printed = json.loads(out)
        expect(code == 0 and printed["step"] == "retire" and printed["retired"], "the old records are retired: " + out)
        expect(sorted(printed["remove_records"]) ==
               sorted(k["old_selector"] + "._domainkey.example.com" for k in state["keys"]) and
               sorted(printed["deleted"]) == sorted(k["old_key_file"] for k in state["keys"]) and
               printed["kept"] == [], "rotate --json names the records to remove and the deleted files: " + out)
        expect(not any(os.path.exists(k["old_key_file"]) for k in state["keys"]), "--prune deletes the old key files")
        expect(not os.path.exists(config + ".rotation.json"), "the rotation is finished")
    dns.start()


def test_explain(dns):
    bounce = open(os.path.join(SOURCE, "tests/data/bounces/gmail-5.7.26-unauthenticated.eml")).read()
    code, out, err = run("explain", "--dns", dns.spec, "--json", stdin=bounce)
    data = json.loads(out)
    expect(data["pattern"]["id"] == "gmail.5.7.26", "explain names Gmail's 5.7.26")
    expect(data["check"] is not None and data["check"]["domain"] == "example.com"
           and data["check"]["ip"] == IP, "explain checks the sender's domain with the address from the reply")
    code, out, err = run("explain", "--no-check", stdin=bounce)
    expect(code == 0 and "SPF or DKIM" in out, "explain --no-check only explains")


BROKEN = [
    # (domain, records, extra args, finding, subject, severity)
    ("nospf.test", [("nospf.test", "TXT", "some other text")], [], "spf.present", None, "error"),
    ("twospf.test", [("twospf.test", "TXT", "v=spf1 -all"), ("twospf.test", "TXT", "v=spf1 mx -all")], [],
     "spf.single", None, "error"),
    ("chain.test", [("chain.test", "TXT", "v=spf1 include:i1.chain.test -all")] +
     [("i%d.chain.test" % i, "TXT", "v=spf1 %s-all" % ("include:i%d.chain.test " % (i + 1) if i < 11 else ""))
      for i in range(1, 12)], [], "spf.lookups", None, "error"),
    ("pnone.test", [("pnone.test", "TXT", "v=spf1 ip4:192.0.2.10 -all"), ("_dmarc.pnone.test", "TXT", "v=DMARC1; p=none")],
     [], "dmarc.policy", None, "warning"),
    ("nodmarc.test", [("nodmarc.test", "TXT", "v=spf1 ip4:192.0.2.10 -all")], [], "dmarc.present", None, "error"),
    ("noptr.test", [("noptr.test", "TXT", "v=spf1 ip4:192.0.2.99 -all")], ["--ip", "192.0.2.99"],
     "ptr.present", "192.0.2.99", "error"),
    ("helo.test", [("helo.test", "TXT", "v=spf1 ip4:192.0.2.10 -all"), ("other.helo.test", "A", "192.0.2.77")],
     ["--ip", IP, "--helo", "other.helo.test"], "helo.matches_ptr", "other.helo.test", "warning"),
    ("helo.test", [], ["--ip", IP, "--helo", "other.helo.test"], "helo.resolves", "other.helo.test", "warning"),
    ("plusall.test", [("plusall.test", "TXT", "v=spf1 +all")], [], "spf.all", None, "error"),
    ("nokey.test", [("nokey.test", "TXT", "v=spf1 -all")], ["--selector", "s1"], "dkim.present", "s1", "error"),
]


def test_broken_zones(work, config, records):
    data = records + host_records()
    for _, recs, *_ in BROKEN:
        data += recs
    # A DKIM record that does not match the local key: example.jp's RSA selector
    # published with example.jp's Ed25519 key record's neighbour (example.com's key).
    swapped = []
    for name, rtype, value in records:
        if name.endswith("._domainkey.example.jp."):
            other = [v for n, t, v in records if n == name.replace("example.jp.", "example.com.")]
            swapped.append((name, rtype, other[0] if other else value))
        else:
            swapped.append((name, rtype, value))
    with DnsServer(swapped + host_records() + [r for _, recs, *_ in BROKEN for r in recs]) as dns:
        for domain, _, extra, finding, subject, want in BROKEN:
            code, report = check(dns, domain, *extra)
            got = severity(report, finding, subject)
            expect(got == want, "%s: %s is %s, want %s" % (domain, finding, got, want))
            expect(code == (3 if any(f["severity"] == "error" for f in report["findings"]) else 0),
                   "%s: exit status %d matches the findings" % (domain, code))
        code, report = check(dns, "chain.test")
        expect(report["spf_lookups"] == 11 and len(report["spf_tree"]) == 12, "the 11-lookup include tree is shown")
        code, report = check(dns, "example.jp", "--config", config)
        mismatched = [f for f in report["findings"] if f["id"] == "dkim.matches_local" and f["severity"] == "error"]
        expect(len(mismatched) == 2 and code == 3, "a published key that is not the local key is an error")
    code, out, err = run("check", "example.com", "--dns", "127.0.0.1:9", "--json")
    expect(code == 2, "no DNS server: exit status 2 (got %d)" % code)


def test_arc_key(work, config, records):
    """[arc] seal: check --config compares the ARC key with its published record too."""
    code, out, err = run("dkim", "keygen", "--domain", "example.com", "--selector", "arc2026", "--out", work, "--json")
    expect(code == 0, "keygen of the ARC key: " + err)
    arc = json.loads(out)
    arc_config = os.path.join(work, "arc.toml")
    with open(config) as f, open(arc_config, "w") as out_file:
        out_file.write(f.read() + '\n[arc]\nseal = true\ndomain = "example.com"\nselector = "arc2026"\n'
                       'key = "%s"\n' % os.path.join(work, "arc2026.private"))
    with DnsServer(records + host_records()) as dns:
        code, report = check(dns, "example.com", "--config", arc_config)
        expect(severity(report, "dkim.present", "arc2026") == "error" and code == 3,
               "an unpublished ARC key is an error: %s" % severity(report, "dkim.present", "arc2026"))
        code, report = check(dns, "example.jp", "--config", arc_config)
        expect(severity(report, "dkim.present", "arc2026") is None, "the ARC key belongs to example.com only")
    with DnsServer(records + [(arc["name"], "TXT", arc["record"])] + host_records()) as dns:
        code, report = check(dns, "example.com", "--config", arc_config)
        arc_errors = [f for f in report["findings"] if f["subject"] == "arc2026" and f["severity"] == "error"]
        expect(severity(report, "dkim.matches_local", "arc2026") == "ok" and not arc_errors,
               "the published ARC key matches the local one: %s" % arc_errors)


def test_migrate_json(work):
    seed = os.path.join(os.environ["DOMAINAUTH_TESTSUITES"], "..", "seed-setup")
    out = os.path.join(work, "migrated.toml")
    code, printed, err = run("migrate", "--opendkim", os.path.join(seed, "opendkim.conf"), "--opendmarc",
                             os.path.join(seed, "opendmarc.conf"), "--json")
    printed = json.loads(printed)
    expect(code == 0 and printed["ok"] and printed["out"] is None and "[sign]" in printed["toml"],
           "migrate --json without --out carries the configuration: %s" % err)
    expect(printed["daemon_user"] == "mailnull" and printed["mapped"] and
           all(set(n) == {"file", "setting", "value", "why"} for n in printed["not_migrated"]),
           "migrate --json: daemon_user, mapped, not_migrated: %s" % {k: printed[k] for k in printed if k != "toml"})
    code, printed, err = run("migrate", "--opendkim", os.path.join(seed, "opendkim.conf"), "--out", out, "--json")
    printed = json.loads(printed)
    expect(code == 0 and printed["out"] == out and "toml" not in printed and os.path.exists(out),
           "migrate --json --out writes the file, not the text: %s" % printed)
    code, printed, err = run("migrate", "--opendkim", os.path.join(seed, "opendkim.conf"), "--out", out, "--json")
    printed = json.loads(printed)
    expect(code == 2 and not printed["ok"] and "never overwritten" in printed["error"],
           "migrate --json refuses to overwrite: %s" % printed)


def main():
    work = tempfile.mkdtemp(prefix="domainauth-setup-e2e-")
    config, records = test_init_publish_check(work)
    test_broken_zones(work, config, records)
    test_arc_key(work, config, records)
    test_migrate_json(work)
    sys.exit(finish())


if __name__ == "__main__":
    main()
