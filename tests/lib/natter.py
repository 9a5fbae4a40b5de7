"""Drive `natter --headless` from Python tests.

    n = Natter(binary, "alice", {"jid": "alice@localhost", "password": "alicepw", ...},
               natterrc={"connection": {"connect_timeout": 2}})
    n.start()
    ev = n.expect("connected", lambda e: e["secure"], timeout=10)
    n.send("/msg bob@localhost hi")
    n.quit()          # asserts exit status 0
    n.close()         # always: kills natter if still running, removes the temp home

Every natter gets its own temporary HOME, XDG_CONFIG_HOME and XDG_DATA_HOME.
Events are read from standard output in a thread; every line must be a JSON
object whose first key is "event" and which carries an RFC 3339 "ts" (lines
that are not are kept in `protocol_errors`). Every wait is bounded.
"""

import ctypes
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import unittest

_TS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")

_live = set()
_live_lock = threading.Lock()

# Tests multiply their timeouts by this (scripts/test-all raises it for sanitizer builds).
TIMEOUT_SCALE = float(os.environ.get("NATTER_TEST_TIMEOUT_SCALE", "1") or 1)


def scaled(seconds):
    return seconds * TIMEOUT_SCALE


def _die_with_parent():
    try:
        ctypes.CDLL("libc.so.6").prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def kill_all():
    """Kill every natter this process started (global timeout, emergencies)."""
    with _live_lock:
        items = list(_live)
    for n in items:
        try:
            n.close()
        except Exception:
            pass


def _ini(sections):
    """Render {section: {key: value}} as INI text."""
    out = []
    for name, keys in sections.items():
        out.append("[%s]" % name)
        for k, v in keys.items():
            if isinstance(v, bool):
                v = "true" if v else "false"
            out.append("%s = %s" % (k, v))
        out.append("")
    return "\n".join(out)


def plain(v):
    """Events keep nested JSON objects as lists of (key, value) pairs (so a
    test can check key order); this turns them into dicts all the way down."""
    if isinstance(v, list):
        if v and all(isinstance(p, tuple) and len(p) == 2 for p in v):
            return {k: plain(x) for k, x in v}
        return [plain(x) for x in v]
    if isinstance(v, dict):
        return {k: plain(x) for k, x in v.items()}
    return v


def with_keys(acct, keys):
    """acct with keys laid over it; a key given as None is taken out (a test
    that needs an account without, say, its password)."""
    for k, v in keys.items():
        if v is None:
            acct.pop(k, None)
        else:
            acct[k] = v
    return acct


class NatterError(AssertionError):
    """An expectation about natter's behaviour failed."""


