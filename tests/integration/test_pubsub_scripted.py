"""PubSub (XEP-0060, seed 004) where no packaged server serves: seed 004's
service replayed stanza for stanza by tests/lib/scripted.py over real TLS
on loopback, in strict mode (a stanza from natter that the script did not
ask for fails the test).  Collection nodes subscribed with depth=all
(XEP-0248), the seed's own reuse exchange, notifications sent to another
resource, and the service's cap on subscriptions."""

from natter import plain
from scripted import NS_STANZAS, child, local, text_of, xml_escape
from test_hostile_server import ScriptedTestCase

NS_PUBSUB = "http://jabber.org/protocol/pubsub"
NS_EVENT = NS_PUBSUB + "#event"
NS_ERRORS = NS_PUBSUB + "#errors"
NS_DISCO_INFO = "http://jabber.org/protocol/disco#info"
NS_XDATA = "jabber:x:data"
SERVICE = "pubsub.active-calls.example.com"


def pubsub_op(name):
    """A predicate: an iq to the service carrying <pubsub><name/></pubsub>."""
    def pred(el):
        ps = child(el, "pubsub", NS_PUBSUB) if local(el.tag) == "iq" else None
        return ps is not None and child(ps, name) is not None and el.get("to") == SERVICE
    return pred


def disco_info(el):
    return (local(el.tag) == "iq" and el.get("to") == SERVICE and
            child(el, "query", NS_DISCO_INFO) is not None)


def form_fields(el):
    """{var: value} of the first data form under el."""
    for x in el.iter("{%s}x" % NS_XDATA):
        out = {}
        for f in x.findall("{%s}field" % NS_XDATA):
            v = f.find("{%s}value" % NS_XDATA)
            out[f.get("var")] = v.text if v is not None else None
        return out
    return {}


class PubSubScripted(ScriptedTestCase):

    def service_online(self, resource):
        srv = self.scripted(strict=True, other_iq="queue")
        n, conn = self.online(srv, resource=resource)
        n.expect("roster", timeout=10)
        return n, conn

    def result(self, conn, iq, payload=""):
        conn.send("<iq type='result' id='%s' from='%s' to='%s'>%s</iq>" % (
            xml_escape(iq.get("id")), SERVICE, xml_escape(conn.jid), payload))

    def error(self, conn, iq, etype, condition, app):
        conn.send("<iq type='error' id='%s' from='%s' to='%s'><error type='%s'>"
                  "<%s xmlns='%s'/><%s xmlns='%s'/></error></iq>" % (
                      xml_escape(iq.get("id")), SERVICE, xml_escape(conn.jid), etype,
                      condition, NS_STANZAS, app, NS_ERRORS))

    def no_subscriptions(self, conn, node):
        iq = conn.expect(pubsub_op("subscriptions"))
        self.assertEqual(iq.get("type"), "get", text_of(iq))
        self.assertEqual(child(child(iq, "pubsub", NS_PUBSUB), "subscriptions").get("node"),
                         node, text_of(iq))
        self.result(conn, iq, "<pubsub xmlns='%s'><subscriptions/></pubsub>" % NS_PUBSUB)

    def disco(self, conn, features):
        iq = conn.expect(disco_info)
        self.result(conn, iq, "<query xmlns='%s'><identity category='pubsub' type='service'/>"
                    "%s</query>" % (NS_DISCO_INFO, "".join(
                        "<feature var='%s#%s'/>" % (NS_PUBSUB, f) for f in features)))

    def assert_nothing_else(self, conn, n):
        stray = [s for s in conn.unexpected_now()]
        self.assertEqual(stray, [], "natter sent what the script did not ask for\n"
                         + n.report())


