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

from natter import NatterError, NatterTestCase
from slixdriver import PYTHON, SlixPeer


class OmemoPeer(SlixPeer):
    """tests/lib/omemopeer.py; a timeout also shows natter's side."""

    def __init__(self, test, *args, **kw):
        super().__init__(*args, **kw)
        self.test = test

    def expect(self, name, pred=None, timeout=10):
        try:
            return super().expect(name, pred, timeout)
        except NatterError as e:
            if os.environ.get("OMEMO_DEBUG"):
                with open("/tmp/omemopeer-%s.log" % self.jid.replace("/", "_"), "w") as f:
                    f.write("\n".join(self.stderr))
            raise NatterError("%s\n%s\n%s" % (e, "\n".join(
                p.report() for p in self.test.peers if p is not self), "\n".join(
                n.report() for n in self.test._natters))) from None

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
        self.peers = []
        n = next(_serial)
        # Fresh accounts: device lists on PEP outlive a test.
        self.me = "om%da@localhost" % n
        self.them = "om%db@localhost" % n
        for jid in (self.me, self.them):
            user, host = jid.split("@")
            self.fx.register(user, host, user + "pw")

    def peer(self, jid, resource, store, manual=False):
        p = OmemoPeer(self, self.fx, "%s/%s" % (jid, resource), jid.split("@")[0] + "pw",
                     script="omemopeer.py",
                     extra=["--store", os.path.join(self.tmp, store)]
                     + (["--manual"] if manual else [])
                     + (["--debug"] if os.environ.get("OMEMO_DEBUG") else []))
        self.addCleanup(p.close)
        self.peers.append(p)
        p.expect("ready", timeout=40)
        return p

    def natter_for(self, jid, **keys):
        n = self.natter(self.account(jid, resource="nat", **keys), label=jid,
                        extra_args=["--debug"] if os.environ.get("OMEMO_DEBUG") else None)
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

    def test_restarts_on_both_sides_keep_one_device(self):
        n = self.natter_for(self.me)
        p = self.peer(self.them, "py", "b.json")
        n.send("/omemo on %s" % self.them)
        n.send("/msg %s before" % self.them)
        p.expect("message", lambda e: e.get("body") == "before", timeout=20)
        p.send(cmd="msg", to=self.me, body="reply before")
        n.expect("message", lambda e: e.get("body") == "reply before", timeout=20)
        first = self.own_fingerprint(n)
        # natter restarts: the same identity, the same device, no second one.
        n.quit()
        n.start()
        n.expect("connected", timeout=15)
        again = self.own_fingerprint(n)
        self.assertEqual(again["id"], first["id"])
        self.assertEqual(again["fingerprint"], first["fingerprint"])
        # /omemo on is remembered: still encrypted after the restart.
        n.send("/msg %s after natter restarted" % self.them)
        ev = p.expect("message", lambda e: e.get("body") == "after natter restarted", timeout=20)
        self.assertTrue(ev["encrypted"], ev)
        p.send(cmd="msg", to=self.me, body="reply after natter restarted")
        n.expect("message", lambda e: e.get("body") == "reply after natter restarted",
                 timeout=20)
        p.send(cmd="devices", jid=self.me)
        ev = p.expect("devices", timeout=15)
        self.assertEqual([dict(d)["id"] for d in ev["devices"]], [first["id"]], ev)
        # The peer restarts with its store: sessions go on.
        p.close()
        p = self.peer(self.them, "py", "b.json")
        n.send("/msg %s after the peer restarted" % self.them)
        p.expect("message", lambda e: e.get("body") == "after the peer restarted", timeout=20)
        p.send(cmd="msg", to=self.me, body="the peer is back")
        ev = n.expect("message", lambda e: e.get("body") == "the peer is back", timeout=20)
        self.assertEqual(ev.get("encrypted"), "omemo", ev)
        n.expect_none("message", lambda e: e.get("undecryptable"), within=1, since=0)
        n.quit()

    def subscribe(self, n, p):
        """natter follows the peer's presence, so PEP tells it of new devices."""
        n.send("/sub request %s" % self.them)
        # The peer (slixmpp) accepts and asks back: our presence, caps and
        # all, then reaches its server, whose PEP sends us its changes.
        n.expect("subscription", lambda e: e["type"] == "subscribe", timeout=15)
        n.send("/sub allow %s" % self.them)
        n.expect("roster_push", lambda e: dict(e["item"]).get("subscription") == "both",
                 timeout=15)

    def test_device_added_by_the_contact(self):
        n = self.natter_for(self.me)
        p = self.peer(self.them, "py", "b.json")
        self.subscribe(n, p)
        n.send("/omemo on %s" % self.them)
        n.send("/msg %s one device" % self.them)
        p.expect("message", lambda e: e.get("body") == "one device", timeout=20)
        # The contact adds a device: its new device list reaches natter.
        p2 = self.peer(self.them, "py2", "b2.json")
        n.send("/omemo fingerprint %s" % self.them)
        n.expect("omemo_fingerprints", lambda e: len(e["devices"]) == 2, timeout=20)
        n.send("/msg %s two devices" % self.them)
        p.expect("message", lambda e: e.get("body") == "two devices", timeout=20)
        p2.expect("message", lambda e: e.get("body") == "two devices", timeout=20)
        p2.send(cmd="msg", to=self.me, body="from the new device")
        ev = n.expect("message", lambda e: e.get("body") == "from the new device", timeout=20)
        self.assertEqual(ev.get("encrypted"), "omemo", ev)
        n.quit()

    def test_undecryptable_message_is_reported_and_repaired(self):
        n = self.natter_for(self.me)
        p = self.peer(self.them, "py", "b.json")
        n.send("/omemo on %s" % self.them)
        n.send("/msg %s hello" % self.them)
        p.expect("message", lambda e: e.get("body") == "hello", timeout=20)
        p.send(cmd="msg", to=self.me, body="established")
        n.expect("message", lambda e: e.get("body") == "established", timeout=20)
        p.send(cmd="corrupt", to=self.me, body="you will not read this")
        ev = n.expect("message", lambda e: e.get("undecryptable"), timeout=20)
        self.assertEqual(ev.get("encrypted"), "omemo", ev)
        self.assertNotIn("body", ev)
        self.assertEqual(ev["from"].split("/")[0], self.them, ev)
        # natter starts a fresh session with a key transport message...
        try:
            p.expect("key_transport", lambda e: e["from"].startswith(self.me), timeout=20)
        except AssertionError:
            print("\n".join(p.stderr[-300:]))
            raise
        # ...and the conversation goes on both ways.
        p.send(cmd="msg", to=self.me, body="after the repair")
        ev = n.expect("message", lambda e: e.get("body") == "after the repair", timeout=20)
        self.assertEqual(ev.get("encrypted"), "omemo", ev)
        n.send("/msg %s still fine" % self.them)
        p.expect("message", lambda e: e.get("body") == "still fine", timeout=20)
        n.quit()

    def test_carbons_of_our_own_encrypted_messages(self):
        n = self.natter_for(self.me)
        mine = self.peer(self.me, "phone", "a2.json")
        p = self.peer(self.them, "py", "b.json")
        # Our other device writes to the contact: natter reads its carbon.
        mine.send(cmd="msg", to=self.them, body="sent from my phone")
        p.expect("message", lambda e: e.get("body") == "sent from my phone", timeout=20)
        ev = n.expect("message", lambda e: e.get("body") == "sent from my phone", timeout=20)
        self.assertEqual(ev.get("carbon"), "sent", ev)
        self.assertEqual(ev.get("encrypted"), "omemo", ev)
        # natter's messages are encrypted to our other device too.
        n.send("/omemo on %s" % self.them)
        n.send("/msg %s sent from natter" % self.them)
        p.expect("message", lambda e: e.get("body") == "sent from natter", timeout=20)
        ev = mine.expect("message", lambda e: e.get("body") == "sent from natter", timeout=20)
        self.assertEqual(ev.get("carbon"), "sent", ev)
        n.quit()

    def test_trust_rules(self):
        n = self.natter_for(self.me)
        p = self.peer(self.them, "py", "b.json")
        self.subscribe(n, p)
        n.send("/omemo on %s" % self.them)
        n.send("/msg %s blindly trusted" % self.them)
        p.expect("message", lambda e: e.get("body") == "blindly trusted", timeout=20)
        n.send("/omemo fingerprint %s" % self.them)
        ev = n.expect("omemo_fingerprints", timeout=15)
        (dev,) = map(dict, ev["devices"])
        self.assertEqual(dev["trust"], "trusted", ev)
        self.assertRegex(dev["fingerprint"], FP)
        # Verified: from now on only verified devices of the contact are used.
        n.send("/omemo trust %s %s" % (self.them, dev["fingerprint"].upper()))
        n.expect("info", lambda e: "verified" in e.get("text", ""), timeout=10)
        mark = n.mark()
        p2 = self.peer(self.them, "py2", "b2.json")
        n.send("/omemo fingerprint %s" % self.them)
        ev = n.expect("omemo_fingerprints", lambda e: len(e["devices"]) == 2, timeout=20)
        new = [d for d in map(dict, ev["devices"]) if d["id"] != dev["id"]][0]
        self.assertEqual(new["trust"], "undecided", ev)
        n.send("/msg %s only to the verified one" % self.them)
        p.expect("message", lambda e: e.get("body") == "only to the verified one", timeout=20)
        told = n.expect("info", lambda e: "not trusted" in e.get("text", ""), timeout=10,
                        since=mark)
        self.assertIn(new["fingerprint"], told["text"])
        # The new device got nothing it could read.
        ev = p2.expect("undecryptable", timeout=20)
        n.send("/omemo trust %s %s" % (self.them, new["fingerprint"]))
        n.expect("info", lambda e: "verified" in e.get("text", ""), timeout=10)
        n.send("/msg %s now to both" % self.them)
        p.expect("message", lambda e: e.get("body") == "now to both", timeout=20)
        p2.expect("message", lambda e: e.get("body") == "now to both", timeout=20)
        # Distrusted devices get nothing; with none left, nothing is sent.
        n.send("/omemo distrust %s %s" % (self.them, dev["fingerprint"]))
        n.send("/omemo distrust %s %s" % (self.them, new["fingerprint"]))
        n.send("/msg %s to nobody" % self.them)
        ev = n.expect("error", lambda e: e.get("condition") == "not-acceptable", timeout=20)
        self.assertIn("not sent", ev["text"])
        n.send("/omemo trust %s 00000000" % self.them)
        n.expect("error", lambda e: e.get("condition") == "item-not-found", timeout=10)
        n.quit()

    def test_manual_trust(self):
        n = self.natter_for(self.me, omemo="on", omemo_trust="manual")
        p = self.peer(self.them, "py", "b.json")
        # omemo = on: encrypted without /omemo on; manual: nothing until verified.
        n.send("/msg %s not yet" % self.them)
        n.expect("info", lambda e: "not trusted" in e.get("text", ""), timeout=20)
        n.expect("error", lambda e: e.get("condition") == "not-acceptable", timeout=20)
        n.send("/omemo fingerprint %s" % self.them)
        ev = n.expect("omemo_fingerprints", timeout=15)
        (dev,) = map(dict, ev["devices"])
        self.assertEqual(dev["trust"], "undecided", ev)
        n.send("/omemo trust %s %s" % (self.them, dev["fingerprint"]))
        n.send("/msg %s verified now" % self.them)
        ev = p.expect("message", lambda e: e.get("body") == "verified now", timeout=20)
        self.assertTrue(ev["encrypted"], ev)
        # /omemo off: plain again, and natter says the message came unencrypted.
        n.send("/omemo off %s" % self.them)
        n.send("/msg %s in clear" % self.them)
        ev = p.expect("message", lambda e: e.get("body") == "in clear", timeout=20)
        self.assertFalse(ev["encrypted"], ev)
        p.send(cmd="plain", to=self.me, body="plain reply")
        ev = n.expect("message", lambda e: e.get("body") == "plain reply", timeout=20)
        self.assertNotIn("encrypted", ev)
        n.quit()

    def test_archive_results_are_decrypted(self):
        n = self.natter(self.account(self.me, resource="nat"), label=self.me,
                        natterrc={"history": {"mam_initial": 50}})
        n.expect("connected", timeout=15)
        p = self.peer(self.them, "py", "b.json")
        self.own_fingerprint(n)  # our bundle is out
        n.quit()
        # Written while natter is away: the first message of the session,
        # then another; both wait in the archive.
        p.send(cmd="msg", to=self.me, body="while you were away")
        p.expect("sent", timeout=20)
        p.send(cmd="msg", to=self.me, body="and one more")
        p.expect("sent", timeout=20)
        n.start()
        for text in ("while you were away", "and one more"):
            ev = n.expect("message", lambda e, t=text: e.get("body") == t, timeout=20)
            self.assertEqual(ev.get("encrypted"), "omemo", ev)
            self.assertTrue(ev.get("delayed"), ev)
        n.expect_none("message", lambda e: e.get("undecryptable"), within=1, since=0)
        n.send("/msg %s got them" % self.them)
        n.send("/omemo on %s" % self.them)
        n.send("/msg %s got them, encrypted" % self.them)
        ev = p.expect("message", lambda e: e.get("body") == "got them, encrypted", timeout=20)
        self.assertTrue(ev["encrypted"], ev)
        n.quit()

    def room(self, p, tag, **config):
        """A room the peer creates (with that configuration) and stays in."""
        room = "%s-%s@conference.localhost" % (tag, next(_serial) * 7919 + os.getpid())
        p.send(cmd="muc_join", room=room, nick="them", config=config)
        p.expect("muc_joined", lambda e: e["room"] == room, timeout=20)
        return room

    def test_members_only_room(self):
        n = self.natter_for(self.me)
        p = self.peer(self.them, "py", "b.json")
        # Members-only and showing real JIDs to all: the members' keys can
        # be found by their accounts, as Conversations and Dino require.
        room = self.room(p, "omemo", **{"muc#roomconfig_membersonly": True,
                                        "muc#roomconfig_whois": "anyone"})
        p.send(cmd="muc_affiliation", room=room, jid=self.me, affiliation="member")
        p.expect("done", lambda e: e["cmd"] == "muc_affiliation", timeout=15)
        n.send("/join %s/me" % room)
        n.expect("muc_joined", lambda e: e.get("room") == room, timeout=15)
        n.send("/omemo on %s" % room)
        n.expect("info", lambda e: "OMEMO on" in e.get("text", ""), timeout=10)
        n.send("/msg %s secret to the room" % room)
        ev = p.expect("groupchat", lambda e: e.get("body") == "secret to the room", timeout=20)
        self.assertTrue(ev["encrypted"], ev)
        self.assertNotIn("secret", ev["fallback"] or "", ev)
        echo = n.expect("message", lambda e: e.get("outgoing") and e.get("room") == room,
                        timeout=5)
        self.assertEqual(echo.get("encrypted"), "omemo", echo)
        p.send(cmd="groupmsg", room=room, body="secret from python to the room")
        ev = n.expect("message", lambda e: e.get("body") == "secret from python to the room",
                      timeout=20)
        self.assertEqual(ev.get("encrypted"), "omemo", ev)
        self.assertEqual((ev.get("room"), ev.get("nick"), ev.get("type")),
                         (room, "them", "groupchat"), ev)
        # The room's copy of our own message is neither shown again nor
        # taken for one we cannot read.
        n.expect_none("message", lambda e: e.get("undecryptable"), within=1, since=0)
        n.send("/history %s" % room)
        ev = n.expect("history", timeout=10)
        bodies = {m["body"]: m for m in map(dict, ev["messages"]) if m and dict(m).get("body")}
        for text in ("secret to the room", "secret from python to the room"):
            self.assertEqual(bodies[text].get("encrypted"), "omemo", ev)
        # A room that hides real JIDs: refused, said why, and left plain.
        open_room = self.room(p, "open")
        n.send("/join %s/me" % open_room)
        n.expect("muc_joined", lambda e: e.get("room") == open_room, timeout=15)
        n.send("/omemo on %s" % open_room)
        ev = n.expect("error", lambda e: e.get("command") == "omemo on", timeout=10)
        self.assertEqual(ev["condition"], "not-acceptable", ev)
        self.assertIn("real JIDs", ev["text"])
        n.send("/msg %s in the open" % open_room)
        ev = p.expect("groupchat", lambda e: e.get("body") == "in the open", timeout=20)
        self.assertFalse(ev["encrypted"], ev)
        n.quit()
