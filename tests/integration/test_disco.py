"""Service discovery (XEP-0030), entity capabilities (XEP-0115) and vcard-temp
(XEP-0054), between natter, Prosody and an independent slixmpp client."""

import base64
import hashlib
import json
import sqlite3
import os
import queue
import stat
import subprocess
import tempfile
import threading
import time

from natter import NatterTestCase, scaled, _die_with_parent

NS_INFO = "http://jabber.org/protocol/disco#info"
NS_ITEMS = "http://jabber.org/protocol/disco#items"
NS_CAPS = "http://jabber.org/protocol/caps"
CAPS_NODE = "http://natter.im"
BOGUS_VER = "AAAAbogusBOGUSbogus00000000="

# A second client, written with slixmpp: reports the caps it sees in presence
# and sends the iq natter must answer.  One JSON object per line on stdout;
# commands on stdin: "iq TO NAMESPACE" and "quit".
SPY = r'''
import asyncio, json, ssl, sys
import slixmpp
from slixmpp.exceptions import IqError, IqTimeout
from slixmpp.xmlstream.handler import Callback
from slixmpp.xmlstream.matcher import MatchXPath

jid, password, host, port, cafile, fake_caps = sys.argv[1:7]

def out(**kw):
    print(json.dumps(kw), flush=True)


class Spy(slixmpp.ClientXMPP):
    def __init__(self):
        super().__init__(jid, password)
        self.add_event_handler("session_start", self.start)
        self.add_event_handler("presence", self.presence)
        self.register_handler(Callback("disco", MatchXPath(
            "{jabber:client}iq/{http://jabber.org/protocol/disco#info}query"), self.disco))

    def disco(self, iq):
        # Answers every disco#info with the same small list, which cannot
        # hash to the fake ver this client may announce.
        if iq["type"] != "get":
            return
        node = iq.xml.find("{http://jabber.org/protocol/disco#info}query").get("node")
        out(disco_query=node, asker=str(iq["from"]))
        self.send_raw("<iq type='result' id='%s' to='%s'><query xmlns='%s'%s>"
                      "<identity category='client' type='pc' name='liar'/>"
                      "<feature var='urn:example:evil'/></query></iq>"
                      % (iq["id"], iq["from"], "http://jabber.org/protocol/disco#info",
                         " node='%s'" % node if node else ""))

    async def start(self, _):
        if fake_caps == "yes":
            self.send_raw("<presence><c xmlns='%s' hash='sha-1' node='http://evil.example' "
                          "ver='%s'/></presence>" % ("http://jabber.org/protocol/caps",
                                                      "AAAAbogusBOGUSbogus00000000="))
        else:
            self.send_presence()
        out(ready=self.boundjid.full)
        asyncio.get_event_loop().add_reader(sys.stdin.fileno(), self.command)

    def presence(self, p):
        c = p.xml.find("{http://jabber.org/protocol/caps}c")
        if c is not None:
            out(presence=str(p["from"]), node=c.get("node"), ver=c.get("ver"),
                hash=c.get("hash"))

    def command(self):
        line = sys.stdin.readline().split()
        if not line or line[0] == "quit":
            self.disconnect()
            asyncio.get_event_loop().call_later(1, sys.exit, 0)
            return
        if line[0] == "iq":
            asyncio.ensure_future(self.ask(line[1], line[2]))

    async def ask(self, to, ns):
        iq = self.make_iq_get(queryxmlns=ns, ito=to)
        try:
            r = await iq.send(timeout=10)
            out(reply="result", ns=ns, xml=str(r))
        except IqError as e:
            out(reply="error", ns=ns, condition=e.condition)
        except IqTimeout:
            out(reply="timeout", ns=ns)

spy = Spy()
ctx = ssl.create_default_context()
ctx.load_verify_locations(cafile=cafile)
spy.ssl_context = ctx
spy.connect(address=(host, int(port)), force_starttls=True)
asyncio.get_event_loop().run_forever()
'''


def caps_cache(db):
    """The caps cache natter keeps in its store, {node#ver: [features]}, or
    None (read while it runs: WAL lets a reader see every committed
    transaction).  One kv entry per ver, "caps/<node#ver>"."""
    if not os.path.exists(db):
        return None
    try:
        with sqlite3.connect("file:%s?mode=ro" % db, uri=True) as c:
            rows = c.execute("SELECT key, value FROM kv WHERE key >= 'caps/' "
                             "AND key < 'caps0'").fetchall()
    except sqlite3.Error:
        return None
    return {k[len("caps/"):]: json.loads(v) for k, v in rows} if rows else None


def obj(pairs):
    """The driver keeps only the top level of an event as a dict; nested
    objects arrive as lists of (key, value) pairs."""
    return dict(pairs) if isinstance(pairs, list) else pairs


def objs(items):
    return [obj(i) for i in items]


def caps_hash(identities, features):
    """XEP-0115 §5.1 for identities without xml:lang and no forms."""
    s = "".join("%s/%s//%s<" % (i["category"], i["type"], i.get("name", ""))
                for i in sorted(identities, key=lambda i: (i["category"], i["type"], "",
                                                           i.get("name", ""))))
    s += "".join(f + "<" for f in sorted(features))
    return base64.b64encode(hashlib.sha1(s.encode()).digest()).decode()


