"""The cloud-messaging connection server (seed 002) against a scripted server.

No packaged server speaks google:mobile:data, so tests/lib/scripted.py plays
the connection server of the seed over direct TLS: SASL PLAIN among
X-OAUTH2 and X-GOOGLE-TOKEN, a resource of its own choosing, then JSON
payloads both ways.  Strict mode: any stanza natter sent that a test did not
expect fails it (no roster, presence or archive requests on such a
connection)."""

import json
import time

from natter import plain
from scripted import child, local
from test_hostile_server import ScriptedTestCase

DOMAIN = "gcm.googleapis.com"
SENDER = "126200347933"
NS_GCM = "google:mobile:data"

UPSTREAM = ('{"data": {"Hello":"World"}, "time_to_live":10, '
            '"from":"feQqD9P957k:APA91bH-jE8j6dAohIB5spQrCajDwUsDtNdf3", '
            '"message_id":"1234567", "category":"com.gmail.rajeshkhumanthem.phantom"}')


def gcm_stanza(payload, to=None):
    return ("<message from='devices@%s'%s type='normal'><gcm xmlns='%s'>%s</gcm></message>"
            % (DOMAIN, " to='%s'" % to if to else "", NS_GCM,
               payload.replace("&", "&amp;").replace("<", "&lt;")))


def is_gcm(el):
    return local(el.tag) == "message" and child(el, "gcm", NS_GCM) is not None


def payload_of(el):
    return json.loads(child(el, "gcm", NS_GCM).text)


class FcmTestCase(ScriptedTestCase):

    def connection_server(self, **kw):
        return self.scripted(domain=DOMAIN, tls="direct",
                             users={SENDER: "AIzaSyB3rcZNkfnqKdFb9mhzCBiYpORDA2JWWtw"},
                             mechanisms=("X-OAUTH2", "X-GOOGLE-TOKEN", "PLAIN"), strict=True,
                             **kw)

    def online(self, srv, **keys):
        # The contract's keys only: autoack_fcm (and the service's domain)
        # make it a connection-server account without fcm = true.  The
        # certificate names localhost: pinned, as a user would pin a
        # server's certificate.
        return super().online(srv, **{
            "jid": "%s@%s" % (SENDER, DOMAIN), "password": "AIzaSyB3rcZNkfnqKdFb9mhzCBiYpORDA2JWWtw",
            "auth": "plain", "tls_cafile": None, "tls_fingerprint": self.fx.fingerprint,
            "autoack_fcm": True, **keys})

    def expect_gcm(self, conn, timeout=10):
        return payload_of(conn.expect(is_gcm, timeout=timeout))


