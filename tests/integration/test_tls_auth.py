"""Logging in: STARTTLS, direct TLS, legacy auth, plaintext policy, certificates."""

import datetime
import os
import re
import socket
import subprocess
import time

import fixture
from natter import NatterTestCase


def stream_features(port, domain, timeout=5):
    """The <stream:features/> a fresh plaintext stream to domain gets, as text."""
    buf = b""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(("<?xml version='1.0'?><stream:stream to='%s' xmlns='jabber:client' "
                   "xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>"
                   % domain).encode())
        deadline = time.monotonic() + timeout
        while b"</stream:features>" not in buf and time.monotonic() < deadline:
            data = s.recv(4096)
            if not data:
                break
            buf += data
    m = re.search(rb"<stream:features>.*</stream:features>", buf, re.S)
    return m.group(0).decode() if m else buf.decode("utf-8", "replace")


def bare(jid):
    return jid.split("/")[0].lower()


class TestLogin(NatterTestCase):

    def test_scram_over_starttls_with_test_ca(self):
        n = self.natter(self.account("alice@localhost"))
        ev = n.expect("connected", timeout=15)
        self.assertEqual(bare(ev.get("jid", "")), "alice@localhost", ev)
        self.assertIs(ev.get("secure"), True, ev)
        self.assertTrue(str(ev.get("mechanism", "")).startswith("SCRAM"), ev)
        n.quit()

    def test_direct_tls(self):
        n = self.natter(self.account("alice@localhost", tls="direct",
                                     port=self.fx.direct_tls_port))
        ev = n.expect("connected", timeout=15)
        self.assertIs(ev.get("secure"), True, ev)
        self.assertTrue(str(ev.get("mechanism", "")).startswith("SCRAM"), ev)
        n.quit()

    def test_legacy_auth_xep0078(self):
        n = self.natter(self.account("dave@legacy.localhost", auth="legacy"))
        ev = n.expect("connected", timeout=15)
        self.assertEqual(bare(ev.get("jid", "")), "dave@legacy.localhost", ev)
        self.assertEqual(ev.get("mechanism"), "legacy", ev)
        self.assertIs(ev.get("secure"), True, ev)
        n.quit()

    def test_legacy_auth_wrong_password_is_refused_once(self):
        """XEP-0078's refusal comes as the answer to libstrophe's own request
        (id _xmpp_auth1); natter reads it from that answer alone."""
        n = self.natter(self.account("dave@legacy.localhost", auth="legacy",
                                     password="not-davepw"))
        n.expect("error", lambda e: e.get("condition") == "not-authorized", timeout=15,
                 what="legacy refusal reported as not-authorized")
        n.expect_none("reconnecting", within=3, since=0,
                      what="a refused password must not be retried")
        n.expect_none("connected", within=0, since=0)
        n.quit()

    def test_wrong_password_is_not_retried(self):
        n = self.natter(self.account("alice@localhost", password="not-alicepw"))
        n.expect("error", lambda e: e.get("condition") == "not-authorized", timeout=15,
                 what="condition not-authorized")
        n.expect_none("reconnecting", within=5, since=0,
                      what="a wrong password must not be retried")
        n.expect_none("connected", within=0, since=0)
        self.assertTrue(n.running(), "natter exited after a failed login\n" + n.report())
        n.quit()


class TestPlaintextPolicy(NatterTestCase):

    def test_fixture_plain_host_has_no_starttls(self):
        """The premise of the plaintext tests: plain.localhost offers SCRAM but no
        STARTTLS, while localhost requires STARTTLS."""
        plain = stream_features(self.fx.c2s_port, "plain.localhost")
        self.assertNotIn("starttls", plain)
        self.assertIn("SCRAM-SHA-1", plain)
        self.assertNotIn(">PLAIN<", plain)
        main = stream_features(self.fx.c2s_port, "localhost")
        self.assertIn("<starttls", main)
        self.assertIn("<required/>", main)

    def test_tls_require_refuses_server_without_starttls(self):
        n = self.natter(self.account("erin@plain.localhost", tls="require"))
        n.expect("error", timeout=15, what="plain.localhost offers no STARTTLS")
        n.expect_none("connected", within=2, since=0,
                      what="tls=require must never log in without TLS")
        n.quit()

    def test_tls_disable_logs_in_with_scram_over_plaintext(self):
        n = self.natter(self.account("erin@plain.localhost", tls="disable", tls_cafile=None))
        ev = n.expect("connected", timeout=15)
        self.assertEqual(bare(ev.get("jid", "")), "erin@plain.localhost", ev)
        self.assertIs(ev.get("secure"), False, ev)
        self.assertTrue(str(ev.get("mechanism", "")).startswith("SCRAM-"), ev)
        n.quit()

    def test_plain_is_never_sent_over_plaintext(self):
        with fixture.PlainOnlyServer() as fake:
            n = self.natter(self.account("alice@localhost", tls="disable", tls_cafile=None,
                                         port=fake.port))
            self.assertTrue(fake.saw_header.wait(10), "natter never opened a stream to "
                            "the fake server\n" + n.report())
            n.expect_any(["error", "disconnected"], timeout=10)
            n.expect_none("connected", within=1, since=0)
            self.assertFalse(fake.saw_plain(), "natter sent SASL PLAIN over an unencrypted "
                             "stream:\n" + fake.all_received())
            n.quit()
        self.assertFalse(fake.saw_plain(), fake.all_received())


