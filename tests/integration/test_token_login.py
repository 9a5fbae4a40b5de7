"""Token logins (seeds 000 and 002): auth = x-yandex-oauth and x-oauth2.

No packaged server speaks X-YANDEX-OAUTH, so these run against the scripted
server (tests/lib/scripted.py), which replays the seed's exchange stanza for
stanza over real TCP and TLS and, in strict mode, lists every stanza natter
sent that the test did not ask for.  X-OAUTH2 against a real server (ejabberd
and a token it issued) is in test_ejabberd_token.py."""

import base64
import os
import time

from scripted import NS_SASL, child, local
from test_hostile_server import ScriptedTestCase

TOKEN = "0c4181a7c2cf4521964a72ff57a34a07"
NS_VERSION = "jabber:iq:version"
NS_PING = "urn:xmpp:ping"
NS_SM = "urn:xmpp:sm:3"


def token_sasl(mechanism, expected, seen):
    """A SASL hook that accepts exactly `expected` (the decoded payload) with
    `mechanism`, and records what came."""
    def sasl(conn, auth):
        raw = base64.b64decode((auth.text or "").strip(), validate=True)
        seen.append((auth.get("mechanism"), raw))
        return auth.get("mechanism") == mechanism and raw == expected
    return sasl


class TokenTestCase(ScriptedTestCase):

    def token_account(self, srv, auth="x-yandex-oauth", **keys):
        return self.scripted_account(srv, **{"jid": "test@localhost", "password": None,
                                             "token": TOKEN, "auth": auth,
                                             "resource": "YaDisk-client", **keys})

    def yandex_server(self, seen, **kw):
        kw.setdefault("mechanisms", ("X-YANDEX-OAUTH",))
        return self.scripted(users={"test": ""}, strict=True,
                             sasl=token_sasl("X-YANDEX-OAUTH",
                                             b"test\0" + TOKEN.encode(), seen), **kw)


class TestYandexOAuth(TokenTestCase):
    """Seed 000, step by step."""

    def check_seed_session(self, srv, n, conn, seen):
        ev = n.expect("connected", timeout=15)
        self.assertEqual(seen, [("X-YANDEX-OAUTH", b"test\0" + TOKEN.encode())])
        self.assertEqual(ev.get("mechanism"), "X-YANDEX-OAUTH", ev)
        self.assertIs(ev.get("secure"), True, ev)
        # Bound with the configured resource, and the bound JID is the one
        # the server gave (raw mode: libstrophe knows none).
        self.assertEqual(conn.jid, "test@localhost/YaDisk-client")
        self.assertEqual(ev.get("jid"), "test@localhost/YaDisk-client", ev)
        # The server's version query and ping, answered as the seed shows.
        conn.send("<iq from='localhost' type='get' to='%s' id='ask_version'>"
                  "<query xmlns='%s'/></iq>" % (conn.jid, NS_VERSION))
        ans = conn.expect(lambda e: e.get("id") == "ask_version", timeout=10)
        self.assertEqual(ans.get("type"), "result")
        self.assertEqual(ans.get("to"), "localhost")
        self.assertIsNotNone(child(child(ans, "query", NS_VERSION), "name"))
        conn.send("<iq from='localhost' type='get' to='%s' id='ping_1'>"
                  "<ping xmlns='%s'/></iq>" % (conn.jid, NS_PING))
        pong = conn.expect(lambda e: e.get("id") == "ping_1", timeout=10)
        self.assertEqual(pong.get("type"), "result")
        # Closed with </stream:stream> on /quit.
        n.quit()
        self.assertTrue(conn.wait_closed(10))
        self.assertTrue(conn.stream_ended, "natter did not close its stream")
        # Nothing else: no stanza natter sent went unexplained (the login's
        # roster, carbons and archive requests and its presence are the
        # harness's to answer).
        self.assertEqual(conn.unexpected_now(), [])

    def test_starttls_on_5222_auth_bind_session_version_ping_close(self):
        seen = []
        srv = self.yandex_server(seen)
        n = self.natter(self.token_account(srv))
        conn = srv.wait_connection(timeout=15)
        self.check_seed_session(srv, n, conn, seen)

    def test_direct_tls_as_on_port_443(self):
        seen = []
        srv = self.yandex_server(seen, tls="direct")
        n = self.natter(self.token_account(srv))
        conn = srv.wait_connection(timeout=15)
        self.check_seed_session(srv, n, conn, seen)

    def test_seed_features_before_tls(self):
        """Seed 000's first features: STARTTLS not marked required, zlib, an
        empty mechanism list.  natter upgrades to TLS all the same."""
        def features(stage):
            if stage == "starttls":
                return ("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"
                        "<compression xmlns='http://jabber.org/features/compress'>"
                        "<method>zlib</method></compression>"
                        "<mechanisms xmlns='%s'/>" % NS_SASL)
            return None
        seen = []
        srv = self.yandex_server(seen, features=features)
        n = self.natter(self.token_account(srv))
        srv.wait_connection(timeout=15)
        ev = n.expect("connected", timeout=15)
        self.assertEqual(ev.get("mechanism"), "X-YANDEX-OAUTH", ev)
        n.quit()


