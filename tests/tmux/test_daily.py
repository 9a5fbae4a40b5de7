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
