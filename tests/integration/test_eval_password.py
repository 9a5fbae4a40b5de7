"""eval_password: the account's password is the first line a command prints.
The command runs in the background: one that hangs must not freeze natter."""

import os
import time
import uuid

from natter import NatterTestCase


def processes_running(argv):
    """PIDs of the processes whose command line is exactly argv."""
    want = "\0".join(argv).encode() + b"\0"
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % pid, "rb") as f:
                if f.read() == want:
                    found.append(int(pid))
        except OSError:
            pass
    return found


class TestEvalPassword(NatterTestCase):

    def test_password_from_a_command_logs_in(self):
        n = self.natter(self.account("alice@localhost", password=None,
                                     eval_password="echo alicepw"))
        n.expect("connected", timeout=15)
        n.quit()

    def test_failing_command_is_reported_and_not_retried(self):
        n = self.natter(self.account("alice@localhost", password=None,
                                     eval_password="echo alicepw; exit 3"))
        err = n.expect("error", lambda e: e.get("condition") == "not-authorized", timeout=10)
        self.assertIn("exit status 3", err.get("text", ""), err)
        self.assertNotIn("alicepw", err.get("text", ""), err)
        n.expect_none("connecting", within=2, since=n.mark())
        n.quit()

    def test_hanging_command_does_not_freeze_natter(self):
        # A sleep nobody else runs, to find it again.
        seconds = "%d.%04d" % (90, uuid.uuid4().int % 10000)
        n = self.natter(self.account("alice@localhost", password=None,
                                     eval_password="sleep %s" % seconds))
        deadline = time.monotonic() + 5
        while not processes_running(["sleep", seconds]) and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertTrue(processes_running(["sleep", seconds]), "the command never started")
        # natter answers while the command hangs ...
        mark = n.mark()
        n.send("/help")
        n.expect("info", timeout=3, since=mark, what="natter still answers commands")
        # ... quits at once, and takes the command with it.
        n.quit(timeout=5)
        deadline = time.monotonic() + 3
        while processes_running(["sleep", seconds]) and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertEqual(processes_running(["sleep", seconds]), [],
                         "eval_password's command outlived natter")