class TestConnectionServer(FcmTestCase):

    def test_login_upstream_ack_downstream_nack_receipt(self):
        srv = self.connection_server()
        n, conn = self.online(srv)
        ev = n.find("connected")
        # Bound with the resource the server chose (natter asked for none).
        self.assertEqual(conn.jid, "%s@%s/scripted" % (SENDER, DOMAIN))
        self.assertEqual(ev.get("jid"), conn.jid, ev)
        self.assertEqual(ev.get("mechanism"), "PLAIN", ev)
        self.assertIs(ev.get("secure"), True, ev)

        # An upstream message: reported, and acknowledged as the seed shows.
        conn.send(gcm_stanza(UPSTREAM, to=conn.jid))
        up = n.expect("fcm", timeout=10)
        self.assertEqual(up.get("message_type"), "upstream", up)
        self.assertEqual(up.get("message_id"), "1234567", up)
        self.assertEqual(up.get("category"), "com.gmail.rajeshkhumanthem.phantom", up)
        self.assertEqual(plain(up.get("data")), {"Hello": "World"}, up)
        ack = self.expect_gcm(conn)
        self.assertEqual(ack, {"to": "feQqD9P957k:APA91bH-jE8j6dAohIB5spQrCajDwUsDtNdf3",
                               "message_id": "1234567", "message_type": "ack"})
        self.assertEqual(n.expect("fcm_ack_sent", timeout=5).get("message_id"), "1234567")

        # Malformed JSON: reported, not acknowledged, the session goes on.
        conn.send(gcm_stanza('{"from":"dev","message_id":"bad1","data":{'))
        err = n.expect("error", lambda e: e.get("condition") == "fcm-malformed", timeout=10)
        self.assertIn("not acknowledged", err.get("text", ""))
        conn.expect_none(is_gcm, within=1)
        n.expect_none("disconnected", within=0, since=0)

        # A downstream message: a message_id of natter's, then its ack.
        n.send('/fcm send {"to":"bk3RNwTe3H0:CI2k_HHwgIpoDKCIZvvDMExUdFQ3P1",'
               '"data":{"greeting":"Hello World"}}')
        down = self.expect_gcm(conn)
        self.assertEqual(down["data"], {"greeting": "Hello World"})
        mid = down.get("message_id")
        self.assertTrue(mid)
        self.assertEqual(n.expect("fcm_sent", timeout=5).get("message_id"), mid)
        conn.send(gcm_stanza(json.dumps({"from": "bk3RNwTe3H0:CI2k_HHwgIpoDKCIZvvDMExUdFQ3P1",
                                         "message_id": mid, "message_type": "ack"})))
        got = n.expect("fcm", lambda e: e.get("message_type") == "ack", timeout=10)
        self.assertEqual(got.get("message_id"), mid)
        self.assertEqual(got.get("origin"), n.find("fcm_sent").get("origin"))

        # A nack names the service's error (the seed's prefixed element).
        n.send('/fcm send {"to":"eQq","message_id":"800001","data":{"x":"y"}}')
        self.assertEqual(self.expect_gcm(conn).get("message_id"), "800001")
        conn.send("<message><data:gcm xmlns:data='%s'>{ \"message_type\":\"nack\", "
                  "\"from\":\"eQq\", \"message_id\":\"800001\", \"error\":\"BAD_REGISTRATION\", "
                  "\"error_description\":\"\" }</data:gcm></message>" % NS_GCM)
        nack = n.expect("fcm", lambda e: e.get("message_type") == "nack", timeout=10)
        self.assertEqual(nack.get("error"), "BAD_REGISTRATION", nack)
        self.assertEqual(nack.get("message_id"), "800001", nack)
        n.send('/fcm send {"to":"eQq","message_id":"800002"}')
        self.assertEqual(self.expect_gcm(conn).get("message_id"), "800002")
        conn.send(gcm_stanza('{"message_type":"nack","from":"eQq","message_id":"800002",'
                             '"error":"DEVICE_MESSAGE_RATE_EXCEEDED"}'))
        nack = n.expect("fcm", lambda e: e.get("error") == "DEVICE_MESSAGE_RATE_EXCEEDED",
                        timeout=10)
        self.assertEqual(nack.get("message_id"), "800002", nack)

        # A receipt: reported and acknowledged.
        conn.send(gcm_stanza(json.dumps({
            "category": "com.gmail.rajeshkhumanthem.seabus",
            "data": {"device_registration_id": "feQxxxxxxxa",
                     "message_sent_timestamp": "1498801519251",
                     "message_status": "MESSAGE_SENT_TO_DEVICE", "original_message_id": "39"},
            "from": "gcm.googleapis.com", "message_id": "dr2:39", "message_type": "receipt",
            "time_to_live": 0})))
        rc = n.expect("fcm", lambda e: e.get("message_type") == "receipt", timeout=10)
        self.assertEqual(plain(rc.get("data"))["original_message_id"], "39")
        self.assertEqual(self.expect_gcm(conn),
                         {"to": "gcm.googleapis.com", "message_id": "dr2:39",
                          "message_type": "ack"})

        n.quit()
        self.assertTrue(conn.wait_closed(10))
        self.assertTrue(conn.stream_ended)
        # Nothing but JSON: no roster, presence, carbons or archive.
        self.assertEqual(conn.presence, [])
        self.assertEqual([text for text in conn.unexpected_now()], [])
        # (Answered by the harness: the session request of the seed's
        # handshake, and keepalive pings if one fell due.)
        self.assertEqual([el for el, _ in conn.answered
                          if child(el, "session", "urn:ietf:params:xml:ns:xmpp-session") is None
                          and child(el, "ping", "urn:xmpp:ping") is None], [])

    def test_without_autoack_upstream_is_only_reported(self):
        srv = self.connection_server()
        n, conn = self.online(srv, autoack_fcm=False)
        conn.send(gcm_stanza(UPSTREAM))
        n.expect("fcm", timeout=10)
        conn.expect_none(is_gcm, within=1.5)
        n.expect_none("fcm_ack_sent", within=0, since=0)
        n.quit()

    def test_at_most_100_unacknowledged(self):
        srv = self.connection_server()
        n, conn = self.online(srv)
        for i in range(120):
            n.send('/fcm send {"to":"d","message_id":"w%d"}' % i)
        ids = [self.expect_gcm(conn)["message_id"] for _ in range(100)]
        self.assertEqual(ids, ["w%d" % i for i in range(100)])
        conn.expect_none(is_gcm, within=1.5)
        n.expect("fcm_waiting", lambda e: e.get("message_id") == "w119", timeout=10)
        waits = [e for e in n.events if e.get("event") == "fcm_waiting"]
        self.assertEqual(len(waits), 20)
        self.assertTrue(all(e.get("reason") == "window" for e in waits))
        # Five answers, five more.
        for i in range(5):
            conn.send(gcm_stanza('{"message_type":"ack","from":"d","message_id":"w%d"}' % i))
        ids = [self.expect_gcm(conn)["message_id"] for _ in range(5)]
        self.assertEqual(ids, ["w%d" % i for i in range(100, 105)])
        conn.expect_none(is_gcm, within=1)
        n.quit()


