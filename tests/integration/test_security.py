"""What a stranger can do to natter: an account on the same server that is in
nobody's roster (mallory) sends natter hostile stanzas through Prosody."""

from natter import NatterTestCase

STRANGER = "mallory@localhost"


class StrangerTestCase(NatterTestCase):
    """Registers the stranger account once for the class."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if STRANGER not in cls.fx.users:
            cls.fx.register("mallory", "localhost", "mallorypw")

    def victim_and_stranger(self, victim="alice@localhost"):
        alice = self.connected(victim)
        mallory = self.connected(STRANGER, label="mallory")
        return alice, mallory, alice.find("connected")["jid"]

    def raw(self, sender, xml):
        mark = sender.mark()
        sender.send("/raw " + xml)
        sender.expect("raw_sent", timeout=5, since=mark)


class TestStrangerIq(StrangerTestCase):

    def assert_still_online(self, alice, mark):
        """alice answers a ping from her server and never disconnected since mark."""
        m = alice.mark()
        alice.send("/ping")
        alice.expect("pong", timeout=10, since=m, what="natter still online")
        self.assertIsNone(alice.find("disconnected", since=mark), alice.report())
        self.assertIsNone(alice.find("error", lambda e: e.get("condition") == "not-authorized",
                                     since=mark), alice.report())

    def test_legacy_auth_id_in_an_iq_does_not_disconnect(self):
        alice, mallory, full = self.victim_and_stranger()
        mark = alice.mark()
        self.raw(mallory, "<iq type='get' id='q1' to='%s'><query xmlns='urn:x' "
                          "a='_xmpp_auth1' type='error'/></iq>" % full)
        # natter answers the unknown query with service-unavailable ...
        self.raw(mallory, "<iq type='error' id='_xmpp_auth1' to='%s'>"
                          "<error type='cancel'><not-authorized "
                          "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>" % full)
        self.raw(mallory, "<iq type='result' id='_xmpp_auth1' to='%s'/>" % full)
        self.assert_still_online(alice, mark)
        alice.expect_none("disconnected", within=1, since=mark)
        alice.quit()
        mallory.quit()

    def test_quit_after_answering_an_unknown_iq(self):
        alice, mallory, full = self.victim_and_stranger()
        for i in range(5):
            self.raw(mallory, "<iq type='get' id='u%d' to='%s'>"
                              "<query xmlns='urn:example:unknown'/></iq>" % (i, full))
        # The stranger gets the error answers (RFC 6120 §8.2.3) ...
        m = mallory.mark()
        mallory.send("/ping %s" % full)
        mallory.expect_any(["pong", "error"], timeout=10, since=m)
        # ... and natter quits cleanly (exit 0, no crash) right after.
        alice.quit()
        mallory.quit()

    def test_quit_with_unknown_iq_answers_still_queued(self):
        """The answers to a burst of unknown iqs may still be queued when
        /quit comes: natter must still exit cleanly."""
        alice, mallory, full = self.victim_and_stranger()
        for i in range(50):
            mallory.send("/raw <iq type='set' id='b%d' to='%s'><x xmlns='urn:example:b'/></iq>"
                         % (i, full))
        alice.send("/quit")
        alice.wait_exit(10, expect_status=0)
        mallory.quit()


class TestStrangerReceipts(StrangerTestCase):

    def test_no_receipt_to_a_stranger_and_no_receipt_from_one(self):
        alice, mallory, full = self.victim_and_stranger()
        # A stranger asks for a receipt: answering would tell it we are online.
        self.raw(mallory, "<message type='chat' id='probe1' to='%s'><body>are you "
                          "there?</body><request xmlns='urn:xmpp:receipts'/></message>" % full)
        alice.expect("message", lambda e: e.get("body") == "are you there?", timeout=10)
        mallory.expect_none("receipt", within=2)
        # A stranger claims to have received a message natter never sent it.
        mark = alice.mark()
        self.raw(mallory, "<message id='r1' to='%s'><received xmlns='urn:xmpp:receipts' "
                          "id='nt-neversent'/></message>" % full)
        alice.expect_none("receipt", within=2, since=mark)
        alice.quit()
        mallory.quit()
