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

    def test_untrusted_certificate_shows_fingerprint_and_hint(self):
        ui = self.ui(connected=False, tls_cafile=None)
        ui.wait_text("not trusted", timeout=15)
        ui.wait_text("tls_fingerprint")
        text = ui.text().replace("\n", "")
        self.assertIn(self.fx.fingerprint[:40], text.replace(" ", ""), ui.dump())
        self.assertNotIn("online", ui.status_line(), ui.dump())
