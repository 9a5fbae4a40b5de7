"""Everyday messaging on the screen: corrections in place and Up to edit,
check marks (delivered, read), displayed markers sent when a window shows
a message, links, /me, retraction, the upload's progress bar, and the
terminal's focus telling the server whether anyone looks."""

import os
import re
import shutil
import stat
import tempfile
import time

from run import TmuxTestCase

CHECK = "\u2713"
FOCUS_OUT = ("1b", "5b", "4f")  # ESC [ O, as a terminal reports it
FOCUS_IN = ("1b", "5b", "49")


class TestEveryday(TmuxTestCase):

    def chat(self, tag, **ui_keys):
        """ann in the terminal UI with ben's window open and shown; ben
        headless."""
        ann, ben = self.users(tag)
        peer = self.connected(ben, resource="peer")
        ui = self.ui(jid=ann, **ui_keys)
        ui.line("/msg %s" % ben)
        ui.wait_input("ben%s@localhost>" % tag)
        return ui, peer, ann, ben

    def mutual(self, ui, peer, ann, ben):
        """ann and ben see each other's presence: receipts and markers,
        which say someone is there, go only to those who may see it."""
        ui.line("/sub request %s" % ben)
        peer.expect("subscription", lambda e: e.get("type") == "subscribe")
        peer.send("/sub allow %s" % ann)
        peer.send("/sub request %s" % ann)
        ui.wait_text("%s wants to see your presence" % ben)
        ui.line("/sub allow %s" % ben)
        peer.expect("subscription", lambda e: e.get("type") == "subscribed")
        peer.expect("presence", lambda e: e.get("from", "").startswith(ann))

    def row_with(self, ui, text):
        rows = [l for l in ui.lines() if text in l]
        self.assertEqual(len(rows), 1, ui.dump())
        return rows[0]

    def test_correction_from_the_peer_replaces_the_line(self):
        ui, peer, ann, ben = self.chat("c1")
        peer.send("/msg %s/tmux helo wrld" % ann)
        ui.wait_text("helo wrld")
        peer.send("/correct %s/tmux hello world" % ann)
        ui.wait_text("hello world (edited)")
        self.assertNotIn("helo wrld", ui.text(), ui.dump())
        self.assertIn("<ben", self.row_with(ui, "hello world"), ui.dump())

    def test_up_on_an_empty_line_edits_the_last_message(self):
        ui, peer, ann, ben = self.chat("c2")
        ui.line("teh cat sat")
        first = peer.expect("message", lambda e: e.get("body") == "teh cat sat")
        ui.keys("Up")
        ui.wait_input("/correct teh cat sat")
        ui.keys("C-a")
        for _ in range(len("/correct ")):
            ui.keys("Right")
        ui.keys("Delete", "Delete", "Delete")
        ui.type("the")
        ui.keys("Enter")
        ev = peer.expect("message", lambda e: e.get("body") == "the cat sat")
        self.assertEqual(ev.get("replaces"), first["id"], ev)
        ui.wait_text("the cat sat (edited)")
        self.assertNotIn("teh cat", ui.text(), ui.dump())
        # /correct TEXT in the window does the same.
        ui.line("/correct the cat sat down")
        ev = peer.expect("message", lambda e: e.get("body") == "the cat sat down")
        self.assertEqual(ev.get("replaces"), first["id"], ev)
        ui.wait_text("the cat sat down (edited)")
        # Up still walks the input history once the line is not empty.
        ui.type("x")
        ui.keys("C-u", "C-p")
        ui.wait_input("/correct the cat sat down")
        self.assertEqual(ui.quit(), 0, ui.dump())

    def test_check_marks_delivered_then_read(self):
        ui, peer, ann, ben = self.chat("k1")
        self.mutual(ui, peer, ann, ben)
        ui.line("are you there")
        peer.expect("message", lambda e: e.get("body") == "are you there")
        # A receipt (the peer answers it by itself): one check mark.
        ui.wait(lambda s: "are you there %s" % CHECK in s.text() and
                "are you there %s%s" % (CHECK, CHECK) not in s.text(), "one check mark")
        peer.send("/read %s" % ann)
        ui.wait_text("are you there %s%s" % (CHECK, CHECK))

    def test_displayed_sent_when_the_window_shows_the_message(self):
        ann, ben = self.users("d1")
        peer = self.connected(ben, resource="peer")
        ui = self.ui(jid=ann)
        self.mutual(ui, peer, ann, ben)
        peer.send("/msg %s/tmux look at this" % ann)
        sent = peer.expect("message", lambda e: e.get("outgoing"))
        ui.wait(lambda s: re.search(r"\[2:bend1[^]]*\*\]", s.status_line()),
                "activity in window 2")
        time.sleep(2)
        self.assertIsNone(peer.find("marker"), "displayed sent before the window was shown")
        ui.keys("M-2")
        ui.wait_text("look at this")
        ev = peer.expect("marker", timeout=10)
        self.assertEqual((ev.get("type"), ev.get("id")), ("displayed", sent.get("id")), ev)

    def test_no_displayed_while_the_terminal_has_no_focus(self):
        ui, peer, ann, ben = self.chat("d2")
        self.mutual(ui, peer, ann, ben)
        ui.keys("-H", *FOCUS_OUT)
        time.sleep(0.5)
        peer.send("/msg %s/tmux while away" % ann)
        ui.wait_text("while away")
        time.sleep(2)
        self.assertIsNone(peer.find("marker"), "displayed sent to an unfocused terminal")
        ui.keys("-H", *FOCUS_IN)
        ev = peer.expect("marker", timeout=10)
        self.assertEqual(ev.get("type"), "displayed", ev)

    def test_me_shown_as_an_action(self):
        ui, peer, ann, ben = self.chat("m1")
        peer.send("/msg %s/tmux /me waves" % ann)
        ui.wait_text("* benm1@localhost waves")
        ui.line("/me nods")
        peer.expect("message", lambda e: e.get("body") == "/me nods")
        ui.wait_text("* annm1 nods")
        self.assertNotIn("/me", "\n".join(ui.lines()[:-1]), ui.dump())

    def test_retraction_shown(self):
        ui, peer, ann, ben = self.chat("r1")
        peer.send("/raw <message to='%s/tmux' type='chat' id='r1'><body>oops, wrong chat"
                  "</body></message>" % ann)
        ui.wait_text("oops, wrong chat")
        peer.send("/raw <message to='%s/tmux' type='chat' id='r2'><body>fallback</body>"
                  "<retract xmlns='urn:xmpp:message-retract:1' id='r1'/></message>" % ann)
        ui.wait_text("(this message was retracted)")
        self.assertNotIn("oops", ui.text(), ui.dump())
        self.assertNotIn("fallback", ui.text(), ui.dump())

    def test_link_shown_and_opened(self):
        d = tempfile.mkdtemp(prefix="natter-open-")
        self.addCleanup(shutil.rmtree, d, True)
        out, opener = os.path.join(d, "opened"), os.path.join(d, "opener")
        with open(opener, "w") as f:
            f.write("#!/bin/sh\nprintf '%%s\\n' \"$1\" > '%s'\n" % out)
        os.chmod(opener, stat.S_IRWXU)
        ui, peer, ann, ben = self.chat("l1", natterrc={"general": {"opener": opener}})
        url = "https://example.org/photo.jpg"
        peer.send("/raw <message to='%s/tmux' type='chat' id='l1'><body>%s</body>"
                  "<x xmlns='jabber:x:oob'><url>%s</url></x></message>" % (ann, url, url))
        ui.wait_text(url)
        # Shown as a link: underlined.
        self.assertIn(4, ui.sgr_params(), ui.dump())
        ui.line("/open")
        deadline = time.monotonic() + 5
        while not os.path.exists(out) and time.monotonic() < deadline:
            time.sleep(0.05)
        with open(out) as f:
            self.assertEqual(f.read(), url + "\n")

    def test_upload_progress_bar_and_typing_meanwhile(self):
        d = tempfile.mkdtemp(prefix="natter-upload-")
        self.addCleanup(shutil.rmtree, d, True)
        path = os.path.join(d, "holiday.bin")
        with open(path, "wb") as f:
            f.write(os.urandom(500000))
        ui, peer, ann, ben = self.chat("u1")
        self.fx.upload_proxy.throttle(50000)
        self.addCleanup(self.fx.upload_proxy.honest)
        ui.line("/upload %s %s" % (ben, path))
        bar = re.compile(r"upload holiday\.bin \[#*\.+\] +\d+%")
        ui.wait(lambda s: any(bar.search(l) for l in s.lines()), "a progress bar", 15)
        # The screen takes keys while the file goes up.
        ui.line("meanwhile")
        peer.expect("message", lambda e: e.get("body") == "meanwhile", timeout=5)
        ui.wait_text("<ann" "u1> meanwhile")
        self.assertTrue(any(bar.search(l) for l in ui.lines()), ui.dump())
        ev = peer.expect("message", lambda e: e.get("oob_url"), timeout=30)
        ui.wait_text("uploaded %s" % path)
        ui.wait_text(ev["oob_url"][:30])
        self.assertEqual(ui.quit(), 0, ui.dump())

    def test_focus_out_and_idle_make_the_server_wait(self):
        ann, ben = self.users("f1")
        peer = self.connected(ben, resource="peer")
        ui = self.ui(jid=ann, natterrc={"ui": {"inactive_after": 3}})
        ui.line("/sub request %s" % ben)
        peer.expect("subscription", lambda e: e.get("type") == "subscribe")
        peer.send("/sub allow %s" % ann)
        ui.line("/msg %s" % ben)
        ui.wait_input("benf1")
        # Focus lost: the server holds presence back (csi_simple).
        ui.keys("-H", *FOCUS_OUT)
        time.sleep(2)
        peer.send("/status away gone fishing")
        time.sleep(3)
        self.assertNotIn("gone fishing", ui.text(), ui.dump())
        ui.keys("-H", *FOCUS_IN)
        ui.wait_text("gone fishing")
        # No key for inactive_after seconds: the same.
        time.sleep(3 + 2)
        peer.send("/status dnd do not disturb")
        time.sleep(3)
        self.assertNotIn("do not disturb", ui.text(), ui.dump())
        ui.keys("End")
        ui.wait_text("do not disturb")
        self.assertEqual(ui.quit(), 0, ui.dump())
