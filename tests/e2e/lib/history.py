"""Rows of a SQLite history as `domainauth serve` writes them (the messages and
dkim_results tables of src/store/schema.cpp), for tests that need a history
without sending mail through the milter:

    con = sqlite3.connect(path)   # a history `domainauth report ...` created
    add_message(con, "m1", when, "192.0.2.1", "example.com", "pass", dkim="example.com")
"""

import os


def report_config(folder, name):
    """FOLDER/NAME.toml naming the SQLite history FOLDER/NAME.sqlite and the [report]
    org_name and email of report aggregate; (config path, history path). The first
    domainauth command that opens the history creates it."""
    db = os.path.join(folder, name + ".sqlite")
    config = os.path.join(folder, name + ".toml")
    with open(config, "w") as f:
        f.write('[store]\nsqlite_path = "%s"\n[report]\norg_name = "mx.receiver.test"\n'
                'email = "dmarc@receiver.test"\n' % db)
    return config, db


def add_message(con, mid, when, ip, domain, result, envelope_from=None, p="none", disposition="none", dkim=None,
                fo=""):
    """A message From domain checked at when (Unix time) with DMARC result (pass or
    fail): SPF the same result for envelope_from (default: domain), aligned when
    it passed; one DKIM signature of domain dkim with that result when dkim is given."""
    day = when - when % 86400
    passed = result == "pass"
    con.execute("INSERT INTO messages (id, time, window_begin, window_end, source_ip, header_from, envelope_from,"
                " spf_result, spf_domain, spf_aligned, policy_domain, p, sp, np, pct, adkim, aspf, testing,"
                " disposition, result, fo) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (mid, when, day, day + 86400, ip, domain, envelope_from or domain, result, domain, 1 if passed else 0,
                 domain, p, "", "", 100, "r", "r", 0, disposition, result, fo))
    if dkim:
        con.execute("INSERT INTO dkim_results VALUES (?,?,?,?,?,?)",
                    (mid, 0, result, dkim, "s1", 1 if passed and dkim == domain else 0))
