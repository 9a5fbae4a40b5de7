"""The PubSub window: subscriptions and notifications in a window of their
own, completion of services, nodes and subids.  The service is
tests/lib/scripted.py (real TLS on loopback), so the test says exactly
what it sends."""

from run import TmuxTestCase
from scripted import ScriptedServer, child, local, xml_escape

NS_PUBSUB = "http://jabber.org/protocol/pubsub"
NS_EVENT = NS_PUBSUB + "#event"
SERVICE = "pubsub.example.org"


def pubsub_op(name):
    def pred(el):
        ps = child(el, "pubsub", NS_PUBSUB) if local(el.tag) == "iq" else None
        return ps is not None and child(ps, name) is not None
    return pred


class TestPubSubWindow(TmuxTestCase):

    def answer(self, conn, iq, payload=""):
        conn.send("<iq type='result' id='%s' from='%s' to='%s'>%s</iq>" % (
            xml_escape(iq.get("id")), SERVICE, xml_escape(conn.jid), payload))

    def test_subscriptions_and_notifications_in_their_own_window(self):
        srv = ScriptedServer(cert=self.fx.cert_file, key=self.fx.key_file, other_iq="queue")
        self.addCleanup(srv.stop)
        ui = self.ui(port=srv.port)
        conn = srv.wait_connection(timeout=15)

        ui.line("/pubsub subscribe %s calls" % SERVICE)
        self.answer(conn, conn.expect(pubsub_op("subscriptions")),
                    "<pubsub xmlns='%s'><subscriptions/></pubsub>" % NS_PUBSUB)
        self.answer(conn, conn.expect(pubsub_op("subscribe")),
                    "<pubsub xmlns='%s'><subscription node='calls' jid='%s' subid='S1' "
                    "subscription='subscribed'/></pubsub>" % (NS_PUBSUB, xml_escape(conn.jid)))
        # A window of its own, opened by the first answer; the console,
        # where the command was typed, says it too.
        ui.wait_status("[2:pubsub+]")
        ui.wait_text("subscribed to calls on %s (subid S1)" % SERVICE)

        # A notification is like a message in that window.
        conn.send("<message from='%s' to='%s'><event xmlns='%s'><items node='calls'>"
                  "<item id='call-1'><call xmlns='urn:c'>bob</call></item></items></event>"
                  "</message>" % (SERVICE, xml_escape(conn.jid), NS_EVENT))
        ui.wait_status("[2:pubsub*]")
        self.assertNotIn("call-1", ui.text(), ui.dump())
        # One for another resource is said, not shown as ours.
        conn.send("<message from='%s' to='alice@localhost/boston'><event xmlns='%s'>"
                  "<items node='calls'><item id='call-2'><call xmlns='urn:example:calls'/>"
                  "</item></items></event></message>" % (SERVICE, NS_EVENT))
        ui.keys("M-2")
        ui.wait_text('<calls> call-1: <call xmlns="urn:c">bob</call>')
        ui.wait_text("not to this resource: not processed")
        self.assertIn("alice@localhost/boston", ui.text(), ui.dump())
        self.assertNotIn("call-2", ui.text(), ui.dump())
        ui.wait_status("[2:pubsub]")

        # Completion: the service, the node and the subid it has seen.
        ui.type("/pubsub unsubscribe pubsub.ex")
        ui.keys("Tab")
        ui.wait_input("/pubsub unsubscribe %s" % SERVICE)
        ui.type("cal")
        ui.keys("Tab")
        ui.wait_input("/pubsub unsubscribe %s calls" % SERVICE)
        ui.keys("Tab")
        ui.wait_input("/pubsub unsubscribe %s calls S1" % SERVICE)
        ui.keys("Enter")
        iq = conn.expect(pubsub_op("unsubscribe"))
        u = child(child(iq, "pubsub", NS_PUBSUB), "unsubscribe")
        self.assertEqual((u.get("node"), u.get("subid")), ("calls", "S1"))
        self.answer(conn, iq)
        ui.wait_text("not subscribed to calls on %s" % SERVICE)
        # Plain text typed here goes nowhere: this window has no peer.
        ui.line("hello")
        ui.wait_text("no conversation is open")
