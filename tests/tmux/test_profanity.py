"""OMEMO between natter and Profanity (Debian's, built with OMEMO on
libsignal-protocol-c): a second independent implementation, a terminal
client driven through its own tmux server and read from its screen."""

import os
import re
import shutil
import subprocess
import tempfile
import time
import unittest

from natter import scaled
from run import TmuxTestCase

PROF_FP = re.compile(r"[0-9a-f]{8}(?:-[0-9a-f]{8}){7}")


def have_profanity():
    try:
        out = subprocess.run(["profanity", "-v"], capture_output=True, text=True,
                             timeout=30).stdout
    except (OSError, subprocess.TimeoutExpired):
        return False
    return "OMEMO support: Enabled" in out and shutil.which("tmux") is not None


class Profanity:
    """profanity in a tmux server of its own, with a throwaway home."""

    def __init__(self, test):
        self.home = tempfile.mkdtemp(prefix="natter-profanity-")
        self.sock = "natter-prof-%d-%d" % (os.getpid(), id(self))
        env = ["env", "HOME=" + self.home, "XDG_CONFIG_HOME=%s/config" % self.home,
               "XDG_DATA_HOME=%s/data" % self.home, "LANG=C.UTF-8", "LC_ALL=C.UTF-8"]
        self.tmux("new-session", "-d", "-s", "p", "-x", "140", "-y", "40", *env, "profanity")
        test.addCleanup(self.close)

    def tmux(self, *args):
        return subprocess.run(["tmux", "-L", self.sock] + list(args), capture_output=True,
                              text=True, timeout=30)

    def screen(self):
        return self.tmux("capture-pane", "-p", "-J", "-t", "p").stdout

    def cmd(self, *lines):
        for line in lines:
            self.tmux("send-keys", "-t", "p", "-l", line)
            self.tmux("send-keys", "-t", "p", "Enter")
            time.sleep(0.2)

    def wait(self, pred, what, timeout=20):
        deadline = time.monotonic() + scaled(timeout)
        while time.monotonic() < deadline:
            s = self.screen()
            found = pred(s) if callable(pred) else (pred in s)
            if found:
                return found
            time.sleep(0.2)
        raise AssertionError("profanity never showed %s within %.0f s:\n%s"
                             % (what, scaled(timeout), self.screen()))

    def close(self):
        self.tmux("kill-server")
        shutil.rmtree(self.home, ignore_errors=True)


@unittest.skipUnless(have_profanity(), "profanity with OMEMO (and tmux) is not installed")
class TestProfanity(TmuxTestCase):

    def test_omemo_both_ways_with_profanity(self):
        me, them = self.users("pf", "ann", "ben")
        # Profanity 0.13.1 adds its device only to a device list that exists
        # (it takes a missing one for an error unless the server writes the
        # legacy code="404"): an earlier client of ben's made one.
        pre = self.natter(self.account(them, resource="earlier"))
        pre.expect("connected", timeout=15)
        pre.send("/omemo fingerprint")
        pre.expect("omemo_fingerprints", timeout=15)
        pre.quit()
        prof = Profanity(self)
        prof.wait("Type '/help' to show complete help", "its start")
        prof.cmd("/account add pb", "/account set pb jid " + them,
                 "/account set pb server 127.0.0.1",
                 "/account set pb port %d" % self.fx.c2s_port,
                 "/account set pb password benpfpw", "/account set pb tls trust",
                 "/connect pb")
        prof.wait("logged in successfully", "the login")
        prof.cmd("/omemo gen")
        prof.wait("Your Device ID is", "its OMEMO keys", timeout=60)
        prof.cmd("/omemo trustmode blind")
        n = self.natter(self.account(me, resource="nat"), label=me)
        n.expect("connected", timeout=15)
        n.send("/sub request " + them)
        prof.wait("authorization request from " + me, "our subscription request")
        prof.cmd("/sub allow " + me, "/sub request " + me)
        n.expect("subscription", lambda e: e["type"] == "subscribe", timeout=15)
        n.send("/sub allow " + them)
        n.expect("roster_push", lambda e: dict(e["item"]).get("subscription") == "both",
                 timeout=15)
        # natter to Profanity: "~" is how Profanity marks an OMEMO message.
        n.send("/omemo on " + them)
        n.send("/msg %s hello profanity, from natter" % them)
        n.expect("message", lambda e: e.get("outgoing") and e.get("encrypted"), timeout=10)
        prof.wait("%s/nat" % me, "natter's message arriving")
        prof.cmd("/win 2")
        prof.wait("~ %s/nat: hello profanity, from natter" % me, "natter's message, decrypted")
        # Profanity to natter.
        prof.cmd("/omemo start", "hello natter, from profanity")
        ev = n.expect("message", lambda e: e.get("body") == "hello natter, from profanity",
                      timeout=20)
        self.assertEqual(ev.get("encrypted"), "omemo", ev)
        self.assertEqual(ev["from"].split("/")[0], them, ev)
        # The fingerprint natter shows for Profanity's device is Profanity's own.
        prof.cmd("/win 1", "/omemo fingerprint")
        fp = prof.wait(lambda s: (PROF_FP.findall(s) or [None])[-1], "its fingerprint")
        n.send("/omemo fingerprint " + them)
        ev = n.expect("omemo_fingerprints", timeout=15)
        shown = [dict(d)["fingerprint"].replace(" ", "-") for d in ev["devices"]]
        self.assertIn(fp, shown, ev)
        n.quit()