class Natter:
    """One headless natter process with its own temporary home."""

    def __init__(self, binary, account_name="test", account=None, natterrc=None,
                 accounts=None, accounts_mode=0o600, extra_args=None, label=None,
                 run_as=None):
        self.binary = binary
        self.account_name = account_name
        self.label = label or account_name
        self.home = tempfile.mkdtemp(prefix="natter-test-home-")
        self.config_home = os.path.join(self.home, "config")
        self.data_home = os.path.join(self.home, "data")
        os.makedirs(os.path.join(self.config_home, "natter"), mode=0o700)
        os.makedirs(self.data_home, mode=0o700)
        all_accounts = dict(accounts or {})
        if account is not None:
            all_accounts[account_name] = account
        self.accounts_path = os.path.join(self.config_home, "natter", "accounts")
        self.natterrc_path = os.path.join(self.config_home, "natter", "natterrc")
        if all_accounts:
            self.write_file(self.accounts_path, _ini(all_accounts), accounts_mode)
        if natterrc:
            self.write_file(self.natterrc_path, _ini(natterrc), 0o600)
        self.extra_args = list(extra_args or [])
        # (uid, gid) to run natter as, when the tests run as root and a test
        # needs natter to be an ordinary user (its home is handed over).
        self.run_as = run_as
        if run_as:
            for root, dirs, files in os.walk(self.home):
                for name in [root] + [os.path.join(root, f) for f in dirs + files]:
                    os.chown(name, *run_as)
        self.proc = None
        self.events = []          # every event, in order
        self.protocol_errors = [] # stdout lines that break the JSON Lines contract
        self.stderr_lines = []
        self.sent = []            # (time, command) for failure messages
        self.cursor = 0           # expect() searches from here
        self._cond = threading.Condition()
        self._readers = []
        self.returncode = None

    # -- files and environment ---------------------------------------------------

    @staticmethod
    def write_file(path, text, mode):
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.chmod(path, mode)

    def env(self):
        env = {k: v for k, v in os.environ.items()
               if not k.startswith("XDG_") and k not in ("HOME", "NATTER_ACCOUNT")}
        env.update(HOME=self.home, XDG_CONFIG_HOME=self.config_home,
                   XDG_DATA_HOME=self.data_home, LC_ALL="C.UTF-8", TERM="dumb")
        return env

    def run_once(self, args, timeout=10, stdin_text=""):
        """Run natter with args to completion (no driver threads); return CompletedProcess."""
        return subprocess.run([self.binary] + list(args), input=stdin_text, env=self.env(),
                              capture_output=True, text=True, timeout=scaled(timeout),
                              preexec_fn=_die_with_parent)

    # -- process ------------------------------------------------------------------

    def start(self):
        argv = [self.binary, "--headless", "-a", self.account_name] + self.extra_args
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, env=self.env(),
                                     preexec_fn=self._preexec)
        with _live_lock:
            _live.add(self)
        for target, stream in ((self._read_stdout, self.proc.stdout),
                               (self._read_stderr, self.proc.stderr)):
            t = threading.Thread(target=target, args=(stream,), daemon=True)
            t.start()
            self._readers.append(t)
        return self

    def _preexec(self):
        if self.run_as:
            os.setgroups([])
            os.setgid(self.run_as[1])
            os.setuid(self.run_as[0])
        # After setuid(), which clears the parent-death signal.
        _die_with_parent()

    @property
    def pid(self):
        return self.proc.pid

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def _read_stdout(self, stream):
        for raw in iter(stream.readline, b""):
            line = raw.decode("utf-8", "replace").rstrip("\n")
            if not line.strip():
                continue
            ev = None
            try:
                pairs = json.loads(line, object_pairs_hook=lambda p: p)
                if isinstance(pairs, list) and pairs and pairs[0][0] == "event":
                    ev = dict(pairs)
                    if not isinstance(ev.get("ts"), str) or not _TS.match(ev["ts"]):
                        self.protocol_errors.append("bad or missing ts: " + line)
                else:
                    self.protocol_errors.append("not an object with 'event' first: " + line)
            except ValueError:
                self.protocol_errors.append("not JSON: " + line)
            with self._cond:
                if ev is not None:
                    ev["_t"] = time.monotonic()
                    self.events.append(ev)
                self._cond.notify_all()
        with self._cond:
            self._cond.notify_all()

    def _read_stderr(self, stream):
        for raw in iter(stream.readline, b""):
            with self._cond:
                self.stderr_lines.append(raw.decode("utf-8", "replace").rstrip("\n"))

    def send(self, command):
        """Write one command line to natter's standard input."""
        if not self.running():
            raise NatterError("cannot send %r: natter is not running (exit %s)\n%s"
                              % (command, self.proc and self.proc.poll(), self.report()))
        self.sent.append((time.monotonic(), command))
        try:
            self.proc.stdin.write((command + "\n").encode())
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError) as e:
            raise NatterError("writing %r failed: %s\n%s" % (command, e, self.report()))

    def close_stdin(self):
        try:
            self.proc.stdin.close()
        except OSError:
            pass

    # -- events -------------------------------------------------------------------

    def mark(self):
        """Index of the next event; pass as since= to look only at later events."""
        with self._cond:
            return len(self.events)

    def _find(self, name, pred, start):
        for i in range(start, len(self.events)):
            ev = self.events[i]
            if ev.get("event") == name and (pred is None or pred(ev)):
                return i
        return None

    def expect(self, name, pred=None, timeout=10, since=None, what=None):
        """Wait for an event named name (matching pred) after the cursor
        (or after index since); move the cursor past it and return it."""
        deadline = time.monotonic() + scaled(timeout)
        start = self.cursor if since is None else since
        with self._cond:
            while True:
                i = self._find(name, pred, start)
                if i is not None:
                    self.cursor = max(self.cursor, i + 1)
                    return self.events[i]
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                if self.proc.poll() is not None and not any(t.is_alive() for t in self._readers):
                    break
                self._cond.wait(min(left, 0.2))
        raise NatterError("%s: no %s event%s within %.1f s%s\n%s" % (
            self.label, name, " (" + what + ")" if what else "", scaled(timeout),
            "" if self.running() else " (natter exited with %s)" % self.proc.poll(),
            self.report()))

    def expect_any(self, names, timeout=10, since=None):
        """Wait for the first event whose name is in names; return it."""
        deadline = time.monotonic() + scaled(timeout)
        start = self.cursor if since is None else since
        with self._cond:
            while True:
                for i in range(start, len(self.events)):
                    if self.events[i].get("event") in names:
                        self.cursor = max(self.cursor, i + 1)
                        return self.events[i]
                left = deadline - time.monotonic()
                if left <= 0 or (self.proc.poll() is not None
                                 and not any(t.is_alive() for t in self._readers)):
                    break
                self._cond.wait(min(left, 0.2))
        raise NatterError("%s: none of %s within %.1f s\n%s" % (
            self.label, "/".join(names), scaled(timeout), self.report()))

    def find(self, name, pred=None, since=0):
        """The first event named name (matching pred) at or after since, or None."""
        with self._cond:
            i = self._find(name, pred, since)
            return None if i is None else self.events[i]

    def expect_none(self, name, pred=None, within=5, since=None, what=None):
        """Wait `within` seconds (not scaled: it is a window, not a timeout)
        and fail if an event named name (matching pred) shows up."""
        start = self.cursor if since is None else since
        deadline = time.monotonic() + within
        with self._cond:
            while True:
                i = self._find(name, pred, start)
                if i is not None:
                    raise NatterError("%s: unexpected %s event%s: %s\n%s" % (
                        self.label, name, " (" + what + ")" if what else "",
                        self._fmt(self.events[i]), self.report()))
                left = deadline - time.monotonic()
                if left <= 0:
                    return
                self._cond.wait(min(left, 0.2))

    def quit(self, timeout=5):
        """Send /quit and assert natter exits with status 0 within timeout."""
        self.send("/quit")
        return self.wait_exit(timeout, expect_status=0)

    def wait_exit(self, timeout=5, expect_status=None):
        try:
            rc = self.proc.wait(timeout=scaled(timeout))
        except subprocess.TimeoutExpired:
            raise NatterError("%s: natter still running %.1f s later\n%s" % (
                self.label, scaled(timeout), self.report()))
        for t in self._readers:
            t.join(timeout=2)
        self.returncode = rc
        if expect_status is not None and rc != expect_status:
            raise NatterError("%s: exit status %s, expected %s\n%s" % (
                self.label, rc, expect_status, self.report()))
        return rc

    # -- measurements ------------------------------------------------------------

    def cpu_seconds(self):
        """utime + stime of the natter process, in seconds, from /proc/PID/stat."""
        with open("/proc/%d/stat" % self.proc.pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        # fields[0] is field 3 (state); utime and stime are fields 14 and 15.
        ticks = int(fields[11]) + int(fields[12])
        return ticks / os.sysconf("SC_CLK_TCK")

    # -- reporting and teardown ---------------------------------------------------

    @staticmethod
    def _fmt(ev):
        return json.dumps({k: v for k, v in ev.items() if k != "_t"}, ensure_ascii=False)

    def report(self, n_events=40, n_stderr=40):
        """Recent commands, events and stderr, for failure messages."""
        with self._cond:
            events = self.events[-n_events:]
            err = self.stderr_lines[-n_stderr:]
            bad = self.protocol_errors[-10:]
        out = ["---- %s: commands sent ----" % self.label]
        out += ["  " + c for _, c in self.sent[-20:]] or ["  (none)"]
        out.append("---- %s: last %d events ----" % (self.label, len(events)))
        out += ["  " + self._fmt(e) for e in events] or ["  (none)"]
        if bad:
            out.append("---- %s: stdout lines breaking the contract ----" % self.label)
            out += ["  " + b for b in bad]
        out.append("---- %s: stderr (last %d lines) ----" % (self.label, len(err)))
        out += ["  " + l for l in err] or ["  (empty)"]
        return "\n".join(out)

    def close(self):
        """Kill natter if it still runs and remove its temporary home."""
        if self.proc is not None:
            if self.proc.poll() is None:
                try:
                    self.proc.kill()
                    self.proc.wait(timeout=5)
                except (OSError, subprocess.TimeoutExpired):
                    pass
            for s in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
                try:
                    s.close()
                except (OSError, ValueError):
                    pass
            for t in self._readers:
                t.join(timeout=2)
        shutil.rmtree(self.home, ignore_errors=True)
        with _live_lock:
            _live.discard(self)


class NatterTestCase(unittest.TestCase):
    """Base class for integration tests: set by tests/integration/run.py.

    cls.fx is the shared ProsodyFixture, cls.natter_bin the binary.
    Natter instances made with self.natter() are closed after the test, and a
    test fails if any of them wrote a stdout line that breaks the contract.
    """

    fx = None
    natter_bin = None

    def setUp(self):
        self._natters = []

    def tearDown(self):
        problems = []
        for n in self._natters:
            if n.protocol_errors:
                problems.append("%s wrote lines breaking the JSON Lines contract:\n  %s"
                                % (n.label, "\n  ".join(n.protocol_errors[:10])))
            n.close()
        if problems:
            self.fail("\n".join(problems))

    # Helpers ------------------------------------------------------------------

    def account(self, jid, **keys):
        """An accounts-file section for jid on the shared Prosody (STARTTLS, CA trusted)."""
        user, _, rest = jid.partition("@")
        acct = {"jid": jid, "password": self.fx.users.get(jid.split("/")[0], user + "pw"),
                "server": "127.0.0.1", "port": self.fx.c2s_port,
                "tls": "require", "tls_cafile": self.fx.ca_file}
        return with_keys(acct, keys)

    @classmethod
    def shared_ejabberd(cls):
        """The run's one ejabberd (tests/lib/ejabberd.py), started on first
        use, its certificate signed by the Prosody fixture's CA (so the same
        tls_cafile trusts both).  Call it from setUpClass: the first call
        takes a few seconds.  Where ejabberd cannot run (not installed, not
        root) the tests are skipped, except in CI, where they fail."""
        import ejabberd
        try:
            return ejabberd.shared(ca=(cls.fx.ca_file, cls.fx.ca_key_file))
        except ejabberd.EjabberdUnavailable as e:
            if os.environ.get("CI") == "true":
                raise
            raise unittest.SkipTest(str(e)) from None

    def ejabberd_account(self, ej, jid, **keys):
        """An accounts-file section for jid on ejabberd ej (STARTTLS, CA trusted)."""
        acct = {"jid": jid, "password": ej.users.get(jid.split("/")[0], "nopw"),
                "server": "127.0.0.1", "port": ej.c2s_port, "tls": "require",
                "tls_cafile": ej.ca_file}
        return with_keys(acct, keys)

    def natter(self, account, name="test", natterrc=None, start=True, label=None, **kw):
        # The shared accounts' archives hold earlier tests' messages: a first
        # login fetches none of them unless a test asks (test_history.py).
        rc = {"connection": {"reconnect_min": 1, "reconnect_max": 5},
              "history": {"mam_initial": 0}}
        for section, keys in (natterrc or {}).items():
            rc.setdefault(section, {}).update(keys)
        n = Natter(self.natter_bin, name, account, natterrc=rc,
                   label=label or account.get("jid", name) if account else name, **kw)
        self._natters.append(n)
        if start:
            n.start()
        return n

    def connected(self, jid, label=None, **keys):
        """Start a natter for jid and wait for its `connected` event."""
        n = self.natter(self.account(jid, **keys), label=label)
        n.expect("connected", timeout=15)
        return n