class TestCollectionDepth(PubSubScripted):

    def test_collection_subscribed_with_depth_all_gets_leaf_items(self):
        n, conn = self.service_online("newyorkcity")
        node = "/me/jgreen@example.onsip.com"
        n.send("/pubsub subscribe %s %s depth=all expire=2030-11-02T12:00:00Z" % (SERVICE, node))
        self.no_subscriptions(conn, node)
        self.disco(conn, ["subscribe", "subscription-options", "collections",
                          "retrieve-subscriptions"])
        sub = conn.expect(pubsub_op("subscribe"))
        ps = child(sub, "pubsub", NS_PUBSUB)
        req = child(ps, "subscribe")
        # The full JID, and the options in the same request.
        self.assertEqual(req.get("jid"), conn.jid, text_of(sub))
        self.assertEqual(req.get("node"), node, text_of(sub))
        opts = child(ps, "options")
        self.assertIsNotNone(opts, text_of(sub))
        self.assertEqual(form_fields(opts), {
            "FORM_TYPE": NS_PUBSUB + "#subscribe_options",
            "pubsub#subscription_type": "items",
            "pubsub#subscription_depth": "all",
            "pubsub#expire": "2030-11-02T12:00:00Z"}, text_of(sub))
        self.result(conn, sub, "<pubsub xmlns='%s'><subscription node='%s' jid='%s' "
                    "subid='C0LL1' subscription='subscribed'/></pubsub>" % (
                        NS_PUBSUB, node, conn.jid))
        ev = n.expect("pubsub_subscription", timeout=10)
        self.assertEqual(ev.get("subscription"), "subscribed", ev)
        self.assertEqual(ev.get("subid"), "C0LL1", ev)
        # A new call on a leaf below the collection: delivered through it.
        conn.send("<message from='%s' to='%s' id='ev1'><event xmlns='%s'>"
                  "<items node='%s/call-42'><item id='call-42'>"
                  "<call xmlns='urn:example:calls'><state>ringing</state></call></item>"
                  "</items></event><headers xmlns='http://jabber.org/protocol/shim'>"
                  "<header name='Collection'>%s</header><header name='SubID'>C0LL1</header>"
                  "</headers></message>" % (SERVICE, conn.jid, NS_EVENT, node, node))
        ev = plain(n.expect("pubsub_event", timeout=10))
        self.assertEqual(ev.get("node"), node + "/call-42", ev)
        self.assertEqual(ev.get("collection"), node, ev)
        self.assertEqual(ev.get("subid"), "C0LL1", ev)
        self.assertEqual(ev.get("to"), conn.jid, ev)
        self.assertEqual(ev["items"][0]["id"], "call-42", ev)
        self.assertIn("<state>ringing</state>", ev["items"][0]["payload"], ev)
        self.assert_nothing_else(conn, n)
        n.quit()


class TestSeedReuse(PubSubScripted):

    def test_seed_004_renew_instead_of_subscribe(self):
        """Seed 004, "Renewing and Reusing Subscriptions", as written: the
        full JID holds subscription 508B107D93C38, so natter reconfigures it
        (node, jid, subid, a new expiry) and sends no subscribe."""
        n, conn = self.service_online("newyorkcity")
        node = "/me/jgreen@example.onsip.com"
        n.send("/pubsub subscribe %s %s depth=all expire=2030-11-02T12:00:00Z" % (SERVICE, node))
        iq = conn.expect(pubsub_op("subscriptions"))
        self.result(conn, iq,
                    "<pubsub xmlns='%s'><subscriptions>"
                    "<subscription subscription='subscribed' subid='508B107D93C38' jid='%s'/>"
                    "<subscription subscription='subscribed' subid='508B188F98CF6' "
                    "jid='alice@localhost/boston'/></subscriptions></pubsub>"
                    % (NS_PUBSUB, conn.jid))
        listed = plain(n.expect("pubsub_subscriptions", timeout=10))
        self.assertEqual(len(listed["subscriptions"]), 2, listed)
        opt = conn.expect(pubsub_op("options"))
        self.assertEqual(opt.get("type"), "set", text_of(opt))
        o = child(child(opt, "pubsub", NS_PUBSUB), "options")
        self.assertEqual((o.get("node"), o.get("subid"), o.get("jid")),
                         (node, "508B107D93C38", conn.jid), text_of(opt))
        self.assertEqual(form_fields(o), {
            "FORM_TYPE": NS_PUBSUB + "#subscribe_options",
            "pubsub#subscription_type": "items",
            "pubsub#subscription_depth": "all",
            "pubsub#expire": "2030-11-02T12:00:00Z"}, text_of(opt))
        # The seed's "Success Response To Subscription Renewal".
        conn.send("<iq from='%s' type='result' id='%s' to='%s'/>" % (
            SERVICE, xml_escape(opt.get("id")), conn.jid))
        ev = n.expect("pubsub_subscription", timeout=10)
        self.assertEqual(ev.get("subid"), "508B107D93C38", ev)
        self.assertTrue(ev.get("reused"), ev)
        # No <subscribe/> went out, nor anything else.
        self.assert_nothing_else(conn, n)
        n.quit()


