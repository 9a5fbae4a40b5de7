"""Scrollback beyond what the window holds: pages from the history store,
and day separators between messages of different days."""

import re
import time

from run import TmuxTestCase


class TestHistory(TmuxTestCase):

    def test_day_separator_between_days(self):
        ann, ben = self.users("day")
        peer = self.connected(ben, resource="peer")
        ui = self.ui(jid=ann)
        peer.send("/msg %s said today" % ann)
        ui.wait_status("[2:")
        ui.keys("M-2")
        ui.wait_text("said today")
        # A stamp natter believes: one our server (localhost) put there.
        peer.send("/raw <message to='%s' type='chat'><body>said long ago</body>"
                  "<delay xmlns='urn:xmpp:delay' from='localhost' "
                  "stamp='2020-01-04T12:00:00Z'/></message>" % ann)
        ui.wait_text("said long ago")
        peer.send("/msg %s said today again" % ann)
        ui.wait_text("said today again")
        rows = ui.lines()
        old = [i for i, l in enumerate(rows) if "said long ago" in l][0]
        self.assertIn("-- Saturday 4 January 2020 --", rows[old - 1], ui.dump())
        today = time.strftime("-- %A ") + str(int(time.strftime("%d"))) + \
            time.strftime(" %B %Y --")
        again = [i for i, l in enumerate(rows) if "said today again" in l][0]
        self.assertIn(today, rows[again - 1], ui.dump())
        # Messages of the same day have nothing between them.
        first = [i for i, l in enumerate(rows) if re.search(r"said today$", l)][0]
        self.assertEqual(old - first, 2, ui.dump())

    def test_forged_stamps_show_at_arrival(self):
        # issue 15 item 7: a peer's own stamp (2099, or one that is no date
        # at all) is not the message's time; the UI shows what the core
        # says, never its own reading of the string.
        ann, ben = self.users("forged")
        peer = self.connected(ben, resource="peer")
        ui = self.ui(jid=ann)
        # Our presence at the server first (test_messages says why): a
        # message that came before it would be history, drawn [delayed].
        ui.line("/ping")
        ui.wait_text("pong from")
        peer.send("/msg %s hello" % ann)
        ui.wait_status("[2:")
        ui.keys("M-2")
        ui.wait_text("hello")
        for stamp, body in (("2099-01-01T00:00:00Z", "from the future"),
                            ("0000-00-00T00:00:00Z", "from year zero")):
            peer.send("/raw <message to='%s' type='chat'><body>%s</body>"
                      "<delay xmlns='urn:xmpp:delay' stamp='%s'/></message>"
                      % (ann, body, stamp))
            ui.wait_text(body)
        text = ui.text()
        self.assertNotIn("2099", text, ui.dump())
        self.assertNotIn("-1 --", text, ui.dump())
        self.assertNotIn("[delayed]", text, ui.dump())
        rows = ui.lines()
        # Today's messages, with no day between them.
        first = [i for i, l in enumerate(rows) if l.endswith("hello")][0]
        last = [i for i, l in enumerate(rows) if "from year zero" in l][0]
        self.assertEqual(last - first, 2, ui.dump())

    def test_history_pages_back_after_restart(self):
        ann, ben = self.users("hist")
        peer = self.connected(ben, resource="peer")
        ui = self.ui(jid=ann)
        peer.send("/msg %s probe" % ann)
        ui.wait_status("[2:")
        ui.line("/history %s 1" % ben)
        ui.wait(lambda s: re.search(r"/history: |no stored messages|probe$", s.text(), re.M),
                "an answer to /history")
        if re.search(r"not available|no stored messages", ui.text()):
            self.skipTest("messages are not stored yet (the core does not record them)")
        for i in range(70):
            peer.send("/msg %s old %02d" % (ann, i))
        ui.wait_status("[2:")
        ui.keys("M-2")
        ui.wait_text("old 69")
        ui.line("answer from ann")
        peer.expect("message", lambda e: e.get("body") == "answer from ann", timeout=10)
        self.assertEqual(ui.quit(), 0, ui.dump())
        ui.restart()
        ui.wait_status("online", timeout=15)
        # The window opens with the newest page of the conversation.
        ui.line("/msg %s" % ben)
        ui.wait_input("ben")
        ui.wait_text("answer from ann")
        ui.wait_text("old 69")
        self.assertNotIn("old 00", ui.text(), ui.dump())
        # PageUp past the oldest line loaded fetches the page before it.
        for _ in range(12):
            if "old 00" in ui.text():
                break
            ui.keys("PageUp")
            time.sleep(0.3)
        ui.wait_text("old 00")
        ui.wait_status("-- more --")
        # Each message once, in order, however it was loaded.
        for _ in range(12):
            ui.keys("PageDown")
        ui.wait(lambda s: "-- more --" not in s.status_line(), "back at the bottom")
        text = ui.text()
        self.assertEqual(text.count("answer from ann"), 1, ui.dump())
