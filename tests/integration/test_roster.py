"""Roster, presence subscriptions and contacts' presence between natter clients.

Prosody keeps rosters for the whole run, so these tests use carol and admin
(alice and bob only where nothing is changed), clear the pair's roster and
subscription state before they start, and remove what they added.
"""

import json
import sqlite3
import os
import stat
import time

from natter import Natter, NatterTestCase, _ini, scaled

CAROL = "carol@localhost"
ADMIN = "admin@localhost"


def bare(jid):
    return (jid or "").split("/")[0].lower()


def plain(v):
    """The driver keeps nested JSON objects as lists of (key, value) pairs."""
    if isinstance(v, list):
        if v and all(isinstance(p, tuple) and len(p) == 2 for p in v):
            return {k: plain(x) for k, x in v}
        return [plain(x) for x in v]
    if isinstance(v, dict):
        return {k: plain(x) for k, x in v.items()}
    return v


def expect(n, name, pred=None, **kw):
    """n.expect() on events with nested objects as dicts."""
    return plain(n.expect(name, None if pred is None else lambda e: pred(plain(e)), **kw))


def items_of(ev):
    return {bare(i.get("jid")): i for i in ev.get("items", [])}



def kv_get(db, key):
    """A cache value from natter's store (natter is not running)."""
    with sqlite3.connect(db) as c:
        row = c.execute("SELECT value FROM kv WHERE key = ?", (key,)).fetchone()
    if not row:
        raise AssertionError("no %r in %s" % (key, db))
    return row[0]


def kv_set(db, key, value):
    with sqlite3.connect(db) as c:
        c.execute("INSERT INTO kv (key, value) VALUES (?, ?) ON CONFLICT (key) "
                  "DO UPDATE SET value = excluded.value", (key, value))


def kv_prefix(db, prefix):
    """{key without prefix: value} of one of the store's collections."""
    upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
    with sqlite3.connect(db) as c:
        rows = c.execute("SELECT key, value FROM kv WHERE key >= ? AND key < ?",
                         (prefix, upper)).fetchall()
    return {k[len(prefix):]: v for k, v in rows}

