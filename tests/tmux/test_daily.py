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
