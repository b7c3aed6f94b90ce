"""Generates the SPF differential corpus: DNS records plus check_host() cases.

Deterministic (seeded) so a failure can be reproduced: every case is a domain under
diff.test with its own SPF record, built from random terms of every kind RFC 7208
has (ip4/ip6 with CIDRs, a/mx with dual CIDR lengths, include chains, redirect,
exists with macros, ptr, exp with macro explanations, every qualifier), plus a set of
hand-written edge cases (syntax errors, lookup and void limits, loops, several
records, DNS failures). Each case is checked from several client addresses.
"""

import random

ZONE = "diff.test"

# Client addresses. Inside the test namespace these are only data: nothing is sent
# to them. 192.0.2.0/24, 198.51.100.0/24 and 2001:db8::/32 are documentation ranges.
CLIENTS_V4 = ["192.0.2.1", "192.0.2.77", "192.0.2.200", "198.51.100.5", "198.51.100.130"]
CLIENTS_V6 = ["2001:db8::1", "2001:db8:1::25", "2001:db8:ffff::9"]
SENDERS = ["alice", "first.last", "bounce-123-x", "a.b.c.d", "Mixed.Case"]
HELO = "client.example.net"
MAX_PTR_NAMES = 8
BROKEN = f"broken.{ZONE}"


class Corpus:
    def __init__(self):
        self.records = []   # (name, type, value): value is text, TXT unquoted
        self.cases = []     # dict(domain, ip, sender, helo, note)
        self.ptr_names = {}  # client address -> PTR names given to it

    def add(self, name, rtype, value):
        self.records.append((name, rtype, value))

    def txt(self, name, text):
        self.add(name, "TXT", text)

    def case(self, domain, ip, localpart="alice", note=""):
        self.cases.append({"domain": domain, "ip": ip, "sender": f"{localpart}@{domain}",
                           "helo": HELO, "note": note})


def _hosts(corpus, rnd, name):
    """Gives name some A/AAAA records, sometimes covering client addresses."""
    pool = CLIENTS_V4 + ["203.0.113.9", "203.0.113.10"]
    for ip in rnd.sample(pool, rnd.randint(1, 3)):
        corpus.add(name, "A", ip)
    if rnd.random() < 0.5:
        corpus.add(name, "AAAA", rnd.choice(CLIENTS_V6 + ["2001:db8:5::5"]))


def _random_term(corpus, rnd, base, i, depth):
    kind = rnd.choice(["ip4", "ip4", "ip6", "a", "a", "mx", "mx", "include", "exists", "ptr"])
    if kind == "ip4":
        ip = rnd.choice(CLIENTS_V4 + ["203.0.113.0"])
        return f"ip4:{ip}/{rnd.choice([32, 32, 24, 25, 16, 8])}" if rnd.random() < 0.7 else f"ip4:{ip}"
    if kind == "ip6":
        return f"ip6:{rnd.choice(CLIENTS_V6)}/{rnd.choice([128, 64, 48, 32])}"
    if kind == "a":
        name = f"h{i}.{base}"
        _hosts(corpus, rnd, name)
        form = rnd.choice(["a:{n}", "a:{n}/24", "a:{n}/24//64", "a:{n}//48", "a"])
        if form == "a":
            _hosts(corpus, rnd, base)
        return form.format(n=name)
    if kind == "mx":
        name = f"m{i}.{base}"
        for k in range(rnd.randint(1, 3)):
            exchange = f"mx{k}.{name}"
            corpus.add(name, "MX", f"{10 * (k + 1)} {exchange}")
            _hosts(corpus, rnd, exchange)
        return rnd.choice(["mx:{n}", "mx:{n}/24", "mx:{n}//64"]).format(n=name)
    if kind == "include" and depth < 3:
        name = f"inc{i}.{base}"
        corpus.txt(name, _random_record(corpus, rnd, name, depth + 1, allow_redirect=False))
        return f"include:{name}"
    if kind == "exists":
        form = rnd.choice(["%{i}._ex", "%{l1r-}._ex", "%{ir}.%{v}._ex", "%{d2}._ex", "%{o}._ex"])
        # Make the name exist for some clients / senders only.
        for ip in rnd.sample(CLIENTS_V4, 2):
            corpus.add(f"{ip}._ex.{ZONE}", "A", "127.0.0.2")
            rev = ".".join(reversed(ip.split(".")))
            corpus.add(f"{rev}.in-addr._ex.{ZONE}", "A", "127.0.0.2")
        corpus.add(f"last._ex.{ZONE}", "A", "127.0.0.2")
        corpus.add(f"{ZONE}._ex.{ZONE}", "A", "127.0.0.2")
        return f"exists:{form}.{ZONE}"
    # ptr: some clients have a PTR to a name under base whose A confirms it. No
    # address gets more than MAX_PTR_NAMES names: past 10, RFC 7208 4.6.4 uses "the
    # first 10", and unbound rotates RRset order, so the result would be chance.
    candidates = [ip for ip in CLIENTS_V4 if corpus.ptr_names.get(ip, 0) < MAX_PTR_NAMES]
    if not candidates:
        return f"ip4:{rnd.choice(CLIENTS_V4)}"
    ip = rnd.choice(candidates)
    corpus.ptr_names[ip] = corpus.ptr_names.get(ip, 0) + 1
    rev = ".".join(reversed(ip.split("."))) + ".in-addr.arpa"
    host = f"ptr{i}.{base}"
    corpus.add(rev, "PTR", host)
    corpus.add(host, "A", ip)
    return rnd.choice(["ptr", f"ptr:{base}"])