class TestXOAuth2(TokenTestCase):

    def test_payload_is_nul_login_nul_token(self):
        seen = []
        srv = self.scripted(users={"test": ""}, strict=True,
                            mechanisms=("X-OAUTH2", "X-GOOGLE-TOKEN", "PLAIN"),
                            sasl=token_sasl("X-OAUTH2", b"\0test\0" + TOKEN.encode(), seen))
        n = self.natter(self.token_account(srv, auth="x-oauth2"))
        conn = srv.wait_connection(timeout=15)
        ev = n.expect("connected", timeout=15)
        self.assertEqual(ev.get("mechanism"), "X-OAUTH2", ev)
        self.assertEqual([m for m, _ in seen], ["X-OAUTH2"])
        n.quit()
        self.assertTrue(conn.wait_closed(10))
        self.assertEqual(conn.unexpected_now(), [])

    def test_mechanism_not_offered_is_refused_without_sending_the_token(self):
        seen = []
        srv = self.scripted(users={"test": ""}, mechanisms=("PLAIN", "SCRAM-SHA-1"),
                            sasl=token_sasl("X-OAUTH2", b"", seen))
        n = self.natter(self.token_account(srv, auth="x-oauth2"))
        err = n.expect("error", lambda e: e.get("condition") == "invalid-mechanism",
                       timeout=15)
        self.assertIn("X-OAUTH2", err.get("text", ""))
        n.expect_none("reconnecting", within=2, since=0)
        self.assertEqual(seen, [])
        n.quit()


