"""XEP-0138 stream compression (seed 000): compression = true uses libstrophe's
(0.13 and later, built with zlib) and is refused at start otherwise, naming
the version needed.  natter has no zlib layer of its own (doc/compression.md)."""

import re

from natter import NatterTestCase


class CompressionTestCase(NatterTestCase):

    def can_compress(self):
        res = self.natter(None, start=False).run_once(["--version"])
        self.assertEqual(res.returncode, 0, res)
        m = re.search(r"^libstrophe (\S+), XEP-0138 stream compression: (yes|no)", res.stdout,
                      re.M)
        self.assertIsNotNone(m, "natter --version names libstrophe and compression: %r"
                             % res.stdout)
        return m.group(2) == "yes", m.group(1)

    def start_once(self, **keys):
        n = self.natter(self.account("alice@localhost", **keys), start=False)
        return n.run_once(["--headless", "-a", "test"], stdin_text="/quit\n")


class TestCompression(CompressionTestCase):

    def test_refused_at_start_naming_the_libstrophe_needed(self):
        able, version = self.can_compress()
        if able:
            self.skipTest("this natter (libstrophe %s) can compress" % version)
        res = self.start_once(compression="true")
        self.assertNotEqual(res.returncode, 0, res)
        lines = [l for l in res.stderr.splitlines() if l.strip()]
        self.assertEqual(len(lines), 1, res.stderr)
        self.assertIn("compression = true", lines[0])
        self.assertIn("libstrophe 0.13 or later", lines[0])
        self.assertIn(version, lines[0])
        self.assertEqual(res.stdout, "", "natter started all the same")

    def test_false_is_the_default_and_starts(self):
        res = self.start_once(compression="false")
        self.assertEqual(res.returncode, 0, res)

    def test_not_with_a_token_login(self):
        res = self.start_once(compression="true", auth="x-oauth2", token="t", password=None)
        self.assertNotEqual(res.returncode, 0, res)
        self.assertIn("compression = true", res.stderr)