class TestConnectionDraining(FcmTestCase):

    def test_new_connection_nothing_more_on_the_draining_one(self):
        srv = self.connection_server()
        n, conn1 = self.online(srv)
        # Two in flight on the first connection.
        for mid in ("a1", "a2"):
            n.send('/fcm send {"to":"d","message_id":"%s"}' % mid)
            self.assertEqual(self.expect_gcm(conn1)["message_id"], mid)
        conn1.send(gcm_stanza('{"message_type":"control","control_type":"CONNECTION_DRAINING"}'))
        ctl = n.expect("fcm", lambda e: e.get("message_type") == "control", timeout=10)
        self.assertEqual(ctl.get("control_type"), "CONNECTION_DRAINING")
        # Typed while the new connection is being made: they wait.
        for mid in ("b1", "b2", "b3"):
            n.send('/fcm send {"to":"d","message_id":"%s"}' % mid)
        conn2 = srv.wait_connection(timeout=15)
        self.assertEqual(conn2.number, 2)
        self.assertFalse(conn1.closed, "natter closed the draining connection itself")
        # The draining connection still delivers: a1's ack, and a device's
        # message, whose ack goes out on the new connection.
        conn1.send(gcm_stanza('{"message_type":"ack","from":"d","message_id":"a1"}'))
        n.expect("fcm", lambda e: e.get("message_type") == "ack" and
                 e.get("message_id") == "a1", timeout=10)
        conn1.send(gcm_stanza('{"from":"dev","message_id":"up-on-old","data":{}}'))
        n.expect("fcm_ack_sent", lambda e: e.get("message_id") == "up-on-old", timeout=10)
        got = [self.expect_gcm(conn2) for _ in range(4)]
        self.assertEqual([g["message_id"] for g in got], ["up-on-old", "b1", "b2", "b3"]
                         if got[0].get("message_type") == "ack" else
                         ["b1", "b2", "b3", "up-on-old"])
        # a2 is answered on the old connection, which the server then closes.
        conn1.send(gcm_stanza('{"message_type":"ack","from":"d","message_id":"a2"}'))
        n.expect("fcm", lambda e: e.get("message_id") == "a2", timeout=10)
        conn1.close()
        n.expect("info", lambda e: "drained connection" in e.get("text", ""), timeout=10)
        # None lost, none twice: nothing more on either connection.
        conn2.expect_none(is_gcm, within=1.5)
        self.assertEqual(conn1.unexpected_now(), [],
                         "natter wrote on the draining connection")
        # And the new connection carries on.
        n.send('/fcm send {"to":"d","message_id":"c1"}')
        self.assertEqual(self.expect_gcm(conn2)["message_id"], "c1")
        n.quit()
        self.assertEqual(conn2.unexpected_now(), [])
        self.assertEqual(len(srv.connections), 2)

    def test_unanswered_on_the_drained_connection_goes_again_once(self):
        srv = self.connection_server()
        n, conn1 = self.online(srv)
        n.send('/fcm send {"to":"d","message_id":"lost1"}')
        self.assertEqual(self.expect_gcm(conn1)["message_id"], "lost1")
        conn1.send(gcm_stanza('{"message_type":"control","control_type":"CONNECTION_DRAINING"}'))
        conn2 = srv.wait_connection(timeout=15)
        conn2.expect_none(is_gcm, within=1)
        conn1.close()
        self.assertEqual(self.expect_gcm(conn2)["message_id"], "lost1")
        conn2.expect_none(is_gcm, within=1.5)
        n.quit()

    def test_quit_while_draining(self):
        """/quit closes the new connection cleanly; the draining one, which natter
        writes nothing more to, is simply let go."""
        srv = self.connection_server()
        n, conn1 = self.online(srv)
        conn1.send(gcm_stanza('{"message_type":"control","control_type":"CONNECTION_DRAINING"}'))
        conn2 = srv.wait_connection(timeout=15)
        n.expect("connected", timeout=15)
        n.quit()
        self.assertTrue(conn2.wait_closed(10))
        self.assertTrue(conn2.stream_ended)
        self.assertTrue(conn1.wait_closed(10))
        self.assertFalse(conn1.stream_ended, "natter wrote on the draining connection")
        self.assertEqual(conn1.unexpected_now(), [])
