"""Staying responsive and connected: stalls, cut connections, idle CPU, quitting."""

import time

import fixture
from natter import NatterTestCase, scaled


class TestResilience(NatterTestCase):

    def test_tls_handshake_stall_keeps_ui_responsive(self):
        with fixture.TlsStaller() as staller:
            n = self.natter(self.account("alice@localhost", port=staller.port),
                            natterrc={"connection": {"connect_timeout": 2}})
            self.assertTrue(staller.proceeded.wait(scaled(10)),
                            "natter never asked the staller for STARTTLS\n" + n.report())
            since = n.mark()
            n.send("/help")
            n.expect("info", timeout=1, since=since,
                     what="/help must be answered during a stalled TLS handshake")
            self.assertGreater(staller.open_stalls, 0,
                               "the stalled connection was gone before /help was answered")
            n.expect("reconnecting", timeout=2 + 8, since=since,
                     what="connect_timeout=2 must abandon the stalled handshake")
            n.expect_none("connected", within=0, since=0)
            n.quit()

    def test_cut_connection_recovers_and_delivers_queued_message(self):
        bob = self.connected("bob@localhost", resource="bobres")
        with fixture.CutProxy(self.fx.c2s_port) as proxy:
            alice = self.natter(self.account("alice@localhost", port=proxy.port),
                                natterrc={"connection": {"reconnect_min": 1,
                                                         "reconnect_max": 2}})
            alice.expect("connected", timeout=15)
            time.sleep(0.5)  # let the post-login stanzas (presence, SM enable) settle
            mark = alice.mark()
            proxy.cut(refuse=True)
            alice.expect("reconnecting", timeout=15, since=mark,
                         what="a reset TCP connection must be noticed")
            alice.send("/msg bob@localhost typed while offline")
            time.sleep(1)
            proxy.restore()
            alice.expect_any(["resumed", "connected"], timeout=20)
            bob.expect("message", lambda e: e.get("body") == "typed while offline",
                       timeout=20, what="the /msg typed while disconnected")
            ev = bob.find("message", lambda e: e.get("body") == "typed while offline")
            self.assertEqual(ev.get("from", "").split("/")[0], "alice@localhost", ev)
            alice.quit()
        bob.quit()

    def test_unacknowledged_message_outlives_a_session_that_is_not_resumed(self):
        """A message written into a link that has died, whose session the
        server then ends: libstrophe throws the unacknowledged stanza away
        with the session; natter sends it again on the new one."""
        bob = self.connected("bob@localhost", resource="bobkeep")
        with fixture.CutProxy(self.fx.c2s_port) as proxy:
            alice = self.natter(self.account("alice@localhost", port=proxy.port,
                                             resource="keepres"),
                                natterrc={"connection": {"reconnect_min": 1,
                                                         "reconnect_max": 2}})
            alice.expect("connected", timeout=15)
            time.sleep(0.5)  # the post-login stanzas acknowledged
            proxy.freeze()
            alice.send("/msg bob@localhost written into a dead link")
            time.sleep(1)  # written to the socket, never acknowledged
            out = self.fx.shell('c2s:close("alice@localhost/keepres")')
            self.assertIn("1 sessions closed", out)
            mark = alice.mark()
            proxy.cut()
            alice.expect("reconnecting", timeout=15, since=mark)
            ev = alice.expect_any(["resumed", "connected"], timeout=30, since=mark)
            self.assertEqual(ev["event"], "connected",
                             "the server ended the session, yet it was resumed\n" +
                             alice.report())
            bob.expect("message", lambda e: e.get("body") == "written into a dead link",
                       timeout=20, what="the message the lost session never acknowledged")
            # Once: the server never had it.
            bob.expect_none("message", lambda e: e.get("body") == "written into a dead link",
                            within=1, since=bob.mark())
            alice.quit()
        bob.quit()

    def test_cut_connection_is_resumed(self):
        """Prosody keeps the session hibernated (smacks_hibernation_time 60 s),
        so the reconnect must resume it (XEP-0198) and say so."""
        with fixture.CutProxy(self.fx.c2s_port) as proxy:
            n = self.natter(self.account("alice@localhost", port=proxy.port),
                            natterrc={"connection": {"reconnect_min": 1,
                                                     "reconnect_max": 2}})
            n.expect("connected", timeout=15)
            time.sleep(0.5)
            mark = n.mark()
            proxy.cut(refuse=True)   # the network stays down for a moment:
            n.expect("reconnecting", timeout=15, since=mark)
            time.sleep(1.5)          # at least one attempt fails in between
            proxy.restore()
            ev = n.expect_any(["resumed", "connected"], timeout=20)
            self.assertEqual(ev["event"], "resumed",
                             "the server resumed the session (see its log) but natter "
                             "reported a new one\n" + n.report())
            n.quit()

    def test_dead_link_is_noticed_by_keepalive(self):
        """A link that stays open but carries nothing (no RST, no FIN) is found
        dead by the keepalive ping within ping_interval + ping_timeout, and
        natter reconnects."""
        with fixture.CutProxy(self.fx.c2s_port) as proxy:
            n = self.natter(self.account("alice@localhost", port=proxy.port),
                            natterrc={"connection": {"ping_interval": 5, "ping_timeout": 2,
                                                     "reconnect_min": 1,
                                                     "reconnect_max": 2}})
            n.expect("connected", timeout=15)
            mark = n.mark()
            proxy.freeze()
            t0 = time.monotonic()
            n.expect("disconnected", timeout=5 + 2 + 5, since=mark,
                     what="the keepalive must notice the frozen link")
            self.assertLess(time.monotonic() - t0, scaled(5 + 2 + 5))
            n.expect("reconnecting", timeout=5, since=mark)
            n.expect_any(["resumed", "connected"], timeout=20)
            n.quit()

    def test_idle_cpu(self):
        n = self.connected("alice@localhost")
        time.sleep(2)  # roster, presence and the like
        before = n.cpu_seconds()
        t0 = time.monotonic()
        time.sleep(10)
        used = n.cpu_seconds() - before
        window = time.monotonic() - t0
        self.assertTrue(n.running(), n.report())
        self.assertLess(used, 0.05, "natter used %.3f s CPU in %.1f s idle" % (used, window))
        n.quit()

    def test_quit_exits_zero_within_close_timeout(self):
        n = self.natter(self.account("alice@localhost"),
                        natterrc={"connection": {"close_timeout": 3}})
        n.expect("connected", timeout=15)
        n.send("/quit")
        n.wait_exit(timeout=3 + 2, expect_status=0)

    def test_quit_ends_the_session_on_the_server(self):
        """/quit closes the stream (</stream:stream>), so the server ends the
        session instead of keeping it hibernated for a resume: a ping to the
        old full JID is answered with an error at once."""
        alice = self.connected("alice@localhost", resource="gone")
        bob = self.connected("bob@localhost")
        alice.quit()
        mark = bob.mark()
        bob.send("/ping alice@localhost/gone")
        ev = bob.expect_any(["error", "pong"], timeout=10, since=mark)
        self.assertEqual(ev["event"], "error", ev)
        bob.quit()

    def test_end_of_input_exits_zero(self):
        n = self.connected("alice@localhost")
        n.close_stdin()
        n.wait_exit(timeout=3 + 2, expect_status=0)

    def test_disconnect_and_connect_commands(self):
        n = self.connected("alice@localhost")
        mark = n.mark()
        n.send("/disconnect")
        n.expect("disconnected", timeout=10, since=mark)
        n.expect_none("reconnecting", within=3, since=mark,
                      what="/disconnect must not reconnect by itself")
        n.send("/connect")
        n.expect("connected", timeout=15, since=mark)
        n.quit()
