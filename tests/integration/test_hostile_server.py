"""A server that misbehaves: natter against tests/lib/scripted.py.

The scripted server logs natter in for real (TLS verified with the test CA,
SASL, bind), then sends exactly the bytes a test chooses."""

import base64

from natter import NatterTestCase, with_keys
from scripted import ScriptedServer, child, local

NS_ROSTER = "jabber:iq:roster"


class ScriptedTestCase(NatterTestCase):
    """Scripted servers made with self.scripted() stop after the test."""

    def setUp(self):
        super().setUp()
        self._servers = []

    def tearDown(self):
        for s in self._servers:
            s.stop()
        super().tearDown()

    def scripted(self, **kw):
        srv = ScriptedServer(cert=self.fx.cert_file, key=self.fx.key_file, **kw)
        self._servers.append(srv)
        return srv

    def scripted_account(self, srv, **keys):
        acct = {"jid": "alice@localhost", "password": "alicepw", "server": "127.0.0.1",
                "port": srv.port, "tls": "direct" if srv.tls == "direct" else "require",
                "tls_cafile": self.fx.ca_file}
        return with_keys(acct, keys)

    def online(self, srv, natterrc=None, **keys):
        """natter logged in to srv: (natter, connection)."""
        n = self.natter(self.scripted_account(srv, **keys), natterrc=natterrc)
        conn = srv.wait_connection(timeout=15)
        n.expect("connected", timeout=15)
        return n, conn


class TestScriptedHarness(ScriptedTestCase):
    """The scripted server itself, through natter."""

    def test_login_over_starttls_and_a_message_each_way(self):
        srv = self.scripted(strict=True)
        n, conn = self.online(srv)
        n.expect("roster", timeout=10)
        ev = n.find("connected")
        # natter binds this installation's own resource, natter.XXXXXX.
        self.assertRegex(ev.get("jid", ""), r"^alice@localhost/natter\.[0-9a-f]{6}$", ev)
        self.assertIs(ev.get("secure"), True, ev)
        self.assertEqual(ev.get("mechanism"), "PLAIN", ev)
        # natter's login requests were answered by the harness.
        asked = [local(el[0].tag) + " " + el[0].tag.split("}")[0][1:]
                 for el, _ in conn.answered if len(el)]
        self.assertTrue(any(NS_ROSTER in a for a in asked), asked)

        conn.send("<message from='bob@localhost/phone' to='%s' type='chat' id='m1'>"
                  "<body>hello from the script</body></message>" % conn.jid)
        msg = n.expect("message", lambda e: e.get("body") == "hello from the script",
                       timeout=10)
        self.assertEqual(msg.get("from", "").split("/")[0], "bob@localhost", msg)

        n.send("/msg bob@localhost hello from natter")
        out = conn.expect(lambda e: local(e.tag) == "message" and child(e, "body") is not None
                          and child(e, "body").text == "hello from natter")
        self.assertEqual(out.get("to").split("/")[0], "bob@localhost", out.attrib)
        # Receipts, chat states or anything else natter sent alongside:
        # strict mode lists them, and this test accepts only presence and
        # chat states (never another stanza).
        stray = [s for s in conn.unexpected_now()
                 if "http://jabber.org/protocol/chatstates" not in s
                 and "urn:xmpp:receipts" not in s]
        self.assertEqual(stray, [], "natter sent stanzas nobody asked for")
        n.quit()

    def test_direct_tls_sasl_hook_and_reconnect_after_reset(self):
        seen = []

        def sasl(conn, auth):
            seen.append(auth.get("mechanism"))
            _, user, password = base64.b64decode(auth.text).split(b"\0")
            conn.user = user.decode()
            return password == b"alicepw"

        srv = self.scripted(tls="direct", sasl=sasl)
        n, conn = self.online(srv)
        self.assertEqual(seen, ["PLAIN"])
        conn.reset()
        n.expect("disconnected", timeout=10)
        conn2 = srv.wait_connection(timeout=15)
        n.expect("connected", timeout=15)
        self.assertEqual(seen, ["PLAIN", "PLAIN"])
        self.assertEqual(conn2.number, 2)
        n.quit()


