"""Daily use: what went wrong when natter was tried as a new user would
(names as arguments, bogus addresses, bounces, a second natter on one
account, our own bare JID)."""

import itertools
import shutil

from natter import Natter, NatterTestCase, plain

_serial = itertools.count(1)


class DailyTestCase(NatterTestCase):

    def fresh(self, tag, *who):
        """Accounts of this test's own (user, host localhost), registered now."""
        n = next(_serial)
        jids = []
        for w in who:
            user = "%s%s%d" % (w, tag, n)
            self.fx.register(user, "localhost", user + "pw")
            jids.append(user + "@localhost")
        return jids

    def roster_add(self, n, jid, name=None):
        mark = n.mark()
        n.send("/roster add %s%s" % (jid, " " + name if name else ""))
        n.expect("roster_push", lambda e: plain(e)["item"]["jid"] == jid, timeout=10,
                 since=mark)


class TestNames(DailyTestCase):

    def test_bare_word_is_refused_before_anything_is_sent(self):
        a, b = self.fresh("nm", "ann", "bob")
        ann = self.connected(a)
        peer = self.connected(b, label="peer")
        mark = ann.mark()
        ann.send("/msg bob hi")
        ev = ann.expect("error", timeout=5, since=mark)
        self.assertEqual(ev.get("condition"), "item-not-found", ev)
        self.assertIn("bob", ev.get("text", ""), ev)
        self.assertIsNone(ann.find("message", since=mark), ann.report())
        peer.expect_none("message", within=1)
        ann.quit()
        peer.quit()

    def test_roster_name_and_localpart_resolve_to_the_contact(self):
        a, b = self.fresh("nr", "ann", "bob")
        ann = self.connected(a)
        peer = self.connected(b, label="peer")
        self.roster_add(ann, b, "Bobby")
        ann.send("/msg Bobby by name")
        ev = peer.expect("message", lambda e: e.get("body") == "by name", timeout=10)
        self.assertEqual(ev["from"].split("/")[0], a, ev)
        local = b.split("@")[0]
        ann.send("/msg %s by localpart" % local)
        peer.expect("message", lambda e: e.get("body") == "by localpart", timeout=10)
        mark = ann.mark()
        ann.send("/history bobby 5")
        ev = plain(ann.expect("history", timeout=5, since=mark))
        self.assertEqual(ev.get("with"), b, ev)
        self.assertEqual([m["body"] for m in ev["messages"]], ["by name", "by localpart"], ev)
        ann.quit()
        peer.quit()

    def test_server_name_still_works_for_ping(self):
        ann = self.connected(self.fresh("sv", "ann")[0])
        mark = ann.mark()
        ann.send("/ping localhost")
        ev = ann.expect("pong", timeout=10, since=mark)
        self.assertEqual(ev.get("from"), "localhost", ev)
        ann.quit()


class TestBounces(DailyTestCase):

    def test_bounce_is_not_the_contacts_words_and_not_replayed(self):
        a, = self.fresh("bo", "ann")
        account = self.account(a)
        ann = self.natter(account, natterrc={"history": {"mam_initial": 50}})
        ann.expect("connected", timeout=15)
        mark = ann.mark()
        ann.send("/msg nobody@nowhere.invalid hello?")
        ev = ann.expect("message", lambda e: e.get("type") == "error", timeout=15, since=mark)
        self.assertTrue(ev.get("body"), ev)
        ann.quit()
        # Next login catches up from the archive: the bounce is not a message again.
        again = self.natter(account, natterrc={"history": {"mam_initial": 50}})
        again.expect("connected", timeout=15)
        again.expect_none("message", lambda e: e.get("type") == "error", within=3)
        mark = again.mark()
        again.send("/history nobody@nowhere.invalid")
        ev = plain(again.expect("history", timeout=5, since=mark))
        self.assertEqual([m["direction"] for m in ev["messages"]], ["out"], ev)
        again.quit()


class TestTwoNatters(DailyTestCase):

    def test_two_installations_get_their_own_resources(self):
        a, = self.fresh("tw", "ann")
        first = self.natter(self.account(a), label="first")
        one = first.expect("connected", timeout=15)["jid"]
        second = self.natter(self.account(a), label="second")
        two = second.expect("connected", timeout=15)["jid"]
        self.assertRegex(one, r"^%s/natter\.[0-9a-f]{6}$" % a)
        self.assertRegex(two, r"^%s/natter\.[0-9a-f]{6}$" % a)
        self.assertNotEqual(one, two)
        first.expect_none("disconnected", within=2)
        # The same installation binds the same resource next time.
        first.quit()
        again = Natter(self.natter_bin, "test", None, label="again")
        shutil.rmtree(again.home)
        again.home, again.config_home, again.data_home = \
            first.home, first.config_home, first.data_home
        self._natters.append(again)
        again.start()
        self.assertEqual(again.expect("connected", timeout=15)["jid"], one)
        again.quit()
        second.quit()

    def test_conflict_with_a_fixed_resource_is_said_plainly_and_not_fought(self):
        a, = self.fresh("cf", "ann")
        first = self.natter(self.account(a, resource="desk"), label="first")
        first.expect("connected", timeout=15)
        mark = first.mark()
        second = self.natter(self.account(a, resource="desk"), label="second")
        second.expect("connected", timeout=15)
        ev = first.expect("error", lambda e: e.get("condition") == "conflict", timeout=15,
                          since=mark)
        self.assertIn("another client", ev.get("text", ""), ev)
        first.expect_none("reconnecting", within=3, since=mark,
                          what="natter must not fight for the resource")
        second.expect_none("disconnected", within=0)
        second.quit()
        first.quit()


