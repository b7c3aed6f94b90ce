"""Starts a private PostgreSQL on 127.0.0.1 and runs the store test program.

Usage (inside tests/e2e/lib/netns-run): run.py TEST_BINARY [gtest arguments...]
The server is tests/e2e/lib/postgresql.py's; the program learns the connection
string from DOMAINAUTH_POSTGRESQL.
"""

import os
import subprocess
import sys

from postgresql import PostgreSQL

PORT = 55432


def main():
    if len(sys.argv) < 2:
        sys.exit("usage: run.py TEST_BINARY [gtest arguments...]")
    with PostgreSQL(PORT) as pg:
        env = dict(os.environ)
        env["DOMAINAUTH_POSTGRESQL"] = pg.conninfo
        code = subprocess.run(sys.argv[1:], env=env).returncode
    sys.exit(code)


if __name__ == "__main__":
    main()
