"""The command line: --version/--help, bad arguments, bad configuration."""

import os

from natter import Natter, NatterTestCase


class TestCommandLine(NatterTestCase):

    def make(self, accounts=None, mode=0o600):
        n = Natter(self.natter_bin, accounts=accounts, accounts_mode=mode, label="cli")
        self._natters.append(n)
        return n

    def assert_one_line_failure(self, res, must_mention=None):
        msg = "exit %s\nstdout: %r\nstderr: %r" % (res.returncode, res.stdout, res.stderr)
        self.assertNotEqual(res.returncode, 0, msg)
        self.assertLess(res.returncode, 128, "killed by a signal? " + msg)
        lines = [l for l in res.stderr.splitlines() if l.strip()]
        self.assertEqual(len(lines), 1, "want a one-line reason on stderr; " + msg)
        if must_mention:
            self.assertIn(must_mention, lines[0], msg)

    def test_version_and_help(self):
        n = self.make()
        res = n.run_once(["--version"])
        self.assertEqual(res.returncode, 0, res)
        self.assertIn("natter", res.stdout.lower(), res)
        res = n.run_once(["--help"])
        self.assertEqual(res.returncode, 0, res)
        self.assertIn("--headless", res.stdout, res)

    def test_unknown_option(self):
        res = self.make().run_once(["--headless", "--no-such-option"])
        self.assert_one_line_failure(res)

    def test_missing_option_argument(self):
        res = self.make().run_once(["--headless", "-a"])
        self.assert_one_line_failure(res)

    def test_unknown_account(self):
        n = self.make({"known": {"jid": "alice@localhost", "password": "x"}})
        res = n.run_once(["--headless", "-a", "nosuchaccount"])
        self.assert_one_line_failure(res, must_mention="nosuchaccount")

    def test_no_accounts_file(self):
        res = self.make().run_once(["--headless", "-a", "any"])
        self.assert_one_line_failure(res)

    def test_group_readable_accounts_file_with_password(self):
        n = self.make({"a": {"jid": "alice@localhost", "password": "alicepw",
                             "server": "127.0.0.1", "port": self.fx.c2s_port}}, mode=0o640)
        self.assertEqual(os.stat(n.accounts_path).st_mode & 0o777, 0o640)
        res = n.run_once(["--headless", "-a", "a"], stdin_text="/quit\n")
        self.assert_one_line_failure(res, must_mention="accounts")
        self.assertNotIn('"connected"', res.stdout, res.stdout)

    def test_world_readable_accounts_file_with_password(self):
        n = self.make({"a": {"jid": "alice@localhost", "password": "alicepw",
                             "server": "127.0.0.1", "port": self.fx.c2s_port}}, mode=0o604)
        res = n.run_once(["--headless", "-a", "a"], stdin_text="/quit\n")
        self.assert_one_line_failure(res, must_mention="accounts")
