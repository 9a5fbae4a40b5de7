"""Messages in and out of conversation windows."""

import time

from run import TmuxTestCase


class TestMessages(TmuxTestCase):

    def test_incoming_message_opens_window_with_activity(self):
        bob = self.connected("bob@localhost", resource="peer")
        ui = self.ui()
        # A message that reached the server before our presence would come
        # as history (delayed), which rings no bell; the server answers a
        # ping only after what was sent before it (as in test_daily).
        ui.line("/ping")
        ui.wait_text("pong from")
        bob.send("/msg alice@localhost hello from bob")
        ui.wait_status("[2:bob@localhost*]")
        # It went to bob's window, not the console being shown, and rang the bell.
        self.assertNotIn("hello from bob", ui.text(), ui.dump())
        ui.wait(lambda s: s.bell_rang(), "the terminal bell")
        ui.keys("M-2")
        ui.wait_text("<bob@localhost> hello from bob")
        ui.wait_status("[2:bob@localhost]")
        self.assertTrue(ui.input_line().startswith("bob@localhost>"), ui.dump())

    def test_typed_line_reaches_peer(self):
        bob = self.connected("bob@localhost", resource="peer")
        ui = self.ui()
        ui.line("/msg bob@localhost")
        ui.wait_input("bob@localhost>")
        ui.wait_status("[2:bob@localhost]")
        ui.line("hi bob, ünïcode 世界 & <xml>")
        ev = bob.expect("message", lambda e: "hi bob" in e.get("body", ""), timeout=10)
        self.assertEqual(ev["body"], "hi bob, ünïcode 世界 & <xml>", ev)
        self.assertEqual(ev["from"].split("/")[0], "alice@localhost", ev)
        ui.wait_text("<alice> hi bob, ünïcode 世界 & <xml>")
        # A reply lands in the same window, right under it.
        bob.send("/msg alice@localhost back at you")
        ui.wait_text("<bob@localhost> back at you")
        self.assertIn("[2:bob@localhost]", ui.status_line(), ui.dump())
        # Nothing to draw attention to: it arrived in the window being read.
        self.assertFalse(ui.bell_rang(), "bell for a message in the current window")

    def test_reply_in_window_opened_by_peer(self):
        bob = self.connected("bob@localhost", resource="peer")
        ui = self.ui()
        bob.send("/msg alice@localhost knock knock")
        ui.wait_status("[2:bob@localhost*]")
        ui.keys("M-2")
        ui.wait_input("bob@localhost>")
        ui.line("who's there?")
        bob.expect("message", lambda e: e.get("body") == "who's there?", timeout=10,
                   what="plain text in bob's window goes to bob")

    def test_control_characters_change_only_the_text(self):
        bob = self.connected("bob@localhost", resource="peer")
        ui = self.ui()
        ui.line("/msg bob@localhost")
        ui.wait_input("bob@localhost>")
        bob.send("/msg alice@localhost first line stays")
        ui.wait_text("<bob@localhost> first line stays")
        before = ui.lines()
        # XML cannot carry C0 controls, but C1 controls and bidi overrides travel
        # fine: clear screen, move the cursor, colour, set the title, reverse text,
        # and an APC string left open to the end.
        evil = ("BEGIN\u009b2J\u009b1;1H\u009b31m\u009d0;pwned\u009c"
                "\u202egnp.exe\u202c\u0085 END\u009fhidden")
        bob.send("/raw <message to='alice@localhost' type='chat'><body>%s</body></message>"
                 % evil)
        bob.expect("raw_sent", timeout=10)
        ui.wait_text("END")
        after = ui.lines()
        row = [l for l in after if "BEGIN" in l]
        self.assertEqual(len(row), 1, ui.dump())
        shown = row[0].split("<bob@localhost> ", 1)[1]
        for bad in ("2J", "1;1H", "31m", "pwned", "hidden", "\u202e", "\u009b"):
            self.assertNotIn(bad, shown, ui.dump())
        self.assertIn("gnp.exe", shown, ui.dump())
        # Everything else is where it was: the earlier line moved up one row,
        # the status bar and input line are intact, the cursor is at the prompt.
        self.assertIn("<bob@localhost> first line stays", after[-4], ui.dump())
        self.assertEqual(before[-2], after[-2], ui.dump())
        self.assertEqual(ui.cursor(), (len("bob@localhost> "), ui.rows - 1), ui.dump())
        self.assertNotIn("pwned", ui.info("#{pane_title}"))
        ui.line("still usable")
        bob.expect("message", lambda e: e.get("body") == "still usable", timeout=10)

    def test_delayed_message_is_marked(self):
        bob = self.connected("bob@localhost", resource="peer")
        bob.send("/msg alice@localhost sent while you were away")
        bob.expect("message", lambda e: e.get("outgoing"), timeout=10)
        time.sleep(0.5)  # let Prosody store it offline
        ui = self.ui()
        ui.wait_status("[2:bob@localhost*]")
        ui.keys("M-2")
        ui.wait_text("sent while you were away")
        row = [l for l in ui.lines() if "sent while you were away" in l][0]
        self.assertIn("[delayed]", row, ui.dump())
