"""Starts a private PostgreSQL on 127.0.0.1 and runs the store test program.

Usage (inside tests/e2e/lib/netns-run): run.py TEST_BINARY [gtest arguments...]
initdb into a temporary directory owned by the unprivileged "postgres" user
(Debian's postgresql package creates it; the server refuses to run as root),
pg_ctl start on 127.0.0.1:PORT with its socket in that directory. The program
learns the connection string from DOMAINAUTH_POSTGRESQL.
"""

import glob
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
import time

PORT = 55432


def pg_bin(name):
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/" + name))
    if not found:
        sys.exit("postgresql is not installed (scripts/install-deps.sh)")
    return found[-1]


def as_postgres(argv):
    if os.getuid() == 0:
        argv = ["runuser", "-u", "postgres", "--"] + argv
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)


def main():
    if len(sys.argv) < 2:
        sys.exit("usage: run.py TEST_BINARY [gtest arguments...]")
    work = tempfile.mkdtemp(prefix="domainauth-pg-e2e-")
    data = os.path.join(work, "data")
    if os.getuid() == 0:
        pw = pwd.getpwnam("postgres")
        os.chown(work, pw.pw_uid, pw.pw_gid)
    os.chmod(work, 0o755)
    try:
        as_postgres([pg_bin("initdb"), "-D", data, "-U", "domainauth", "--auth=trust", "-E", "UTF8"])
        as_postgres([pg_bin("pg_ctl"), "-D", data, "-l", os.path.join(work, "log"), "-w", "start",
                     "-o", "-k %s -h 127.0.0.1 -p %d" % (work, PORT)])
        try:
            env = dict(os.environ)
            env["DOMAINAUTH_POSTGRESQL"] = "host=127.0.0.1 port=%d user=domainauth dbname=postgres" % PORT
            code = subprocess.run(sys.argv[1:], env=env).returncode
        finally:
            as_postgres([pg_bin("pg_ctl"), "-D", data, "-w", "-m", "fast", "stop"])
    finally:
        shutil.rmtree(work, ignore_errors=True)
    sys.exit(code)


if __name__ == "__main__":
    main()
