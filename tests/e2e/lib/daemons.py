"""The daemons one end-to-end test starts (peers and domainauth), each logging to
FOLDER/NAME.log, ready once a check passes, all stopped at the end.

    from daemons import Daemons, milter_answers
    daemons = Daemons(folder)
    daemons.start("opendmarc", ["opendmarc", "-f", "-c", conf], milter_answers("inet:127.0.0.1:8893"))
    daemons.start("opendkim", [...], lambda: os.path.exists(socket_path))
    ...
    daemons.stop()
"""

import os
import subprocess
import time

from milterclient import MilterClient

START_SECONDS = 15


def milter_answers(address):
    """A readiness check: a milter at address negotiates."""
    def ready():
        try:
            with MilterClient(address) as m:
                m.optneg()
            return True
        except OSError:
            return False
    return ready


class Daemons:
    def __init__(self, folder):
        self.folder = folder
        self._running = []

    def start(self, name, args, ready):
        """Starts args; returns once ready() is true; raises with the log if the
        process ends or START_SECONDS pass first."""
        log_path = os.path.join(self.folder, name + ".log")
        log = open(log_path, "w")
        process = subprocess.Popen(args, stdout=log, stderr=log)
        self._running.append((process, log))
        deadline = time.monotonic() + START_SECONDS
        while not ready():
            if process.poll() is not None or time.monotonic() > deadline:
                with open(log_path, errors="replace") as f:
                    raise RuntimeError("%s did not start:\n%s" % (" ".join(args), f.read()))
            time.sleep(0.05)
        return process

    def stop(self):
        for process, log in self._running:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(30)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
            log.close()
        self._running = []


class Serve:
    """`domainauth serve --config PATH`, its log in PATH.log, ready once it logs
    event=started: every listener is bound, the PID file written and root dropped
    by then (a listener accepting connections is not enough: the policy port
    accepts before the milter, the web listener and the PID file are set up)."""

    def __init__(self, binary, config_path):
        self.path = config_path
        self.log_path = config_path + ".log"
        self.log_file = open(self.log_path, "w")
        self.process = subprocess.Popen([binary, "serve", "--config", config_path], stderr=self.log_file)
        deadline = time.monotonic() + START_SECONDS
        while "event=started" not in self.log():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("domainauth serve did not start:\n" + self.log())
            time.sleep(0.05)

    def log(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(40)
        self.log_file.close()
