"""XEP-0077: registering on a fresh stream, changing the password, removing the account."""

import os
import shutil
import tempfile
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


class TestPasswordStorage(NatterTestCase):
    """Issue 15 item 11: after /password the server knows only the new
    password, so natter must be able to store it, or the user is locked out."""

    def fresh(self, password):
        user = "pw%s" % uuid.uuid4().hex[:10]
        self.fx.register(user, "localhost", password)
        return "%s@localhost" % user

    def test_long_password_is_changed_stored_and_read_back(self):
        jid = self.fresh("first-pw")
        new = "".join(chr(ord("!") + i % 90) for i in range(1000))
        n = self.natter(self.account(jid, password="first-pw"))
        n.expect("connected", timeout=15)
        mark = n.mark()
        n.send("/password " + new)
        n.expect("password_changed", timeout=15)
        n.expect_none("error", within=1, since=mark, what="the accounts file was updated")
        n.quit()
        with open(n.accounts_path) as f:
            stored = f.read()
        self.assertIn("password = %s\n" % new, stored)
        # A new natter reads that file back and logs in with it.
        again = self.natter(None, start=False, label="reread")
        again.write_file(again.accounts_path, stored, 0o600)
        again.start()
        again.expect("connected", timeout=15)
        again.quit()

    def test_password_that_cannot_be_stored_is_not_sent(self):
        """The accounts file's directory is read-only (natter runs as an
        ordinary user for that): the server is never asked."""
        jid = self.fresh("first-pw")
        run_as = (65534, 65534) if os.geteuid() == 0 else None
        # The fixture's CA lives in a private directory: a copy that user reads.
        cadir = tempfile.mkdtemp(prefix="natter-ca-")
        self.addCleanup(shutil.rmtree, cadir, True)
        os.chmod(cadir, 0o755)
        ca = shutil.copy(self.fx.ca_file, cadir)
        os.chmod(ca, 0o644)
        n = self.natter(self.account(jid, password="first-pw", tls_cafile=ca), start=False,
                        run_as=run_as)
        confdir = os.path.dirname(n.accounts_path)
        os.chmod(confdir, 0o500)
        try:
            n.start()
            n.expect("connected", timeout=15)
            mark = n.mark()
            n.send("/password second-pw")
            err = n.expect("error", lambda e: e.get("command") == "password", timeout=10,
                           since=mark)
            self.assertEqual(err.get("condition"), "not-acceptable", err)
            self.assertIn("Permission denied", err.get("text", ""), err)
            n.expect_none("password_changed", within=2, since=mark)
            n.quit()
        finally:
            os.chmod(confdir, 0o700)
        # The server was never asked: the old password still works.
        old = self.natter(self.account(jid, password="first-pw"), label="old")
        old.expect("connected", timeout=15)
        old.quit()