class TestRoster(NatterTestCase):

    # -- helpers -----------------------------------------------------------------

    def login(self, jid, resource, **keys):
        """A natter for jid/resource, with its roster from login."""
        n = self.connected(jid, label="%s/%s" % (jid, resource), resource=resource, **keys)
        roster = expect(n, "roster", timeout=10, what="roster after login")
        return n, roster

    def sync(self, *clients):
        """A server round trip from each client: what it sent before has been handled."""
        for n in clients:
            mark = n.mark()
            n.send("/ping")
            expect(n, "pong", timeout=10, since=mark, what="round trip to the server")

    def forget(self, n, roster, other):
        """Remove other from n's roster (if there) and refuse any request from other."""
        if bare(other) in items_of(roster):
            mark = n.mark()
            n.send("/roster remove %s" % other)
            expect(n, "roster_push", lambda e: bare(e["item"]["jid"]) == other
                     and e["item"]["subscription"] == "remove", timeout=10, since=mark,
                     what="removal of %s" % other)
        n.send("/sub deny %s" % other)

    def fresh_pair(self):
        """carol and admin online, knowing nothing of each other."""
        carol, rc = self.login(CAROL, "c1")
        admin, ra = self.login(ADMIN, "a1")
        self.forget(carol, rc, ADMIN)
        self.forget(admin, ra, CAROL)
        self.sync(carol, admin)
        return carol, admin

    def expect_item(self, n, jid, since, **fields):
        """A roster_push for jid whose item has these field values."""
        def match(e):
            it = e.get("item", {})
            return bare(it.get("jid")) == jid and all(it.get(k) == v for k, v in fields.items())
        return expect(n, "roster_push", match, timeout=10, since=since,
                        what="%s with %s" % (jid, fields))

    def roster_now(self, n):
        mark = n.mark()
        n.send("/roster")
        return items_of(expect(n, "roster", timeout=5, since=mark, what="answer to /roster"))

    def mutual(self, x, xjid, y, yjid):
        """Seed 001's mutual authorisation, x asking first; both end with "both"."""
        mx, my = x.mark(), y.mark()
        x.send("/sub request %s please let me see you" % yjid)
        ev = expect(y, "subscription", lambda e: e.get("type") == "subscribe", timeout=10,
                      since=my)
        self.assertEqual(ev.get("from"), xjid, ev)
        self.assertEqual(ev.get("status"), "please let me see you", ev)
        # The server put y in x's roster, our request still waiting.
        self.expect_item(x, yjid, mx, subscription="none", ask="subscribe")
        mark = y.mark()
        y.send("/sub pending")
        ev = expect(y, "sub_pending", timeout=5, since=mark)
        self.assertIn(xjid, [r.get("from") for r in ev.get("requests", [])], ev)

        mx, my = x.mark(), y.mark()
        y.send("/sub allow %s" % xjid)
        ev = expect(x, "subscription", lambda e: e.get("type") == "subscribed", timeout=10,
                      since=mx)
        self.assertEqual(ev.get("from"), yjid, ev)
        self.expect_item(x, yjid, mx, subscription="to")
        self.expect_item(y, xjid, my, subscription="from")
        mark = y.mark()
        y.send("/sub pending")
        ev = expect(y, "sub_pending", timeout=5, since=mark)
        self.assertNotIn(xjid, [r.get("from") for r in ev.get("requests", [])],
                         "an allowed request is still pending: %s" % ev)

        mx, my = x.mark(), y.mark()
        y.send("/sub request %s" % xjid)
        ev = expect(x, "subscription", lambda e: e.get("type") == "subscribe", timeout=10,
                      since=mx)
        self.assertEqual(ev.get("from"), yjid, ev)
        x.send("/sub allow %s" % yjid)
        ev = expect(y, "subscription", lambda e: e.get("type") == "subscribed", timeout=10,
                      since=my)
        self.assertEqual(ev.get("from"), xjid, ev)
        self.expect_item(x, yjid, mx, subscription="both")
        self.expect_item(y, xjid, my, subscription="both")
        self.assertEqual(self.roster_now(x)[yjid].get("subscription"), "both")
        self.assertEqual(self.roster_now(y)[xjid].get("subscription"), "both")

    def cleanup(self, carol, admin):
        self.forget(carol, {"items": [{"jid": ADMIN}]}, ADMIN)
        self.forget(admin, {"items": [{"jid": CAROL}]}, CAROL)
        self.sync(carol, admin)

    # -- tests -------------------------------------------------------------------

    def test_roster_edits_reach_every_resource_through_pushes(self):
        c1, roster = self.login(CAROL, "edit1")
        self.assertIsInstance(roster.get("items"), list, roster)
        contact = "roster-edit@localhost"
        self.forget(c1, roster, contact)
        mark = c1.mark()
        c1.send("/roster add %s Eddie Edit" % contact)
        ev = self.expect_item(c1, contact, mark, name="Eddie Edit", subscription="none")
        self.assertEqual(ev["item"].get("groups"), [], ev)
        mark = c1.mark()
        c1.send("/roster group add %s Friends" % contact)
        self.expect_item(c1, contact, mark, groups=["Friends"], name="Eddie Edit")

        # A second resource: the login roster has the contact as it is now.
        c2, roster2 = self.login(CAROL, "edit2")
        it = items_of(roster2).get(contact)
        self.assertIsNotNone(it, roster2)
        self.assertEqual((it.get("name"), it.get("groups")), ("Eddie Edit", ["Friends"]), it)

        # Each change is computed from the roster as pushed, so wait for
        # c1's own push too before the next one.
        m1, m2 = c1.mark(), c2.mark()
        c1.send("/roster name %s Edwina" % contact)
        self.expect_item(c2, contact, m2, name="Edwina", groups=["Friends"])
        self.expect_item(c1, contact, m1, name="Edwina", groups=["Friends"])
        m1, m2 = c1.mark(), c2.mark()
        c1.send("/roster group add %s Work Mates" % contact)
        for n, m in ((c2, m2), (c1, m1)):
            ev = expect(n, "roster_push", lambda e: bare(e["item"]["jid"]) == contact
                        and "Work Mates" in e["item"]["groups"], timeout=10, since=m)
            self.assertEqual(sorted(ev["item"]["groups"]), ["Friends", "Work Mates"], ev)
            self.assertEqual(ev["item"].get("name"), "Edwina", ev)
        m1, m2 = c1.mark(), c2.mark()
        c1.send("/roster group remove %s Friends" % contact)
        self.expect_item(c2, contact, m2, groups=["Work Mates"], name="Edwina")
        self.expect_item(c1, contact, m1, groups=["Work Mates"], name="Edwina")
        it = self.roster_now(c1).get(contact)
        self.assertEqual((it.get("name"), it.get("groups")), ("Edwina", ["Work Mates"]), it)

        # Refusals, checked here or by the server.
        for cmd, cond in (("/roster name nobody-here@localhost X", "item-not-found"),
                          ("/roster group remove %s Nope" % contact, "item-not-found"),
                          ("/roster add not@valid@jid", "jid-malformed"),
                          ("/roster remove @localhost", "jid-malformed"),
                          ("/sub request a@b@c", "jid-malformed")):
            mark = c1.mark()
            c1.send(cmd)
            ev = expect(c1, "error", timeout=5, since=mark, what="for %r" % cmd)
            self.assertEqual(ev.get("condition"), cond, ev)
        mark = c1.mark()
        c1.send("/roster add %s" % CAROL)  # Prosody refuses a roster item for oneself
        ev = expect(c1, "error", timeout=10, since=mark, what="server refusal")
        self.assertEqual(ev.get("command"), "roster add", ev)
        self.assertTrue(ev.get("condition") and ev.get("condition") != "undefined-condition", ev)

        m1, m2 = c1.mark(), c2.mark()
        c1.send("/roster remove %s" % contact)
        self.expect_item(c1, contact, m1, subscription="remove")
        self.expect_item(c2, contact, m2, subscription="remove")
        self.assertNotIn(contact, self.roster_now(c2))
        c1.quit()
        c2.quit()

    def test_mutual_subscription_carol_asks_first_and_presence_is_tracked(self):
        carol, admin = self.fresh_pair()
        try:
            self.mutual(carol, CAROL, admin, ADMIN)
            mark = carol.mark()
            admin.send("/status away Out for lunch")
            ev = expect(carol, "presence", lambda e: e.get("from") == ADMIN + "/a1"
                              and e.get("show") == "away", timeout=10, since=mark)
            self.assertEqual(ev.get("type"), "available", ev)
            self.assertEqual(ev.get("status"), "Out for lunch", ev)
            mark = carol.mark()
            admin.send("/status online")
            ev = expect(carol, "presence", lambda e: e.get("from") == ADMIN + "/a1",
                              timeout=10, since=mark)
            self.assertEqual(ev.get("type"), "available", ev)
            self.assertIsNone(ev.get("show"), ev)
            self.assertIsNone(ev.get("status"), ev)
            mark = carol.mark()
            admin.quit()
            ev = expect(carol, "presence", lambda e: e.get("from") == ADMIN + "/a1"
                              and e.get("type") == "unavailable", timeout=10, since=mark)
            admin, _ = self.login(ADMIN, "a1")
        finally:
            if carol.running() and admin.running():
                self.cleanup(carol, admin)
        carol.quit()
        admin.quit()

    def test_mutual_subscription_admin_asks_first(self):
        carol, admin = self.fresh_pair()
        try:
            self.mutual(admin, ADMIN, carol, CAROL)
            # admin sees carol's presence, with the priority she logs in with.
            mark = admin.mark()
            c2, _ = self.login(CAROL, "c2", priority=7)
            ev = expect(admin, "presence", lambda e: e.get("from") == CAROL + "/c2",
                              timeout=10, since=mark)
            self.assertEqual((ev.get("type"), ev.get("priority")), ("available", 7), ev)
            c2.quit()
        finally:
            if carol.running() and admin.running():
                self.cleanup(carol, admin)
        carol.quit()
        admin.quit()

    def test_pending_requests_survive_a_restart(self):
        carol, admin = self.fresh_pair()
        mark = admin.mark()
        carol.send("/sub request %s kept across restarts" % ADMIN)
        expect(admin, "subscription", lambda e: e.get("type") == "subscribe", timeout=10,
                     since=mark)
        admin.quit()

        # Restart offline (nothing listens on that port): only the cache can know.
        dead = self.account(ADMIN, resource="a1", port=_closed_port())
        Natter.write_file(admin.accounts_path, _ini({"test": dead}), 0o600)
        admin.start()
        time.sleep(scaled(0.5))
        mark = admin.mark()
        admin.send("/sub pending")
        ev = expect(admin, "sub_pending", timeout=5, since=mark)
        reqs = {r.get("from"): r for r in ev.get("requests", [])}
        self.assertIn(CAROL, reqs, ev)
        self.assertEqual(reqs[CAROL].get("status"), "kept across restarts", ev)
        self.assertIsNone(admin.find("connected", since=mark), "natter was meant to be offline")
        admin.quit()

        # Online again: denying answers it, and that is remembered too.
        Natter.write_file(admin.accounts_path,
                          _ini({"test": self.account(ADMIN, resource="a1")}), 0o600)
        admin.start()
        mark = admin.mark()
        expect(admin, "connected", timeout=15)
        expect(admin, "roster", timeout=10)
        # RFC 6121 §3.1.3: the server repeats the request at login.
        expect(admin, "subscription", lambda e: e.get("type") == "subscribe"
               and e.get("from") == CAROL, timeout=10, since=mark)
        mark = admin.mark()
        admin.send("/sub pending")
        ev = expect(admin, "sub_pending", timeout=5, since=mark)
        self.assertEqual([r.get("from") for r in ev.get("requests")], [CAROL],
                         "a repeated request is listed once: %s" % ev)
        mark = carol.mark()
        admin.send("/sub deny %s" % CAROL)
        expect(carol, "subscription", lambda e: e.get("type") == "unsubscribed"
                     and e.get("from") == ADMIN, timeout=10, since=mark)
        mark = admin.mark()
        admin.send("/sub pending")
        ev = expect(admin, "sub_pending", timeout=5, since=mark)
        self.assertEqual(ev.get("requests"), [], ev)
        admin.quit()
        Natter.write_file(admin.accounts_path, _ini({"test": dead}), 0o600)
        admin.start()
        time.sleep(scaled(0.5))
        mark = admin.mark()
        admin.send("/sub pending")
        ev = expect(admin, "sub_pending", timeout=5, since=mark)
        self.assertEqual(ev.get("requests"), [], "a denied request came back: %s" % ev)
        admin.quit()
        self.cleanup_one(carol, ADMIN)
        carol.quit()

    def cleanup_one(self, n, other):
        roster = {"items": [{"jid": j} for j in self.roster_now(n)]}
        self.forget(n, roster, other)
        self.sync(n)

    def test_roster_push_from_a_peer_is_ignored(self):
        alice, _ = self.login("alice@localhost", "natter")
        bob, _ = self.login("bob@localhost", "spoofer")
        mark = alice.mark()
        bob.send("/raw <iq type='set' to='alice@localhost/natter' id='spoof1'>"
                 "<query xmlns='jabber:iq:roster'><item jid='evil@localhost' name='Evil'/>"
                 "</query></iq>")
        expect(bob, "raw_sent", timeout=5)
        alice.expect_none("roster_push", within=2, since=mark, what="spoofed by bob")
        self.assertNotIn("evil@localhost", self.roster_now(alice))
        # A real push in the same session does get through.
        contact = "spoof-control@localhost"
        alice.send("/roster add %s" % contact)
        ev = expect(alice, "roster_push", timeout=10, since=mark)
        self.assertEqual(bare(ev["item"]["jid"]), contact, "first push after the spoof: %s" % ev)
        alice.send("/roster remove %s" % contact)
        self.expect_item(alice, contact, mark, subscription="remove")
        self.assertNotIn("evil@localhost", self.roster_now(alice))
        alice.quit()
        bob.quit()

    def test_roster_versioning_uses_the_cache(self):
        contact = "cached-contact@localhost"
        carol, roster = self.login(CAROL, "ver1")
        self.forget(carol, roster, contact)
        mark = carol.mark()
        carol.send("/roster add %s Cached Contact" % contact)
        self.expect_item(carol, contact, mark, name="Cached Contact")
        carol.quit()

        # The cache lives in the account's store, beside the history.
        ddir = os.path.join(carol.data_home, "natter", CAROL)
        path = os.path.join(ddir, "history.db")
        self.assertEqual(stat.S_IMODE(os.stat(ddir).st_mode), 0o700)
        self.assertEqual(stat.S_IMODE(os.stat(path).st_mode), 0o600)
        # One entry per item (a push rewrites one row), and the version.
        self.assertTrue(kv_get(path, "roster/ver"),
                        "Prosody offers versioning; no version cached")
        items = {k: json.loads(v) for k, v in kv_prefix(path, "roster/item/").items()}
        self.assertIn(contact, [i["jid"] for i in items.values()], items)
        # Something only the cache knows: shown only if the server said "current".
        kv_set(path, "roster/item/only-in-cache@localhost",
               json.dumps({"jid": "only-in-cache@localhost", "subscription": "none",
                           "groups": []}))

        carol.start()
        expect(carol, "connected", timeout=15)
        items = items_of(expect(carol, "roster", timeout=10))
        self.assertIn(contact, items, items)
        self.assertEqual(items[contact].get("name"), "Cached Contact", items)
        self.assertIn("only-in-cache@localhost", items,
                      "the roster did not come from the cache: %s" % items)
        carol.quit()

        # A version the server does not know: it sends everything again.
        kv_set(path, "roster/ver", "not-a-version")
        carol.start()
        expect(carol, "connected", timeout=15)
        items = items_of(expect(carol, "roster", timeout=10))
        self.assertIn(contact, items, items)
        self.assertNotIn("only-in-cache@localhost", items, items)
        mark = carol.mark()
        carol.send("/roster remove %s" % contact)
        self.expect_item(carol, contact, mark, subscription="remove")
        carol.quit()

    def test_status_invisible_is_refused_without_server_support(self):
        carol, _ = self.login(CAROL, "inv")
        mark = carol.mark()
        carol.send("/status invisible")
        ev = expect(carol, "error", timeout=10, since=mark)
        self.assertEqual(ev.get("command"), "status", ev)
        self.assertEqual(ev.get("condition"), "feature-not-implemented", ev)
        self.assertIn("unavailable on this server", ev.get("text", ""), ev)
        carol.quit()

    def test_negative_priority_warns_at_login(self):
        n = self.connected(CAROL, resource="neg", priority=-1)
        ev = expect(n, "info", lambda e: "negative" in e.get("text", ""), timeout=10)
        self.assertIn("-1", ev.get("text"), ev)
        n.quit()


def _closed_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
