"""PubSub (XEP-0060, seed 004) against real servers: ejabberd for the
authorize model (a real pending-then-decided flow, the owner approving as a
second, independent client) and its errors, Prosody for the open model.
What neither does (collection nodes with depth, notifications to another
resource, the subscriptions cap) is in test_pubsub_scripted.py."""

import secrets

from natter import NatterTestCase, plain
from test_interop import SlixPeer, have_slixmpp

import unittest

SERVICE = "pubsub.localhost"


def node_name(prefix):
    """A node of this test run alone: the servers outlive a test."""
    return "%s-%s" % (prefix, secrets.token_hex(4))


class PubSubCase(NatterTestCase):

    def owner(self, server, jid):
        """A slixmpp client (tests/lib/slixpeer.py) for jid on server."""
        if not have_slixmpp():
            self.skipTest("python3-slixmpp is not installed")
        peer = SlixPeer(server, jid, server.users[jid])
        self.addCleanup(peer.close)
        peer.expect("ready", timeout=20)
        return peer

    def sub_event(self, n, node, state, **kw):
        return n.expect("pubsub_subscription",
                        lambda e: e.get("node") == node and e.get("subscription") == state,
                        what="%s on %s" % (state, node), **kw)


class TestPubSubEjabberd(PubSubCase):
    """ejabberd 23.01 (tests/lib/ejabberd.py): the authorize access model."""

    @classmethod
    def setUpClass(cls):
        cls.ej = cls.shared_ejabberd()

    def subscriber(self, resource="desk"):
        n = self.natter(self.ejabberd_account(self.ej, "alice@localhost", resource=resource),
                        label="alice/" + resource)
        n.expect("connected", timeout=20)
        return n

    def test_authorize_pending_then_decided_by_the_owner(self):
        node = node_name("calls")
        carol = self.owner(self.ej, "carol@localhost")
        carol.send(cmd="pubsub_create", to=SERVICE, node=node, access_model="authorize")
        carol.expect("pubsub_created", timeout=15)
        alice = self.subscriber()
        me = alice.find("connected")["jid"]

        alice.send("/pubsub subscribe %s %s" % (SERVICE, node))
        # Seed 004: the existing subscriptions first (none), then the request.
        listed = alice.expect("pubsub_subscriptions", timeout=15)
        self.assertEqual(listed.get("node"), node, listed)
        self.assertEqual(listed.get("subscriptions"), [], listed)
        pending = self.sub_event(alice, node, "pending", timeout=15)
        self.assertEqual(pending.get("jid"), me, pending)
        self.assertEqual(pending.get("service"), SERVICE, pending)
        origin = pending.get("origin")
        self.assertTrue(origin, pending)

        # The owner is asked, about this very full JID, and approves.
        ask = carol.expect("pubsub_auth_request", lambda e: e.get("node") == node, timeout=15)
        self.assertEqual(ask.get("subscriber"), me, ask)
        alice.expect_none("pubsub_subscription", lambda e: e.get("node") == node and
                          e.get("subscription") == "subscribed", within=1)
        carol.send(cmd="pubsub_authorize", to=SERVICE, node=node, subscriber=me, allow=True)
        done = self.sub_event(alice, node, "subscribed", timeout=15)
        # The final state answers the command that asked for it.
        self.assertEqual(done.get("origin"), origin, done)
        self.assertEqual(done.get("jid"), me, done)

        # Now subscribed: a publication reaches this resource.
        carol.send(cmd="pubsub_publish", to=SERVICE, node=node, id="call-1",
                   payload="<call xmlns='urn:example:calls'><from>bob</from></call>")
        carol.expect("pubsub_published", timeout=15)
        ev = plain(alice.expect("pubsub_event", lambda e: e.get("node") == node, timeout=15))
        self.assertEqual(ev.get("to"), me, ev)
        self.assertEqual(ev.get("service"), SERVICE, ev)
        self.assertFalse(ev.get("other_resource"), ev)
        self.assertEqual([i.get("id") for i in ev["items"]], ["call-1"], ev)
        self.assertIn("<from>bob</from>", ev["items"][0].get("payload", ""), ev)
        alice.expect_none("message", lambda e: not e.get("outgoing"), within=0.5, since=0)

        # Subscribing again reuses it: still one subscription of this JID.
        alice.send("/pubsub subscribe %s %s" % (SERVICE, node))
        again = alice.expect("pubsub_subscription", lambda e: e.get("node") == node and
                             e.get("reused"), timeout=15)
        self.assertEqual(again.get("subscription"), "subscribed", again)
        alice.send("/pubsub subscriptions %s %s" % (SERVICE, node))
        listed = plain(alice.expect("pubsub_subscriptions", lambda e: e.get("node") == node
                                    and e.get("subscriptions"), timeout=15))
        mine = [s for s in listed["subscriptions"] if s.get("jid") == me]
        self.assertEqual(len(mine), 1, listed)
        self.assertEqual(mine[0].get("subscription"), "subscribed", listed)

        # Unsubscribed, nothing is listed any more.
        alice.send("/pubsub unsubscribe %s %s" % (SERVICE, node))
        self.sub_event(alice, node, "none", timeout=15)
        alice.send("/pubsub subscriptions %s %s" % (SERVICE, node))
        listed = plain(alice.expect("pubsub_subscriptions", lambda e: e.get("node") == node,
                                    timeout=15))
        self.assertEqual([s for s in listed["subscriptions"] if s.get("jid") == me], [],
                         listed)
        carol.send(cmd="pubsub_delete", to=SERVICE, node=node)
        alice.quit()

    def test_authorize_pending_then_refused(self):
        node = node_name("private")
        carol = self.owner(self.ej, "carol@localhost")
        carol.send(cmd="pubsub_create", to=SERVICE, node=node, access_model="authorize")
        carol.expect("pubsub_created", timeout=15)
        alice = self.subscriber("laptop")
        me = alice.find("connected")["jid"]
        alice.send("/pubsub subscribe %s %s" % (SERVICE, node))
        self.sub_event(alice, node, "pending", timeout=15)
        carol.expect("pubsub_auth_request", lambda e: e.get("node") == node, timeout=15)
        carol.send(cmd="pubsub_authorize", to=SERVICE, node=node, subscriber=me, allow=False)
        self.sub_event(alice, node, "none", timeout=15)
        carol.send(cmd="pubsub_delete", to=SERVICE, node=node)
        alice.quit()

    def test_errors_name_their_conditions(self):
        alice = self.subscriber("errors")
        # No such node.
        alice.send("/pubsub subscribe %s %s" % (SERVICE, node_name("nosuch")))
        err = alice.expect("error", lambda e: e.get("command") == "pubsub subscribe",
                           timeout=15)
        self.assertEqual(err.get("condition"), "item-not-found", err)
        # Not subscribed (XEP-0060 §6.2.3.2: <unexpected-request/><not-subscribed/>).
        node = node_name("open")
        carol = self.owner(self.ej, "carol@localhost")
        carol.send(cmd="pubsub_create", to=SERVICE, node=node, access_model="open")
        carol.expect("pubsub_created", timeout=15)
        alice.send("/pubsub unsubscribe %s %s" % (SERVICE, node))
        err = alice.expect("error", lambda e: e.get("command") == "pubsub unsubscribe",
                           timeout=15)
        self.assertEqual(err.get("condition"), "unexpected-request", err)
        self.assertEqual(err.get("app_condition"), "not-subscribed", err)
        self.assertIn("not-subscribed", err.get("text", ""), err)
        # Not authorized: the presence model, and alice does not see carol's.
        pnode = node_name("presence")
        carol.send(cmd="pubsub_create", to=SERVICE, node=pnode, access_model="presence")
        carol.expect("pubsub_created", lambda e: e.get("node") == pnode, timeout=15)
        alice.send("/pubsub subscribe %s %s" % (SERVICE, pnode))
        err = alice.expect("error", lambda e: e.get("command") == "pubsub subscribe",
                           timeout=15)
        self.assertEqual(err.get("condition"), "not-authorized", err)
        self.assertEqual(err.get("app_condition"), "presence-subscription-required", err)
        # ejabberd's nodes take no subscription options: the subscription
        # is made, the options are refused, and both are said.
        alice.send("/pubsub subscribe %s %s expire=+1h" % (SERVICE, node))
        err = alice.expect("error", lambda e: e.get("command") == "pubsub subscribe",
                           timeout=15)
        self.assertEqual(err.get("condition"), "feature-not-implemented", err)
        self.assertEqual(err.get("app_condition"), "unsupported", err)
        self.assertIn("subscription-options", err.get("text", ""), err)
        self.sub_event(alice, node, "subscribed", timeout=15)
        for n in (node, pnode):
            carol.send(cmd="pubsub_delete", to=SERVICE, node=n)
        alice.quit()