class TestTokenSafety(TokenTestCase):

    def test_refused_token_is_reported_and_not_retried(self):
        seen = []
        srv = self.scripted(users={"test": ""}, mechanisms=("X-YANDEX-OAUTH",),
                            sasl=token_sasl("X-YANDEX-OAUTH", b"test\0another", seen))
        n = self.natter(self.token_account(srv))
        err = n.expect("error", lambda e: e.get("condition") == "not-authorized", timeout=15)
        self.assertIn("token", err.get("text", ""))
        n.expect("disconnected", timeout=10)
        n.expect_none("reconnecting", within=4, since=0,
                      what="a refused token must not be retried")
        self.assertEqual(len(seen), 1, "the token was sent %d times" % len(seen))
        self.assertEqual(len(srv.connections), 1)
        self.assertTrue(n.running())
        n.quit()

    def test_token_is_never_sent_without_tls(self):
        """A server that offers no STARTTLS gets no <auth/>: the attempt ends
        with encryption-required and is not retried."""
        srv = self.scripted(users={"test": ""}, strict=True,
                            features=lambda stage: ("<mechanisms xmlns='%s'><mechanism>"
                                                    "X-YANDEX-OAUTH</mechanism></mechanisms>"
                                                    % NS_SASL) if stage == "starttls"
                            else None)
        n = self.natter(self.token_account(srv))
        conn = srv.wait_accept(timeout=15)
        n.expect("error", lambda e: e.get("condition") == "encryption-required", timeout=15)
        n.expect_none("reconnecting", within=2, since=0)
        n.quit()
        sent = [local(e.tag) for e in (conn._items + conn.unexpected)]
        self.assertNotIn("auth", sent)
        self.assertEqual(sent, [], "natter sent %s on a plaintext stream" % sent)

    def test_tls_disable_with_a_token_is_refused_at_start(self):
        n = self.natter({"jid": "test@localhost", "auth": "x-oauth2", "token": TOKEN,
                         "server": "127.0.0.1", "port": 1, "tls": "disable"}, start=False)
        res = n.run_once(["--headless", "-a", "test"], stdin_text="/quit\n")
        self.assertNotEqual(res.returncode, 0)
        self.assertIn("plaintext", res.stderr)
        self.assertNotIn(TOKEN, res.stderr + res.stdout)

    def test_token_is_not_logged_with_debug(self):
        seen = []
        srv = self.yandex_server(seen)
        n = self.natter(self.token_account(srv), extra_args=["--debug"])
        conn = srv.wait_connection(timeout=15)
        n.expect("connected", timeout=15)
        conn.send("<message from='bob@localhost/x' to='%s' type='chat'><body>hello</body>"
                  "</message>" % conn.jid)
        n.expect("message", timeout=10)
        n.quit()
        log = "\n".join(n.stderr_lines)
        self.assertIn("RECV", log, "--debug logs what came in (the premise of this test)")
        b64 = base64.b64encode(b"test\0" + TOKEN.encode()).decode()
        for secret in (TOKEN, b64, b64[:16]):
            self.assertNotIn(secret, log)

    def test_eval_token_runs_the_command(self):
        seen = []
        srv = self.yandex_server(seen)
        n = self.natter(self.token_account(srv, token=None,
                                           eval_token="printf '%s\\n'" % TOKEN))
        srv.wait_connection(timeout=15)
        n.expect("connected", timeout=15)
        self.assertEqual(seen, [("X-YANDEX-OAUTH", b"test\0" + TOKEN.encode())])
        n.quit()

    def test_eval_token_failure_is_reported(self):
        srv = self.scripted(users={"test": ""})
        n = self.natter(self.token_account(srv, token=None, eval_token="exit 3"))
        err = n.expect("error", lambda e: e.get("condition") == "not-authorized", timeout=15)
        self.assertIn("eval_token for account test", err.get("text", ""))
        self.assertEqual(srv.connections, [])
        n.quit()

    def test_account_without_token_is_refused(self):
        srv = self.scripted(users={"test": ""})
        n = self.natter(self.token_account(srv, token=None))
        err = n.expect("error", lambda e: e.get("condition") == "not-authorized", timeout=15)
        self.assertIn("token", err.get("text", ""))
        n.quit()