def _random_record(corpus, rnd, base, depth=0, allow_redirect=True):
    terms = []
    for i in range(rnd.randint(1, 4)):
        qualifier = rnd.choice(["", "", "", "+", "-", "~", "?"])
        terms.append(qualifier + _random_term(corpus, rnd, base, f"{depth}{i}", depth))
    ending = rnd.random()
    if allow_redirect and ending < 0.15:
        target = f"r.{base}"
        corpus.txt(target, _random_record(corpus, rnd, target, depth + 1, allow_redirect=False))
        terms.append(f"redirect={target}")
    elif ending < 0.85:
        terms.append(rnd.choice(["-all", "~all", "?all", "+all", "-all", "~all"]))
    if depth == 0 and rnd.random() < 0.3:
        corpus.txt(f"exp.{base}", rnd.choice([
            "%{i} is not one of %{d}'s designated mail servers",
            "See http://%{d}/why.html?s=%{S}&i=%{I}",
            "sender %{l} via %{h} not allowed"]))
        terms.append(f"exp=exp.{base}")
    return "v=spf1 " + " ".join(terms)


def _edge_cases(corpus):
    """Hand-written cases for the rules random records rarely reach."""
    edges = {
        "syntax-ip4": "v=spf1 ip4:192.0.2.300 -all",
        "syntax-cidr": "v=spf1 a/33 -all",
        "syntax-unknown": "v=spf1 foo:bar -all",
        "syntax-macro": "v=spf1 exists:%{z}.diff.test -all",
        "syntax-qualifier": "v=spf1 =a -all",
        "dup-redirect": "v=spf1 redirect=a.diff.test redirect=b.diff.test",
        "unknown-modifier": "v=spf1 moo=bar ip4:192.0.2.0/24 -all",
        "case-version": "V=SpF1 ip4:192.0.2.1 -all",
        "no-space-version": "v=spf1-all",
        "ip6-v4client": "v=spf1 ip6:::ffff:192.0.2.0/120 -all",
        "all-middle": "v=spf1 -all ip4:192.0.2.1",
        "include-none": "v=spf1 include:nothing-here.diff.test -all",
        "redirect-none": "v=spf1 redirect=nothing-here.diff.test",
        "include-loop": "v=spf1 include:include-loop.diff.test -all",
        "redirect-loop": "v=spf1 redirect=redirect-loop.diff.test",
        "void-3": "v=spf1 a:v1.diff.test a:v2.diff.test a:v3.diff.test -all",
        "void-2": "v=spf1 a:v1.diff.test a:v2.diff.test ip4:192.0.2.0/24 -all",
        "exists-empty": "v=spf1 exists:%{l}.nope.diff.test ~all",
        "macro-long": "v=spf1 exists:%{l}%{l}%{l}%{l}%{l}%{l}%{l}%{l}%{l}%{l}%{l}%{l}.%{d}.%{d}.%{d}.%{d} -all",
        "macro-trans": "v=spf1 exists:%{ir}.%{l1r+-}.%{d2}.m._ex.diff.test -all",
        "mx-empty": "v=spf1 mx:nomx.diff.test -all",
        "mx-too-many": "v=spf1 mx:manymx.diff.test -all",
        "p-macro": "v=spf1 exists:%{p}.pm.diff.test -all",
        "exp-bad": "v=spf1 -all exp=exp-missing.diff.test",
        "exp-macro": "v=spf1 -all exp=exp-m.diff.test",
        "two-records": None,
        "spf-and-other-txt": None,
    }
    for label, record in edges.items():
        if record is not None:
            corpus.txt(f"{label}.{ZONE}", record)
    corpus.txt(f"two-records.{ZONE}", "v=spf1 -all")
    corpus.txt(f"two-records.{ZONE}", "v=spf1 +all")
    corpus.txt(f"spf-and-other-txt.{ZONE}", "google-site-verification=abc")
    corpus.txt(f"spf-and-other-txt.{ZONE}", "v=spf1 ip4:192.0.2.0/24 -all")
    corpus.txt(f"include-loop.{ZONE}", f"v=spf1 include:include-loop.{ZONE} -all")
    corpus.txt(f"redirect-loop.{ZONE}", f"v=spf1 redirect=redirect-loop.{ZONE}")
    corpus.txt(f"exp-m.{ZONE}", "%{i} is not allowed to send for %{d} (%{l})")
    corpus.txt(f"a.{ZONE}", "v=spf1 -all")
    corpus.txt(f"b.{ZONE}", "v=spf1 +all")
    for k in range(12):
        corpus.add(f"manymx.{ZONE}", "MX", f"{k} mx{k}.manymx.{ZONE}")
        corpus.add(f"mx{k}.manymx.{ZONE}", "A", "192.0.2.1")
    corpus.add(f"nomx.{ZONE}", "A", "192.0.2.1")
    # An 11-deep include chain: the 11th DNS-querying term is a permerror.
    for k in range(11):
        corpus.txt(f"chain{k}.{ZONE}", f"v=spf1 include:chain{k + 1}.{ZONE} -all")
    corpus.txt(f"chain11.{ZONE}", "v=spf1 ip4:192.0.2.0/24 -all")
    corpus.txt(f"chain-ok.{ZONE}", f"v=spf1 include:chain2.{ZONE} -all")
    # %{p}: 192.0.2.1 has a validated name under the sender domain.
    corpus.add("1.2.0.192.in-addr.arpa", "PTR", f"mail.p-macro.{ZONE}")
    corpus.ptr_names["192.0.2.1"] = 1
    corpus.add(f"mail.p-macro.{ZONE}", "A", "192.0.2.1")
    corpus.add(f"mail.p-macro.{ZONE}.pm.{ZONE}", "A", "127.0.0.2")
    # DNS failures: the harness answers SERVFAIL for everything below BROKEN.
    corpus.txt(f"include-broken.{ZONE}", f"v=spf1 include:{BROKEN} -all")
    corpus.txt(f"a-broken.{ZONE}", f"v=spf1 a:host.{BROKEN} -all")
    labels = list(edges) + ["chain0", "chain-ok", "include-broken", "a-broken"]
    for label in labels:
        for ip in ["192.0.2.1", "198.51.100.5", "2001:db8::1", "::ffff:192.0.2.1"]:
            corpus.case(f"{label}.{ZONE}", ip, "first.last", note=label)
    corpus.case(f"no-such-domain.{ZONE}", "192.0.2.1", note="nxdomain")
    corpus.case(BROKEN, "192.0.2.1", note="servfail")


def build(count=160, seed=7208):
    rnd = random.Random(seed)
    corpus = Corpus()
    _edge_cases(corpus)
    for n in range(count):
        domain = f"d{n}.{ZONE}"
        corpus.txt(domain, _random_record(corpus, rnd, domain))
        for ip in rnd.sample(CLIENTS_V4, 2) + [rnd.choice(CLIENTS_V6)]:
            corpus.case(domain, ip, rnd.choice(SENDERS))
    # Records are sets: the random builder may add the same record twice.
    corpus.records = list(dict.fromkeys(corpus.records))
    return corpus
