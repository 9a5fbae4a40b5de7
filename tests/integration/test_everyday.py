"""Everyday messaging against Prosody and an independent peer (slixmpp):
corrections (XEP-0308), chat markers (XEP-0333), blocking (XEP-0191),
file upload over HTTPS (XEP-0363) and links (XEP-0066, /open), /me
(XEP-0245), retraction (XEP-0424) and client state (XEP-0352)."""

import os
import shutil
import socket
import ssl
import stat
import tempfile
import time
import unittest
import uuid

import fixture
from natter import NatterTestCase, scaled
from test_interop import SlixPeer, have_slixmpp

LIMIT = 1048576  # the fixture's http_file_share_size_limit


def bare(jid):
    return (jid or "").split("/")[0].lower()


def history_of(ev):
    """A history event's messages as dicts (JSON objects keep their order)."""
    return [dict(m) for m in ev.get("messages", [])]


def https_get(url, ca_file, port):
    """GET url (https://upload.localhost:PORT/...) over loopback, verified with
    the test CA; returns (status, body bytes)."""
    host, _, rest = url[len("https://"):].partition("/")
    ctx = ssl.create_default_context(cafile=ca_file)
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        with ctx.wrap_socket(raw, server_hostname=host.split(":")[0]) as s:
            s.sendall(("GET /%s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n"
                       % (rest, host)).encode())
            data = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), body