class TestDroppedWithAnswerPending(ScriptedTestCase):
    """Issue 15, item 2: the answer to an unknown iq outlives the connection."""

    def test_quit_after_an_unknown_iq_and_a_dropped_connection(self):
        srv = self.scripted()
        n, conn = self.online(srv)
        # natter answers service-unavailable (RFC 6120 §8.2.3), but the
        # stream ends in the same TLS record, so libstrophe is disconnected
        # before the answer can leave: it waits in the outbox, and the context
        # it was built in must outlive the network thread.  (A reset sent at
        # once could overtake the data: the kernel drops what is unread.)
        conn.send("<iq type='get' id='u1' from='stranger@example.org/x' to='%s'>"
                  "<query xmlns='urn:example:unknown'/></iq></stream:stream>" % conn.jid)
        n.expect("disconnected", timeout=10)
        conn.reset()
        n.quit()


class HostileTestCase(ScriptedTestCase):
    """natter logged in to a scripted server that then sends something bad."""

    def bob_says(self, conn, text):
        conn.send("<message from='bob@localhost/x' to='%s' type='chat'><body>%s</body>"
                  "</message>" % (conn.jid, text))

    def assert_cut_and_back(self, n, srv, condition, words, timeout=30):
        """natter reported why it cut the connection (an error event with
        condition, and the disconnection's reason, both holding words), then
        logged in again and works; the new connection."""
        err = n.expect("error", lambda e: e.get("condition") == condition, timeout=timeout,
                       what="the reason natter cut the connection")
        self.assertIn(words, err.get("text", ""), err)
        gone = n.expect("disconnected", timeout=10)
        self.assertIn(words, gone.get("reason", ""), gone)
        return self.back_online(n, srv)

    def back_online(self, n, srv):
        """natter logs in again and works; the new connection."""
        again = srv.wait_connection(timeout=20)
        n.expect("connected", timeout=20)
        self.bob_says(again, "still here")
        n.expect("message", lambda e: e.get("body") == "still here", timeout=10)
        self.assertTrue(n.running(), n.report())
        return again


class TestParserState(HostileTestCase):

    def test_stream_lost_in_a_text_node_does_not_spoil_the_next_login(self):
        """libstrophe 0.12.2's parser reset frees an unfinished text but keeps
        its length: reusing that parser, the next stream's first text node
        (here a one-byte one, in the first features) is strncat()ed into
        NULL.  natter gives every attempt a fresh connection object."""
        def features(stage):
            if stage == "starttls":
                return ("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/>"
                        "</starttls><x>a</x>")
            return None

        srv = self.scripted(features=features)
        n, conn = self.online(srv)
        # The connection ends inside <body>, with "abc" unfinished in the
        # parser (the "<" makes expat hand the text over; a FIN comes after
        # the data, unlike a reset).
        conn.send("<message from='bob@localhost/x' to='%s' type='chat'><body>abc<" % conn.jid)
        conn.drop()
        n.expect("disconnected", timeout=10)
        conn2 = self.back_online(n, srv)
        self.assertEqual(conn2.number, 2)
        n.quit()


class TestXmlErrors(HostileTestCase):
    """After an XML error libstrophe 0.12.2 stays "connected" to a stream it
    can no longer parse, until the keepalive gives up (60 + 20 s by
    default).  natter closes it at once, says why, and logs in again."""

    def cut_at_once(self, payload, detail):
        srv = self.scripted()
        n, conn = self.online(srv)
        conn.send(payload.encode("latin-1") if isinstance(payload, str) else payload)
        conn2 = self.assert_cut_and_back(n, srv, "invalid-xml", "malformed XML", timeout=5)
        self.assertIn(detail, n.find("error", lambda e: e.get("condition") == "invalid-xml")
                      .get("text", ""))
        self.assertEqual(conn2.number, 2)
        n.quit()

    def message(self, body):
        return ("<message from='bob@localhost/x' to='alice@localhost/natter' type='chat'>"
                "<body>%s</body></message>" % body)

    def test_escape_byte(self):
        self.cut_at_once(self.message("\x1b[31mred"), "invalid token")

    def test_osc_sequence(self):
        self.cut_at_once(self.message("\x1b]0;owned\x07"), "invalid token")

    def test_nul_byte(self):
        self.cut_at_once(self.message("a\x00b"), "invalid token")

    def test_malformed_xml(self):
        self.cut_at_once("<message from='bob@localhost/x'><body>x</bdy></message>",
                         "mismatched tag")


