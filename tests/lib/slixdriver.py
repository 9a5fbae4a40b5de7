"""Drive a scriptable peer in a subprocess from Python tests: tests/lib/slixpeer.py
(an independent slixmpp client) or tests/lib/omemopeer.py (slixmpp with
python-omemo, script="omemopeer.py").

    peer = SlixPeer(fx, "carol@localhost/slix", password)
    peer.expect("ready", timeout=20)
    peer.send(cmd="msg", to="alice@localhost", body="hi")
    peer.close()

Commands and events are the script's (JSON Lines).  Every wait is bounded.
"""

import json
import os
import subprocess
import threading
import time

from natter import NatterError, scaled, _die_with_parent

LIB = os.path.dirname(os.path.abspath(__file__))
PYTHON = "/usr/bin/python3"


def have_slixmpp():
    if not os.path.exists(PYTHON):
        return False
    return subprocess.run([PYTHON, "-c", "import slixmpp"], capture_output=True,
                          timeout=30).returncode == 0


class SlixPeer:
    """tests/lib/slixpeer.py in a subprocess: JSON commands in, JSON events out."""

    def __init__(self, fx, jid, password, script="slixpeer.py", extra=()):
        self.jid = jid
        self.name = script.split(".")[0]
        self.proc = subprocess.Popen(
            [PYTHON, os.path.join(LIB, script), "--jid", jid, "--password", password,
             "--host", "127.0.0.1", "--port", str(fx.c2s_port), "--cafile", fx.ca_file]
            + list(extra),
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            preexec_fn=_die_with_parent)
        self.events, self.stderr, self.cursor = [], [], 0
        self._cond = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()
        threading.Thread(target=self._read_err, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            try:
                ev = json.loads(line)
            except ValueError:
                ev = {"event": "garbage", "line": line}
            with self._cond:
                self.events.append(ev)
                self._cond.notify_all()

    def _read_err(self):
        for line in self.proc.stderr:
            with self._cond:
                self.stderr.append(line.rstrip("\n"))

    def send(self, **cmd):
        self.proc.stdin.write(json.dumps(cmd) + "\n")
        self.proc.stdin.flush()

    def report(self):
        with self._cond:
            return "---- %s events ----\n  %s\n---- %s stderr ----\n  %s" % (
                self.name,
                "\n  ".join(json.dumps(e) for e in self.events[-30:]) or "(none)",
                self.name, "\n  ".join(self.stderr[-30:]) or "(empty)")

    def expect(self, name, pred=None, timeout=10):
        deadline = time.monotonic() + scaled(timeout)
        with self._cond:
            while True:
                for i in range(self.cursor, len(self.events)):
                    ev = self.events[i]
                    if ev.get("event") == name and (pred is None or pred(ev)):
                        self.cursor = i + 1
                        return ev
                left = deadline - time.monotonic()
                if left <= 0 or self.proc.poll() is not None:
                    break
                self._cond.wait(min(left, 0.2))
        raise NatterError(self.name + ": no %s event within %.1f s\n%s"
                          % (name, scaled(timeout), self.report()))

    def close(self):
        if self.proc.poll() is None:
            try:
                self.send(cmd="quit")
                self.proc.stdin.close()
                self.proc.wait(timeout=5)
            except (OSError, subprocess.TimeoutExpired, ValueError):
                self.proc.kill()
                self.proc.wait(timeout=5)
