"""natter against an independent implementation: a slixmpp client
(tests/lib/slixpeer.py, Debian's python3-slixmpp) as the peer.  Messages,
chat states, XHTML-IM, receipts, version, disco and ping, both ways."""

import unittest

from natter import NatterTestCase, plain
from slixdriver import SlixPeer, have_slixmpp

XHTML_IM = "http://jabber.org/protocol/xhtml-im"


@unittest.skipUnless(have_slixmpp(), "python3-slixmpp is not installed")
class TestInterop(NatterTestCase):

    def setUp(self):
        super().setUp()
        self.peer = SlixPeer(self.fx, "carol@localhost/slix", self.fx.users["carol@localhost"])
        self.addCleanup(self.peer.close)
        self.peer.expect("ready", timeout=20)
        self.alice = self.connected("alice@localhost", resource="alires")

    def test_messages_both_ways(self):
        a, p = self.alice, self.peer
        a.send("/msg carol@localhost/slix hello slix, ünïcode & <xml>")
        ev = p.expect("message", timeout=10)
        self.assertEqual(ev["body"], "hello slix, ünïcode & <xml>", ev)
        self.assertEqual(ev["type"], "chat", ev)
        self.assertEqual(ev["from"], "alice@localhost/alires", ev)
        p.send(cmd="msg", to="alice@localhost/alires", body="hi natter", type="chat")
        ev = a.expect("message", lambda e: e.get("body") == "hi natter", timeout=10)
        self.assertEqual(ev.get("from"), "carol@localhost/slix", ev)
        self.assertEqual(ev.get("type"), "chat", ev)
        p.send(cmd="msg", to="alice@localhost/alires", body="a normal one", type="normal",
               thread="th-9")
        ev = a.expect("message", lambda e: e.get("body") == "a normal one", timeout=10)
        self.assertEqual(ev.get("type"), "normal", ev)
        self.assertEqual(ev.get("thread"), "th-9", ev)
        p.send(cmd="msg", to="alice@localhost/alires", body="news", type="headline")
        ev = a.expect("message", lambda e: e.get("body") == "news", timeout=10)
        self.assertEqual(ev.get("type"), "headline", ev)
        a.quit()

    def test_chat_states_both_ways(self):
        a, p = self.alice, self.peer
        a.send("/state carol@localhost/slix composing")
        ev = p.expect("chat_state", timeout=10)
        self.assertEqual(ev["state"], "composing", ev)
        self.assertEqual(ev["from"], "alice@localhost/alires", ev)
        p.send(cmd="state", to="alice@localhost/alires", state="paused")
        ev = a.expect("chat_state", timeout=10)
        self.assertEqual(ev.get("state"), "paused", ev)
        self.assertEqual(ev.get("from"), "carol@localhost/slix", ev)
        # The peer uses chat states (and announces them): natter's messages
        # now carry <active/>.
        a.send("/msg carol@localhost/slix with a state")
        ev = p.expect("message", lambda e: e["body"] == "with a state", timeout=10)
        self.assertEqual(ev.get("state"), "active", ev)
        p.send(cmd="msg", to="alice@localhost/alires", body="typed", state="active")
        a.expect("message", lambda e: e.get("body") == "typed", timeout=10)
        a.expect("chat_state", lambda e: e.get("state") == "active", timeout=10)
        a.quit()

    def test_receipts_both_ways(self):
        # Accounts of its own: receipts need a subscription (XEP-0184 §8),
        # which must not stay behind in the shared accounts' rosters.
        ann = "annrc@localhost"
        slix = "slixrc@localhost"
        self.fx.register("annrc", "localhost", "annrcpw")
        self.fx.register("slixrc", "localhost", "slixrcpw")
        p = SlixPeer(self.fx, slix + "/slix", "slixrcpw")
        self.addCleanup(p.close)
        p.expect("ready", timeout=20)
        a = self.connected(ann, resource="alires")
        # natter asks (bare JID: always), slixmpp answers.
        a.send("/msg %s receipt please" % slix)
        sent = a.expect("message", lambda e: e.get("outgoing"), timeout=10)
        ev = p.expect("message", lambda e: e["body"] == "receipt please", timeout=10)
        self.assertTrue(ev["receipt_request"], ev)
        ev = a.expect("receipt", lambda e: e.get("id") == sent.get("id"), timeout=10)
        self.assertEqual(ev.get("from"), slix + "/slix", ev)
        # slixmpp asks while it may not see natter's presence: no receipt
        # (it would tell a stranger natter is online).
        p.send(cmd="msg", to=ann + "/alires", body="confirm this", receipt=True, id="slix-r0")
        a.expect("message", lambda e: e.get("body") == "confirm this", timeout=10)
        # Once subscribed to natter, it gets one.
        p.send(cmd="subscribe", to=ann)
        a.expect("subscription", lambda e: e.get("type") == "subscribe", timeout=10)
        a.send("/sub allow %s" % slix)
        a.expect("roster_push", lambda e: plain(e)["item"]["jid"] == slix and
                 plain(e)["item"]["subscription"] in ("from", "both"), timeout=10)
        p.send(cmd="msg", to=ann + "/alires", body="confirm that", receipt=True, id="slix-r1")
        a.expect("message", lambda e: e.get("body") == "confirm that", timeout=10)
        ev = p.expect("receipt", timeout=10)
        self.assertEqual(ev["id"], "slix-r1", ev)
        self.assertEqual(ev["from"], ann + "/alires", ev)
        a.quit()

    def test_xhtml_both_ways(self):
        a, p = self.alice, self.peer
        a.send("/xhtml carol@localhost/slix <p>bold <strong>move</strong></p>")
        ev = p.expect("message", timeout=15)
        self.assertEqual(ev["body"], "bold move", ev)
        self.assertIsNotNone(ev.get("html"), ev)
        self.assertIn("<strong>move</strong>", ev["html"], ev)
        p.send(cmd="msg", to="alice@localhost/alires", body="plain version",
               html="<p style='font-weight: bold; position: absolute' onclick='x()'>rich "
                    "<em>version</em><script>evil()</script></p>")
        ev = a.expect("message", lambda e: e.get("body") == "plain version", timeout=10)
        self.assertEqual(ev.get("xhtml"),
                         '<p style="font-weight: bold">rich <em>version</em></p>', ev)
        a.quit()

    def test_version_disco_ping(self):
        a, p = self.alice, self.peer
        a.send("/version carol@localhost/slix")
        ev = a.expect("version", timeout=10)
        self.assertEqual(ev.get("name"), "slixpeer", ev)
        self.assertEqual(ev.get("version"), "1.0", ev)
        a.send("/disco info carol@localhost/slix")
        ev = a.expect("disco_info", timeout=10)
        for f in ("http://jabber.org/protocol/chatstates", "urn:xmpp:receipts", XHTML_IM,
                  "jabber:iq:version", "urn:xmpp:ping"):
            self.assertIn(f, ev.get("features", []), ev)
        a.send("/ping carol@localhost/slix")
        ev = a.expect("pong", timeout=10)
        self.assertEqual(ev.get("from"), "carol@localhost/slix", ev)
        # The other way: slixmpp asks natter.
        p.send(cmd="version", to="alice@localhost/alires")
        ev = p.expect("version", timeout=10)
        self.assertEqual(ev["name"].lower(), "natter", ev)
        p.send(cmd="disco", to="alice@localhost/alires")
        ev = p.expect("disco", timeout=10)
        for f in ("http://jabber.org/protocol/chatstates", "urn:xmpp:receipts", XHTML_IM,
                  "http://jabber.org/protocol/disco#info"):
            self.assertIn(f, ev["features"], ev)
        p.send(cmd="ping", to="alice@localhost/alires")
        p.expect("pong", timeout=10)
        a.quit()