class TestOtherResource(PubSubScripted):

    def test_notification_for_another_resource_is_not_processed(self):
        n, conn = self.service_online("newyorkcity")
        # Boston subscribed and left: the service routed its notification here.
        conn.send("<message from='%s' to='alice@localhost/boston' id='ev2'>"
                  "<event xmlns='%s'><items node='/me/jgreen'><item id='call-7'>"
                  "<call xmlns='urn:example:calls'/></item></items></event>"
                  "<body>A call for boston</body></message>" % (SERVICE, NS_EVENT))
        ev = plain(n.expect("pubsub_event", timeout=10))
        self.assertEqual(ev.get("to"), "alice@localhost/boston", ev)
        self.assertTrue(ev.get("other_resource"), ev)
        self.assertEqual(ev.get("items"), [], ev)
        n.expect_none("message", lambda e: not e.get("outgoing"), within=0.5, since=0)
        # Ours, to this very resource: processed.
        conn.send("<message from='%s' to='%s' id='ev3'><event xmlns='%s'>"
                  "<items node='/me/jgreen'><item id='call-8'/></items></event></message>"
                  % (SERVICE, conn.jid, NS_EVENT))
        ev = plain(n.expect("pubsub_event", timeout=10))
        self.assertFalse(ev.get("other_resource"), ev)
        self.assertEqual(ev["items"][0]["id"], "call-8", ev)
        self.assert_nothing_else(conn, n)
        n.quit()


class TestServiceLimits(PubSubScripted):

    def test_too_many_subscriptions_and_pending_subscription(self):
        n, conn = self.service_online("newyorkcity")
        node = "/me/jgreen"
        n.send("/pubsub subscribe %s %s" % (SERVICE, node))
        self.no_subscriptions(conn, node)
        sub = conn.expect(pubsub_op("subscribe"))
        # Seed 004: "a hard limit of 10 subscriptions/node/JID".
        self.error(conn, sub, "wait", "not-allowed", "too-many-subscriptions")
        err = n.expect("error", lambda e: e.get("command") == "pubsub subscribe", timeout=10)
        self.assertEqual(err.get("condition"), "not-allowed", err)
        self.assertEqual(err.get("app_condition"), "too-many-subscriptions", err)
        self.assertIn("too-many-subscriptions", err.get("text"), err)
        # And a request already waiting for the owner.
        n.send("/pubsub subscribe %s %s" % (SERVICE, node))
        self.no_subscriptions(conn, node)
        sub = conn.expect(pubsub_op("subscribe"))
        self.error(conn, sub, "auth", "not-authorized", "pending-subscription")
        err = n.expect("error", lambda e: e.get("command") == "pubsub subscribe", timeout=10)
        self.assertEqual(err.get("condition"), "not-authorized", err)
        self.assertEqual(err.get("app_condition"), "pending-subscription", err)
        n.expect_none("pubsub_subscription", within=0.5, since=0)
        self.assert_nothing_else(conn, n)
        n.quit()