class TestDoctype(HostileTestCase):
    """Issue 15 item 13: RFC 6120 §11.1 forbids a DOCTYPE in an XMPP stream;
    libstrophe 0.12.2 accepts one and expands its entities."""

    def test_doctype_in_the_stream_header_is_refused_and_not_retried(self):
        def header(conn, stage):
            doctype = ("<!DOCTYPE stream:stream [<!ENTITY who 'mallory'>]>"
                       if stage == "bind" else "")
            return ("<?xml version='1.0'?>%s<stream:stream xmlns='jabber:client' "
                    "xmlns:stream='http://etherx.jabber.org/streams' id='s-%s' "
                    "from='localhost' version='1.0'>" % (doctype, stage))

        srv = self.scripted(header=header)
        n = self.natter(self.scripted_account(srv))
        err = n.expect("error", lambda e: e.get("condition") == "restricted-xml", timeout=15,
                       what="the DOCTYPE refused")
        self.assertIn("DOCTYPE", err.get("text", ""), err)
        gone = n.expect("disconnected", timeout=10)
        self.assertIn("DOCTYPE", gone.get("reason", ""), gone)
        # The same server sends the same header every time: natter does not
        # try again by itself (the user can, with /connect).
        n.expect_none("reconnecting", within=3, since=0)
        n.expect_none("connected", within=0, since=0)
        self.assertEqual(len(srv.connections), 1)
        n.quit()


class TestOversizedStanzas(HostileTestCase):
    """Issue 15 item 6, issue 8: what libstrophe 0.12.2 cannot refuse itself."""

    def test_deep_stanza_is_refused_before_the_core_sees_it(self):
        srv = self.scripted()
        n, conn = self.online(srv)
        conn.send("<message from='bob@localhost/x' to='%s' type='chat'><body>deep</body>%s%s"
                  "</message>" % (conn.jid, "<a>" * 1000, "</a>" * 1000))
        self.assert_cut_and_back(n, srv, "policy-violation", "nested deeper than 128")
        self.assertIsNone(n.find("message", lambda e: e.get("body") == "deep"), n.report())
        n.quit()

    def test_very_deep_stanza_does_not_overflow_the_stack(self):
        """140,000 levels fit in the memory limit (no namespace: about 190
        bytes a level) and libstrophe renders them recursively before natter
        sees the stanza: that needs some 13 MiB of stack."""
        srv = self.scripted()
        n, conn = self.online(srv)
        depth = 140000
        conn.send_in_background("<message xmlns='' from='bob@localhost/x'>%s%s</message>"
                                % ("<a>" * depth, "</a>" * depth))
        self.assert_cut_and_back(n, srv, "policy-violation", "nested deeper than 128")
        n.quit()

    def test_huge_stanza_is_cut_at_the_memory_limit(self):
        srv = self.scripted()
        n, conn = self.online(srv)
        # 64 MiB in 4,096 children of 16 KiB: one long text would be joined
        # with a realloc per chunk, slow enough under ASan to meet the time
        # limit first.
        chunk = "<b>%s</b>" % ("A" * 16384)
        conn.send_in_background("<message from='bob@localhost/x' to='%s' type='chat'><body>x"
                                "</body>%s</message>" % (conn.jid, chunk * 4096))
        self.assert_cut_and_back(n, srv, "policy-violation", "more than 40 MiB of memory")
        self.assertIsNone(n.find("message", lambda e: e.get("body") == "x"),
                          "the huge message got through")
        n.quit()

    def test_wide_stanza_is_cut_before_it_gets_slow(self):
        """300,000 empty siblings: libstrophe's append is quadratic, the whole
        stanza would take minutes; natter gives up after 10 s of CPU."""
        srv = self.scripted()
        n, conn = self.online(srv)
        conn.send_in_background("<message from='bob@localhost/x' to='%s' type='chat'>%s"
                                "</message>" % (conn.jid, "<a/>" * 300000))
        # 10 s of the thread's CPU time: on a loaded machine it can take
        # much longer on the wall clock.
        self.assert_cut_and_back(n, srv, "policy-violation", "more than 10 s to parse",
                                 timeout=120)
        n.quit()

    def test_large_roster_still_passes(self):
        """The limits leave room for what servers really send: a roster of
        10,000 contacts (1 MiB) arrives whole."""
        items = "".join("<item jid='contact%05d@example.org' name='Contact %d' "
                        "subscription='both'><group>Group %d</group></item>" % (i, i, i % 20)
                        for i in range(10000))
        srv = self.scripted(roster=items)
        n, conn = self.online(srv)
        roster = n.expect("roster", timeout=30)
        self.assertEqual(len(roster.get("items", [])), 10000)
        self.bob_says(conn, "after the roster")
        n.expect("message", lambda e: e.get("body") == "after the roster", timeout=15)
        self.assertIsNone(n.find("disconnected"), n.report())
        n.quit()


