"""OMEMO (legacy eu.siacs.conversations.axolotl) between natter and an
independent implementation: tests/lib/omemopeer.py, slixmpp with Debian's
python3-omemo and python3-oldmemo.  Both directions, restarts on both
sides, a device added by the contact, an undecryptable message and its
repair, carbons of our own encrypted messages, the trust rules, the store."""

import itertools
import os
import re
import stat
import subprocess
import tempfile
import unittest

from natter import NatterTestCase
from test_interop import PYTHON, SlixPeer

FP = re.compile(r"^[0-9a-f]{8}( [0-9a-f]{8}){7}$")
_serial = itertools.count(1)


def have_omemo():
    return subprocess.run([PYTHON, "-c", "import slixmpp, omemo, oldmemo"],
                          capture_output=True, timeout=60).returncode == 0


@unittest.skipUnless(have_omemo(), "python3-omemo / python3-oldmemo are not installed")
class TestOmemo(NatterTestCase):

    def setUp(self):
        super().setUp()
        self.tmp = tempfile.mkdtemp(prefix="natter-omemo-peer-")
        n = next(_serial)
        # Fresh accounts: device lists on PEP outlive a test.
        self.me = "om%da@localhost" % n
        self.them = "om%db@localhost" % n
        for jid in (self.me, self.them):
            user, host = jid.split("@")
            self.fx.register(user, host, user + "pw")

    def peer(self, jid, resource, store, manual=False):
        p = SlixPeer(self.fx, "%s/%s" % (jid, resource), jid.split("@")[0] + "pw",
                     script="omemopeer.py",
                     extra=["--store", os.path.join(self.tmp, store)]
                     + (["--manual"] if manual else []))
        self.addCleanup(p.close)
        p.expect("ready", timeout=40)
        return p

    def natter_for(self, jid, **keys):
        n = self.natter(self.account(jid, resource="nat", **keys), label=jid)
        n.expect("connected", timeout=15)
        return n

    def own_fingerprint(self, n):
        n.send("/omemo fingerprint")
        ev = n.expect("omemo_fingerprints", timeout=15)
        own = [d for d in map(dict, ev["devices"]) if d.get("own")]
        self.assertEqual(len(own), 1, ev)
        self.assertRegex(own[0]["fingerprint"], FP)
        return own[0]

    def test_both_ways_and_the_store(self):
        n = self.natter_for(self.me)
        p = self.peer(self.them, "py", "b.json")
        n.send("/omemo on %s" % self.them)
        n.send("/msg %s secret from natter" % self.them)
        ev = p.expect("message", lambda e: e.get("body") == "secret from natter", timeout=20)
        self.assertTrue(ev["encrypted"], ev)
        self.assertTrue(ev["eme"] and ev["hint"], ev)
        self.assertNotIn("secret", ev["fallback"] or "", ev)
        echo = n.expect("message", lambda e: e.get("outgoing"), timeout=5)
        self.assertEqual(echo.get("encrypted"), "omemo", echo)
        p.send(cmd="msg", to=self.me, body="secret from python")
        ev = n.expect("message", lambda e: e.get("body") == "secret from python", timeout=20)
        self.assertEqual(ev.get("encrypted"), "omemo", ev)
        self.assertEqual(ev["from"].split("/")[0], self.them, ev)
        # The fingerprints both sides show agree.
        mine = self.own_fingerprint(n)
        p.send(cmd="devices", jid=self.me)
        ev = p.expect("devices", timeout=15)
        self.assertEqual([d["fingerprint"] for d in ev["devices"]], [mine["fingerprint"]], ev)
        self.assertEqual([d["id"] for d in ev["devices"]], [mine["id"]], ev)
        # The store keeps the plaintext, marked, in private files.
        n.send("/history %s" % self.them)
        ev = n.expect("history", timeout=10)
        bodies = {m["body"]: m for m in map(dict, ev["messages"])}
        for text in ("secret from natter", "secret from python"):
            self.assertEqual(bodies[text].get("encrypted"), "omemo", ev)
        data = os.path.join(n.data_home, "natter", self.me)
        for f in ("omemo.db", "history.db"):
            mode = stat.S_IMODE(os.stat(os.path.join(data, f)).st_mode)
            self.assertEqual(mode, 0o600, f)
        n.quit()