class TestAskingContacts(DailyTestCase):

    def test_version_and_ping_of_a_bare_jid_ask_the_contacts_client(self):
        a, b = self.fresh("vb", "ann", "bob")
        ann = self.connected(a)
        bob = self.connected(b, label="bob", resource="phone")
        # Mutual subscription so ann sees bob's presence.
        ann.send("/sub request %s" % b)
        bob.expect("subscription", lambda e: e.get("type") == "subscribe", timeout=10)
        bob.send("/sub allow %s" % a)
        ann.expect("presence", lambda e: e.get("from") == b + "/phone", timeout=10)
        mark = ann.mark()
        ann.send("/version %s" % b)
        ev = ann.expect("version", timeout=10, since=mark)
        self.assertEqual(ev.get("from"), b + "/phone", ev)
        self.assertEqual(ev.get("name"), "natter", ev)
        ann.send("/ping %s" % b)
        ev = ann.expect("pong", timeout=10, since=mark)
        self.assertEqual(ev.get("from"), b + "/phone", ev)
        bob.quit()
        ann.expect("presence", lambda e: e.get("type") == "unavailable", timeout=10)
        mark = ann.mark()
        ann.send("/version %s" % b)
        ev = ann.expect("error", timeout=10, since=mark)
        self.assertEqual(ev.get("condition"), "recipient-unavailable", ev)
        ann.quit()


class TestSubjects(DailyTestCase):

    def test_subject_of_headline_and_normal_messages_is_reported(self):
        a, b = self.fresh("sj", "ann", "bob")
        ann = self.connected(a)
        bob = self.connected(b, label="bob")
        full = ann.find("connected")["jid"]
        bob.send("/raw <message type='headline' to='%s' id='h1'><subject>Storm warning"
                 "</subject><body>Stay inside</body></message>" % full)
        ev = ann.expect("message", lambda e: e.get("id") == "h1", timeout=10)
        self.assertEqual((ev.get("subject"), ev.get("body")), ("Storm warning", "Stay inside"),
                         ev)
        bob.send("/raw <message type='normal' to='%s' id='n1'><subject>Only a subject"
                 "</subject></message>" % full)
        ev = ann.expect("message", lambda e: e.get("id") == "n1", timeout=10)
        self.assertEqual((ev.get("subject"), ev.get("body")), ("Only a subject", ""), ev)
        mark = ann.mark()
        ann.send("/history %s" % b)
        ev = plain(ann.expect("history", timeout=5, since=mark))
        self.assertIn("Only a subject", [m["body"] for m in ev["messages"]], ev)
        ann.quit()
        bob.quit()


class TestConnectAgain(DailyTestCase):

    def test_connect_reads_the_fixed_accounts_file(self):
        a, = self.fresh("fx", "ann")
        n = self.natter(self.account(a, password="wrong"))
        n.expect("error", lambda e: e.get("condition") == "not-authorized", timeout=15)
        good = self.account(a)
        Natter.write_file(n.accounts_path, "[test]\n" + "".join(
            "%s = %s\n" % kv for kv in good.items()), 0o600)
        mark = n.mark()
        n.send("/connect")
        n.expect("connected", timeout=15, since=mark)
        n.quit()


class TestInfo(DailyTestCase):

    def test_info_tells_roster_resources_status(self):
        a, b = self.fresh("in", "ann", "bob")
        ann = self.connected(a)
        bob = self.connected(b, label="bob", resource="desk")
        ann.send("/sub request %s" % b)
        bob.expect("subscription", lambda e: e.get("type") == "subscribe", timeout=10)
        bob.send("/sub allow %s" % a)
        ann.expect("presence", lambda e: e.get("from") == b + "/desk", timeout=10)
        bob.send("/status away at lunch")
        ann.expect("presence", lambda e: e.get("show") == "away", timeout=10)
        self.roster_add(ann, b, "Bobby")
        mark = ann.mark()
        ann.send("/info Bobby")
        ev = plain(ann.expect("contact", timeout=5, since=mark))
        self.assertEqual(ev["jid"], b, ev)
        self.assertEqual(ev["item"]["name"], "Bobby", ev)
        self.assertIn(ev["item"]["subscription"], ("to", "both"), ev)
        res = ev["resources"]
        self.assertEqual([r["jid"] for r in res], [b + "/desk"], ev)
        self.assertEqual((res[0]["show"], res[0]["status"]), ("away", "at lunch"), ev)
        self.assertEqual(res[0].get("client"), "http://natter.im", ev)
        ann.quit()
        bob.quit()
