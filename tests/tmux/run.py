#!/usr/bin/python3
"""natter terminal UI suite: the real natter in tmux against a throwaway Prosody.

    tests/tmux/run.py --natter ./natter [-k PATTERN] [--timeout SECONDS]

Starts one Prosody (tests/lib/fixture.py) for the run; every test starts the
terminal UI in a detached tmux session (its own tmux server socket, 100x30),
types with `send-keys`, reads the screen with `capture-pane`, and uses
headless natter processes (tests/lib/natter.py) as the peers.  Every wait is
bounded.  Ends with the line `N passed, N failed`; exit status 0 only when
nothing failed.

Test files (test_*.py) import TmuxTestCase from here.
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "lib"))
sys.path.insert(0, HERE)

import fixture  # noqa: E402
import natter as driver  # noqa: E402

# The test files say `from run import ...`: make that this very module even
# when it runs as __main__, so they see the fixture set up below.
sys.modules.setdefault("run", sys.modules[__name__])

TMUX_CONF = """\
set -g remain-on-exit on
set -g status off
set -g history-limit 0
set -s escape-time 10
"""


_live_uis = set()  # tmux servers to kill on a global timeout


def kill_all_uis():
    for ui in list(_live_uis):
        try:
            ui.close()
        except Exception:
            pass


class ScreenError(AssertionError):
    """The screen did not show what a test waited for."""


class TmuxUI:
    """natter's terminal UI running in a detached tmux session of its own."""

    def __init__(self, binary, account_name, account, cols=100, rows=30, natterrc=None,
                 env=None, args=()):
        self.binary = binary
        self.args = list(args)
        self.account_name = account_name
        self.home = tempfile.mkdtemp(prefix="natter-tmux-home-")
        self.socket = "natter-test-%d-%s" % (os.getpid(), os.path.basename(self.home))
        self.cols, self.rows = cols, rows
        self.extra_env = dict(env or {})
        cfg = os.path.join(self.home, "config", "natter")
        os.makedirs(cfg, mode=0o700)
        os.makedirs(os.path.join(self.home, "data"), mode=0o700)
        driver.Natter.write_file(os.path.join(cfg, "accounts"),
                                 driver._ini({account_name: account}), 0o600)
        if natterrc:
            driver.Natter.write_file(os.path.join(cfg, "natterrc"), driver._ini(natterrc),
                                     0o600)
        self.conf = os.path.join(self.home, "tmux.conf")
        with open(self.conf, "w") as f:
            f.write(TMUX_CONF)
        self.started = False

    # -- tmux ---------------------------------------------------------------------

    def tmux(self, *args, check=True):
        env = dict(os.environ, LC_ALL="C.UTF-8")
        env.pop("TMUX", None)
        p = subprocess.run(["tmux", "-u", "-L", self.socket, "-f", self.conf] + list(args),
                           capture_output=True, text=True, env=env,
                           timeout=driver.scaled(10))
        if check and p.returncode != 0:
            raise ScreenError("tmux %s failed: %s" % (" ".join(args), p.stderr.strip()))
        return p.stdout

    def start(self):
        h = self.home
        env = ["HOME=" + h, "XDG_CONFIG_HOME=" + os.path.join(h, "config"),
               "XDG_DATA_HOME=" + os.path.join(h, "data"),
               "XDG_STATE_HOME=" + os.path.join(h, "state"), "LC_ALL=C.UTF-8", "LANG=C.UTF-8"]
        env += ["%s=%s" % kv for kv in self.extra_env.items()]
        # A shell records natter's exit status: tmux learns it only when it
        # reaps the process, which can lag behind the pane's death.
        self.status_file = os.path.join(h, "exit-status")
        self.tmux("new-session", "-d", "-s", "ui", "-x", str(self.cols), "-y", str(self.rows),
                  "sh", "-c", 'f=$1; shift; "$@"; echo $? >"$f"', "sh", self.status_file,
                  "env", "-u", "NO_COLOR", *env, self.binary, "-a", self.account_name,
                  *self.args)
        self.started = True
        _live_uis.add(self)
        # Not in the config file: tmux 3.3 exits when it meets this before a
        # session exists.  Manual sizing keeps resize-window in force.
        self.tmux("set", "-g", "window-size", "manual")
        return self

    def restart(self):
        """Starts natter again in the same home (after it exited)."""
        self.tmux("kill-server", check=False)
        _live_uis.discard(self)
        self.started = False
        # kill-server returns before the server has gone: a new session
        # asked of a dying server fails with "server exited unexpectedly".
        for _ in range(200):
            p = subprocess.run(["tmux", "-L", self.socket, "list-sessions"],
                               capture_output=True, text=True, timeout=driver.scaled(10))
            if p.returncode != 0 and "exited unexpectedly" not in p.stderr:
                break
            time.sleep(0.05)
        return self.start()

    # -- reading the screen -----------------------------------------------------------

    def lines(self):
        """The visible screen, one string per row (trailing blanks removed)."""
        out = self.tmux("capture-pane", "-p", "-t", "ui").split("\n")
        if out and out[-1] == "":
            out.pop()
        return [l.rstrip() for l in out]

    def text(self):
        return "\n".join(self.lines())

    def status_line(self):
        rows = self.lines()
        return rows[-2] if len(rows) >= 2 else ""

    def input_line(self):
        rows = self.lines()
        return rows[-1] if rows else ""

    def sgr_params(self):
        """Every SGR parameter the screen is drawn with (capture-pane -e)."""
        raw = self.tmux("capture-pane", "-p", "-e", "-t", "ui")
        params = set()
        for seq in re.findall(r"\x1b\[([0-9;:]*)m", raw):
            params.update(int(p) for p in re.split(r"[;:]", seq) if p)
        return params

    def info(self, fmt):
        return self.tmux("display-message", "-p", "-t", "ui", fmt).strip()

    def cursor(self):
        x, y = self.info("#{cursor_x} #{cursor_y}").split()
        return int(x), int(y)

    def size(self):
        w, h = self.info("#{pane_width} #{pane_height}").split()
        return int(w), int(h)

    def bell_rang(self):
        """Whether natter rang the terminal bell (tmux keeps the flag set)."""
        return self.info("#{window_bell_flag}") == "1"

    def dead(self):
        return self.info("#{pane_dead}") == "1"

    def dump(self):
        try:
            scr = self.lines()
        except Exception as e:  # the server may be gone
            return "(no screen: %s)" % e
        width = max([len(l) for l in scr] + [10])
        return "\n".join(["+" + "-" * width + "+"] + ["|%-*s|" % (width, l) for l in scr]
                         + ["+" + "-" * width + "+"])

    def wait(self, pred, what, timeout=10, exit_ok=False):
        """Polls the screen until pred(self) is true; fails with the screen
        (or as soon as natter exits, unless exit_ok)."""
        deadline = time.monotonic() + driver.scaled(timeout)
        while True:
            try:
                if pred(self):
                    return
            except (IndexError, ValueError):
                pass
            if time.monotonic() > deadline:
                raise ScreenError("screen never showed %s within %.1f s:\n%s" % (
                    what, driver.scaled(timeout), self.dump()))
            if self.started and not exit_ok and self.dead():
                raise ScreenError("natter exited (%s) while waiting for %s:\n%s" % (
                    self.exit_status(), what, self.dump()))
            time.sleep(0.05)

    def wait_text(self, needle, timeout=10):
        self.wait(lambda s: needle in s.text(), repr(needle), timeout)

    def wait_status(self, needle, timeout=10):
        self.wait(lambda s: needle in s.status_line(), "%r in the status bar" % needle, timeout)

    def wait_input(self, needle, timeout=10):
        self.wait(lambda s: needle in s.input_line(), "%r in the input line" % needle, timeout)

    # -- typing -------------------------------------------------------------------

    def type(self, text):
        """Types text literally (no key names)."""
        self.tmux("send-keys", "-t", "ui", "-l", text)

    def keys(self, *names):
        """Presses keys by tmux name: Enter, C-a, M-2, PageUp, ..."""
        self.tmux("send-keys", "-t", "ui", *names)

    def line(self, text):
        """Types a line and presses Enter."""
        self.type(text)
        self.keys("Enter")

    def resize(self, cols, rows):
        self.tmux("resize-window", "-t", "ui", "-x", str(cols), "-y", str(rows))
        self.cols, self.rows = cols, rows

    # -- teardown -----------------------------------------------------------------

    def quit(self, timeout=8):
        """Types /quit and waits for natter to exit; returns its exit status."""
        self.keys("End", "C-u")
        self.line("/quit")
        self.wait(lambda s: s.dead(), "natter exiting after /quit", timeout, exit_ok=True)
        return self.exit_status()

    def exit_status(self):
        """natter's exit status once it has exited (see start()), or -1."""
        deadline = time.monotonic() + driver.scaled(3)
        while time.monotonic() < deadline:
            try:
                with open(self.status_file) as f:
                    status = f.read().strip()
                if status.isdigit():
                    return int(status)
            except OSError:
                pass
            time.sleep(0.05)
        return -1

    def log_text(self):
        """natter's log file ($XDG_STATE_HOME/natter/natter.log), or ''."""
        try:
            with open(os.path.join(self.home, "state", "natter", "natter.log"),
                      errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def close(self):
        if self.started:
            self.tmux("kill-server", check=False)
            self.started = False
        _live_uis.discard(self)
        shutil.rmtree(self.home, ignore_errors=True)


class TmuxTestCase(driver.NatterTestCase):
    """A NatterTestCase that can also run the terminal UI in tmux."""

    def setUp(self):
        super().setUp()
        self._uis = []

    def tearDown(self):
        for ui in self._uis:
            if ui.started and not ui.dead():
                try:
                    ui.quit(timeout=5)
                except Exception:
                    pass
            ui.close()
        super().tearDown()

    def ui(self, jid="alice@localhost", cols=100, rows=30, connected=True, natterrc=None,
           env=None, args=(), **keys):
        """Starts the terminal UI for jid; waits until it is online unless told not to."""
        keys.setdefault("resource", "tmux")
        acct = self.account(jid, **keys)
        # As in tests/lib/natter.py: no archive replay of earlier tests.
        rc = {"connection": {"reconnect_min": 1, "reconnect_max": 5},
              "history": {"mam_initial": 0}}
        for section, kv in (natterrc or {}).items():
            rc.setdefault(section, {}).update(kv)
        ui = TmuxUI(self.natter_bin, "test", acct, cols, rows, natterrc=rc, env=env, args=args)
        self._uis.append(ui)
        ui.start()
        if connected:
            ui.wait_status("online", timeout=15)
        return ui

    def users(self, tag, *who):
        """Fresh accounts <name><tag> on the shared Prosody (default: ann and
        ben), so what a test leaves in rosters and archives stays its own;
        returns their bare JIDs."""
        jids = []
        for name in who or ("ann", "ben"):
            user = name + tag
            self.fx.register(user, "localhost", user + "pw")
            jids.append("%s@localhost" % user)
        return jids

    def fail_screen(self, ui, msg):
        self.fail("%s\n%s" % (msg, ui.dump()))


class _Result(unittest.TextTestResult):
    """One line per test: outcome, name, duration."""

    def startTest(self, test):
        self._t0 = time.monotonic()
        super().startTest(test)

    def _line(self, test, word):
        self.stream.writeln("%-6s %-62s %5.1fs" % (word, test.id(), time.monotonic() - self._t0))
        self.stream.flush()

    def addSuccess(self, test):
        unittest.TestResult.addSuccess(self, test)
        self._line(test, "ok")

    def addFailure(self, test, err):
        unittest.TestResult.addFailure(self, test, err)
        self._line(test, "FAIL")

    def addError(self, test, err):
        unittest.TestResult.addError(self, test, err)
        self._line(test, "ERROR")

    def addSkip(self, test, reason):
        unittest.TestResult.addSkip(self, test, reason)
        self._line(test, "skip")


def _watchdog(seconds, done):
    """Kills everything and fails the run if it is still going after seconds."""
    if done.wait(seconds):
        return
    sys.stdout.write("\nglobal timeout: the tmux run took more than %d s\n" % seconds)
    kill_all_uis()
    driver.kill_all()
    fixture.cleanup_all()
    sys.stdout.write("0 passed, 1 failed\n")
    sys.stdout.flush()
    os._exit(3)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--natter", required=True, help="natter binary to test")
    ap.add_argument("-k", dest="patterns", action="append", default=[],
                    help="only tests whose name contains this (repeatable)")
    ap.add_argument("--timeout", type=float, default=300 * driver.TIMEOUT_SCALE,
                    help="global time limit in seconds (default 300)")
    args = ap.parse_args()

    natter_bin = os.path.abspath(args.natter)
    if not (os.path.isfile(natter_bin) and os.access(natter_bin, os.X_OK)):
        print("run.py: %s is not an executable file" % args.natter, file=sys.stderr)
        print("0 passed, 1 failed")
        return 2
    if not shutil.which("tmux"):
        print("run.py: tmux is not installed (Debian package 'tmux')")
        print("0 passed, 1 failed")
        return 2

    done = threading.Event()
    threading.Thread(target=_watchdog, args=(args.timeout, done), daemon=True).start()
    t0 = time.monotonic()
    loader = unittest.TestLoader()
    if args.patterns:
        loader.testNamePatterns = ["*%s*" % p for p in args.patterns]
    suite = loader.discover(HERE, pattern="test_*.py", top_level_dir=HERE)
    if suite.countTestCases() == 0:
        print("run.py: no tests selected")
        print("0 passed, 1 failed")
        return 2
    try:
        fx = fixture.ProsodyFixture(http=True)
        fx.start()
    except Exception as e:
        print("run.py: could not start Prosody: %s" % e)
        print("0 passed, 1 failed")
        return 2
    print("Prosody %s: c2s %d (dir %s); natter %s" % (fx.proc.pid, fx.c2s_port, fx.dir,
                                                     natter_bin))
    sys.stdout.flush()
    driver.NatterTestCase.fx = fx
    driver.NatterTestCase.natter_bin = natter_bin
    try:
        runner = unittest.TextTestRunner(stream=sys.stdout, verbosity=0, resultclass=_Result)
        result = runner.run(suite)
    except KeyboardInterrupt:
        print("\ninterrupted")
        print("0 passed, 1 failed")
        return 130
    finally:
        kill_all_uis()
        driver.kill_all()
        fx.stop()
        done.set()
    failed = len(result.failures) + len(result.errors)
    skipped = len(result.skipped)
    passed = result.testsRun - failed - skipped
    print("tmux suite: %.1f s" % (time.monotonic() - t0))
    line = "%d passed, %d failed" % (passed, failed)
    if skipped:
        line += ", %d skipped" % skipped
    print(line)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