@unittest.skipUnless(have_slixmpp(), "python3-slixmpp is not installed")
class TestEveryday(NatterTestCase):

    def fresh(self, name):
        """A new account on the shared Prosody: its archive and roster are
        this test's own.  Returns its bare JID."""
        user = "%s%s" % (name, uuid.uuid4().hex[:8])
        self.fx.register(user, "localhost", user + "pw")
        return "%s@localhost" % user

    def peer(self, jid, resource="slix"):
        p = SlixPeer(self.fx, "%s/%s" % (jid, resource), self.fx.users[jid])
        self.addCleanup(p.close)
        p.expect("ready", timeout=20)
        return p

    def login(self, jid, resource="nat", natterrc=None, label=None, **keys):
        n = self.natter(self.account(jid, resource=resource, **keys), natterrc=natterrc,
                        label=label or "%s/%s" % (jid, resource))
        n.expect("connected", timeout=15)
        return n

    def history(self, n, cmd):
        mark = n.mark()
        n.send(cmd)
        return history_of(n.expect("history", since=mark))

    def no_peer_event(self, p, name, pred=None, within=2):
        time.sleep(within)
        with p._cond:
            hits = [e for e in p.events[p.cursor:]
                    if e.get("event") == name and (pred is None or pred(e))]
        self.assertEqual(hits, [], p.report())

    # -- corrections (XEP-0308) ------------------------------------------------

    def test_correction_from_the_sender_replaces_the_text(self):
        aj, cj = self.fresh("ann"), self.fresh("cat")
        a, p = self.login(aj), self.peer(cj)
        p.send(cmd="msg", to=aj + "/nat", body="helo wrld", id="c1")
        a.expect("message", lambda e: e.get("body") == "helo wrld")
        p.send(cmd="msg", to=aj + "/nat", body="hello world", id="c2", replace="c1")
        ev = a.expect("message", lambda e: e.get("body") == "hello world")
        self.assertEqual(ev.get("replaces"), "c1", ev)
        self.assertEqual(ev.get("id"), "c2", ev)
        rows = self.history(a, "/history %s" % cj)
        self.assertEqual([r["body"] for r in rows], ["hello world"], rows)
        self.assertTrue(rows[0].get("edited"), rows)
        self.assertEqual(rows[0].get("id"), "c1", rows)
        # Search knows the new text only; the first one is kept, not shown.
        self.assertEqual(self.history(a, "/history search wrld"), [])
        found = self.history(a, "/history search hello world")
        self.assertEqual([r["body"] for r in found], ["hello world"], found)
        a.quit()

    def test_correction_from_anyone_else_is_an_ordinary_message(self):
        aj, cj, bj = self.fresh("ann"), self.fresh("cat"), self.fresh("bob")
        a, p = self.login(aj), self.peer(cj)
        other = self.peer(cj, resource="other")
        b = self.login(bj)
        p.send(cmd="msg", to=aj + "/nat", body="the original", id="o1")
        a.expect("message", lambda e: e.get("body") == "the original")
        # Another client of the same account never sent the original.
        other.send(cmd="msg", to=aj + "/nat", body="forged by a sibling", replace="o1")
        ev = a.expect("message", lambda e: e.get("body") == "forged by a sibling")
        self.assertNotIn("replaces", ev)
        # Nor did another account.
        b.send("/raw <message to='%s/nat' type='chat' id='o3'><body>forged by bob</body>"
               "<replace xmlns='urn:xmpp:message-correct:0' id='o1'/></message>" % aj)
        ev = a.expect("message", lambda e: e.get("body") == "forged by bob")
        self.assertNotIn("replaces", ev)
        rows = self.history(a, "/history %s" % cj)
        self.assertEqual([r["body"] for r in rows], ["the original", "forged by a sibling"])
        self.assertFalse(rows[0].get("edited"), rows)
        a.quit()
        b.quit()

    def test_correct_command_replaces_our_last_message(self):
        aj, cj = self.fresh("ann"), self.fresh("cat")
        a, p = self.login(aj), self.peer(cj)
        a.send("/msg %s/slix teh cat" % cj)
        first = p.expect("message", lambda e: e["body"] == "teh cat")
        a.send("/correct %s/slix the cat" % cj)
        echo = a.expect("message", lambda e: e.get("outgoing") and e.get("replaces"))
        self.assertEqual(echo["replaces"], first["id"], echo)
        ev = p.expect("message", lambda e: e["body"] == "the cat")
        self.assertEqual(ev.get("replace"), first["id"], ev)
        self.assertNotEqual(ev.get("id"), first["id"], ev)
        # A second correction still names the original (XEP-0308 §5).
        a.send("/correct %s/slix the cat!" % cj)
        ev = p.expect("message", lambda e: e["body"] == "the cat!")
        self.assertEqual(ev.get("replace"), first["id"], ev)
        rows = self.history(a, "/history %s" % cj)
        self.assertEqual([(r["body"], r.get("edited")) for r in rows], [("the cat!", True)])
        mark = a.mark()
        a.send("/correct nobody@localhost anything")
        ev = a.expect("error", since=mark)
        self.assertEqual(ev.get("condition"), "item-not-found", ev)
        a.quit()

    # -- chat markers (XEP-0333) -----------------------------------------------

    def test_markers_from_the_contact_are_reported_and_kept(self):
        aj, cj = self.fresh("ann"), self.fresh("cat")
        a, p = self.login(aj), self.peer(cj)
        a.send("/msg %s/slix read me" % cj)
        ev = p.expect("message", lambda e: e["body"] == "read me")
        self.assertTrue(ev.get("markable"), ev)
        p.send(cmd="marker", to=aj + "/nat", type="received", id=ev["id"])
        m = a.expect("marker", lambda e: e.get("type") == "received")
        self.assertEqual((m.get("id"), m.get("from")), (ev["id"], cj + "/slix"), m)
        p.send(cmd="marker", to=aj + "/nat", type="displayed", id=ev["id"])
        a.expect("marker", lambda e: e.get("type") == "displayed" and e.get("id") == ev["id"])
        time.sleep(0.3)
        rows = self.history(a, "/history %s" % cj)
        self.assertEqual(rows[-1].get("delivery"), "displayed", rows)
        a.quit()

    def test_displayed_only_when_asked_in_headless_mode(self):
        aj, cj = self.fresh("ann"), self.fresh("cat")
        a, p = self.login(aj), self.peer(cj)
        p.send(cmd="msg", to=aj + "/nat", body="did you see this", id="k1", markable=True)
        a.expect("message", lambda e: e.get("body") == "did you see this")
        self.no_peer_event(p, "marker")
        a.send("/read %s" % cj)
        m = p.expect("marker")
        self.assertEqual((m["type"], m["id"], m["from"]), ("displayed", "k1", aj + "/nat"), m)
        mark = a.mark()
        a.send("/read %s" % cj)
        ev = a.expect("info", since=mark)
        self.assertIn("nothing", ev.get("text", ""), ev)
        a.quit()

    # -- blocking (XEP-0191) ---------------------------------------------------

    def test_block_unblock_and_pushes(self):
        aj, bj = self.fresh("ann"), self.fresh("bob")
        a1 = self.login(aj, resource="one")
        a2 = self.login(aj, resource="two")
        b = self.login(bj)
        b.send("/msg %s/one before" % aj)
        a1.expect("message", lambda e: e.get("body") == "before")
        mark2 = a2.mark()
        a1.send("/block %s" % bj)
        ev = a1.expect("blocklist", lambda e: e.get("origin"))
        self.assertEqual(ev["items"], [bj], ev)
        # The other client of the account hears it from the server.
        ev = a2.expect("blocklist", since=mark2)
        self.assertEqual(ev["items"], [bj], ev)
        mark1 = a1.mark()
        b.send("/msg %s/one while blocked" % aj)
        a1.expect_none("message", lambda e: bare(e.get("from")) == bj, within=2, since=mark1)
        a2.send("/blocked")
        ev = a2.expect("blocklist", lambda e: e.get("origin"))
        self.assertEqual(ev["items"], [bj], ev)
        a2.send("/unblock %s" % bj)
        a2.expect("blocklist", lambda e: e.get("origin") and e["items"] == [])
        a1.expect("blocklist", lambda e: e["items"] == [], since=mark1)
        b.send("/msg %s/one after" % aj)
        a1.expect("message", lambda e: e.get("body") == "after")
        for n in (a1, a2, b):
            n.quit()

    def test_blocked_contact_stays_hidden_in_the_archive(self):
        """The server stops what a blocked JID sends now; what it sent before
        the block is in our archive, and natter must not show it."""
        aj, bj, cj = self.fresh("ann"), self.fresh("bob"), self.fresh("cat")
        a = self.login(aj)
        b, c = self.login(bj), self.login(cj)
        mark = a.mark()
        b.send("/msg %s from the one to block" % aj)
        c.send("/msg %s from a friend" % aj)
        # In whichever order they come.
        a.expect("message", lambda e: e.get("body") == "from the one to block", since=mark)
        a.expect("message", lambda e: e.get("body") == "from a friend", since=mark)
        a.send("/block %s" % bj)
        a.expect("blocklist", lambda e: e.get("origin"))
        a.quit()
        # A new client (empty history) fetches the archive at login.
        fresh = self.login(aj, resource="new", natterrc={"history": {"mam_initial": 50}})
        fresh.expect("message", lambda e: e.get("body") == "from a friend", timeout=15)
        fresh.expect_none("message", lambda e: bare(e.get("from")) == bj, within=2, since=0)
        rows = self.history(fresh, "/history %s" % bj)
        self.assertEqual(rows, [])
        for n in (fresh, b, c):
            n.quit()

    def test_server_without_blocking_is_said_so(self):
        n = self.login("frank@noblock.localhost")
        for cmd in ("/block spam@localhost", "/blocked"):
            mark = n.mark()
            n.send(cmd)
            ev = n.expect_any(["error", "blocklist"], since=mark)
            self.assertEqual(ev["event"], "error", ev)
            self.assertEqual(ev.get("condition"), "feature-not-implemented", ev)
            self.assertIn("XEP-0191", ev.get("text", ""), ev)
        n.quit()

    # -- file upload (XEP-0363) ------------------------------------------------

    def file_of(self, size):
        d = tempfile.mkdtemp(prefix="natter-upload-")
        self.addCleanup(shutil.rmtree, d, True)
        path = os.path.join(d, "shared file %d.bin" % size)
        with open(path, "wb") as f:
            f.write(os.urandom(size))
        return path

    def test_upload_sends_the_link_and_the_file_is_there(self):
        aj, cj = self.fresh("ann"), self.fresh("cat")
        a, p = self.login(aj), self.peer(cj)
        path = self.file_of(300000)
        a.send("/upload %s/slix %s" % (cj, path))
        done = a.expect("upload", timeout=30)
        self.assertEqual((done["path"], done["size"]), (path, 300000), done)
        self.assertTrue(done["url"].startswith("https://upload.localhost:"), done)
        progress = [e for e in a.events if e["event"] == "upload_progress"]
        self.assertEqual(progress[0]["sent"], 0, progress)
        self.assertEqual((progress[-1]["sent"], progress[-1]["total"]), (300000, 300000))
        ev = p.expect("message", lambda e: e["body"] == done["url"])
        self.assertEqual(ev.get("oob"), done["url"], ev)
        status, body = https_get(done["url"], self.fx.ca_file, self.fx.upload_proxy.port)
        with open(path, "rb") as f:
            self.assertEqual((status, body), (200, f.read()))
        a.quit()

    def test_upload_over_the_limit_is_refused_before_any_byte(self):
        aj = self.fresh("ann")
        a = self.login(aj)
        path = self.file_of(LIMIT + 1)
        before = self.fx.upload_proxy.accepted
        a.send("/upload %s %s" % (aj, path))
        ev = a.expect("error", timeout=15)
        self.assertEqual(ev.get("condition"), "not-acceptable", ev)
        self.assertIn(str(LIMIT), ev.get("text", ""), ev)
        self.assertIn("1.0 MiB", ev.get("text", ""), ev)
        self.assertEqual(self.fx.upload_proxy.accepted, before, "an HTTP connection was made")
        a.expect_none("upload_progress", within=0.5, since=0)
        a.quit()

    def test_upload_in_progress_can_be_cancelled_and_does_not_block(self):
        aj, cj = self.fresh("ann"), self.fresh("cat")
        a, p = self.login(aj), self.peer(cj)
        path = self.file_of(600000)
        self.fx.upload_proxy.throttle(40000)
        self.addCleanup(self.fx.upload_proxy.honest)
        t0 = time.monotonic()
        a.send("/upload %s/slix %s" % (cj, path))
        a.expect("upload_progress", lambda e: 0 < e["sent"] < e["total"], timeout=15)
        # The transfer runs on the loop: chatting goes on meanwhile.
        a.send("/msg %s/slix still here" % cj)
        p.expect("message", lambda e: e["body"] == "still here", timeout=5)
        self.assertIsNone(a.find("upload"), a.report())
        time.sleep(2)
        a.send("/upload cancel")
        ev = a.expect("error", lambda e: e.get("condition") == "cancelled", timeout=5)
        self.assertIn(path, ev.get("text", ""), ev)
        elapsed = time.monotonic() - t0
        self.no_peer_event(p, "message", lambda e: "upload.localhost" in e.get("body", ""))
        a.expect_none("upload", within=0.5, since=0)
        # A few progress events a second at most.
        n = len([e for e in a.events if e["event"] == "upload_progress"])
        self.assertLessEqual(n, elapsed * 5 + 2, "%d progress events in %.1f s" % (n, elapsed))
        a.quit()

    def test_upload_trusts_the_pinned_certificate(self):
        aj, cj = self.fresh("ann"), self.fresh("cat")
        a = self.login(aj, tls_cafile=None, tls_fingerprint=self.fx.fingerprint)
        p = self.peer(cj)
        path = self.file_of(1000)
        a.send("/upload %s/slix %s" % (cj, path))
        done = a.expect("upload", timeout=30)
        p.expect("message", lambda e: e["body"] == done["url"])
        a.quit()

    def test_upload_refuses_an_interceptor_before_sending(self):
        aj = self.fresh("ann")
        a = self.login(aj)
        path = self.file_of(1000)
        proxy = self.fx.upload_proxy
        self.addCleanup(proxy.honest)
        for names, ca in ((["upload.localhost"], False), (["wrong.example"], True)):
            proxy.impostor(*fixture.impostor_certificate(self.fx.dir, names, ca=ca,
                                                         prefix="impostor-%s" % ca))
            mark = a.mark()
            a.send("/upload %s %s" % (aj, path))
            ev = a.expect_any(["error", "upload"], timeout=30, since=mark)
            self.assertEqual(ev["event"], "error", ev)
            self.assertEqual(ev.get("condition"), "policy-violation", ev)
            self.assertIn("not trusted", ev.get("text", ""), ev)
        self.assertEqual(proxy.impostor_data, b"", "the request reached the interceptor")
        a.quit()

    # -- links (XEP-0066) and /open --------------------------------------------

    def test_out_of_band_link_is_reported_and_opened_as_an_argument(self):
        aj, cj = self.fresh("ann"), self.fresh("cat")
        d = tempfile.mkdtemp(prefix="natter-open-")
        self.addCleanup(shutil.rmtree, d, True)
        out, pwned = os.path.join(d, "opened"), os.path.join(d, "pwned")
        opener = os.path.join(d, "opener")
        with open(opener, "w") as f:
            f.write("#!/bin/sh\nprintf '%%s\\n' \"$@\" >> '%s'\n" % out)
        os.chmod(opener, stat.S_IRWXU)
        a = self.login(aj, natterrc={"general": {"opener": opener}})
        p = self.peer(cj)
        p.send(cmd="msg", to=aj + "/nat", body="not a link", oob="javascript:alert(1)")
        ev = a.expect("message", lambda e: e.get("body") == "not a link")
        self.assertNotIn("oob_url", ev)
        url = "https://example.org/a;touch${IFS}%s;$(touch${IFS}%s)" % (pwned, pwned)
        p.send(cmd="msg", to=aj + "/nat", body="a picture", oob=url)
        ev = a.expect("message", lambda e: e.get("body") == "a picture")
        self.assertEqual(ev.get("oob_url"), url, ev)
        a.send("/open %s" % cj)
        a.expect("info", lambda e: e.get("command") == "open")
        deadline = time.monotonic() + scaled(5)
        while not os.path.exists(out) and time.monotonic() < deadline:
            time.sleep(0.05)
        with open(out) as f:
            self.assertEqual(f.read(), url + "\n")
        self.assertFalse(os.path.exists(pwned), "the link ran a command")
        a.quit()

    # -- /me (XEP-0245) --------------------------------------------------------

    def test_me_both_ways(self):
        aj, cj = self.fresh("ann"), self.fresh("cat")
        a, p = self.login(aj), self.peer(cj)
        a.send("/msg %s/slix /me waves" % cj)
        p.expect("message", lambda e: e["body"] == "/me waves")
        echo = a.expect("message", lambda e: e.get("outgoing"))
        self.assertTrue(echo.get("action"), echo)
        a.send("/me nods")
        p.expect("message", lambda e: e["body"] == "/me nods")
        p.send(cmd="msg", to=aj + "/nat", body="/me smiles")
        ev = a.expect("message", lambda e: e.get("body") == "/me smiles")
        self.assertTrue(ev.get("action"), ev)
        p.send(cmd="msg", to=aj + "/nat", body="/meh not an action")
        ev = a.expect("message", lambda e: e.get("body") == "/meh not an action")
        self.assertNotIn("action", ev)
        a.quit()

    # -- retraction (XEP-0424) -------------------------------------------------

    def test_retraction_received(self):
        aj, cj, bj = self.fresh("ann"), self.fresh("cat"), self.fresh("bob")
        a, p, b = self.login(aj), self.peer(cj), self.login(bj)
        p.send(cmd="msg", to=aj + "/nat", body="secret plan", id="r1")
        a.expect("message", lambda e: e.get("body") == "secret plan")
        # Only the sender may: another account's retraction is dropped,
        # fallback text and all.
        b.send("/raw <message to='%s/nat' type='chat' id='x1'><body>fallback</body>"
               "<retract xmlns='urn:xmpp:message-retract:1' id='r1'/></message>" % aj)
        p.send(cmd="retract", to=aj + "/nat", id="r1")
        ev = a.expect("retracted")
        self.assertEqual((ev.get("id"), ev.get("from")), ("r1", cj + "/slix"), ev)
        self.assertEqual(a.find("retracted", lambda e: bare(e.get("from")) == bj), None)
        self.assertIsNone(a.find("message", lambda e: e.get("body") == "fallback"))
        self.assertIsNone(a.find("message", lambda e: "retract" in e.get("body", "")))
        rows = self.history(a, "/history %s" % cj)
        self.assertEqual([(r["body"], r.get("retracted")) for r in rows], [("", True)], rows)
        self.assertEqual(self.history(a, "/history search secret"), [])
        a.quit()
        b.quit()

    # -- client state (XEP-0352) -----------------------------------------------

    def test_inactive_client_gets_presence_late(self):
        aj, bj = self.fresh("ann"), self.fresh("bob")
        a, b = self.login(aj), self.login(bj)
        a.send("/sub request %s" % bj)
        b.expect("subscription", lambda e: e.get("type") == "subscribe")
        b.send("/sub allow %s" % aj)
        a.expect("presence", lambda e: bare(e.get("from")) == bj)
        mark = a.mark()
        a.send("/csi inactive")
        a.expect("info", lambda e: e.get("command") == "csi", since=mark)
        # What the client sends makes the server flush and wait a moment
        # (csi_resume_inactive_delay) before it holds anything back.
        time.sleep(2)
        b.send("/status away gone fishing")
        a.expect_none("presence", lambda e: e.get("show") == "away", within=3, since=mark)
        a.send("/csi active")
        ev = a.expect("presence", lambda e: e.get("show") == "away", timeout=5, since=mark)
        self.assertEqual(ev.get("status"), "gone fishing", ev)
        a.quit()
        b.quit()

    def test_client_state_keeps_stream_management_in_step(self):
        """libstrophe counts a nonza as a stanza; the server does not.  Out of
        step, the last message before a cut would be sent again on resume."""
        aj, cj = self.fresh("ann"), self.fresh("cat")
        p = self.peer(cj)
        with fixture.CutProxy(self.fx.c2s_port) as proxy:
            a = self.natter(self.account(aj, resource="nat", port=proxy.port),
                            natterrc={"connection": {"reconnect_min": 1, "reconnect_max": 2}})
            a.expect("connected", timeout=15)
            a.send("/csi inactive")
            a.send("/csi active")
            a.send("/msg %s/slix exactly once" % cj)
            p.expect("message", lambda e: e["body"] == "exactly once")
            time.sleep(1)  # acknowledged by now
            mark = a.mark()
            proxy.cut(refuse=True)
            a.expect("reconnecting", timeout=15, since=mark)
            proxy.restore()
            ev = a.expect_any(["resumed", "connected"], timeout=20, since=mark)
            self.assertEqual(ev["event"], "resumed", a.report())
            self.no_peer_event(p, "message", lambda e: e["body"] == "exactly once", within=3)
            a.quit()
