"""A private PostgreSQL server on 127.0.0.1 for end-to-end tests.

    with PostgreSQL(port) as pg:
        pg.conninfo          # "host=127.0.0.1 port=... user=domainauth dbname=postgres"
        pg.sql("SELECT 1")   # psql -At: the output's lines

initdb into a temporary directory owned by the unprivileged "postgres" user
(Debian's postgresql package creates it; the server refuses to run as root),
pg_ctl start on 127.0.0.1:PORT with its socket in that directory, trust
authentication for the user domainauth; stopped and removed on exit.
"""

import glob
import os
import pwd
import shutil
import subprocess
import sys
import tempfile


def pg_bin(name):
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/" + name))
    if not found:
        sys.exit("postgresql is not installed (scripts/install-deps.sh)")
    return found[-1]


def as_postgres(argv):
    if os.getuid() == 0:
        argv = ["runuser", "-u", "postgres", "--"] + argv
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)


class PostgreSQL:
    def __init__(self, port):
        self.port = port
        self.conninfo = "host=127.0.0.1 port=%d user=domainauth dbname=postgres" % port
        self._work = None

    def __enter__(self):
        self._work = tempfile.mkdtemp(prefix="domainauth-pg-e2e-")
        if os.getuid() == 0:
            pw = pwd.getpwnam("postgres")
            os.chown(self._work, pw.pw_uid, pw.pw_gid)
        os.chmod(self._work, 0o755)
        data = os.path.join(self._work, "data")
        try:
            as_postgres([pg_bin("initdb"), "-D", data, "-U", "domainauth", "--auth=trust", "-E", "UTF8"])
            as_postgres([pg_bin("pg_ctl"), "-D", data, "-l", os.path.join(self._work, "log"), "-w", "start",
                         "-o", "-k %s -h 127.0.0.1 -p %d" % (self._work, self.port)])
        except BaseException:
            shutil.rmtree(self._work, ignore_errors=True)
            raise
        return self

    def __exit__(self, *exc):
        try:
            as_postgres([pg_bin("pg_ctl"), "-D", os.path.join(self._work, "data"), "-w", "-m", "fast", "stop"])
        finally:
            shutil.rmtree(self._work, ignore_errors=True)

    def sql(self, statement):
        out = subprocess.run([pg_bin("psql"), "-At", "-v", "ON_ERROR_STOP=1", "-c", statement, self.conninfo],
                             capture_output=True, text=True, timeout=30)
        if out.returncode != 0:
            raise RuntimeError("psql: %s: %s" % (statement, out.stderr))
        return out.stdout.splitlines()
