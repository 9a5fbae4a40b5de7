"""Messages from strangers (people not in the roster): windows of their own up
to a bound, then one "strangers" window where they wait, with who sent them,
until the user opens the conversation."""

from run import TmuxTestCase

BOUND = 10  # UI_STRANGER_WINDOWS


class TestStrangers(TmuxTestCase):

    def test_strangers_wait_in_one_window_after_the_bound(self):
        names = ["s%02d" % i for i in range(BOUND + 2)]
        victim, *strangers = self.users("strw", "ann", *names)
        ui = self.ui(jid=victim)
        for i, jid in enumerate(strangers):
            peer = self.connected(jid, resource="p")
            peer.send("/msg %s hello from stranger %d" % (victim, i))
            peer.quit()
        # console, one window each for the first ten, and the strangers' window
        ui.line("/win strangers")
        ui.wait_text("<%s> hello from stranger %d" % (strangers[-1], BOUND + 1), timeout=20)
        ui.wait_text("<%s> hello from stranger %d" % (strangers[-2], BOUND))
        self.assertNotIn("hello from stranger %d" % (BOUND - 1), ui.text(), ui.dump())
        ui.line("/win %d" % (BOUND + 3))
        ui.wait_text("no window %d (there are %d)" % (BOUND + 3, BOUND + 2))
        # Plain text typed here goes nowhere: this is no conversation.
        ui.line("anyone?")
        ui.wait_text("no conversation is open")
        # Opening the conversation loads what waited, from the history.
        ui.line("/msg %s" % strangers[-1])
        ui.wait_input("%s>" % strangers[-1])
        ui.wait_text("<%s> hello from stranger %d" % (strangers[-1], BOUND + 1))
