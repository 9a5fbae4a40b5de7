"""auth = x-oauth2 against a real server: ejabberd 23.01 (tests/lib/ejabberd.py)
and a token it issued itself (ejabberdctl oauth_issue_token), with an
independent slixmpp client as the peer.  The exchange stanza for stanza, and
X-YANDEX-OAUTH, which no packaged server speaks, are in test_token_login.py."""

import unittest

from natter import NatterTestCase
from slixdriver import SlixPeer, have_slixmpp


class EjabberdTokenTestCase(NatterTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.ej = cls.shared_ejabberd()

    def token_natter(self, token, **keys):
        acct = self.ejabberd_account(self.ej, "carol@localhost", password=None, token=token,
                                     auth="x-oauth2", **keys)
        return self.natter(acct, label="carol")


class TestEjabberdXOAuth2(EjabberdTokenTestCase):

    @unittest.skipUnless(have_slixmpp(), "python3-slixmpp is not installed")
    def test_login_with_an_issued_token_is_a_full_session(self):
        peer = SlixPeer(self.ej, "bob@localhost/slix", self.ej.users["bob@localhost"])
        self.addCleanup(peer.close)
        peer.expect("ready", timeout=30)
        n = self.token_natter(self.ej.issue_token("carol@localhost"), resource="tok")
        ev = n.expect("connected", timeout=20)
        self.assertEqual(ev.get("mechanism"), "X-OAUTH2", ev)
        self.assertIs(ev.get("secure"), True, ev)
        self.assertEqual(ev.get("jid"), "carol@localhost/tok", ev)
        # The session is like any other: the roster comes, messages go both
        # ways and are kept in the history.
        n.expect("roster", timeout=10)
        n.send("/msg bob@localhost/slix hello over a token")
        got = peer.expect("message", lambda e: e.get("body") == "hello over a token",
                          timeout=10)
        self.assertEqual(got.get("from"), "carol@localhost/tok", got)
        peer.send(cmd="msg", to="carol@localhost/tok", body="and back", type="chat")
        n.expect("message", lambda e: e.get("body") == "and back", timeout=10)
        n.send("/history bob@localhost")
        hist = n.expect("history", timeout=10)
        self.assertEqual([dict(m)["body"] for m in hist["messages"]][-2:],
                         ["hello over a token", "and back"])
        n.quit()

    def test_a_token_ejabberd_did_not_issue_is_refused_once(self):
        n = self.token_natter("not-a-token-ejabberd-issued")
        err = n.expect("error", lambda e: e.get("condition") == "not-authorized", timeout=20)
        self.assertIn("token", err.get("text", ""))
        n.expect("disconnected", timeout=10)
        n.expect_none("reconnecting", within=4, since=0,
                      what="a refused token must not be retried")
        n.quit()