class TestPubSubProsody(PubSubCase):
    """Prosody 0.12's pubsub component: the open model."""

    def test_open_node_subscribe_notify_unsubscribe(self):
        node = node_name("news")
        # Prosody lets only its admins create nodes on the component.
        admin = self.owner(self.fx, "admin@localhost")
        admin.send(cmd="pubsub_create", to=SERVICE, node=node, access_model="open")
        admin.expect("pubsub_created", timeout=15)
        alice = self.connected("alice@localhost", resource="pubsubdesk")
        me = alice.find("connected")["jid"]
        alice.send("/pubsub subscribe %s %s expire=+1d" % (SERVICE, node))
        alice.expect("pubsub_subscriptions", lambda e: e.get("node") == node, timeout=15)
        sub = self.sub_event(alice, node, "subscribed", timeout=15)
        self.assertEqual(sub.get("jid"), me, sub)
        self.assertFalse(sub.get("reused"), sub)
        # Prosody takes subscription options (it keeps only include_body).
        self.assertIsNone(alice.find("error"), alice.report())
        admin.send(cmd="pubsub_publish", to=SERVICE, node=node, id="n1",
                   payload="<entry xmlns='http://www.w3.org/2005/Atom'><title>hi</title></entry>")
        ev = plain(alice.expect("pubsub_event", lambda e: e.get("node") == node, timeout=15))
        self.assertEqual(ev.get("to"), me, ev)
        self.assertEqual(ev["items"][0].get("id"), "n1", ev)
        self.assertIn("<title>hi</title>", ev["items"][0].get("payload", ""), ev)
        # Again: reused, still one subscription for this JID.
        alice.send("/pubsub subscribe %s %s" % (SERVICE, node))
        self.assertTrue(alice.expect("pubsub_subscription", lambda e: e.get("node") == node,
                                     timeout=15).get("reused"))
        alice.send("/pubsub subscriptions %s" % SERVICE)
        listed = plain(alice.expect("pubsub_subscriptions", lambda e: e.get("node") is None,
                                    timeout=15))
        mine = [s for s in listed["subscriptions"] if s.get("node") == node]
        self.assertEqual(len(mine), 1, listed)
        self.assertEqual(mine[0].get("jid"), me, listed)
        alice.send("/pubsub unsubscribe %s %s" % (SERVICE, node))
        self.sub_event(alice, node, "none", timeout=15)
        # Nothing more arrives once unsubscribed.
        admin.send(cmd="pubsub_publish", to=SERVICE, node=node, id="n2",
                   payload="<entry xmlns='http://www.w3.org/2005/Atom'><title>2</title></entry>")
        admin.expect("pubsub_published", lambda e: e.get("id") == "n2", timeout=15)
        alice.expect_none("pubsub_event", lambda e: e.get("node") == node and
                          "n2" in [plain(i).get("id") for i in e["items"]], within=1.5)
        admin.send(cmd="pubsub_delete", to=SERVICE, node=node)
        alice.quit()

    def test_no_such_node(self):
        alice = self.connected("alice@localhost", resource="pubsubdesk2")
        alice.send("/pubsub subscribe %s %s" % (SERVICE, node_name("missing")))
        err = alice.expect("error", lambda e: e.get("command") == "pubsub subscribe",
                           timeout=15)
        self.assertEqual(err.get("condition"), "item-not-found", err)
        alice.quit()


if __name__ == "__main__":
    unittest.main()