class TestCertificates(NatterTestCase):

    def test_untrusted_certificate_reports_fingerprint(self):
        n = self.natter(self.account("alice@localhost", tls_cafile=None))
        ev = n.expect("tls_untrusted", timeout=15)
        self.assertEqual(ev.get("fingerprint"), self.fx.fingerprint, ev)
        self.assertIs(ev.get("pin_mismatch"), False, ev)
        self.assertTrue(ev.get("reason"), ev)
        # What the user judges the certificate by, as the certificate says.
        self.assertIn("CN=localhost", ev.get("subject", ""), ev)
        self.assertIn("CN=natter throwaway test CA", ev.get("issuer", ""), ev)
        out = subprocess.run(["openssl", "x509", "-in", self.fx.cert_file, "-noout",
                              "-startdate", "-enddate"], capture_output=True, text=True,
                             check=True, env=dict(os.environ, LC_ALL="C")).stdout
        dates = dict(line.split("=", 1) for line in out.splitlines())
        for key, field in (("notBefore", "valid_from"), ("notAfter", "valid_until")):
            want = datetime.datetime.strptime(dates[key].replace("  ", " "),
                                              "%b %d %H:%M:%S %Y GMT")
            self.assertEqual(ev.get(field), want.strftime("%Y-%m-%dT%H:%M:%SZ"), ev)
        n.expect_none("connected", within=3, since=0,
                      what="an untrusted certificate must not be accepted")
        n.quit()

    def test_pinned_fingerprint_is_accepted(self):
        n = self.natter(self.account("alice@localhost", tls_cafile=None,
                                     tls_fingerprint=self.fx.fingerprint))
        ev = n.expect("connected", timeout=15)
        self.assertIs(ev.get("secure"), True, ev)
        self.assertIsNone(n.find("tls_untrusted"), n.report())
        n.quit()

    def test_tls_trust_pins_the_refused_certificate_and_connects(self):
        n = self.natter(self.account("alice@localhost", tls_cafile=None))
        n.expect("tls_untrusted", timeout=15)
        n.expect_none("connected", within=1, since=0)
        mark = n.mark()
        n.send("/tls trust")
        ev = n.expect("connected", timeout=15, since=mark,
                      what="/tls trust pins the certificate just refused and connects")
        self.assertIs(ev.get("secure"), True, ev)
        n.quit()
        with open(n.accounts_path) as f:
            self.assertIn("tls_fingerprint = " + self.fx.fingerprint, f.read(),
                          "the pin is saved for the next start")
        # The next start uses the saved pin without asking.
        again = self.natter(self.account("alice@localhost", tls_cafile=None,
                                         tls_fingerprint=self.fx.fingerprint))
        again.expect("connected", timeout=15)
        again.quit()

    def test_tls_trust_without_a_refused_certificate_is_an_error(self):
        n = self.connected("alice@localhost")
        n.send("/tls trust")
        n.expect("error", lambda e: e.get("command") == "tls trust", timeout=5)
        n.send("/tls trust sha256:nothex")
        n.expect("error", lambda e: e.get("condition") == "bad-request", timeout=5)
        n.quit()

    def test_wrong_pin_is_refused_even_with_trusted_ca(self):
        n = self.natter(self.account("alice@localhost", tls_fingerprint="sha256:" + "ab" * 32))
        ev = n.expect("tls_untrusted", timeout=15)
        self.assertIs(ev.get("pin_mismatch"), True, ev)
        self.assertEqual(ev.get("fingerprint"), self.fx.fingerprint, ev)
        n.expect_none("connected", within=3, since=0,
                      what="a pin mismatch must not be accepted")
        n.quit()
