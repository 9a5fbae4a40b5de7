"""Resizing, window switching and scrollback."""

from run import TmuxTestCase


class TestLayout(TmuxTestCase):

    def test_resize_keeps_input_and_session(self):
        bob = self.connected("bob@localhost", resource="peer")
        ui = self.ui()
        # Our presence at the server first (test_messages says why): a
        # line from the archive is drawn [delayed] and wraps at 60 columns.
        ui.line("/ping")
        ui.wait_text("pong from")
        ui.line("/msg bob@localhost")
        ui.wait_input("bob@localhost>")
        bob.send("/msg alice@localhost kept line")
        ui.wait_text("<bob@localhost> kept line")
        ui.type("draft 世界")
        ui.wait_input("draft 世界")
        ui.resize(60, 20)
        ui.wait(lambda s: s.size() == (60, 20) and len(s.lines()) == 20
                and "online" in s.lines()[18] and "draft 世界" in s.lines()[19],
                "the 60x20 layout with the draft kept")
        self.assertIn("<bob@localhost> kept line", ui.text(), ui.dump())
        ui.resize(100, 30)
        ui.wait(lambda s: len(s.lines()) == 30 and "online" in s.lines()[28]
                and "draft 世界" in s.lines()[29], "the 100x30 layout again")
        ui.type(" done")
        ui.keys("Enter")
        bob.expect("message", lambda e: e.get("body") == "draft 世界 done", timeout=10)
        ui.wait_text("<alice> draft 世界 done")

    def test_tiny_terminal_then_back(self):
        ui = self.ui()
        ui.type("kept")
        ui.resize(10, 2)
        ui.wait_text("terminal")
        ui.resize(100, 30)
        ui.wait(lambda s: "online" in s.lines()[28] and "kept" in s.lines()[29], "layout back")

    def test_window_switching(self):
        ui = self.ui()
        ui.line("/msg bob@localhost")
        ui.wait_input("bob@localhost>")
        ui.line("/msg carol@localhost")
        ui.wait_input("carol@localhost>")
        ui.wait_status("[1:console] [2:bob@localhost] [3:carol@localhost]")
        ui.keys("M-1")
        ui.wait_input("console>")
        ui.keys("M-Right")
        ui.wait_input("bob@localhost>")
        ui.keys("M-Left")
        ui.wait_input("console>")
        ui.keys("M-Left")
        ui.wait_input("carol@localhost>")
        ui.line("/win 2")
        ui.wait_input("bob@localhost>")
        ui.line("/close")
        ui.wait_input("console>")
        ui.wait(lambda s: "[2:carol@localhost]" in s.status_line() and "bob" not in s.status_line(),
                "bob's window gone")
        ui.line("/close")
        ui.wait_text("the console stays open")

    def test_scrollback(self):
        bob = self.connected("bob@localhost", resource="peer")
        ui = self.ui()
        ui.line("/msg bob@localhost")
        ui.wait_input("bob@localhost>")
        for i in range(1, 61):
            bob.send("/msg alice@localhost line %02d" % i)
        ui.wait_text("<bob@localhost> line 60", timeout=15)
        ui.keys("PageUp")
        ui.wait_status("-- more --")
        self.assertNotIn("line 60", ui.text(), ui.dump())
        for _ in range(5):
            ui.keys("PageUp")
        ui.wait_text("<bob@localhost> line 01")
        # New lines do not drag the view while reading back.
        bob.send("/msg alice@localhost line 61")
        bob.expect("message", lambda e: e.get("body") == "line 61")
        self.assertIn("<bob@localhost> line 01", ui.text(), ui.dump())
        for _ in range(8):
            ui.keys("PageDown")
        ui.wait_text("<bob@localhost> line 61")
        ui.wait(lambda s: "-- more --" not in s.status_line(), "the view back at the bottom")