class TestTokenSession(TokenTestCase):
    """After the token login the session is like any other."""

    def test_roster_presence_messages_and_history(self):
        seen = []
        srv = self.yandex_server(seen, roster="<item jid='bob@localhost' subscription='both'/>")
        n = self.natter(self.token_account(srv))
        conn = srv.wait_connection(timeout=15)
        roster = n.expect("roster", timeout=10)
        self.assertEqual([i["jid"] for i in map(dict, roster["items"])], ["bob@localhost"])
        deadline = time.monotonic() + 10
        while not conn.presence and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertTrue(conn.presence, "no initial presence after a token login")
        conn.send("<message from='bob@localhost/x' to='%s' type='chat' id='m1'>"
                  "<body>over a token</body></message>" % conn.jid)
        n.expect("message", lambda e: e.get("body") == "over a token", timeout=10)
        n.send("/msg bob@localhost back to you")
        out = conn.expect("message", timeout=10)
        self.assertEqual(child(out, "body").text, "back to you")
        n.send("/history bob@localhost")
        hist = n.expect("history", timeout=10)
        bodies = [dict(m)["body"] for m in hist["messages"]]
        self.assertEqual(bodies, ["over a token", "back to you"])
        n.quit()
        self.assertEqual(conn.unexpected_now(), [])

    def test_stream_management_and_resumption(self):
        """XEP-0198 by hand (raw mode cannot switch libstrophe's on): enabled
        after bind, <r/> answered with the count, and after a lost connection
        the session is resumed and what the server had not acknowledged is
        sent again, once."""
        seen = []
        srv = self.yandex_server(seen, sm=True)
        n = self.natter(self.token_account(srv),
                        natterrc={"connection": {"reconnect_min": 1}})
        conn = srv.wait_connection(timeout=15)
        n.expect("connected", timeout=15)
        n.expect("roster", timeout=10)
        self.assertTrue(conn.sm_id, "natter did not enable stream management")
        # natter counts what the server sends: two more messages, two more
        # (once the answers to the login's requests have all come).
        before, prev = self.ask_count(conn), -1
        while before != prev:
            time.sleep(0.3)
            prev, before = before, self.ask_count(conn)
        for i in (1, 2):
            conn.send("<message from='bob@localhost/x' to='%s' type='chat' id='in%d'>"
                      "<body>in %d</body></message>" % (conn.jid, i, i))
            n.expect("message", lambda e, i=i: e.get("body") == "in %d" % i, timeout=10)
        counted = self.ask_count(conn)
        self.assertEqual(counted, before + 2, conn.sm_acks)
        # natter sends one message the server acknowledges (its <r/> is
        # answered), then one the server never acknowledges before the link
        # dies and never "received" at all.
        n.send("/msg bob@localhost acked")
        conn.expect(lambda e: local(e.tag) == "message", timeout=10)
        time.sleep(0.3)
        conn.sm_answer_r = False
        n.send("/msg bob@localhost not acked")
        lost = conn.expect(lambda e: local(e.tag) == "message", timeout=10)
        self.assertEqual(child(lost, "body").text, "not acked")
        with conn._cond:
            conn.sm_in -= 1  # lost on the way
        conn.reset()
        n.expect("disconnected", timeout=10)
        conn2 = srv.wait_connection(timeout=20)
        n.expect("resumed", timeout=15)
        self.assertIs(conn2.resumed_from, conn)
        again = conn2.expect(lambda e: local(e.tag) == "message", timeout=10)
        self.assertEqual(child(again, "body").text, "not acked")
        conn2.expect_none(lambda e: local(e.tag) == "message", within=1)
        # Resumed, not restarted: no second roster request or presence.
        self.assertEqual(conn2.presence, [])
        self.assertFalse(any(local(el[0].tag) == "query" and
                             el[0].tag.startswith("{jabber:iq:roster}")
                             for el, _ in conn2.answered if len(el)))
        # The count goes on across the resumption, and goes on counting.
        resumed_at = self.ask_count(conn2)
        self.assertGreaterEqual(resumed_at, counted)
        conn2.send("<message from='bob@localhost/x' to='%s' type='chat' id='in3'>"
                   "<body>in 3</body></message>" % conn2.jid)
        n.expect("message", lambda e: e.get("body") == "in 3", timeout=10)
        self.assertEqual(self.ask_count(conn2), resumed_at + 1)
        n.quit()
        self.assertEqual(conn2.unexpected_now(), [])

    def ask_count(self, conn):
        """Sends <r/> and returns the h of natter's answer."""
        had = len(conn.sm_acks)
        conn.send("<r xmlns='%s'/>" % NS_SM)
        deadline = time.monotonic() + 10
        while len(conn.sm_acks) == had and time.monotonic() < deadline:
            time.sleep(0.02)
        self.assertGreater(len(conn.sm_acks), had, "natter did not answer <r/>")
        return conn.sm_acks[-1]

    def test_failed_resumption_binds_a_fresh_session(self):
        """The server lost the session: natter binds anew, starts a fresh
        session, and sends again, in order, what the old one never
        acknowledged."""
        seen = []
        srv = self.yandex_server(seen, sm=True)
        n = self.natter(self.token_account(srv))
        conn = srv.wait_connection(timeout=15)
        n.expect("roster", timeout=10)
        conn.sm_answer_r = False
        for text in ("first", "second", "third"):
            n.send("/msg bob@localhost %s" % text)
            got = conn.expect(lambda e: local(e.tag) == "message", timeout=10)
            self.assertEqual(child(got, "body").text, text)
        conn.resumable = False
        conn.reset()
        n.expect("disconnected", timeout=10)
        conn2 = srv.wait_connection(timeout=20)
        mark = n.mark()
        ev = n.expect("connected", timeout=15, since=mark)
        self.assertEqual(ev.get("jid"), "test@localhost/YaDisk-client")
        n.expect("roster", timeout=10, since=mark)
        self.assertIsNone(conn2.resumed_from)
        again = [child(conn2.expect(lambda e: local(e.tag) == "message", timeout=10),
                       "body").text for _ in range(3)]
        self.assertEqual(again, ["first", "second", "third"])
        conn2.expect_none(lambda e: local(e.tag) == "message", within=1)
        n.quit()
