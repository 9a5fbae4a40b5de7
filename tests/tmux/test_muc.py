"""Group chat in the terminal UI: a room's window with its subject above and
its occupants beside (hidden with F3), nick completion, mentions, join and
leave lines, rooms in the roster pane, private messages, invitations, the
offline-contacts setting, and a room flood that must not freeze typing.

Rooms live on the shared Prosody's conference.localhost; the other
occupants are slixmpp clients (tests/lib/slixpeer.py)."""

import re
import threading
import time
import uuid

from run import TmuxTestCase
from slixdriver import SlixPeer

SERVICE = "conference.localhost"
PANE = 25  # the roster pane's text columns


class TestMuc(TmuxTestCase):

    def peer(self, tag, nick=None):
        """A slixmpp client of an account of its own."""
        user = "%s%s" % (tag, uuid.uuid4().hex[:6])
        self.fx.register(user, "localhost", user + "pw")
        p = SlixPeer(self.fx, "%s@localhost/slix" % user, user + "pw")
        self.addCleanup(p.close)
        p.expect("ready", timeout=20)
        return p

    def room(self, owner, tag, nick, subject=None):
        """A room the peer created (unlocked) and stays in; its local part
        is what the window list calls it."""
        local = "%s%s" % (tag, uuid.uuid4().hex[:6])
        room = "%s@%s" % (local, SERVICE)
        owner.send(cmd="muc_join", room=room, nick=nick)
        owner.expect("muc_joined", lambda e: e["room"] == room, timeout=15)
        if subject:
            owner.send(cmd="groupchat", room=room, subject=subject)
            owner.expect("muc_subject", lambda e: e["subject"] == subject)
        return room, local

    def join(self, ui, room, local, nick="Alice"):
        ui.line("/join %s/%s" % (room, nick))
        ui.wait_status("[2:%s]" % local, timeout=15)
        ui.wait_input("%s>" % local)

    @staticmethod
    def occ_rows(ui):
        """The occupant list: the columns right of the last border."""
        rows = []
        for l in ui.lines()[:-2]:
            i = l.rfind("\u2502")
            rows.append(l[i + 1:].strip() if i > PANE else "")
        return rows

    def test_room_window_subject_occupants_and_hiding(self):
        carol = self.peer("carol")
        room, local = self.room(carol, "tea", "Carol", subject="Tea & biscuits at four")
        ui = self.ui(cols=120)
        self.join(ui, room, local)
        # The subject on top of the window, the occupants beside it, by role.
        ui.wait(lambda s: "Tea & biscuits at four" in s.lines()[0], "the subject on top")
        ui.wait(lambda s: "Moderators (1)" in self.occ_rows(s), "the occupant list")
        occ = self.occ_rows(ui)
        self.assertIn("+ Carol", occ, ui.dump())
        self.assertIn("Participants (1)", occ, ui.dump())
        self.assertIn("+ Alice", occ, ui.dump())
        # Presence shows there too.
        carol.send(cmd="raw", xml="<presence to='%s/Carol'><show>away</show></presence>" % room)
        ui.wait(lambda s: "~ Carol" in self.occ_rows(s), "carol away in the list")
        carol.send(cmd="groupchat", room=room, body="welcome to the room")
        ui.wait_text("<Carol> welcome to the room")
        # F3 hides the list (the messages get its columns), F3 shows it again.
        ui.keys("F3")
        ui.wait(lambda s: "Moderators (1)" not in s.text(), "the list hidden")
        ui.keys("F3")
        ui.wait(lambda s: "Moderators (1)" in s.text(), "the list back")
        ui.line("/occupants hide")
        ui.wait(lambda s: "Moderators (1)" not in s.text(), "the list hidden by command")
        # A chat window has neither subject nor list.
        ui.line("/occupants show")
        ui.keys("M-1")
        ui.wait(lambda s: "Tea & biscuits" not in s.lines()[0], "no subject in the console")
        self.assertNotIn("Moderators", ui.text(), ui.dump())

    def test_corrections_and_actions_in_a_room(self):
        carol = self.peer("carol")
        room, local = self.room(carol, "fix", "Carol")
        ui = self.ui(cols=120)
        self.join(ui, room, local)
        carol.send(cmd="groupchat", room=room, body="helo all", id="m1")
        ui.wait_text("<Carol> helo all")
        carol.send(cmd="groupchat", room=room, body="hello all", id="m2", replace="m1")
        ui.wait_text("hello all (edited)")
        self.assertNotIn("helo all", ui.text(), ui.dump())
        carol.send(cmd="groupchat", room=room, body="/me waves")
        ui.wait_text("* Carol waves")
        # Ours: Up on an empty line in the room's window, then Enter.
        ui.line("teh cake")
        first = carol.expect("groupchat", lambda e: e["body"] == "teh cake", timeout=10)
        ui.keys("Up")
        ui.wait_input("/correct teh cake")
        ui.keys("C-u")
        ui.line("/correct the cake")
        ev = carol.expect("groupchat", lambda e: e["body"] == "the cake", timeout=10)
        self.assertEqual(ev["replace"], first["id"], ev)
        ui.wait_text("the cake (edited)")
        self.assertNotIn("teh cake", "\n".join(ui.lines()[:-1]), ui.dump())
        self.assertEqual(ui.quit(), 0, ui.dump())

    def test_tab_completes_nicks(self):
        carol = self.peer("carol")
        room, local = self.room(carol, "tab", "Caroline")
        dave = self.peer("dave")
        dave.send(cmd="muc_join", room=room, nick="Dave")
        dave.expect("muc_joined", timeout=15)
        ui = self.ui()
        self.join(ui, room, local)
        ui.wait(lambda s: "+ Dave" in self.occ_rows(s), "dave in the list")
        # At the start of a line: "nick: ".
        ui.type("ca")
        ui.keys("Tab")
        ui.wait_input("%s> Caroline:" % local)
        self.assertEqual(ui.cursor()[0], len("%s> Caroline: " % local), ui.dump())
        ui.type("hello")
        ui.keys("Enter")
        ev = carol.expect("groupchat", lambda e: e["nick"] == "Alice", timeout=10)
        self.assertEqual(ev["body"], "Caroline: hello", ev)
        # Later in the line: just the nick.
        ui.type("thanks d")
        ui.keys("Tab")
        ui.wait_input("%s> thanks Dave" % local)
        self.assertEqual(ui.cursor()[0], len("%s> thanks Dave " % local), ui.dump())
        ui.keys("C-u")
        # A command's argument too.
        ui.type("/kick D")
        ui.keys("Tab")
        ui.wait_input("%s> /kick Dave" % local)

    def test_mention_highlights_and_rings(self):
        carol = self.peer("carol")
        room, local = self.room(carol, "hl", "Carol")
        ui = self.ui()
        self.join(ui, room, local)
        ui.keys("M-1")
        ui.wait_status("[1:console]")
        # Ordinary chatter marks the window, without the bell.
        carol.send(cmd="groupchat", room=room, body="just talking")
        ui.wait_status("[2:%s*]" % local)
        time.sleep(0.5)
        self.assertFalse(ui.bell_rang(), "the bell rang for a room message")
        # Our nick: a stronger mark, and the bell.
        carol.send(cmd="groupchat", room=room, body="alice, are you there?")
        ui.wait_status("[2:%s!]" % local)
        ui.wait(lambda s: s.bell_rang(), "the bell for a mention")
        # The line stands out (the highlight colour: red, bold).
        ui.keys("M-2")
        ui.wait_text("<Carol> alice, are you there?")
        raw = ui.tmux("capture-pane", "-p", "-e", "-t", "ui")
        row = [l for l in raw.split("\n") if "are you there" in l][0]
        self.assertRegex(row, r"\x1b\[[0-9;]*(31|1)[;m]", repr(row))

    def test_every_room_message_rings_when_asked(self):
        carol = self.peer("carol")
        room, local = self.room(carol, "bell", "Carol")
        ui = self.ui(natterrc={"rooms": {"bell": True}})
        self.join(ui, room, local)
        ui.keys("M-1")
        ui.wait_status("[1:console]")
        carol.send(cmd="groupchat", room=room, body="nothing about you")
        ui.wait_status("[2:%s*]" % local)
        ui.wait(lambda s: s.bell_rang(), "the bell for any room message")

    def test_join_and_leave_lines_and_their_setting(self):
        carol = self.peer("carol")
        room, local = self.room(carol, "jl", "Carol")
        ui = self.ui()
        self.join(ui, room, local)
        dave = self.peer("dave")
        dave.send(cmd="muc_join", room=room, nick="Dave")
        ui.wait_text("-> Dave joined")
        dave.send(cmd="muc_nick", room=room, nick="David")
        ui.wait_text("Dave is now known as David")
        dave.send(cmd="muc_leave", room=room, nick="David")
        ui.wait_text("<- David left")
        # Turned off: nobody's coming and going is shown, the rest is.
        quiet = self.ui(jid=self.fresh_user("quiet"), natterrc={"rooms": {"show_joins": False}})
        self.join(quiet, room, local, nick="Quiet")
        dave.send(cmd="muc_join", room=room, nick="Dave")
        quiet.wait(lambda s: "+ Dave" in self.occ_rows(s), "dave in the list")
        carol.send(cmd="muc_role", room=room, nick="Dave", role="none", reason="out")
        quiet.wait_text("Dave was kicked")
        self.assertNotIn("Dave joined", quiet.text(), quiet.dump())

    def fresh_user(self, tag):
        user = "%s%s" % (tag, uuid.uuid4().hex[:6])
        self.fx.register(user, "localhost", user + "pw")
        return "%s@localhost" % user

    def test_roster_pane_lists_rooms_with_unread(self):
        carol = self.peer("carol")
        room, local = self.room(carol, "pn", "Carol")
        ui = self.ui()
        self.join(ui, room, local)
        ui.keys("M-1")
        ui.wait_status("[1:console]")
        carol.send(cmd="groupchat", room=room, body="one")
        carol.send(cmd="groupchat", room=room, body="two")
        rx = re.compile(r"^ # %s +\(2\)" % re.escape(local))
        ui.wait(lambda s: any(rx.search(l[:PANE]) for l in s.lines()), "the room and (2)")
        self.assertTrue(any(l.startswith("Rooms") for l in ui.lines()), ui.dump())
        ui.keys("M-2")
        ui.wait(lambda s: not any("(2)" in l[:PANE] for l in s.lines()), "the count cleared")

    def test_roster_offline_setting(self):
        ui = self.ui(jid=self.fresh_user("ro"))
        ui.line("/roster add nobody%s@localhost Nobody" % uuid.uuid4().hex[:6])
        ui.wait(lambda s: any("1 offline hidden" in l[:PANE] for l in s.lines()),
                "the offline contact hidden by default")
        # /set changes it at once.
        ui.line("/set ui.roster_offline true")
        ui.wait(lambda s: any(l[:PANE].startswith(" . Nobody") for l in s.lines()),
                "the offline contact listed after /set")
        ui2 = self.ui(jid=self.fresh_user("ro"), natterrc={"ui": {"roster_offline": True}})
        ui2.line("/roster add nobody%s@localhost Nobody" % uuid.uuid4().hex[:6])
        ui2.wait(lambda s: any(l[:PANE].startswith(" . Nobody") for l in s.lines()),
                 "the offline contact listed")

    def test_private_messages_in_their_own_window(self):
        carol = self.peer("carol")
        room, local = self.room(carol, "pm", "Carol")
        ui = self.ui()
        self.join(ui, room, local)
        carol.send(cmd="msg", to=room + "/Alice", body="a word in private", type="chat")
        ui.wait_status("[3:%s/Carol*]" % local)
        ui.keys("M-3")
        ui.wait_text("<Carol> a word in private")
        ui.line("private reply")
        ev = carol.expect("message", lambda e: e.get("body") == "private reply", timeout=10)
        self.assertEqual(ev["from"], room + "/Alice", ev)
        # The room's window did not get it.
        ui.keys("M-2")
        ui.wait_input("%s>" % local)
        self.assertNotIn("private reply", ui.text(), ui.dump())
        # Left, the room's window stays, and says so to what is typed there.
        ui.line("/part")
        ui.wait_text("you left %s" % room)
        ui.wait(lambda s: "not in the room" in s.text(), "the list emptied")
        ui.line("anyone?")
        ui.wait_text("you are not in %s" % room)
        time.sleep(0.5)
        self.assertFalse(any(e.get("body") == "anyone?" for e in carol.events), carol.events)

    def test_invitation_accepted_with_one_key(self):
        carol = self.peer("carol")
        room, local = self.room(carol, "inv", "Carol")
        ui = self.ui()
        carol.send(cmd="muc_invite", room=room, to="alice@localhost", reason="come in")
        ui.wait_text("invites you to")
        ui.wait_text("(Tab on an empty line in the")
        ui.keys("Tab")
        ui.wait_input("/join %s" % room)
        ui.keys("Enter")
        ui.wait_status("[2:%s]" % local, timeout=15)
        ui.wait(lambda s: "+ Carol" in self.occ_rows(s), "in the room")

    def test_room_flood_leaves_typing_responsive(self):
        carol = self.peer("carol")
        room, local = self.room(carol, "flood", "Carol")
        ui = self.ui(jid=self.fresh_user("fl"))
        self.join(ui, room, local, nick="Reader")
        ui.keys("M-1")
        ui.wait_status("[1:console]")
        flood = 3000
        lines = "".join('{"cmd": "groupchat", "room": "%s", "body": "flood %05d"}\n'
                        % (room, i) for i in range(flood))

        def write_all():
            try:
                carol.proc.stdin.write(lines)
                carol.proc.stdin.flush()
            except (OSError, ValueError):
                pass

        threading.Thread(target=write_all, daemon=True).start()
        ui.wait_status("[2:%s*]" % local, timeout=60)
        t0 = time.monotonic()
        ui.type("still responsive")
        ui.wait_input("console> still responsive", timeout=10)
        self.assertLess(time.monotonic() - t0, 10)
        ui.keys("C-u")
        ui.keys("M-2")
        ui.wait_text("flood %05d" % (flood - 1), timeout=120)
        ui.line("got them")
        carol.expect("groupchat", lambda e: e["body"] == "got them", timeout=30)
