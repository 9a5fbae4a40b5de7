"""History completeness: every message stored (history.db), /history and
/history search, XEP-0280 carbons (and forged ones dropped), XEP-0313 catch-up
after being offline, and no duplicates after a resumption, a restart or a
kill -9 in the middle of a flood.

Each test registers its own users, so one test's history cannot satisfy
another's checks."""

import itertools
import os
import signal
import sqlite3
import time

import fixture
from natter import NatterTestCase, scaled

_serial = itertools.count(1)


def bare(jid):
    return (jid or "").split("/")[0].lower()


class TestHistory(NatterTestCase):

    def users(self, *names):
        """Fresh accounts for this test: {name: jid}."""
        tag = "%d%d" % (os.getpid(), next(_serial))
        out = {}
        for name in names:
            user = "h%s%s" % (name, tag)
            self.fx.register(user, "localhost", user + "pw")
            out[name] = "%s@localhost" % user
        return out

    def db_path(self, n, jid):
        return os.path.join(n.data_home, "natter", bare(jid), "history.db")

    def bodies(self, n, since=0, pred=None):
        """Message bodies natter reported after index since, in order."""
        return [e.get("body") for e in n.events[since:]
                if e.get("event") == "message" and (pred is None or pred(e))]

    def wait_until(self, cond, timeout, what, n=None):
        deadline = time.monotonic() + scaled(timeout)
        while time.monotonic() < deadline:
            if cond():
                return
            time.sleep(0.1)
        self.fail("%s not within %.0f s\n%s" % (what, scaled(timeout),
                                                n.report() if n else ""))

    def history(self, n, command):
        mark = n.mark()
        n.send(command)
        ev = n.expect_any(["history", "error"], timeout=10, since=mark)
        self.assertEqual(ev["event"], "history", "%s failed: %s" % (command, ev))
        # natter.py keeps nested objects as lists of pairs.
        ev["messages"] = [dict(m) for m in ev.get("messages", [])]
        return ev

    # -- /history -------------------------------------------------------------

    def test_history_shows_both_directions(self):
        u = self.users("a", "b")
        alice = self.connected(u["a"], resource="ra")
        bob = self.connected(u["b"], resource="rb")
        alice.send("/msg %s first from alice" % u["b"])
        bob.expect("message", lambda e: e.get("body") == "first from alice", timeout=10)
        bob.send("/msg %s/ra reply from bob" % u["a"])
        alice.expect("message", lambda e: e.get("body") == "reply from bob", timeout=10)
        ev = self.history(alice, "/history %s" % u["b"])
        self.assertEqual(bare(ev.get("with")), u["b"], ev)
        got = [(m["direction"], m["body"]) for m in ev["messages"]]
        self.assertEqual(got, [("out", "first from alice"), ("in", "reply from bob")], ev)
        for m in ev["messages"]:
            self.assertTrue(m.get("ts"), m)
        self.assertEqual(bare(ev["messages"][0]["to"]), u["b"], ev)
        self.assertEqual(bare(ev["messages"][1]["from"]), u["b"], ev)
        # Bob's side, from his own store.
        ev = self.history(bob, "/history %s 1" % u["a"])
        self.assertEqual([(m["direction"], m["body"]) for m in ev["messages"]],
                         [("out", "reply from bob")], ev)
        alice.quit()
        bob.quit()

    def test_history_search_across_conversations(self):
        u = self.users("a", "b", "c")
        alice = self.connected(u["a"], resource="ra")
        bob = self.connected(u["b"], resource="rb")
        carol = self.connected(u["c"], resource="rc")
        bob.send("/msg %s/ra the zebracorn is here" % u["a"])
        alice.expect("message", lambda e: "zebracorn" in e.get("body", ""), timeout=10)
        alice.send("/msg %s/rc did you see a zebracorn too" % u["c"])
        carol.expect("message", lambda e: "zebracorn" in e.get("body", ""), timeout=10)
        alice.send("/msg %s/rc unrelated words" % u["c"])
        carol.expect("message", lambda e: e.get("body") == "unrelated words", timeout=10)
        ev = self.history(alice, "/history search zebracorn")
        self.assertEqual(ev.get("query"), "zebracorn", ev)
        found = sorted((m["direction"], m["body"]) for m in ev["messages"])
        self.assertEqual(found, [("in", "the zebracorn is here"),
                                 ("out", "did you see a zebracorn too")], ev)
        for n in (alice, bob, carol):
            n.quit()

    # -- XEP-0280 carbons -----------------------------------------------------

    def test_carbons_both_ways(self):
        u = self.users("a", "b")
        res1 = self.connected(u["a"], resource="res1", label="alice/res1")
        res2 = self.connected(u["a"], resource="res2", label="alice/res2")
        bob = self.connected(u["b"], resource="rb")
        time.sleep(1)  # both resources' <enable/> answered
        mark2 = res2.mark()
        bob.send("/msg %s/res1 to res1 only" % u["a"])
        ev = res1.expect("message", lambda e: e.get("body") == "to res1 only", timeout=10)
        self.assertIsNone(ev.get("carbon"), ev)
        ev = res2.expect("message", lambda e: e.get("body") == "to res1 only", timeout=10,
                         since=mark2, what="carbon of a message received by res1")
        self.assertEqual(ev.get("carbon"), "received", ev)
        self.assertEqual(ev.get("from"), u["b"] + "/rb", ev)
        self.assertEqual(ev.get("to"), u["a"] + "/res1", ev)
        res1.send("/msg %s/rb sent by res1" % u["b"])
        bob.expect("message", lambda e: e.get("body") == "sent by res1", timeout=10)
        ev = res2.expect("message", lambda e: e.get("body") == "sent by res1", timeout=10,
                         since=mark2, what="carbon of a message sent by res1")
        self.assertEqual(ev.get("carbon"), "sent", ev)
        self.assertEqual(ev.get("from"), u["a"] + "/res1", ev)
        self.assertEqual(ev.get("to"), u["b"] + "/rb", ev)
        # Stored with the right direction on res2, which took part in neither.
        ev = self.history(res2, "/history %s" % u["b"])
        self.assertEqual([(m["direction"], m["body"]) for m in ev["messages"]],
                         [("in", "to res1 only"), ("out", "sent by res1")], ev)
        for n in (res1, res2, bob):
            n.quit()

    def test_forged_carbon_is_dropped(self):
        u = self.users("a", "b", "c")
        alice = self.connected(u["a"], resource="ra")
        bob = self.connected(u["b"], resource="rb")
        time.sleep(1)
        mark = alice.mark()
        # A received carbon would put words into carol's mouth, a sent one
        # into alice's own.
        for kind, src, dst in (("received", u["c"] + "/x", u["a"] + "/ra"),
                               ("sent", u["a"] + "/x", u["c"])):
            bob.send("/raw <message to='%s/ra' type='chat'>"
                     "<%s xmlns='urn:xmpp:carbons:2'><forwarded xmlns='urn:xmpp:forward:0'>"
                     "<message from='%s' to='%s' type='chat' id='forged-%s'>"
                     "<body>forged %s carbon</body></message>"
                     "</forwarded></%s></message>"
                     % (u["a"], kind, src, dst, kind, kind, kind))
        # What bob sends next arrives after the forgeries: once it is here,
        # they were handled.
        bob.send("/msg %s/ra after the forgeries" % u["a"])
        alice.expect("message", lambda e: e.get("body") == "after the forgeries", timeout=10,
                     since=mark)
        alice.expect_none("message", lambda e: "forged" in e.get("body", ""), within=1,
                          since=mark, what="a carbon from someone else than our account")
        ev = self.history(alice, "/history search forged")
        self.assertEqual(ev["messages"], [], ev)
        alice.quit()
        bob.quit()

    def test_strangers_stamp_is_not_believed(self):
        # issue 15 item 7: a <delay/> of 2099 from someone who is not our
        # server is the arrival time, neither shown nor stored as 2099, and
        # the next login's catch-up is not steered by it.
        u = self.users("a", "s", "b")
        alice = self.connected(u["a"], resource="ra")
        stranger = self.connected(u["s"], resource="rs")
        bob = self.connected(u["b"], resource="rb")
        mark = alice.mark()
        before = time.time()
        stranger.send("/raw <message to='%s/ra' type='chat'><body>from 2099</body>"
                      "<delay xmlns='urn:xmpp:delay' stamp='2099-01-01T00:00:00Z'/></message>"
                      % u["a"])
        ev = alice.expect("message", lambda e: e.get("body") == "from 2099", timeout=10,
                          since=mark)
        self.assertFalse(ev.get("delayed"), ev)
        self.assertIsNone(ev.get("stamp"), ev)
        self.assertGreaterEqual(ev["ts_ms"], int(before * 1000) - 5000, ev)
        self.assertLessEqual(ev["ts_ms"], int(time.time() * 1000) + 5000, ev)
        bob.send("/msg %s/ra seen live" % u["a"])
        alice.expect("message", lambda e: e.get("body") == "seen live", timeout=10, since=mark)
        alice.quit()
        db = sqlite3.connect(self.db_path(alice, u["a"]))
        ts = db.execute("SELECT ts FROM messages WHERE body = 'from 2099'").fetchone()[0]
        db.close()
        self.assertLess(ts, int(time.time() * 1000) + 5000)
        bob.send("/msg %s while away" % u["a"])
        time.sleep(1)  # archived by the server
        mark = alice.mark()
        alice.start()
        alice.expect("connected", timeout=15, since=mark)
        ev = alice.expect("message", lambda e: e.get("body") == "while away", timeout=15,
                          since=mark)
        self.assertTrue(ev.get("delayed"), ev)
        alice.expect_none("message", lambda e: e.get("body") in ("from 2099", "seen live"),
                          within=1, since=mark, what="a message stored before the restart")
        alice.quit()
        stranger.quit()
        bob.quit()

    # -- XEP-0313 catch-up ----------------------------------------------------

    def test_mam_catch_up_after_being_offline(self):
        u = self.users("a", "b")
        bob = self.connected(u["b"], resource="rb")
        alice = self.connected(u["a"], resource="ra")
        bob.send("/msg %s/ra seen live" % u["a"])
        alice.expect("message", lambda e: e.get("body") == "seen live", timeout=10)
        alice.quit()
        for i in range(3):
            bob.send("/msg %s while away %d" % (u["a"], i))
        time.sleep(1)  # archived by the server
        mark = alice.mark()
        alice.start()
        alice.expect("connected", timeout=15, since=mark)
        for i in range(3):
            ev = alice.expect("message", lambda e, i=i: e.get("body") == "while away %d" % i,
                              timeout=15, since=mark)
            self.assertTrue(ev.get("delayed"), ev)
            self.assertTrue(ev.get("stamp"), ev)
            self.assertEqual(bare(ev.get("from")), u["b"], ev)
        alice.expect_none("message", lambda e: e.get("body") == "seen live", within=1,
                          since=mark, what="a message stored before the restart")
        got = self.bodies(alice, mark, lambda e: "while away" in e.get("body", ""))
        self.assertEqual(got, ["while away 0", "while away 1", "while away 2"], got)
        ev = self.history(alice, "/history %s" % u["b"])
        self.assertEqual([m["body"] for m in ev["messages"]],
                         ["seen live", "while away 0", "while away 1", "while away 2"], ev)
        alice.quit()
        bob.quit()

    def test_first_login_fetches_recent_archive(self):
        u = self.users("a", "b")
        bob = self.connected(u["b"], resource="rb")
        for i in range(5):
            bob.send("/msg %s before first login %d" % (u["a"], i))
        time.sleep(1)
        alice = self.natter(self.account(u["a"], resource="ra"),
                            natterrc={"history": {"mam_initial": 200}})
        alice.expect("connected", timeout=15)
        for i in range(5):
            ev = alice.expect("message",
                              lambda e, i=i: e.get("body") == "before first login %d" % i,
                              timeout=15, since=0)
            self.assertTrue(ev.get("delayed"), ev)
        alice.quit()
        bob.quit()

    def test_no_duplicate_after_restart(self):
        u = self.users("a", "b")
        alice = self.connected(u["a"], resource="ra")
        bob = self.connected(u["b"], resource="rb")
        for i in range(3):
            bob.send("/msg %s/ra live %d" % (u["a"], i))
        self.wait_until(lambda: len(self.bodies(alice, 0, lambda e: e.get("body", "")
                                                .startswith("live "))) == 3,
                        10, "three live messages", alice)
        # Our own messages come last in the archive, after the newest one
        # stored with an archive id: the catch-up after the restart fetches
        # them again and must know them by their origin-id.
        for i in range(3):
            alice.send("/msg %s/rb answer %d" % (u["b"], i))
        self.wait_until(lambda: len(self.bodies(bob, 0, lambda e: e.get("body", "")
                                                .startswith("answer "))) == 3,
                        10, "three answers", bob)
        alice.quit()
        bob.send("/msg %s sentinel after restart" % u["a"])
        time.sleep(1)
        mark = alice.mark()
        alice.start()
        alice.expect("message", lambda e: e.get("body") == "sentinel after restart",
                     timeout=15, since=mark, what="the catch-up after the restart")
        alice.expect_none("message", lambda e: e.get("body") != "sentinel after restart",
                          within=2, since=mark,
                          what="a message already stored, reported again")
        ev = self.history(alice, "/history %s" % u["b"])
        bodies = [m["body"] for m in ev["messages"]]
        self.assertEqual(sorted(bodies), sorted(["live 0", "live 1", "live 2", "answer 0",
                                                 "answer 1", "answer 2",
                                                 "sentinel after restart"]), ev)
        alice.quit()
        bob.quit()

    def test_no_duplicate_after_resumption(self):
        u = self.users("a", "b")
        bob = self.connected(u["b"], resource="rb")
        with fixture.CutProxy(self.fx.c2s_port) as proxy:
            alice = self.natter(self.account(u["a"], port=proxy.port, resource="ra"),
                                natterrc={"connection": {"reconnect_min": 1,
                                                         "reconnect_max": 2}})
            alice.expect("connected", timeout=15)
            time.sleep(0.5)
            for i in range(3):
                bob.send("/msg %s/ra before cut %d" % (u["a"], i))
            self.wait_until(lambda: len(self.bodies(alice, 0)) >= 3, 10,
                            "messages before the cut", alice)
            mark = alice.mark()
            proxy.cut(refuse=True)
            alice.expect("reconnecting", timeout=15, since=mark)
            for i in range(3):
                bob.send("/msg %s/ra during cut %d" % (u["a"], i))
            time.sleep(1.5)
            proxy.restore()
            alice.expect_any(["resumed", "connected"], timeout=20, since=mark)
            self.wait_until(lambda: len([b for b in self.bodies(alice, 0)
                                         if b.startswith("during cut")]) >= 3, 20,
                            "the messages sent during the cut", alice)
            time.sleep(2)  # anything doubled would come now
            bodies = self.bodies(alice, 0)
            expect = ["before cut %d" % i for i in range(3)] + \
                     ["during cut %d" % i for i in range(3)]
            self.assertEqual(sorted(bodies), sorted(expect), alice.report())
            ev = self.history(alice, "/history %s" % u["b"])
            self.assertEqual(sorted(m["body"] for m in ev["messages"]), sorted(expect), ev)
            alice.quit()
        bob.quit()

    # -- crash in a flood -----------------------------------------------------

    def test_kill_during_flood_keeps_every_message_once(self):
        total, half = 5000, 2500
        u = self.users("a", "b")
        bob = self.connected(u["b"], resource="rb")
        alice = self.connected(u["a"], resource="ra")
        flood = ["/raw <message to='%s' type='chat' id='flood-%d'><body>flood %d</body>"
                 "</message>" % (u["a"], i, i) for i in range(total)]

        def sent():
            return sum(1 for e in bob.events if e.get("event") == "raw_sent")

        for line in flood[:half]:
            bob.send(line)
        self.wait_until(lambda: len(self.bodies(alice)) >= 500, 60,
                        "alice receiving the flood", alice)
        os.kill(alice.pid, signal.SIGKILL)
        alice.wait_exit(timeout=5)
        got_before = len(self.bodies(alice))
        if os.environ.get("NATTER_TEST_DEBUG"):
            print("flood: %d reported before the kill" % got_before)
        for line in flood[half:]:
            bob.send(line)
        self.wait_until(lambda: sent() >= total, 120, "bob sending the flood", bob)
        time.sleep(1)
        mark = alice.mark()
        alice.start()
        alice.expect("connected", timeout=15, since=mark)
        # The catch-up pages through the archive while the rest may arrive
        # live: wait until every message has been reported once, however it
        # came (the last one can come before the archive's older pages).
        self.wait_until(lambda: len({b for b in self.bodies(alice)
                                     if b.startswith("flood ")}) >= total,
                        180, "every flood message reported", alice)
        alice.quit(timeout=10)
        reported = [b for b in self.bodies(alice) if b.startswith("flood ")]
        self.assertLess(got_before, total, "the kill came after the whole flood")
        db = sqlite3.connect("file:%s?mode=ro" % self.db_path(alice, u["a"]), uri=True)
        try:
            self.assertEqual(db.execute("PRAGMA integrity_check").fetchone()[0], "ok")
            rows = db.execute("SELECT body, count(*) FROM messages WHERE peer = ? "
                              "GROUP BY body", (bare(u["b"]),)).fetchall()
        finally:
            db.close()
        counts = dict(rows)
        missing = [i for i in range(total) if "flood %d" % i not in counts]
        doubled = {b: c for b, c in counts.items() if c != 1}
        self.assertEqual(missing, [], "%d of %d missing from history.db" % (len(missing),
                                                                            total))
        self.assertEqual(doubled, {}, "stored more than once")
        self.assertEqual(len(counts), total, counts if len(counts) < 20 else len(counts))
        # Reported at most once per run, and every message at least once overall.
        self.assertGreaterEqual(len(set(reported)), total)
        bob.quit()
