"""OMEMO in the terminal UI, against the independent python-omemo peer
(tests/lib/omemopeer.py): the status bar says the chat is encrypted, each
encrypted message is marked, an unencrypted one in an encrypted chat is
marked as such, an undecryptable one is never shown as its fallback, and
fingerprints are shown four groups a line."""

import os
import shutil
import tempfile
import unittest

from slixdriver import PYTHON, SlixPeer
from run import TmuxTestCase

import subprocess


def have_omemo():
    return subprocess.run([PYTHON, "-c", "import slixmpp, omemo, oldmemo"],
                          capture_output=True, timeout=60).returncode == 0


@unittest.skipUnless(have_omemo(), "python3-omemo / python3-oldmemo are not installed")
class TestOmemoScreen(TmuxTestCase):

    def test_encrypted_chat_on_screen(self):
        me, them = self.users("om", "ann", "ben")
        store = tempfile.mkdtemp(prefix="natter-omemo-tmux-")
        self.addCleanup(shutil.rmtree, store, True)
        peer = SlixPeer(self.fx, them + "/py", "benompw", script="omemopeer.py",
                        extra=["--store", os.path.join(store, "ben.json")])
        self.addCleanup(peer.close)
        ready = peer.expect("ready", timeout=40)
        ui = self.ui(me)
        ui.line("/msg %s" % them)
        ui.wait_input(them + ">")
        self.assertNotIn("[OMEMO]", ui.status_line(), ui.dump())
        ui.line("/omemo on %s" % them)
        ui.wait_status("[OMEMO]")
        ui.line("for your eyes only")
        ev = peer.expect("message", lambda e: e.get("body") == "for your eyes only", timeout=20)
        self.assertTrue(ev["encrypted"], ev)
        def marked(tag, text):
            ui.wait(lambda s: any(tag in l and text in l and l.index(tag) < l.index(text)
                                  for l in s.lines()), "%s marked %s" % (text, tag))
        marked("[OMEMO] ", "for your eyes only")
        peer.send(cmd="msg", to=me, body="encrypted reply")
        marked("[OMEMO] ", "encrypted reply")
        peer.send(cmd="plain", to=me, body="careless reply")
        marked("[unencrypted] ", "careless reply")
        peer.send(cmd="corrupt", to=me, body="garbled")
        ui.wait_text("message could not be")
        self.assertNotIn("encrypted message", ui.text(), ui.dump())
        self.assertNotIn("garbled", ui.text(), ui.dump())
        # The contact's fingerprint, as its own client shows it, four groups a line.
        ui.line("/omemo fingerprint %s" % them)
        groups = ready["fingerprint"].split()
        ui.wait_text(" ".join(groups[:4]))
        ui.wait_text(" ".join(groups[4:]))
        ui.line("/omemo off %s" % them)
        ui.wait(lambda s: "[OMEMO]" not in s.status_line(), "the status bar without [OMEMO]")
        # The history keeps what was encrypted, marked, after a restart too.
        self.assertEqual(ui.quit(), 0, ui.dump())
        ui.restart()
        ui.wait_status("online", timeout=15)
        ui.line("/msg %s" % them)
        ui.wait_input(them + ">")
        marked("[OMEMO] ", "for your eyes only")
        marked("[OMEMO] ", "encrypted reply")
        ui.wait_text("message could not be")
        self.assertNotIn("garbled", ui.text(), ui.dump())
