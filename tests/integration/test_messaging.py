"""Messaging between two natter clients: types, threads, receipts, chat
states (XEP-0085 and XEP-0022), XHTML-IM, sanitising, resource locking."""

from natter import NatterTestCase

XHTML_IM = "http://jabber.org/protocol/xhtml-im"
XHTML = "http://www.w3.org/1999/xhtml"


def bare(jid):
    return (jid or "").split("/")[0].lower()


class TestMessaging(NatterTestCase):

    def pair(self):
        alice = self.connected("alice@localhost", resource="alires")
        bob = self.connected("bob@localhost", resource="bobres")
        return alice, bob

    def test_chat_and_normal_both_ways(self):
        alice, bob = self.pair()
        alice.send("/msg bob@localhost/bobres chat to bob")
        ev = bob.expect("message", lambda e: e.get("body") == "chat to bob", timeout=10)
        self.assertEqual(ev.get("type"), "chat", ev)
        self.assertEqual(ev.get("from"), "alice@localhost/alires", ev)
        bob.send("/msg alice@localhost/alires chat to alice")
        ev = alice.expect("message", lambda e: e.get("body") == "chat to alice", timeout=10)
        self.assertEqual(ev.get("type"), "chat", ev)
        alice.send("/raw <message to='bob@localhost/bobres' type='normal' id='n1'>"
                   "<body>normal to bob</body></message>")
        ev = bob.expect("message", lambda e: e.get("body") == "normal to bob", timeout=10)
        self.assertEqual(ev.get("type"), "normal", ev)
        self.assertEqual(ev.get("id"), "n1", ev)
        # No type at all means normal (RFC 6121 §5.2.2).
        bob.send("/raw <message to='alice@localhost/alires'><body>untyped to alice</body>"
                 "</message>")
        ev = alice.expect("message", lambda e: e.get("body") == "untyped to alice", timeout=10)
        self.assertEqual(ev.get("type"), "normal", ev)
        alice.quit()
        bob.quit()

    def test_headline_and_groupchat_types(self):
        alice, bob = self.pair()
        bob.send("/raw <message to='alice@localhost/alires' type='headline'>"
                 "<body>breaking news</body></message>")
        ev = alice.expect("message", lambda e: e.get("body") == "breaking news", timeout=10)
        self.assertEqual(ev.get("type"), "headline", ev)
        # A groupchat message that comes from no room alice is in is
        # dropped (test_muc.py has the rooms'), and never gets a receipt.
        bob.send("/raw <message to='alice@localhost/alires' type='groupchat' id='g1'>"
                 "<body>room talk</body><request xmlns='urn:xmpp:receipts'/></message>")
        bob.send("/raw <message to='alice@localhost/alires' type='headline'>"
                 "<body>end of test</body></message>")
        alice.expect("message", lambda e: e.get("body") == "end of test", timeout=10)
        self.assertIsNone(alice.find("message", lambda e: e.get("body") == "room talk"))
        bob.expect_none("receipt", within=2)
        alice.quit()
        bob.quit()

    def test_error_message_reported(self):
        alice = self.connected("alice@localhost", resource="alires")
        alice.send("/msg nosuchuser@localhost anyone there?")
        sent = alice.expect("message", lambda e: e.get("outgoing"), timeout=10)
        ev = alice.expect("message", lambda e: e.get("type") == "error", timeout=10)
        self.assertEqual(bare(ev.get("from")), "nosuchuser@localhost", ev)
        self.assertTrue(ev.get("body"), ev)
        self.assertIn("service-unavailable", ev["body"], ev)
        if sent.get("id"):
            self.assertEqual(ev.get("id"), sent["id"], ev)
        alice.quit()

    def test_thread_kept(self):
        alice, bob = self.pair()
        bob.send("/raw <message to='alice@localhost/alires' type='chat' id='t1'>"
                 "<body>threaded question</body><thread>thread-42</thread></message>")
        ev = alice.expect("message", lambda e: e.get("body") == "threaded question", timeout=10)
        self.assertEqual(ev.get("thread"), "thread-42", ev)
        alice.send("/msg bob@localhost/bobres threaded answer")
        ev = bob.expect("message", lambda e: e.get("body") == "threaded answer", timeout=10)
        self.assertEqual(ev.get("thread"), "thread-42", ev)
        alice.quit()
        bob.quit()

    def test_receipts_requested_answered_reported(self):
        # Receipts go only to those who may see our presence (XEP-0184 §8):
        # accounts of its own, subscribed, so the shared rosters stay clean.
        for u in ("annrr", "benrr"):
            self.fx.register(u, "localhost", u + "pw")
        alice = self.connected("annrr@localhost", resource="alires")
        bob = self.connected("benrr@localhost", resource="bobres")
        alice.send("/sub request benrr@localhost")
        bob.expect("subscription", lambda e: e.get("type") == "subscribe", timeout=10)
        bob.send("/sub allow annrr@localhost")
        alice.expect("subscription", lambda e: e.get("type") == "subscribed", timeout=10)
        alice.send("/msg benrr@localhost please confirm")
        sent = alice.expect("message", lambda e: e.get("body") == "please confirm", timeout=10)
        self.assertTrue(sent.get("id"), sent)
        bob.expect("message", lambda e: e.get("body") == "please confirm", timeout=10)
        ev = alice.expect("receipt", lambda e: e.get("id") == sent["id"], timeout=10)
        self.assertEqual(ev.get("from"), "benrr@localhost/bobres", ev)
        # A receipt is never answered with a receipt.
        bob.expect_none("receipt", within=2)
        alice.quit()
        bob.quit()

    def test_chat_states_both_ways(self):
        alice, bob = self.pair()
        alice.send("/state bob@localhost/bobres composing")
        ev = bob.expect("chat_state", timeout=10)
        self.assertEqual(ev.get("from"), "alice@localhost/alires", ev)
        self.assertEqual(ev.get("state"), "composing", ev)
        bob.send("/state alice@localhost/alires paused")
        ev = alice.expect("chat_state", timeout=10)
        self.assertEqual(ev.get("from"), "bob@localhost/bobres", ev)
        self.assertEqual(ev.get("state"), "paused", ev)
        bob.send("/state alice@localhost/alires gone")
        alice.expect("chat_state", lambda e: e.get("state") == "gone", timeout=10)
        # A chat state alone is not a message.
        alice.expect_none("message", lambda e: not e.get("outgoing"), within=1, since=0)
        bob.expect_none("message", lambda e: not e.get("outgoing"), within=0.5, since=0)
        # Bob has sent chat states: alice's messages to him now carry <active/>.
        alice.send("/msg bob@localhost/bobres now with active")
        bob.expect("message", lambda e: e.get("body") == "now with active", timeout=10)
        bob.expect("chat_state", lambda e: e.get("state") == "active", timeout=10)
        alice.send("/state bob@localhost/bobres typing")
        ev = alice.expect("error", timeout=10)
        self.assertEqual(ev.get("condition"), "bad-request", ev)
        alice.quit()
        bob.quit()

    def test_xep0022_composing_events(self):
        alice, bob = self.pair()
        bob.send("/raw <message to='alice@localhost/alires' id='e1'>"
                 "<x xmlns='jabber:x:event'><composing/><id>m22</id></x></message>")
        ev = alice.expect("chat_state", timeout=10)
        self.assertEqual(ev.get("from"), "bob@localhost/bobres", ev)
        self.assertEqual(ev.get("state"), "composing", ev)
        bob.send("/raw <message to='alice@localhost/alires' id='e2'>"
                 "<x xmlns='jabber:x:event'><id>m22</id></x></message>")
        ev = alice.expect("chat_state", timeout=10)
        self.assertEqual(ev.get("state"), "paused", ev)
        # With a body, jabber:x:event is a request for events, not an event.
        bob.send("/raw <message to='alice@localhost/alires' type='chat' id='e3'>"
                 "<body>hi</body><x xmlns='jabber:x:event'><composing/></x></message>")
        alice.expect("message", lambda e: e.get("body") == "hi", timeout=10)
        alice.expect_none("chat_state", within=1)
        alice.quit()
        bob.quit()

    def test_xhtml_natter_to_natter(self):
        alice, bob = self.pair()
        alice.send("/xhtml bob@localhost/bobres <p>hello <strong>bob</strong></p>")
        ev = bob.expect("message", lambda e: e.get("body") == "hello bob", timeout=15)
        self.assertEqual(ev.get("xhtml"), "<p>hello <strong>bob</strong></p>", ev)
        echo = alice.expect("message", lambda e: e.get("body") == "hello bob", timeout=5)
        self.assertEqual(echo.get("xhtml"), "<p>hello <strong>bob</strong></p>", echo)
        bob.send("/xhtml alice@localhost/alires <em>back</em> at <a href='https://x.example/'>"
                 "you</a>")
        ev = alice.expect("message", lambda e: not e.get("outgoing")
                          and e.get("from") == "bob@localhost/bobres", timeout=15)
        self.assertEqual(ev.get("body"), "back at you (https://x.example/)", ev)
        self.assertEqual(ev.get("xhtml"), "<em>back</em> at <a>you</a> (https://x.example/)",
                         ev)
        alice.quit()
        bob.quit()

    def test_xhtml_malformed_and_fallback(self):
        alice, bob = self.pair()
        alice.send("/xhtml bob@localhost/bobres <p>unclosed")
        ev = alice.expect("error", timeout=10)
        self.assertEqual(ev.get("condition"), "bad-request", ev)
        self.assertIn("well-formed", ev.get("text", ""), ev)
        # Nobody at that resource can answer disco#info: plain body only, and
        # alice is told.  The server hands the chat to bob's other resource.
        alice.send("/xhtml bob@localhost/nobody <p>plain <b>only</b></p>")
        ev = alice.expect("info", lambda e: e.get("command") == "xhtml", timeout=15)
        self.assertIn("plain", ev.get("text", ""), ev)
        ev = bob.expect("message", lambda e: e.get("body") == "plain only", timeout=10)
        self.assertNotIn("xhtml", ev)
        alice.quit()
        bob.quit()

    def test_hostile_xhtml_sanitised(self):
        alice, bob = self.pair()
        bob.send("/raw <message to='alice@localhost/alires' type='chat' id='h1'>"
                 "<body>fallback</body>"
                 "<html xmlns='%s'><body xmlns='%s'>"
                 "<p onclick='steal()' style='color: red; background: url(http://evil/)'>"
                 "hi<script>alert(1)</script><a href='javascript:alert(2)'>click</a>"
                 "<img src='http://evil/x.png' onerror='steal()' alt='pic'/></p>"
                 "<style>p { display: none }</style></body></html></message>"
                 % (XHTML_IM, XHTML))
        ev = alice.expect("message", lambda e: e.get("id") == "h1", timeout=10)
        self.assertEqual(ev.get("body"), "fallback", ev)
        x = ev.get("xhtml", "")
        self.assertEqual(x, '<p style="color: red">hi<a>click</a>pic</p>', ev)
        for bad in ("script", "onclick", "onerror", "javascript", "alert", "url(", "display"):
            self.assertNotIn(bad, x, ev)
        # XHTML without a body: its text stands in.
        bob.send("/raw <message to='alice@localhost/alires' type='chat' id='h2'>"
                 "<html xmlns='%s'><body xmlns='%s'><p>only <em>markup</em></p></body></html>"
                 "</message>" % (XHTML_IM, XHTML))
        ev = alice.expect("message", lambda e: e.get("id") == "h2", timeout=10)
        self.assertEqual(ev.get("body"), "only markup", ev)
        alice.quit()
        bob.quit()

    def test_escape_sequences_sanitised(self):
        alice, bob = self.pair()
        # ESC cannot travel in XML, but C1 controls and bidi overrides can.
        alice.send("/msg bob@localhost/bobres A\u009b31mB\u009d0;pwned\u009cC\u202eD\u0085E")
        ev = bob.expect("message", lambda e: e.get("from") == "alice@localhost/alires",
                        timeout=10)
        self.assertEqual(ev.get("body"), "ABCDE", ev)
        bob.send("/raw <message to='alice@localhost/alires' type='chat' id='x1'>"
                 "<body>ok</body><thread>t\u009b2J\u202e</thread></message>")
        ev = alice.expect("message", lambda e: e.get("id") == "x1", timeout=10)
        self.assertEqual(ev.get("thread"), "t", ev)
        alice.quit()
        bob.quit()

    def test_resource_locking(self):
        alice = self.connected("alice@localhost", resource="alires")
        bob1 = self.connected("bob@localhost", resource="one", label="bob/one")
        bob2 = self.connected("bob@localhost", resource="two", label="bob/two")
        # Both resources must be available before a bare-JID chat reaches them.
        bob1.expect("presence", lambda e: e.get("from") == "bob@localhost/two", timeout=10)
        bob2.expect("presence", lambda e: e.get("from") == "bob@localhost/one", timeout=10)
        alice.send("/msg bob@localhost hello whoever")
        bob2.expect("message", lambda e: e.get("body") == "hello whoever", timeout=10)
        bob2.send("/msg alice@localhost/alires it is two")
        alice.expect("message", lambda e: e.get("body") == "it is two", timeout=10)
        m1, m2 = bob1.mark(), bob2.mark()
        alice.send("/msg bob@localhost for two only")
        bob2.expect("message", lambda e: e.get("body") == "for two only" and
                    not e.get("carbon"), timeout=10, since=m2)
        # bob/one sees it only as a XEP-0280 carbon copy, never addressed to it.
        bob1.expect_none("message", lambda e: e.get("body") == "for two only" and
                         not e.get("carbon"), within=2, since=m1)
        alice.quit()
        bob1.quit()
        bob2.quit()
