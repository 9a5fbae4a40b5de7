"""The roster pane, subscription prompts, chat states, receipts, XHTML-IM
and the info replies (disco, vCard).

Each test uses accounts of its own (registered on the shared Prosody when it
starts), so rosters and subscriptions made here never reach other tests.
"""

import re
import time

from run import TmuxTestCase

PANE = 25  # the roster pane's text columns; its border is column 25


class TestRoster(TmuxTestCase):

    def users(self, tag):
        """Two fresh accounts, ann<tag> and ben<tag>; returns their bare JIDs."""
        jids = []
        for who in ("ann", "ben"):
            user = who + tag
            self.fx.register(user, "localhost", user + "pw")
            jids.append("%s@localhost" % user)
        return jids

    @staticmethod
    def pane_rows(ui):
        return [l[:PANE] for l in ui.lines()[:-2]]

    def wait_pane(self, ui, pattern, what, timeout=10):
        rx = re.compile(pattern)
        ui.wait(lambda s: any(rx.search(r) for r in self.pane_rows(s)), what, timeout)

    def wait_pane_gone(self, ui, pattern, what, timeout=10):
        rx = re.compile(pattern)
        ui.wait(lambda s: not any(rx.search(r) for r in self.pane_rows(s)), what, timeout)

    def subscribe_both(self, ui, ann, ben, peer):
        """ben asks, ann allows from the prompt; ann asks, ben allows."""
        peer.send("/sub request %s" % ann)
        ui.wait_text("%s wants to see your presence" % ben)
        ui.wait_text("/sub allow %s or /sub deny %s" % (ben, ben))
        # The request waits in the pane, and Tab on the empty console line
        # offers the answer: Tab, Enter is the one-key accept.
        self.wait_pane(ui, re.escape(ben), "the request in the pane")
        ui.keys("Tab")
        ui.wait_input("/sub allow %s" % ben)
        ui.keys("Enter")
        peer.expect("subscription", lambda e: e.get("type") == "subscribed", timeout=10,
                    what="ann's answer reaching ben")
        ui.line("/sub request %s" % ben)
        peer.expect("subscription", lambda e: e.get("type") == "subscribe", timeout=10)
        peer.send("/sub allow %s" % ann)

    def test_roster_pane_shows_contact_presence(self):
        ann, ben = self.users("r")
        peer = self.connected(ben, resource="peer")
        ui = self.ui(jid=ann)
        self.subscribe_both(ui, ann, ben, peer)
        # Both ways subscribed, ben online: "+" under the default group.
        self.wait_pane(ui, r"^ \+ %s" % re.escape(ben), "ben online in the pane", timeout=15)
        self.assertTrue(any(r.startswith("Contacts") for r in self.pane_rows(ui)), ui.dump())
        # No longer pending anywhere.
        self.assertFalse(any("pending" in r for r in self.pane_rows(ui)), ui.dump())
        peer.send("/status away brb")
        self.wait_pane(ui, r"^ ~ %s" % re.escape(ben), "ben away in the pane")
        # A name from the roster replaces the JID, and Tab completes it.
        ui.line("/roster name %s Benjamin" % ben)
        self.wait_pane(ui, r"^ ~ Benjamin", "ben's roster name in the pane")
        ui.type("/msg Benj")
        ui.keys("Tab")
        ui.wait_input("/msg %s" % ben)
        ui.keys("C-u")
        # Unread messages are counted next to the contact.
        peer.send("/msg %s one" % ann)
        peer.send("/msg %s two" % ann)
        self.wait_pane(ui, r"Benjamin +\(2\)", "two unread from ben")
        ui.keys("M-2")
        # The window is named by the roster name too (and the lines in it).
        ui.wait_input("Benjamin>")
        ui.wait_text("<Benjamin> two")
        self.wait_pane_gone(ui, r"\(2\)", "the unread count cleared")
        # Offline contacts hide unless asked for (ben's window is not current).
        ui.keys("M-1")
        peer.quit()
        self.wait_pane(ui, r"1 offline hidden", "ben hidden when offline", timeout=15)
        ui.line("/pane offline")
        self.wait_pane(ui, r"^ \. Benjamin", "ben listed as offline")

    def test_typing_indicator(self):
        ann, ben = self.users("t")
        peer = self.connected(ben, resource="peer")
        ui = self.ui(jid=ann)
        ui.line("/msg %s" % ben)
        ui.wait_input("ben")
        peer.send("/state %s composing" % ann)
        ui.wait_status("is typing")
        peer.send("/state %s paused" % ann)
        ui.wait(lambda s: "typing" not in s.status_line(), "typing cleared on paused")
        peer.send("/state %s composing" % ann)
        ui.wait_status("is typing")
        peer.send("/msg %s done typing" % ann)
        ui.wait_text("<bent@localhost> done typing")
        ui.wait(lambda s: "typing" not in s.status_line(), "typing cleared by the message")

    def test_receipt_marks_message(self):
        ann, ben = self.users("d")
        peer = self.connected(ben, resource="peer")
        ui = self.ui(jid=ann)
        # Receipts go to contacts whose presence we see: subscribe first.
        self.subscribe_both(ui, ann, ben, peer)
        self.wait_pane(ui, r"^ \+ %s" % re.escape(ben), "ben online", timeout=15)
        ui.line("/msg %s please confirm" % ben)
        peer.expect("message", lambda e: e.get("body") == "please confirm", timeout=10)
        ui.wait(lambda s: any(re.search(r"please confirm \u2713", l) for l in s.lines()),
                "the delivery mark after the message", timeout=15)
        # The store has it: the mark comes back with the line after a restart.
        self.assertEqual(ui.quit(), 0, ui.dump())
        ui.restart()
        ui.wait_status("online", timeout=15)
        ui.line("/msg %s" % ben)
        ui.wait(lambda s: any(re.search(r"please confirm \u2713", l) for l in s.lines()),
                "the delivery mark on the reloaded line", timeout=15)

    def test_xhtml_is_rendered_not_printed(self):
        ann, ben = self.users("x")
        peer = self.connected(ben, resource="peer")
        ui = self.ui(jid=ann)
        ui.line("/msg %s" % ben)
        ui.wait_input("ben")
        # XHTML goes only to a resource whose disco#info lists it: ann's
        # message locks ben's chat to her resource (RFC 6121 5.1).
        ui.line("hello ben")
        peer.expect("message", lambda e: e.get("body") == "hello ben", timeout=10)
        peer.send("/xhtml %s <p>plain <strong>heavy</strong> <em>slanted</em></p>" % ann)
        ui.wait_text("plain heavy slanted")
        self.assertNotIn("<strong>", ui.text(), ui.dump())
        self.assertNotIn("<p>", ui.text(), ui.dump())
        raw = ui.tmux("capture-pane", "-p", "-e", "-t", "ui")
        row = [l for l in raw.split("\n") if "heavy" in l][0]
        # The escape sequence right before "heavy" turns bold on.
        m = re.search(r"\x1b\[([0-9;]*)m(?:\x1b\[[0-9;]*m)*heavy", row)
        self.assertTrue(m and "1" in re.split(r"[;:]", m.group(1)), repr(row))

    def test_disco_and_vcard_replies(self):
        ann, _ = self.users("v")
        ui = self.ui(jid=ann)
        ui.line("/disco info localhost")
        ui.wait_text("localhost is:")
        ui.wait_text("server/im")
        ui.wait_text("urn:xmpp:ping")
        ui.line("/vcard set FN Ann Example")
        ui.wait_text("vCard updated")
        ui.line("/vcard")
        ui.wait_text("Ann Example")
        self.assertTrue(any(re.search(r"Name +Ann Example", l) for l in ui.lines()), ui.dump())

    def test_pane_toggles_and_hides_when_narrow(self):
        ann, _ = self.users("p")
        ui = self.ui(jid=ann)
        # A fresh account has nobody in its roster.
        self.wait_pane(ui, r"no contacts", "the empty roster pane")
        self.assertEqual(ui.lines()[0][PANE], "\u2502", ui.dump())
        ui.keys("F2")
        ui.wait(lambda s: "no contacts" not in s.text(), "the pane hidden by F2")
        ui.line("/pane")
        ui.wait_text("no contacts")
        ui.line("/pane hide")
        ui.wait(lambda s: "no contacts" not in s.text(), "the pane hidden by /pane hide")
        ui.line("/pane show")
        ui.wait_text("no contacts")
        # Too narrow for both: the pane steps aside, and comes back.
        ui.resize(59, 20)
        ui.wait(lambda s: s.size() == (59, 20) and "no contacts" not in s.text()
                and "online" in s.status_line(), "no pane at 59 columns")
        ui.resize(100, 30)
        ui.wait(lambda s: "no contacts" in s.text() and len(s.lines()) == 30,
                "the pane back at 100 columns")

    def test_typing_sends_composing_then_paused(self):
        ann, ben = self.users("s")
        peer = self.connected(ben, resource="peer")
        ui = self.ui(jid=ann)
        # Chat states go only to peers known to want them: ann must see
        # ben's presence (and so his capabilities) first.
        self.subscribe_both(ui, ann, ben, peer)
        self.wait_pane(ui, r"^ \+ %s" % re.escape(ben), "ben online", timeout=15)
        ui.line("/msg %s" % ben)
        ui.wait_input("ben")
        time.sleep(1)  # ben's capabilities: asked for when his presence came
        ui.type("hello th")
        peer.expect("chat_state", lambda e: e.get("state") == "composing", timeout=10,
                    what="composing as ann types")
        t0 = time.monotonic()
        ui.type("ere")  # keys while composing send nothing more
        peer.expect("chat_state", lambda e: e.get("state") == "paused", timeout=15,
                    what="paused once the keys stop")
        self.assertGreater(time.monotonic() - t0, 3.5, "paused came too early")
        ui.keys("Enter")
        peer.expect("message", lambda e: e.get("body") == "hello there", timeout=10)
        # Typing again, then emptying the line, says active.
        ui.type("oops")
        peer.expect("chat_state", lambda e: e.get("state") == "composing", timeout=10)
        ui.keys("C-u")
        peer.expect("chat_state", lambda e: e.get("state") == "active", timeout=10,
                    what="active once the line is emptied")
        # Closing the conversation says so.
        ui.line("/close")
        peer.expect("chat_state", lambda e: e.get("state") == "gone", timeout=10,
                    what="gone when the window is closed")
