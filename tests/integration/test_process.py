"""natter's process keeps its memory to itself (issue 15, item 10): no core
dump and not dumpable, so that no other process of the same user can read
the password through ptrace or /proc/PID/mem; --debug allows both."""

import os

import fixture
from natter import NatterTestCase

NOBODY = (65534, 65534)


class TestNotDumpable(NatterTestCase):

    def running_natter(self, extra_args=()):
        """A natter that stays up (its server refuses, so it keeps trying),
        run as an ordinary user: for root every /proc file is root's."""
        run_as = NOBODY if os.geteuid() == 0 else None
        acct = {"jid": "alice@localhost", "password": "alicepw", "server": "127.0.0.1",
                "port": fixture.free_port(), "tls": "require"}
        n = self.natter(acct, extra_args=list(extra_args), run_as=run_as)
        n.expect("disconnected", timeout=10)
        return n, (run_as or (os.geteuid(), os.getegid()))[0]

    def test_not_dumpable_and_no_core_by_default(self):
        n, uid = self.running_natter()
        # The kernel hands a non-dumpable process's /proc files to root.
        self.assertEqual(os.stat("/proc/%d/status" % n.pid).st_uid, 0)
        self.assertNotEqual(uid, 0)
        with open("/proc/%d/limits" % n.pid) as f:
            core = [line.split() for line in f if line.startswith("Max core file size")][0]
        self.assertEqual(core[4:6], ["0", "0"], core)
        n.quit()

    def test_dumpable_with_debug(self):
        n, uid = self.running_natter(["--debug"])
        self.assertEqual(os.stat("/proc/%d/status" % n.pid).st_uid, uid)
        n.quit()
