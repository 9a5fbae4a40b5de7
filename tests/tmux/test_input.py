"""The input line: UTF-8 editing, history, completion."""

from run import TmuxTestCase


class TestInput(TmuxTestCase):

    def test_emacs_keys_with_wide_characters(self):
        bob = self.connected("bob@localhost", resource="peer")
        ui = self.ui()
        ui.line("/msg bob@localhost")
        ui.wait_input("bob@localhost>")
        ui.type("xhéllo 世界 wörld")
        ui.keys("C-a", "C-d", "C-e", "C-w", "BSpace", "Left")
        ui.type("の")
        ui.wait_input("bob@localhost> héllo 世の界")
        # The cursor is measured in cells: 世 and の take two each.
        self.assertEqual(ui.cursor(), (len("bob@localhost> héllo ") + 4, ui.rows - 1), ui.dump())
        ui.keys("Enter")
        bob.expect("message", lambda e: e.get("body") == "héllo 世の界", timeout=10)
        # History: C-p brings the line back for editing (Up on an empty
        # line in a chat edits the last message instead: test_everyday).
        ui.keys("C-p")
        ui.wait_input("héllo 世の界")
        ui.keys("Home", "Right", "Right", "C-k")
        ui.type("y")
        ui.keys("End", "Enter")
        bob.expect("message", lambda e: e.get("body") == "héy", timeout=10)
        ui.type("gone soon")
        ui.keys("C-u")
        ui.wait(lambda s: s.input_line().rstrip() == "bob@localhost>", "an empty input line")

    def test_long_line_scrolls_horizontally(self):
        bob = self.connected("bob@localhost", resource="peer")
        ui = self.ui(cols=40, rows=12)
        ui.line("/msg bob@localhost")
        ui.wait_input("bob@localhost>")
        text = "".join("%d-" % i for i in range(40))
        ui.type(text)
        ui.wait_input("39-")
        x, y = ui.cursor()
        self.assertLess(x, 40, ui.dump())
        ui.keys("Enter")
        bob.expect("message", lambda e: e.get("body") == text, timeout=10)

    def test_tab_completes_commands(self):
        ui = self.ui()
        ui.type("/cle")
        ui.keys("Tab")
        ui.wait_input("/clear")
        # A single candidate is completed with a space after it.
        self.assertEqual(ui.cursor(), (len("console> /clear "), ui.rows - 1), ui.dump())
        ui.keys("C-u")
        ui.type("/msg bob@localhost")
        ui.keys("Enter")
        ui.wait_input("bob@localhost>")
        ui.type("/win bo")
        ui.keys("Tab")
        ui.wait_input("/win bob@localhost")

    def test_bracketed_paste_waits_for_enter(self):
        # Accounts of its own: what it sends stays out of the shared archive.
        ann, ben = self.users("pa")
        bob = self.connected(ben, resource="peer")
        ui = self.ui(jid=ann)
        ui.line("/msg %s" % ben)
        ui.wait_input("benpa@localhost>")
        mark = bob.mark()
        ui.type("\x1b[200~line one\nline two\x1b[201~")
        ui.wait_input("benpa@localhost> line one\u23celine two")
        bob.expect_none("message", lambda e: "line" in e.get("body", ""), within=1.5,
                        since=mark, what="nothing sent before Enter")
        ui.keys("Enter")
        ev = bob.expect("message", lambda e: "line" in e.get("body", ""), timeout=10)
        self.assertEqual(ev["body"], "line one\nline two", ev)
        bob.expect_none("message", lambda e: "line" in e.get("body", ""), within=1,
                        what="a single message")
        ui.wait_text("line one")
        ui.wait(lambda s: s.input_line().rstrip() == "benpa@localhost>", "an empty input line")

    def test_enter_without_paste_markers_always_sends(self):
        """Only bracketed paste joins lines: keys that arrive in one read
        (typed fast, or sent by tmux) with Enter between them are two lines."""
        ann, ben = self.users("pb")
        bob = self.connected(ben, resource="peer")
        ui = self.ui(jid=ann)
        ui.line("/msg %s" % ben)
        ui.wait_input("benpb@localhost>")
        mark = bob.mark()
        ui.type("first\nsecond")
        bob.expect("message", lambda e: e.get("body") == "first", timeout=10, since=mark)
        ui.wait_input("benpb@localhost> second")
        bob.expect_none("message", lambda e: "second" in e.get("body", ""), within=1,
                        since=mark, what="the text after Enter waits in the line")
        ui.keys("Enter")
        bob.expect("message", lambda e: e.get("body") == "second", timeout=10, since=mark)

    def test_two_commands_in_one_burst(self):
        ui = self.ui()
        ui.wait_status("online")
        ui.tmux("send-keys", "-t", "ui", "/ping", "Enter", "/ping", "Enter")
        ui.wait(lambda s: s.text().count("pong from") >= 2, "two pongs")
        self.assertNotIn("unknown command", ui.text(), ui.dump())

    def test_zero_width_joiner_is_kept(self):
        ann, ben = self.users("zw")
        bob = self.connected(ben, resource="peer")
        ui = self.ui(jid=ann)
        ui.line("/msg %s" % ben)
        ui.wait_input("benzw@localhost>")
        family = "\U0001F468\u200d\U0001F469\u200d\U0001F467"
        ui.type("x " + family)
        ui.keys("Enter")
        ev = bob.expect("message", lambda e: e.get("body", "").startswith("x "), timeout=10)
        self.assertEqual(ev["body"], "x " + family, ev)

    def test_paste_too_long_for_the_line_is_said(self):
        ui = self.ui()
        ui.type("\x1b[200~")
        for _ in range(17):  # tmux takes a command line of limited length
            ui.type("x" * 1000)
        ui.type("\x1b[201~")
        ui.wait_text("616 characters did not fit in the input line")
