"""Daily use on screen: bounces, names as arguments, settings."""

import os
import re
import time

from run import TmuxTestCase


class TestDaily(TmuxTestCase):

    def test_bounce_is_not_shown_as_the_contacts_words(self):
        ann, = self.users("db", "ann")
        ui = self.ui(jid=ann)
        ui.line("/msg nobody@nowhere.invalid anyone there?")
        ui.wait_text("was not delivered")
        self.assertNotIn("<nobody>", ui.text(), ui.dump())

    def test_bare_word_msg_is_refused_and_opens_no_window(self):
        ann, = self.users("dw", "ann")
        ui = self.ui(jid=ann)
        ui.line("/msg bob hi")
        ui.wait_text("neither a contact's name nor an address")
        self.assertNotIn("[2:", ui.status_line(), ui.dump())

    def test_a_stranger_with_a_contacts_localpart_is_named_in_full(self):
        """Security: bob@legacy.localhost must never look like the contact
        bob@localhost (windows, prompts and message lines)."""
        ann, bob = self.users("im", "ann", "bob")
        local = bob.split("@")[0]
        self.fx.register(local, "legacy.localhost", "evilpw")
        evil = "%s@legacy.localhost" % local
        peer = self.connected(bob, resource="peer")
        stranger = self.connected(evil, resource="x", label="stranger", auth="legacy")
        ui = self.ui(jid=ann)
        ui.line("/roster add %s" % bob)
        ui.wait_text("added %s to your roster" % bob)
        peer.send("/msg %s from the contact" % ann)
        ui.wait_status("[2:%s*]" % local)
        stranger.send("/msg %s from the stranger" % ann)
        ui.wait_status("[3:%s*]" % evil)
        ui.keys("M-2")
        ui.wait_input("%s>" % local)
        ui.wait_text("<%s> from the contact" % local)
        ui.keys("M-3")
        ui.wait_input("%s>" % evil)
        ui.wait_text("<%s> from the stranger" % evil)

    def test_errors_in_words_and_console_is_no_chat(self):
        ann, = self.users("ew", "ann")
        ui = self.ui(jid=ann)
        ui.line("hello console")
        ui.wait_text("the console is not a chat: /msg NAME opens one")
        ui.line("/disco info nobody@nowhere.invalid")
        ui.wait_text("/disco info: nobody@nowhere.invalid:")
        self.assertNotIn("(remote-server-not-found)", ui.text(), ui.dump())
        self.assertNotIn("(service-unavailable)", ui.text(), ui.dump())

    def test_own_presence_in_the_status_bar(self):
        ann, = self.users("op", "ann")
        ui = self.ui(jid=ann)
        ui.line("/status away gone for lunch")
        ui.wait_status("away: gone for lunch")
        ui.line("/status")
        ui.wait_text("you are away: gone for lunch")
        ui.line("/status online")
        ui.wait(lambda s: "away" not in s.status_line() and "online" in s.status_line(),
                "back online in the status bar")

    def test_natterrc_typos_warn_and_set_changes_at_runtime(self):
        ann, = self.users("st", "ann")
        ui = self.ui(jid=ann, natterrc={"ui": {"bell": "yes", "colour": "red"}})
        ui.wait_text("'colour' in [ui]: left out")
        self.assertIn("natterrc:", ui.text(), ui.dump())
        ui.line("/set ui.bell off")
        ui.wait_text("ui.bell = off (saved)")
        ui.line("/set connection.ping_timeout 5000")
        ui.wait_text("from 1 to 600")
        ui.line("/set ping_interval")
        ui.wait_text("connection.ping_interval = 60")

    def test_chat_window_title_says_how_the_contact_is(self):
        ann, ben = self.users("ti", "ann", "ben")
        peer = self.connected(ben, resource="peer")
        ui = self.ui(jid=ann)
        ui.line("/sub request %s" % ben)
        peer.expect("subscription", lambda e: e.get("type") == "subscribe", timeout=10)
        peer.send("/sub allow %s" % ann)
        ui.wait_text("accepted: you now see their presence")
        ui.line("/roster name %s Benny" % ben)
        ui.wait_text("now called Benny")
        ui.line("/msg Benny")
        ui.wait_input("Benny>")
        peer.send("/status dnd in a meeting")
        # The first row of the chat: name, address, presence and status.
        ui.wait(lambda s: "Benny" in s.lines()[0] and ben in s.lines()[0] and
                "dnd: in a meeting" in s.lines()[0], "the title line")
        ui.line("/info Benny")
        ui.wait_text("http://natter.im")
        ui.wait_text("subscription to")

    def test_history_is_set_apart_and_search_finds(self):
        ann, ben = self.users("hv", "ann", "ben")
        peer = self.connected(ben, resource="peer")
        ui = self.ui(jid=ann)
        peer.send("/msg %s the password is swordfish" % ann)
        ui.wait_status("[2:")
        ui.line("/history %s 5" % ben)
        ui.wait_text("-- history with %s: the last 1 message --" % ben)
        ui.wait_text("%s: the password is swordfish" % ben)
        ui.wait_text("-- end of history --")
        ui.line("/history search swordfish")
        ui.wait_text("-- search \"swordfish\": 1 message, oldest first --")
        ui.wait_text("-- end of search --")

    def test_settings_people_look_for(self):
        """Timestamps with seconds, a command run on each message (the
        message in its environment, never in the command line), typing
        notifications off."""
        ann, ben = self.users("sp", "ann", "ben")
        out = os.path.join(self.fx.dir, "eventcmd-%s.out" % ann)
        peer = self.connected(ben, resource="peer")
        cmd = 'printf "%s|%s|%s" "$NATTER_FROM" "$NATTER_TYPE" "$NATTER_BODY" > ' + out
        ui = self.ui(jid=ann, natterrc={"ui": {"timestamp": "%H:%M:%S", "eventcmd": cmd},
                                        "privacy": {"typing": "no"}})
        # "online" shows as the login stanzas go out; a message that
        # reached the server before our presence would come back through
        # the archive catch-up as history, which notifies no one.  The
        # server answers a ping only after what was sent before it.
        ui.line("/ping")
        ui.wait_text("pong from")
        peer.send("/msg %s hi $(touch %s.pwned)" % (ann, out))
        ui.wait_status("[2:")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not os.path.exists(out):
            time.sleep(0.1)
        with open(out) as f:
            self.assertEqual(f.read(), "%s|chat|hi $(touch %s.pwned)" % (ben, out))
        self.assertFalse(os.path.exists(out + ".pwned"))
        ui.keys("M-2")
        ui.wait(lambda s: any(re.match(r"^.*\d\d:\d\d:\d\d <", l) for l in s.lines()),
                "a line time with seconds")
        # Typing: nothing goes out with typing = no (the peer's client
        # announces chat states, but natter does not tell it).
        ui.line("/sub request %s" % ben)
        peer.expect("subscription", lambda e: e.get("type") == "subscribe", timeout=10)
        peer.send("/sub allow %s" % ann)
        mark = peer.mark()
        ui.type("typing away")
        peer.expect_none("chat_state", within=2, since=mark, what="typing is off")
