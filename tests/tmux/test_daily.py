"""Daily use on screen: bounces, names as arguments."""

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