class Spy:
    """The slixmpp client above, as a subprocess."""

    def __init__(self, test, jid, fake_caps=False):
        fd, self.script = tempfile.mkstemp(suffix=".py")
        with os.fdopen(fd, "w") as f:
            f.write(SPY)
        fx = test.fx
        self.proc = subprocess.Popen(
            ["/usr/bin/python3", self.script, jid, fx.users[jid.split("/")[0]], "127.0.0.1",
             str(fx.c2s_port), fx.ca_file, "yes" if fake_caps else "no"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            preexec_fn=_die_with_parent)
        self.lines = queue.Queue()
        self.seen = []
        self.errors = []
        threading.Thread(target=self._read, daemon=True).start()
        threading.Thread(target=self._read_err, daemon=True).start()
        test.addCleanup(self.close)
        self.ready = self.expect(lambda o: "ready" in o, 20)["ready"]

    def _read(self):
        for line in self.proc.stdout:
            try:
                self.lines.put(json.loads(line))
            except ValueError:
                self.errors.append(line)

    def _read_err(self):
        for line in self.proc.stderr:
            self.errors.append(line)

    def expect(self, pred, timeout=10):
        for o in self.seen:
            if pred(o):
                return o
        deadline = time.monotonic() + scaled(timeout)
        while time.monotonic() < deadline:
            try:
                o = self.lines.get(timeout=0.2)
            except queue.Empty:
                continue
            self.seen.append(o)
            if pred(o):
                return o
        raise AssertionError("spy: nothing matching within %.1f s; saw %s; stderr %s"
                             % (scaled(timeout), self.seen, "".join(self.errors[-20:])))

    def send(self, line):
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    def close(self):
        if self.proc.poll() is None:
            try:
                self.send("quit")
                self.proc.wait(timeout=5)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait(timeout=5)
        os.unlink(self.script)


class TestDisco(NatterTestCase):

    def test_disco_info_of_the_server(self):
        alice = self.connected("alice@localhost")
        alice.send("/disco info localhost")
        ev = alice.expect("disco_info", timeout=10)
        self.assertEqual(ev.get("from"), "localhost", ev)
        self.assertIn("urn:xmpp:ping", ev["features"], ev)
        self.assertIn(NS_INFO, ev["features"], ev)
        self.assertIn({"category": "server", "type": "im"},
                      [{"category": i["category"], "type": i["type"]}
                       for i in objs(ev["identities"])], ev)
        alice.quit()

    def test_disco_items_of_the_server(self):
        alice = self.connected("alice@localhost")
        alice.send("/disco items localhost")
        ev = alice.expect("disco_items", timeout=10)
        self.assertEqual(ev.get("from"), "localhost", ev)
        jids = [i["jid"] for i in objs(ev["items"])]
        self.assertIn("pubsub.localhost", jids, ev)
        self.assertIn("muc.localhost", jids, ev)
        alice.quit()

    def test_disco_info_of_another_natter(self):
        alice = self.connected("alice@localhost", resource="alires")
        bob = self.connected("bob@localhost", resource="bobres")
        alice.send("/disco info bob@localhost/bobres")
        ev = alice.expect("disco_info", timeout=10)
        self.assertEqual(ev.get("from"), "bob@localhost/bobres", ev)
        self.assertNotIn("node", ev)
        self.assertEqual(objs(ev["identities"]),
                         [{"category": "client", "type": "console", "name": "natter"}], ev)
        for f in ("urn:xmpp:ping", "jabber:iq:version", NS_INFO, NS_ITEMS, NS_CAPS):
            self.assertIn(f, ev["features"], ev)
        self.assertEqual(len(ev["features"]), len(set(ev["features"])), ev)
        # a client does not serve vcard-temp
        self.assertNotIn("vcard-temp", ev["features"], ev)
        # items: none, and no node of ours but the caps node exists
        alice.send("/disco items bob@localhost/bobres")
        ev = alice.expect("disco_items", timeout=10)
        self.assertEqual(ev.get("items"), [], ev)
        alice.quit()
        bob.quit()

    def test_unknown_node_is_item_not_found(self):
        alice = self.connected("alice@localhost", resource="alires")
        bob = self.connected("bob@localhost", resource="bobres")
        alice.send("/disco info bob@localhost/bobres urn:no:such:node")
        ev = alice.expect_any(["disco_info", "error"], timeout=10)
        self.assertEqual(ev["event"], "error", ev)
        self.assertEqual(ev.get("condition"), "item-not-found", ev)
        self.assertEqual(ev.get("command"), "disco info", ev)
        alice.send("/disco items bob@localhost/bobres urn:no:such:node")
        ev = alice.expect_any(["disco_items", "error"], timeout=10)
        self.assertEqual(ev["event"], "error", ev)
        self.assertEqual(ev.get("condition"), "item-not-found", ev)
        # a wrong ver under our own node is unknown too
        alice.send("/disco info bob@localhost/bobres %s#%s" % (CAPS_NODE, BOGUS_VER))
        ev = alice.expect_any(["disco_info", "error"], timeout=10)
        self.assertEqual(ev.get("condition"), "item-not-found", ev)
        alice.quit()
        bob.quit()

    def test_caps_in_presence_hash_and_cache(self):
        # The spy shares bob's account, so the server shows it bob's presence.
        spy = Spy(self, "bob@localhost/spy")
        bob = self.connected("bob@localhost", resource="bobres")
        pres = spy.expect(lambda o: o.get("presence") == "bob@localhost/bobres", 15)
        self.assertEqual(pres["hash"], "sha-1", pres)
        self.assertEqual(pres["node"], CAPS_NODE, pres)
        ver = pres["ver"]

        # alice asks bob's caps node and recomputes the hash from the answer
        alice_a = self.connected("alice@localhost", resource="a")
        alice_a.send("/disco info bob@localhost/bobres %s#%s" % (CAPS_NODE, ver))
        ev = alice_a.expect("disco_info", timeout=10)
        self.assertEqual(ev.get("node"), "%s#%s" % (CAPS_NODE, ver), ev)
        self.assertEqual(caps_hash(objs(ev["identities"]), ev["features"]), ver, ev)

        # a second resource of alice: alice_a sees its presence, asks,
        # verifies, and keeps the result in its store (history.db, kv "caps")
        alice_b = self.connected("alice@localhost", resource="b")
        path = os.path.join(alice_a.data_home, "natter", "alice@localhost", "history.db")
        deadline = time.monotonic() + scaled(10)
        cache = None
        while cache is None and time.monotonic() < deadline:
            cache = caps_cache(path)
            time.sleep(0.1)
        self.assertIsNotNone(cache, "no caps cache in %s\n%s" % (path, alice_a.report()))
        self.assertEqual(stat.S_IMODE(os.stat(path).st_mode), 0o600)
        key = "%s#%s" % (CAPS_NODE, ver)
        self.assertIn(key, cache, "alice computes the ver bob announces")
        self.assertEqual(sorted(cache[key]), sorted(ev["features"]))
        # unverifiable caps are not kept: a slixmpp resource of alice
        # announces a ver its disco#info cannot hash to
        liar = Spy(self, "alice@localhost/liar", fake_caps=True)
        # (the server's PEP asks too, from the bare JID)
        q = liar.expect(lambda o: o.get("asker") == "alice@localhost/a", 10)
        self.assertEqual(q["disco_query"], "http://evil.example#" + BOGUS_VER, q)
        time.sleep(1)
        cache = caps_cache(path)
        self.assertEqual(list(cache), [key], cache)
        alice_b.quit()
        alice_a.quit()
        bob.quit()

    def test_unknown_iq_gets_service_unavailable(self):
        bob = self.connected("bob@localhost", resource="bobres")
        spy = Spy(self, "carol@localhost/spy")
        spy.send("iq bob@localhost/bobres urn:example:nothing-here")
        r = spy.expect(lambda o: o.get("ns") == "urn:example:nothing-here", 15)
        self.assertEqual(r.get("reply"), "error", r)
        self.assertEqual(r.get("condition"), "service-unavailable", r)
        # the same route answers what natter does implement
        spy.send("iq bob@localhost/bobres " + NS_INFO)
        r = spy.expect(lambda o: o.get("ns") == NS_INFO, 15)
        self.assertEqual(r.get("reply"), "result", r)
        self.assertIn("urn:xmpp:ping", r["xml"], r)
        bob.quit()

    def test_vcard_set_and_get(self):
        alice = self.connected("alice@localhost", resource="alires")
        stamp = str(int(time.time() * 1000))
        alice.send("/vcard set FN Alice Example " + stamp)
        ev = alice.expect_any(["info", "error"], timeout=10)
        self.assertEqual(ev["event"], "info", ev)
        self.assertEqual(ev.get("command"), "vcard set", ev)
        alice.send("/vcard set email alice-%s@example.org" % stamp)
        ev = alice.expect_any(["info", "error"], timeout=10)
        self.assertEqual(ev["event"], "info", ev)
        alice.send("/vcard")
        ev = alice.expect("vcard", timeout=10)
        self.assertEqual(ev.get("from"), "alice@localhost", ev)
        self.assertEqual(obj(ev["fields"]).get("FN"), "Alice Example " + stamp, ev)
        # setting EMAIL kept FN
        self.assertEqual(obj(ev["fields"]).get("EMAIL"), "alice-%s@example.org" % stamp, ev)
        bob = self.connected("bob@localhost", resource="bobres")
        bob.send("/vcard alice@localhost")
        ev = bob.expect("vcard", timeout=10)
        self.assertEqual(ev.get("from"), "alice@localhost", ev)
        self.assertEqual(obj(ev["fields"]).get("FN"), "Alice Example " + stamp, ev)
        bob.send("/vcard set BOGUS x")
        ev = bob.expect("error", timeout=5)
        self.assertEqual(ev.get("condition"), "bad-request", ev)
        alice.quit()
        bob.quit()
