"""OMEMO in the terminal UI, against the independent python-omemo peer
(tests/lib/omemopeer.py): the status bar says the chat is encrypted, each
encrypted message is marked, an unencrypted one in an encrypted chat is
marked as such, an undecryptable one is never shown as its fallback, and
fingerprints are shown four groups a line; the same in a members-only room."""

import os
import shutil
import tempfile
import unittest
import uuid

from slixdriver import PYTHON, SlixPeer
from run import TmuxTestCase

import subprocess


def have_omemo():
    return subprocess.run([PYTHON, "-c", "import slixmpp, omemo, oldmemo"],
                          capture_output=True, timeout=60).returncode == 0


@unittest.skipUnless(have_omemo(), "python3-omemo / python3-oldmemo are not installed")
class TestOmemoScreen(TmuxTestCase):

    @staticmethod
    def marked(ui, tag, text):
        ui.wait(lambda s: any(tag in l and text in l and l.index(tag) < l.index(text)
                              for l in s.lines()), "%s marked %s" % (text, tag))

    def omemo_peer(self, jid, password):
        store = tempfile.mkdtemp(prefix="natter-omemo-tmux-")
        self.addCleanup(shutil.rmtree, store, True)
        peer = SlixPeer(self.fx, jid + "/py", password, script="omemopeer.py",
                        extra=["--store", os.path.join(store, "peer.json")])
        self.addCleanup(peer.close)
        return peer, peer.expect("ready", timeout=40)

    def test_encrypted_chat_on_screen(self):
        me, them = self.users("om", "ann", "ben")
        peer, ready = self.omemo_peer(them, "benompw")
        ui = self.ui(me)
        ui.line("/msg %s" % them)
        ui.wait_input(them + ">")
        self.assertNotIn("[OMEMO]", ui.status_line(), ui.dump())
        ui.line("/omemo on %s" % them)
        ui.wait_status("[OMEMO]")
        ui.line("for your eyes only")
        ev = peer.expect("message", lambda e: e.get("body") == "for your eyes only", timeout=20)
        self.assertTrue(ev["encrypted"], ev)
        self.marked(ui, "[OMEMO] ", "for your eyes only")
        peer.send(cmd="msg", to=me, body="encrypted reply")
        self.marked(ui, "[OMEMO] ", "encrypted reply")
        peer.send(cmd="plain", to=me, body="careless reply")
        self.marked(ui, "[unencrypted] ", "careless reply")
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
        self.marked(ui, "[OMEMO] ", "for your eyes only")
        self.marked(ui, "[OMEMO] ", "encrypted reply")
        ui.wait_text("message could not be")
        self.assertNotIn("garbled", ui.text(), ui.dump())

    def test_encrypted_room_on_screen(self):
        me, them = self.users("omr", "ann", "ben")
        peer, _ = self.omemo_peer(them, "benomrpw")
        local = "secret%s" % uuid.uuid4().hex[:6]
        room = "%s@conference.localhost" % local
        # Members-only, real JIDs shown to all: where OMEMO can work.
        peer.send(cmd="muc_join", room=room, nick="ben",
                  config={"muc#roomconfig_membersonly": True, "muc#roomconfig_whois": "anyone"})
        peer.expect("muc_joined", lambda e: e["room"] == room, timeout=20)
        peer.send(cmd="muc_affiliation", room=room, jid=me, affiliation="member")
        peer.expect("done", lambda e: e["cmd"] == "muc_affiliation", timeout=15)
        ui = self.ui(me)
        ui.line("/join %s/ann" % room)
        ui.wait_input("%s>" % local, timeout=15)
        self.assertNotIn("[OMEMO]", ui.status_line(), ui.dump())
        # Without a JID: the room whose window this is.
        ui.line("/omemo on")
        ui.wait_status("[OMEMO]")
        ui.line("whispered to the members")
        ev = peer.expect("groupchat", lambda e: e.get("body") == "whispered to the members",
                         timeout=20)
        self.assertTrue(ev["encrypted"], ev)
        self.marked(ui, "[OMEMO] ", "whispered to the members")
        peer.send(cmd="groupmsg", room=room, body="encrypted for the room")
        self.marked(ui, "[OMEMO] ", "encrypted for the room")
        peer.send(cmd="groupchat", room=room, body="careless in the room")
        self.marked(ui, "[unencrypted] ", "careless in the room")
        self.assertNotIn("OMEMO encrypted message", ui.text(), ui.dump())
        ui.line("/omemo off")
        ui.wait(lambda s: "[OMEMO]" not in s.status_line(), "the status bar without [OMEMO]")
