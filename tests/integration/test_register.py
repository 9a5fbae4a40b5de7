"""XEP-0077: registering on a fresh stream, changing the password, removing the account."""

import uuid

from natter import NatterTestCase


class TestRegistration(NatterTestCase):

    def fresh_user(self):
        return "reg%s" % uuid.uuid4().hex[:10]

    def register_cmd(self, jid, password, **opts):
        opts.setdefault("server", "127.0.0.1")
        opts.setdefault("port", self.fx.c2s_port)
        return "/register %s %s %s" % (jid, password,
                                       " ".join("%s=%s" % kv for kv in opts.items()))

    def test_register_then_log_in_change_password_and_unregister(self):
        admin = self.connected("admin@localhost")
        jid = "%s@localhost" % self.fresh_user()
        admin.send(self.register_cmd(jid, "first-pw"))
        ev = admin.expect("registered", timeout=20)
        self.assertEqual(ev.get("jid"), jid, ev)
        admin.quit()

        # The new account logs in, changes its password, and the new one works.
        n = self.natter(self.account(jid, password="first-pw"))
        n.expect("connected", timeout=15)
        n.send("/password second-pw")
        n.expect("password_changed", timeout=15)
        n.quit()
        with open(n.accounts_path) as f:
            self.assertIn("password = second-pw", f.read(),
                          "the stored password must follow the change")
        old = self.natter(self.account(jid, password="first-pw"))
        old.expect("error", lambda e: e.get("condition") == "not-authorized", timeout=15)
        old.quit()
        n = self.natter(self.account(jid, password="second-pw"))
        n.expect("connected", timeout=15)

        # /unregister asks first; "confirm" removes the account.
        mark = n.mark()
        n.send("/unregister")
        n.expect("info", lambda e: "confirm" in e.get("text", ""), timeout=5, since=mark)
        n.expect_none("unregistered", within=2, since=mark)
        n.send("/unregister confirm")
        n.expect("unregistered", timeout=15, since=mark)
        n.expect_none("connected", within=3, since=mark,
                      what="no reconnection to a deleted account")
        n.quit()
        gone = self.natter(self.account(jid, password="second-pw"))
        gone.expect("error", lambda e: e.get("condition") == "not-authorized", timeout=15)
        gone.quit()

    def test_taken_name_is_a_conflict(self):
        admin = self.connected("admin@localhost")
        admin.send(self.register_cmd("bob@localhost", "whatever"))
        ev = admin.expect("error", lambda e: e.get("command") == "register", timeout=20)
        self.assertEqual(ev.get("condition"), "conflict", ev)
        admin.quit()

    def test_closed_registration_is_not_allowed(self):
        admin = self.connected("admin@localhost")
        # closed.localhost (allow_registration = false) is served with the
        # test certificate, which does not name it: the account pins it.
        admin.quit()
        admin = self.natter(self.account("admin@localhost", tls_cafile=None,
                                         tls_fingerprint=self.fx.fingerprint))
        admin.expect("connected", timeout=15)
        admin.send(self.register_cmd("%s@closed.localhost" % self.fresh_user(), "pw"))
        ev = admin.expect("error", lambda e: e.get("command") == "register", timeout=20)
        self.assertEqual(ev.get("condition"), "not-allowed", ev)
        admin.quit()

    def test_registration_uses_the_account_pin(self):
        n = self.natter(self.account("carol@localhost", tls_cafile=None,
                                     tls_fingerprint=self.fx.fingerprint))
        n.expect("connected", timeout=15)
        mark = n.mark()
        n.send(self.register_cmd("%s@localhost" % self.fresh_user(), "pw", tls="direct",
                                 port=self.fx.direct_tls_port))
        n.expect("registered", timeout=20, since=mark,
                 what="the account's pin is used for the registration stream")
        n.quit()

    def test_untrusted_certificate_stops_registration(self):
        # No CA and no pin: login and registration both refuse the server,
        # and the registration reports the fingerprint to pin.
        n = self.natter(self.account("carol@localhost", tls_cafile=None))
        n.expect("tls_untrusted", timeout=15)
        mark = n.mark()
        jid = "%s@localhost" % self.fresh_user()
        n.send(self.register_cmd(jid, "pw"))
        ev = n.expect("tls_untrusted", timeout=20, since=mark)
        self.assertEqual(ev.get("fingerprint"), self.fx.fingerprint, ev)
        n.expect("error", lambda e: e.get("command") == "register", timeout=5, since=mark)
        n.expect_none("registered", within=1, since=mark)
        n.quit()
        # Nothing was created: registering the name now works.
        admin = self.connected("admin@localhost")
        admin.send(self.register_cmd(jid, "pw"))
        admin.expect("registered", timeout=20)
        admin.quit()

    def test_plaintext_registration_is_refused(self):
        n = self.connected("admin@localhost")
        n.send(self.register_cmd("%s@plain.localhost" % self.fresh_user(), "pw", tls="disable"))
        ev = n.expect("error", lambda e: e.get("command") == "register", timeout=20)
        self.assertEqual(ev.get("condition"), "encryption-required", ev)
        n.quit()

    def test_bad_arguments(self):
        n = self.connected("admin@localhost")
        n.send("/register nodomain pw")
        n.expect("error", lambda e: e.get("condition") == "jid-malformed", timeout=5)
        n.send("/register x@localhost pw port=99999")
        n.expect("error", lambda e: e.get("condition") == "bad-request", timeout=5)
        n.send("/register x@localhost pw colour=blue")
        n.expect("error", lambda e: "unknown option" in e.get("text", ""), timeout=5)
        n.quit()
