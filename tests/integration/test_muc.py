"""Group chat (XEP-0045) and bookmarks (XEP-0402, XEP-0048) against Prosody's
own MUC component (conference.localhost, with muc_mam) and mod_bookmarks,
with slixmpp clients (tests/lib/slixpeer.py) as the other occupants."""

import unittest
import uuid

from natter import NatterTestCase, plain
from slixdriver import SlixPeer, have_slixmpp

SERVICE = "conference.localhost"


def room_name(tag):
    """A room of this test's own on the shared server."""
    return "%s-%s@%s" % (tag, uuid.uuid4().hex[:8], SERVICE)


def plain_events(n):
    """The driver keeps nested objects as (key, value) pairs; these tests
    read occupants, bookmarks and forms as dicts."""
    expect, find = n.expect, n.find
    n.expect = lambda name, pred=None, **kw: plain(expect(
        name, None if pred is None else lambda e: pred(plain(e)), **kw))
    n.find = lambda name, pred=None, **kw: find(
        name, None if pred is None else lambda e: pred(plain(e)), **kw)
    return n


@unittest.skipUnless(have_slixmpp(), "python3-slixmpp is not installed")
class TestMuc(NatterTestCase):

    def natter(self, *args, **kw):
        return plain_events(super().natter(*args, **kw))

    def peer(self, user, resource="slix"):
        """A slixmpp client for user@localhost (registered afresh when new)."""
        jid = "%s@localhost" % user
        if jid not in self.fx.users:
            self.fx.register(user, "localhost", user + "pw")
        p = SlixPeer(self.fx, "%s/%s" % (jid, resource), self.fx.users[jid])
        self.addCleanup(p.close)
        p.expect("ready", timeout=20)
        return p

    def user(self, name):
        """A fresh account of this test's own; its bare JID."""
        user = "%s%s" % (name, uuid.uuid4().hex[:6])
        self.fx.register(user, "localhost", user + "pw")
        return "%s@localhost" % user

    def owned_room(self, owner, tag, nick="owner", **cmd):
        """A room the slixmpp peer owner created (unlocked) and stays in."""
        room = room_name(tag)
        owner.send(cmd="muc_join", room=room, nick=nick, **cmd)
        owner.expect("muc_joined", lambda e: e["room"] == room, timeout=15)
        return room

    def joined(self, n, room, nick, since=None):
        n.send("/join %s/%s" % (room, nick))
        return n.expect("muc_joined", lambda e: e.get("room") == room, timeout=15, since=since)

    # ---- rooms ----

    def test_join_reports_occupants_history_and_subject(self):
        carol = self.peer("carol")
        room = self.owned_room(carol, "hist", nick="Carol")
        carol.send(cmd="groupchat", room=room, body="said before you came")
        carol.send(cmd="groupchat", room=room, body="and this too")
        carol.send(cmd="groupchat", room=room, subject="Tea & <biscuits>")
        carol.expect("muc_subject", lambda e: e["subject"] == "Tea & <biscuits>")
        alice = self.connected("alice@localhost", resource="mucres")
        ev = self.joined(alice, room, "Alice")
        self.assertEqual(ev["nick"], "Alice", ev)
        occ = {o["nick"]: o for o in ev["occupants"]}
        self.assertEqual(set(occ), {"Alice", "Carol"}, ev)
        self.assertEqual(occ["Carol"]["role"], "moderator", ev)
        self.assertEqual(occ["Carol"]["affiliation"], "owner", ev)
        self.assertEqual(occ["Alice"]["role"], "participant", ev)
        self.assertNotIn("created", ev)
        # The history the room sends, marked delayed, then the subject.
        for body in ("said before you came", "and this too"):
            m = alice.expect("message", lambda e, b=body: e.get("body") == b)
            self.assertTrue(m.get("delayed"), m)
            self.assertEqual(m.get("type"), "groupchat", m)
            self.assertEqual(m.get("room"), room, m)
            self.assertEqual(m.get("nick"), "Carol", m)
            self.assertTrue(m.get("stamp"), m)
        ev = alice.expect("muc_subject", lambda e: e.get("room") == room)
        self.assertEqual(ev["subject"], "Tea & <biscuits>", ev)
        self.assertEqual(ev.get("nick"), "Carol", ev)
        # Occupants are never taken for contacts.
        self.assertIsNone(alice.find("presence", lambda e: room in e.get("from", "")))
        alice.quit()

    def test_new_room_is_unlocked_at_once(self):
        alice = self.connected("alice@localhost", resource="mucres")
        room = room_name("instant")
        ev = self.joined(alice, room, "Alice")
        self.assertTrue(ev.get("created"), ev)
        self.assertEqual(ev["occupants"][0]["affiliation"], "owner", ev)
        alice.expect("info", lambda e: "instant room" in e.get("text", ""), timeout=10)
        # Unlocked: someone else can come in at once.
        bob = self.peer("bob")
        bob.send(cmd="muc_join", room=room, nick="Bob")
        bob.expect("muc_joined", timeout=15)
        ev = alice.expect("muc_presence", lambda e: e.get("nick") == "Bob")
        self.assertEqual(ev["type"], "available", ev)
        alice.quit()

    def test_configure_keeps_a_new_room_locked(self):
        alice = self.connected("alice@localhost", resource="mucres")
        room = room_name("locked")
        alice.send("/join %s/Alice configure" % room)
        alice.expect("muc_joined", lambda e: e.get("room") == room, timeout=15)
        form = alice.expect("muc_config", lambda e: e.get("room") == room, timeout=10)
        vars_ = [f.get("var") for f in form["fields"]]
        self.assertIn("muc#roomconfig_roomname", vars_, form)
        # Locked: nobody else gets in yet.
        other = self.connected(self.user("guest"), resource="g")
        other.send("/join %s/Guest" % room)
        ev = other.expect("error", lambda e: e.get("command") == "join", timeout=15)
        self.assertEqual(ev["condition"], "item-not-found", ev)
        alice.send('/roomconfig %s muc#roomconfig_roomname="Tea room"' % room)
        alice.expect("info", lambda e: "configuration saved" in e.get("text", ""), timeout=10)
        other.send("/join %s/Guest" % room)
        self.joined(other, room, "Guest")
        alice.send("/roomconfig %s" % room)
        form = alice.expect("muc_config", lambda e: e.get("room") == room, timeout=10)
        name = [f for f in form["fields"] if f.get("var") == "muc#roomconfig_roomname"][0]
        self.assertEqual(name["values"], ["Tea room"], form)
        alice.quit()

    def test_join_errors_carry_the_room_condition(self):
        carol = self.peer("carol")
        alice = self.connected("alice@localhost", resource="mucres")
        # conflict: the nick is taken; /join again with another works
        room = self.owned_room(carol, "taken", nick="Alice")
        alice.send("/join %s/Alice" % room)
        ev = alice.expect("error", lambda e: e.get("command") == "join", timeout=15)
        self.assertEqual(ev["condition"], "conflict", ev)
        ev = self.joined(alice, room, "Alice2")
        self.assertEqual(ev["nick"], "Alice2", ev)
        # not-authorized: a password is needed
        room = self.owned_room(carol, "secret", config={"muc#roomconfig_roomsecret": "s3cret"})
        alice.send("/join %s/Alice" % room)
        ev = alice.expect("error", lambda e: e.get("command") == "join", timeout=15)
        self.assertEqual(ev["condition"], "not-authorized", ev)
        alice.send("/join %s/Alice password=s3cret" % room)
        alice.expect("muc_joined", lambda e: e.get("room") == room, timeout=15)
        # registration-required: members only
        room = self.owned_room(carol, "members", config={"muc#roomconfig_membersonly": True})
        alice.send("/join %s/Alice" % room)
        ev = alice.expect("error", lambda e: e.get("command") == "join", timeout=15)
        self.assertEqual(ev["condition"], "registration-required", ev)
        # forbidden: banned
        room = self.owned_room(carol, "banned")
        carol.send(cmd="muc_affiliation", room=room, jid="alice@localhost",
                   affiliation="outcast")
        carol.expect("done", lambda e: e["cmd"] == "muc_affiliation")
        alice.send("/join %s/Alice" % room)
        ev = alice.expect("error", lambda e: e.get("command") == "join", timeout=15)
        self.assertEqual(ev["condition"], "forbidden", ev)
        # item-not-found: a room someone created and has not unlocked
        room = room_name("unready")
        carol.send(cmd="muc_join", room=room, nick="c", locked=True)
        carol.expect("muc_joined", lambda e: e["room"] == room, timeout=15)
        alice.send("/join %s/Alice" % room)
        ev = alice.expect("error", lambda e: e.get("command") == "join", timeout=15)
        self.assertEqual(ev["condition"], "item-not-found", ev)
        # Nothing half-joined is left behind.
        alice.send("/who %s" % room)
        ev = alice.expect("error", lambda e: e.get("command") == "who", timeout=10)
        self.assertEqual(ev["condition"], "item-not-found", ev)
        alice.quit()

    def test_messages_both_ways_own_echo_once(self):
        carol = self.peer("carol")
        room = self.owned_room(carol, "talk", nick="Carol")
        alice = self.connected("alice@localhost", resource="mucres")
        self.joined(alice, room, "Alice")
        mark = alice.mark()
        alice.send("/msg %s hello from natter, ünïcode & <xml>" % room)
        ev = carol.expect("groupchat", lambda e: e["nick"] == "Alice", timeout=10)
        self.assertEqual(ev["body"], "hello from natter, ünïcode & <xml>", ev)
        carol.send(cmd="groupchat", room=room, body="hello from slixmpp")
        ev = alice.expect("message", lambda e: e.get("body") == "hello from slixmpp")
        self.assertEqual(ev["from"], room + "/Carol", ev)
        self.assertFalse(ev.get("delayed"), ev)
        self.assertFalse(ev.get("outgoing"), ev)
        # Ours: reported once (when sent), the room's copy not again.
        alice.expect_none("message", lambda e: e.get("body", "").startswith("hello from natter")
                          and not e.get("origin"), within=1.5, since=mark)
        mine = [plain(e) for e in alice.events[mark:] if e.get("event") == "message"
                and e.get("body", "").startswith("hello from natter")]
        self.assertEqual(len(mine), 1, mine)
        self.assertTrue(mine[0].get("outgoing"), mine)
        # Stored once each; /history ROOM and /history search cover rooms.
        alice.send("/history %s" % room)
        ev = alice.expect("history", lambda e: e.get("with") == room)
        bodies = [m["body"] for m in ev["messages"]]
        self.assertEqual(bodies, ["hello from natter, ünïcode & <xml>", "hello from slixmpp"],
                         ev)
        self.assertEqual(ev["messages"][0]["direction"], "out", ev)
        alice.send("/history search slixmpp")
        ev = alice.expect("history", lambda e: e.get("query") == "slixmpp")
        self.assertIn(room + "/Carol", [m["from"] for m in ev["messages"]], ev)
        alice.quit()

    def test_private_messages_both_ways(self):
        carol = self.peer("carol")
        room = self.owned_room(carol, "pm", nick="Carol")
        alice = self.connected("alice@localhost", resource="mucres")
        self.joined(alice, room, "Alice")
        carol.send(cmd="msg", to=room + "/Alice", body="just between us", type="chat")
        ev = alice.expect("message", lambda e: e.get("body") == "just between us")
        self.assertEqual(ev["from"], room + "/Carol", ev)
        self.assertEqual(ev["type"], "chat", ev)
        self.assertEqual(ev.get("room"), room, ev)
        self.assertEqual(ev.get("nick"), "Carol", ev)
        alice.send("/msg %s/Carol secret reply" % room)
        ev = carol.expect("message", lambda e: e.get("body") == "secret reply", timeout=10)
        self.assertEqual(ev["from"], room + "/Alice", ev)
        self.assertEqual(ev["type"], "chat", ev)
        # A conversation of its own, not in the room's history.
        alice.send("/history %s/Carol" % room)
        ev = alice.expect("history")
        self.assertEqual([m["body"] for m in ev["messages"]],
                         ["just between us", "secret reply"], ev)
        alice.send("/history %s" % room)
        ev = alice.expect("history", lambda e: e.get("with") == room)
        self.assertEqual(ev["messages"], [], ev)
        alice.quit()

    def test_occupants_change_kicks_bans_destroy(self):
        carol = self.peer("carol")
        room = self.owned_room(carol, "occ", nick="Carol")
        alice = self.connected("alice@localhost", resource="mucres")
        self.joined(alice, room, "Alice")
        dave = self.peer(self.user("dave").split("@")[0])
        dave.send(cmd="muc_join", room=room, nick="Dave")
        ev = alice.expect("muc_presence", lambda e: e.get("nick") == "Dave", timeout=15)
        self.assertEqual(ev["type"], "available", ev)
        # nick change (303)
        dave.send(cmd="muc_nick", room=room, nick="David")
        ev = alice.expect("muc_presence", lambda e: e.get("nick") == "Dave")
        self.assertEqual(ev["type"], "unavailable", ev)
        self.assertIn(303, ev["codes"], ev)
        self.assertEqual(ev["new_nick"], "David", ev)
        alice.expect("muc_presence", lambda e: e.get("nick") == "David"
                     and e["type"] == "available")
        # role change
        carol.send(cmd="muc_role", room=room, nick="David", role="moderator")
        ev = alice.expect("muc_presence", lambda e: e.get("nick") == "David"
                          and e.get("role") == "moderator")
        # kick (307) with the reason
        erin = self.peer(self.user("erin").split("@")[0])
        erin.send(cmd="muc_join", room=room, nick="Erin")
        alice.expect("muc_presence", lambda e: e.get("nick") == "Erin"
                     and e["type"] == "available", timeout=15)
        carol.send(cmd="muc_role", room=room, nick="Erin", role="none", reason="too loud")
        ev = alice.expect("muc_presence", lambda e: e.get("nick") == "Erin"
                          and e["type"] == "unavailable")
        self.assertIn(307, ev["codes"], ev)
        self.assertEqual(ev.get("reason"), "too loud", ev)
        # ban (301)
        carol.send(cmd="muc_affiliation", room=room, jid=dave.jid.split("/")[0],
                   affiliation="outcast", reason="enough")
        ev = alice.expect("muc_presence", lambda e: e.get("nick") == "David"
                          and e["type"] == "unavailable")
        self.assertIn(301, ev["codes"], ev)
        self.assertEqual(ev.get("reason"), "enough", ev)
        # /who: what is left
        alice.send("/who %s" % room)
        ev = alice.expect("muc_occupants", lambda e: e.get("room") == room)
        self.assertEqual(sorted(o["nick"] for o in ev["occupants"]), ["Alice", "Carol"], ev)
        # We are kicked: the room ends for us.
        carol.send(cmd="muc_role", room=room, nick="Alice", role="none", reason="bye")
        ev = alice.expect("muc_left", lambda e: e.get("room") == room)
        self.assertIn(307, ev["codes"], ev)
        self.assertEqual(ev.get("reason"), "bye", ev)
        self.assertFalse(ev.get("rejoining"), ev)
        alice.send("/msg %s still here?" % room)
        ev = alice.expect("message", lambda e: e.get("body") == "still here?")
        # (not in the room: a plain chat message, which the room refuses)
        self.assertNotEqual(ev.get("type"), "groupchat", ev)
        # Back in, then the room is destroyed.
        self.joined(alice, room, "Alice")
        carol.send(cmd="muc_destroy", room=room, reason="closing",
                   alternate="elsewhere@" + SERVICE)
        ev = alice.expect("muc_left", lambda e: e.get("room") == room)
        self.assertTrue(ev.get("destroyed"), ev)
        self.assertEqual(ev.get("reason"), "closing", ev)
        self.assertEqual(ev.get("alternate"), "elsewhere@" + SERVICE, ev)
        alice.quit()

    def test_room_commands(self):
        carol = self.peer("carol")
        alice = self.connected("alice@localhost", resource="mucres")
        room = room_name("cmds")
        self.joined(alice, room, "Alice")
        alice.expect("info", lambda e: "instant room" in e.get("text", ""), timeout=10)
        carol.send(cmd="muc_join", room=room, nick="Carol")
        carol.expect("muc_joined", timeout=15)
        alice.send("/subject %s Planning & <stuff>" % room)
        ev = carol.expect("muc_subject", lambda e: e["subject"] == "Planning & <stuff>")
        self.assertEqual(ev["nick"], "Alice", ev)
        alice.expect("muc_subject", lambda e: e.get("subject") == "Planning & <stuff>")
        alice.send("/nick %s Alicia" % room)
        ev = carol.expect("muc_presence", lambda e: e["nick"] == "Alice"
                          and e["type"] == "unavailable")
        self.assertEqual(ev["new_nick"], "Alicia", ev)
        alice.expect("muc_presence", lambda e: e.get("new_nick") == "Alicia")
        alice.send("/msg %s under my new nick" % room)
        ev = carol.expect("groupchat", lambda e: e["body"] == "under my new nick")
        self.assertEqual(ev["nick"], "Alicia", ev)
        bob = self.peer("bob")
        alice.send("/invite %s bob@localhost come and see" % room)
        ev = bob.expect("invite", timeout=10)
        self.assertEqual(ev["room"], room, ev)
        self.assertEqual(ev["reason"], "come and see", ev)
        self.assertFalse(ev["direct"], ev)
        alice.send("/kick %s Carol out you go" % room)
        ev = carol.expect("muc_presence", lambda e: e["nick"] == "Carol"
                          and e["type"] == "unavailable")
        self.assertIn(307, ev["codes"], ev)
        bob.send(cmd="muc_join", room=room, nick="Bob")
        alice.expect("muc_presence", lambda e: e.get("nick") == "Bob"
                     and e["type"] == "available", timeout=15)
        alice.send("/ban %s bob@localhost spamming" % room)
        ev = alice.expect("muc_presence", lambda e: e.get("nick") == "Bob"
                          and e["type"] == "unavailable")
        self.assertIn(301, ev["codes"], ev)
        self.assertEqual(ev.get("reason"), "spamming", ev)
        alice.quit()

    def test_invitations_received(self):
        carol = self.peer("carol")
        alice = self.connected("alice@localhost", resource="mucres")
        room = self.owned_room(carol, "inv", nick="Carol")
        carol.send(cmd="muc_invite", room=room, to="alice@localhost", reason="tea?")
        ev = alice.expect("muc_invite", timeout=10)
        self.assertEqual(ev["room"], room, ev)
        # (a room that hides real JIDs names the inviter by nick)
        self.assertIn(ev["from"], (room + "/Carol", "carol@localhost/slix"), ev)
        self.assertEqual(ev.get("reason"), "tea?", ev)
        self.assertFalse(ev["direct"], ev)
        carol.send(cmd="muc_invite", room=room, to="alice@localhost/mucres", reason="direct",
                   direct=True)
        ev = alice.expect("muc_invite", lambda e: e.get("direct"), timeout=10)
        self.assertEqual(ev["room"], room, ev)
        self.assertEqual(ev["from"], "carol@localhost/slix", ev)
        alice.quit()

    # ---- staying in rooms ----

    def test_rejoin_after_a_fresh_session_without_duplicates(self):
        carol = self.peer("carol")
        room = self.owned_room(carol, "rejoin", nick="Carol")
        alice = self.connected("alice@localhost", resource="mucres")
        self.joined(alice, room, "Alice")
        for i in range(3):
            carol.send(cmd="groupchat", room=room, body="before %d" % i)
        alice.expect("message", lambda e: e.get("body") == "before 2")
        alice.send("/msg %s mine before" % room)
        alice.expect("message", lambda e: e.get("body") == "mine before")
        # The server ends the session (not resumable): natter logs in afresh.
        mark = alice.mark()
        out = self.fx.shell('c2s:close("alice@localhost/mucres")')
        self.assertIn("1 sessions closed", out)
        for i in range(2):
            carol.send(cmd="groupchat", room=room, body="while away %d" % i)
        ev = alice.expect("muc_left", lambda e: e.get("room") == room, since=mark, timeout=20)
        self.assertTrue(ev.get("rejoining"), ev)
        alice.expect("muc_joined", lambda e: e.get("room") == room, since=mark, timeout=20)
        for i in range(2):
            m = alice.expect("message", lambda e, i=i: e.get("body") == "while away %d" % i,
                             since=mark, timeout=15)
            self.assertTrue(m.get("delayed"), m)
        carol.send(cmd="groupchat", room=room, body="after")
        alice.expect("message", lambda e: e.get("body") == "after", since=mark)
        # Nothing seen before came again, and each is stored once.
        again = [e for e in alice.events[mark:] if e.get("event") == "message"
                 and "before" in e.get("body", "")]
        self.assertEqual(again, [], again)
        alice.send("/history %s 50" % room)
        ev = alice.expect("history", lambda e: e.get("with") == room)
        bodies = [m["body"] for m in ev["messages"]]
        for b in ("before 0", "before 1", "before 2", "mine before", "while away 0",
                  "while away 1", "after"):
            self.assertEqual(bodies.count(b), 1, (b, bodies))
        alice.quit()

    def test_corrections_actions_and_retractions_in_a_room(self):
        carol = self.peer("carol")
        room = self.owned_room(carol, "fix", nick="Carol")
        bob = self.peer("bob")
        bob.send(cmd="muc_join", room=room, nick="Bob")
        bob.expect("muc_joined", lambda e: e["room"] == room, timeout=15)
        alice = self.connected("alice@localhost", resource="mucres")
        self.joined(alice, room, "Alice")
        # Bob corrects his own message: shown (and stored) in its place.
        bob.send(cmd="groupchat", room=room, body="helo", id="m1")
        alice.expect("message", lambda e: e.get("body") == "helo")
        bob.send(cmd="groupchat", room=room, body="hello", id="m2", replace="m1")
        ev = alice.expect("message", lambda e: e.get("body") == "hello")
        self.assertEqual(ev.get("replaces"), "m1", ev)
        self.assertEqual(ev.get("room"), room, ev)
        # Carol cannot correct Bob's words: an ordinary message.
        carol.send(cmd="groupchat", room=room, body="I said bye", id="c1", replace="m1")
        ev = alice.expect("message", lambda e: e.get("body") == "I said bye")
        self.assertIsNone(ev.get("replaces"), ev)
        # /me both ways.
        bob.send(cmd="groupchat", room=room, body="/me waves")
        ev = alice.expect("message", lambda e: e.get("body") == "/me waves")
        self.assertTrue(ev.get("action"), ev)
        alice.send("/msg %s /me waves back" % room)
        ev = alice.expect("message", lambda e: e.get("body") == "/me waves back")
        self.assertTrue(ev.get("action"), ev)
        self.assertTrue(ev.get("outgoing"), ev)
        # Ours corrected: the room gets a <replace/> naming our message.
        alice.send("/msg %s teh typo" % room)
        first = carol.expect("groupchat", lambda e: e["body"] == "teh typo", timeout=10)
        mark = alice.mark()
        alice.send("/correct %s the typo" % room)
        ev = carol.expect("groupchat", lambda e: e["body"] == "the typo", timeout=10)
        self.assertEqual(ev["replace"], first["id"], (ev, first))
        ev = alice.expect("message", lambda e: e.get("body") == "the typo", since=mark)
        self.assertEqual(ev.get("replaces"), first["id"], ev)
        # Retracted by its sender only.
        carol.send(cmd="groupchat", room=room, body="retracted (fallback)", retract="m1")
        bob.send(cmd="groupchat", room=room, body="retracted (fallback)", retract="m1")
        ev = alice.expect("retracted", lambda e: e.get("id") == "m1")
        self.assertEqual(ev["from"], room + "/Bob", ev)
        alice.expect_none("retracted", lambda e: e.get("from") == room + "/Carol", within=1.0)
        alice.expect_none("message", lambda e: "fallback" in e.get("body", ""), within=0.5)
        alice.send("/history %s 50" % room)
        ev = alice.expect("history", lambda e: e.get("with") == room)
        msgs = ev["messages"]
        self.assertTrue(msgs[0].get("retracted"), msgs)
        self.assertEqual([m["body"] for m in msgs if m["direction"] == "out"],
                         ["/me waves back", "the typo"], msgs)
        fixed = [m for m in msgs if m["body"] == "the typo"]
        self.assertTrue(fixed[0].get("edited"), fixed)
        alice.quit()

    def test_self_ping_notices_a_silent_drop(self):
        carol = self.peer("carol")
        room = self.owned_room(carol, "ping", nick="Carol")
        alice = self.natter(self.account("alice@localhost", resource="mucres"),
                            natterrc={"rooms": {"self_ping": 2}})
        alice.expect("connected", timeout=15)
        self.joined(alice, room, "Alice")
        mark = alice.mark()
        # The room forgets alice without a word (as after a restart).
        out = self.fx.shell(
            '> local r = prosody.hosts["%s"].modules.muc.get_room_from_jid("%s"); '
            'local o = r:get_occupant_by_nick("%s/Alice"); o.role = nil; '
            'r:save_occupant(o); return "dropped"' % (SERVICE, room, room))
        self.assertIn("dropped", out)
        ev = alice.expect("muc_left", lambda e: e.get("room") == room, since=mark, timeout=20)
        self.assertTrue(ev.get("rejoining"), ev)
        alice.expect("muc_joined", lambda e: e.get("room") == room, since=mark, timeout=20)
        # In again: what is said reaches alice.
        carol.send(cmd="groupchat", room=room, body="are you back?")
        alice.expect("message", lambda e: e.get("body") == "are you back?", since=mark)
        alice.quit()

    # ---- hostile input ----

    def test_hostile_room_strings_and_fake_rooms(self):
        carol = self.peer("carol")
        room = self.owned_room(carol, "evil", nick="Carol")
        alice = self.connected("alice@localhost", resource="mucres")
        self.joined(alice, room, "Alice")
        evil = "a\u009b2J\u009d0;pwned\u009c\u202eb"
        mallory = self.peer(self.user("mallory").split("@")[0])
        mallory.send(cmd="muc_join", room=room, nick="mallory")
        alice.expect("muc_presence", lambda e: e.get("nick") == "mallory", timeout=15)
        mallory.send(cmd="raw", xml="<presence to='%s/mallory'><status>status %s</status>"
                                    "</presence>" % (room, evil))
        ev = alice.expect("muc_presence", lambda e: e.get("status", "").startswith("status"))
        self.assertEqual(ev["status"], "status ab", ev)
        carol.send(cmd="muc_role", room=room, nick="mallory", role="moderator")
        alice.expect("muc_presence", lambda e: e.get("nick") == "mallory"
                     and e.get("role") == "moderator")
        mallory.send(cmd="groupchat", room=room, subject="topic " + evil)
        ev = alice.expect("muc_subject", lambda e: e.get("subject", "").startswith("topic"))
        self.assertEqual(ev["subject"], "topic ab", ev)
        # A "groupchat" message straight from a user, and a presence
        # claiming status 110 for a room natter never joined: ignored.
        mark = alice.mark()
        mallory.send(cmd="raw", xml="<message to='alice@localhost/mucres' type='groupchat'>"
                                    "<body>I am a room</body></message>")
        mallory.send(cmd="raw", xml="<presence to='alice@localhost/mucres'><x xmlns='http://"
                                    "jabber.org/protocol/muc#user'><item role='moderator' "
                                    "affiliation='owner'/><status code='110'/></x></presence>")
        mallory.send(cmd="groupchat", room=room, body="end marker")
        alice.expect("message", lambda e: e.get("body") == "end marker", since=mark)
        self.assertIsNone(alice.find("message", lambda e: e.get("body") == "I am a room",
                                     since=mark))
        self.assertIsNone(alice.find("muc_joined", since=mark))
        self.assertIsNone(alice.find("presence", lambda e: "mallory" in e.get("from", ""),
                                     since=mark))
        alice.quit()

    # ---- bookmarks ----

    def test_bookmarks_pep_autojoin_and_pushes(self):
        me = self.user("bm")
        carol = self.peer("carol")
        room = self.owned_room(carol, "bm", nick="Carol")
        n = self.connected(me, resource="one")
        ev = n.expect("bookmarks", timeout=10)
        self.assertEqual(ev["storage"], "pep", ev)
        self.assertEqual(ev["items"], [], ev)
        n.send("/bookmark add %s nick=Bee autojoin name=Tea" % room)
        ev = n.expect("bookmarks", lambda e: e.get("origin"), timeout=10)
        self.assertEqual(ev["items"], [{"room": room, "name": "Tea", "nick": "Bee",
                                        "autojoin": True}], ev)
        # autojoin: joined at once, and after every fresh login
        n.expect("muc_joined", lambda e: e.get("room") == room, timeout=15)
        n.quit()
        n2 = self.connected(me, resource="two")
        ev = n2.expect("muc_joined", lambda e: e.get("room") == room, timeout=15)
        self.assertEqual(ev["nick"], "Bee", ev)
        # another client of the account changes them: applied here
        other = SlixPeer(self.fx, me + "/other", self.fx.users[me])
        self.addCleanup(other.close)
        other.expect("ready", timeout=20)
        room2 = self.owned_room(carol, "bm2", nick="Carol")
        other.send(cmd="bookmark_publish", room=room2, name="Second", autojoin=False)
        ev = n2.expect("bookmarks", lambda e: room2 in [i["room"] for i in e["items"]],
                       timeout=10)
        other.send(cmd="bookmark_retract", room=room)
        ev = n2.expect("bookmarks", lambda e: room not in [i["room"] for i in e["items"]],
                       timeout=10)
        self.assertEqual([i["room"] for i in ev["items"]], [room2], ev)
        n2.send("/bookmark remove %s" % room2)
        ev = n2.expect("bookmarks", lambda e: e.get("origin") and not e["items"], timeout=10)
        n2.quit()

    def test_bookmarks_private_storage(self):
        user = "old%s" % uuid.uuid4().hex[:6]
        self.fx.register(user, "oldbookmarks.localhost", user + "pw")
        me = "%s@oldbookmarks.localhost" % user
        carol = self.peer("carol")
        room = self.owned_room(carol, "old", nick="Carol")
        n = self.connected(me, resource="one")
        ev = n.expect("bookmarks", timeout=10)
        self.assertEqual(ev["storage"], "private", ev)
        n.send("/bookmark add %s autojoin nick=Old" % room)
        ev = n.expect("bookmarks", lambda e: e.get("origin"), timeout=10)
        self.assertEqual(ev["items"][0]["room"], room, ev)
        n.quit()
        n2 = self.connected(me, resource="two")
        ev = n2.expect("bookmarks", timeout=10)
        self.assertEqual(ev["storage"], "private", ev)
        self.assertIn(room, [i["room"] for i in ev["items"]], ev)
        ev = n2.expect("muc_joined", lambda e: e.get("room") == room, timeout=15)
        self.assertEqual(ev["nick"], "Old", ev)
        n2.send("/bookmarks")
        ev = n2.expect("bookmarks", lambda e: e.get("origin"), timeout=10)
        n2.quit()