class TestDisconnectReasons(HostileTestCase):
    """libstrophe passes an OpenSSL error code where an errno is expected:
    the reasons read "Input/output error" or "Operation not permitted".
    natter says what failed."""

    def reason_after(self, act):
        srv = self.scripted()
        n, conn = self.online(srv)
        act(conn)
        gone = n.expect("disconnected", timeout=10)
        srv.wait_connection(timeout=20)
        n.expect("connected", timeout=20)
        n.quit()
        return gone.get("reason", "")

    def test_reset(self):
        reason = self.reason_after(lambda c: c.reset())
        self.assertEqual(reason, "the connection was lost: Connection reset by peer")

    def test_closed_without_ending_tls(self):
        reason = self.reason_after(lambda c: c.drop())
        # natter learns of the drop by reading (the missing close_notify)
        # or, when it was sending at that moment (its login's requests on
        # a busy machine), by the write the peer refused: both say what
        # happened, neither is OpenSSL's code read as an errno.
        self.assertIn(reason,
                      ("the server closed the connection without ending the TLS session",
                       "the connection was lost: Broken pipe",
                       "the connection was lost: Connection reset by peer"))

    def test_connection_refused(self):
        import fixture
        acct = {"jid": "alice@localhost", "password": "alicepw", "server": "127.0.0.1",
                "port": fixture.free_port(), "tls": "require", "tls_cafile": self.fx.ca_file}
        n = self.natter(acct)
        gone = n.expect("disconnected", timeout=10)
        self.assertEqual(gone.get("reason"), "could not connect: Connection refused")
        n.quit()

    def test_unreadable_ca_file(self):
        """libstrophe reports it as "TLS is not supported", which natter
        passed on as "the server does not offer TLS"."""
        srv = self.scripted()
        n = self.natter(self.scripted_account(srv, tls_cafile="/nonexistent/ca.crt"))
        err = n.expect("error", timeout=10)
        self.assertIn("tls_cafile", err.get("text", ""), err)
        n.expect_none("reconnecting", within=2, since=0)
        n.quit()

    def test_forged_tls_record(self):
        # An application-data record whose authentication cannot check out.
        reason = self.reason_after(
            lambda c: c.send_below_tls(b"\x17\x03\x03\x00\x20" + b"\x00" * 32))
        self.assertTrue(reason.startswith("TLS error: "), reason)
        self.assertNotIn("not permitted", reason)
