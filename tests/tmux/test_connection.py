"""Connection states and certificate trouble, as the status bar and console show them."""

import fixture

from run import TmuxTestCase


class TestConnection(TmuxTestCase):

    def test_reconnecting_countdown_then_online(self):
        with fixture.CutProxy(self.fx.c2s_port) as proxy:
            ui = self.ui(port=proxy.port, natterrc={
                "connection": {"reconnect_min": 3, "reconnect_max": 3}})
            proxy.cut(refuse=True)
            ui.wait_status("reconnecting in", timeout=10)
            ui.wait_text("reconnecting in")
            proxy.restore()
            ui.wait_status("online", timeout=20)
            self.assertIn("connected as alice@localhost/tmux", ui.text(), ui.dump())

    def test_reconnection_says_one_line_per_attempt_and_reconnected(self):
        ann, ben = self.users("rc")
        peer = self.connected(ben, resource="peer")
        with fixture.CutProxy(self.fx.c2s_port) as proxy:
            ui = self.ui(jid=ann, port=proxy.port, natterrc={
                "connection": {"reconnect_min": 2, "reconnect_max": 2}})
            ui.line("/msg %s" % ben)
            ui.wait_input("%s>" % ben)
            proxy.cut(refuse=True)
            ui.wait_status("reconnecting", timeout=10)
            # Typed while offline: it waits, and says so.
            ui.line("written offline")
            ui.wait_text("written offline (not sent yet)")
            ui.keys("M-1")
            ui.wait_text("disconnected:", timeout=10)
            ui.wait_text("attempt 1 failed", timeout=10)
            text = ui.text()
            # The disconnection's line says when the next attempt is (it
            # may wrap), as well as the status bar.
            self.assertGreaterEqual(text.count("reconnecting in"), 2, ui.dump())
            self.assertNotIn("stream resumption failed", text, ui.dump())
            self.assertEqual(text.count("disconnected:"), 1, ui.dump())
            ui.keys("M-2")
            ui.wait_text("written offline (not sent yet)")
            proxy.restore()
            ui.wait_status("online", timeout=20)
            peer.expect("message", lambda e: e.get("body") == "written offline", timeout=15)
            ui.wait(lambda s: "(not sent yet)" not in s.text(), "the mark gone once sent")
            ui.keys("M-1")
            ui.wait_text("reconnected")

    def test_untrusted_certificate_shows_fingerprint_and_hint(self):
        ui = self.ui(connected=False, tls_cafile=None)
        ui.wait_text("not trusted", timeout=15)
        ui.wait_text("tls_fingerprint")
        text = ui.text().replace("\n", "")
        self.assertIn(self.fx.fingerprint[:40], text.replace(" ", ""), ui.dump())
        # Enough to judge it by: whose it is, who signed it, until when.
        self.assertIn("issued to /CN=localhost", text, ui.dump())
        self.assertIn("issued by /CN=natter throwaway test CA", text, ui.dump())
        self.assertRegex(text, r"valid from \d{4}-\d\d-\d\d \d\d:\d\d to \d{4}-", ui.dump())
        self.assertNotIn("EXPIRED", text, ui.dump())
        self.assertNotIn("online", ui.status_line(), ui.dump())
