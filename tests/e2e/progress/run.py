"""Progress of long runs: on a terminal, a line redrawn in place and a one-line summary;
in a pipe (cron, a Postfix alias), none of it.

  (a) `report ingest --maildir` over MAILS report mails (one of them junk): under
      `script -qc` (util-linux; stderr a pseudo-terminal) the output holds progress
      lines ("\\r\\033[K... N/MAILS") ending at MAILS/MAILS and the summary
      "reports MAILS-1 stored, 0 duplicates, 1 refused, 0 to try again"; with stdout and
      stderr pipes (a second maildir of the same mails) stdout is empty and stderr holds
      only the refused mail's line;
  (b) `report aggregate --dry-run` over DOMAINS policy domains: under script the
      progress reaches DOMAINS/DOMAINS and the summary says DOMAINS reports were
      written; in a pipe stderr is empty and stdout lists the DOMAINS files.
Run inside tests/e2e/lib/netns-run.
"""

import gzip
import os
import shlex
import sqlite3
import subprocess
import tempfile
import time

from checks import expect, finish
from history import add_message, report_config
from reports import attachment, report_mail, rfc7489_report

DOMAINAUTH = os.environ["DOMAINAUTH"]
MAILS = 400
DOMAINS = 60
DAY = (int(time.time()) // 86400 - 1) * 86400


def maildir(folder):
    for sub in ("new", "cur", "tmp"):
        os.makedirs(os.path.join(folder, sub))
    for i in range(MAILS - 1):
        xml = rfc7489_report("p-%d" % i, DAY, [("192.0.2.%d" % (i % 250 + 1), 1, "none", "example.com")])
        with open(os.path.join(folder, "new", "%05d.mail" % i), "wb") as f:
            f.write(report_mail(attachment("application/gzip", "r%d.xml.gz" % i, gzip.compress(xml))))
    with open(os.path.join(folder, "new", "99999.junk"), "wb") as f:
        f.write(b"Subject: not a report\r\n\r\nhello\r\n")


def on_terminal(argv):
    """argv run under script(1): stdin, stdout and stderr a pseudo-terminal; what it wrote."""
    done = subprocess.run(["script", "-qec", shlex.join(argv), "/dev/null"], capture_output=True, timeout=120)
    return done.returncode, done.stdout.decode(errors="replace")


def in_pipe(argv):
    done = subprocess.run(argv, capture_output=True, timeout=120, stdin=subprocess.DEVNULL)
    return done.returncode, done.stdout.decode(errors="replace"), done.stderr.decode(errors="replace")


def check_ingest(work):
    for name in ("tty", "pipe"):
        with open(os.path.join(work, name + ".toml"), "w") as f:
            f.write('[store]\nsqlite_path = "%s"\n' % os.path.join(work, name + ".sqlite"))
        maildir(os.path.join(work, name + "-Maildir"))
    argv = lambda name: [DOMAINAUTH, "report", "ingest", "--config", os.path.join(work, name + ".toml"),
                         "--maildir", os.path.join(work, name + "-Maildir")]
    summary = "reports %d stored, 0 duplicates, 1 refused, 0 to try again" % (MAILS - 1)
    code, out = on_terminal(argv("tty"))
    expect(code == 65, "ingest on a terminal: exit %d (one junk mail)" % code)
    progress = [line for line in out.split("\r\x1b[K") if line.startswith("domainauth report ingest: ")]
    expect(any(p.startswith("domainauth report ingest: %d/%d (" % (MAILS, MAILS)) for p in progress),
           "progress reaches %d/%d: %r" % (MAILS, MAILS, progress[-3:]))
    expect(len(progress) >= 3, "the line is redrawn: %d draws" % len(progress))
    expect(("domainauth report ingest: " + summary + "\r\n") in out, "summary line: %r" % out[-300:])
    expect(out.count("\n") <= 3, "one line per refusal and the summary, not per report: %d lines" % out.count("\n"))
    code, stdout, stderr = in_pipe(argv("pipe"))
    expect(code == 65, "ingest in a pipe: exit %d" % code)
    expect(stdout == "", "nothing on stdout in a pipe: %r" % stdout[:200])
    expect("\r" not in stderr and summary not in stderr and stderr.count("\n") == 1 and "99999.junk" in stderr,
           "only the refusal on stderr in a pipe: %r" % stderr[:300])


def check_aggregate(work):
    config, db = report_config(work, "aggregate")
    day = time.strftime("%Y-%m-%d", time.gmtime(DAY))
    in_pipe([DOMAINAUTH, "report", "aggregate", "--config", config, "--period", day, "--dry-run", "--out", work])
    con = sqlite3.connect(db)
    for i in range(DOMAINS):
        add_message(con, "m%d" % i, DAY + 60 + i, "192.0.2.1", "d%02d.example" % i, "pass")
    con.commit()
    con.close()
    for name in ("tty", "pipe"):
        os.makedirs(os.path.join(work, "out-" + name))
    argv = lambda name: [DOMAINAUTH, "report", "aggregate", "--config", config, "--period", day, "--dry-run",
                         "--out", os.path.join(work, "out-" + name)]
    code, out = on_terminal(argv("tty"))
    expect(code == 0, "aggregate on a terminal: exit %d: %r" % (code, out[-300:]))
    progress = [line for line in out.split("\r\x1b[K") if line.startswith("domainauth report: ")]
    expect(any(p.startswith("domainauth report: %d/%d (%s d%02d.example)" % (DOMAINS, DOMAINS, day, DOMAINS - 1))
               for p in progress), "aggregate progress reaches %d/%d: %r" % (DOMAINS, DOMAINS, progress[-2:]))
    expect("domainauth report: %d report(s) written to " % DOMAINS in out, "aggregate summary: %r" % out[-200:])
    code, stdout, stderr = in_pipe(argv("pipe"))
    expect(code == 0 and stderr == "", "aggregate in a pipe: exit %d, stderr %r" % (code, stderr[:200]))
    expect(len(stdout.splitlines()) == DOMAINS, "the report files listed on stdout: %d" % len(stdout.splitlines()))
    expect(len(os.listdir(os.path.join(work, "out-pipe"))) == DOMAINS, "the reports written")


def main():
    with tempfile.TemporaryDirectory(prefix="domainauth-progress-e2e-") as work:
        check_ingest(work)
        check_aggregate(work)
    return finish()


if __name__ == "__main__":
    raise SystemExit(main())
