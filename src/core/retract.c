/* XEP-0424 Message Retraction, received: the sender withdraws a message.
 * The message is then shown as retracted, and the history keeps none of
 * its text (so search cannot find it); the retraction itself is recorded
 * so that its copies are known.  Both the current form (namespace
 * urn:xmpp:message-retract:1) and the earlier one wrapped in XEP-0422
 * fastening (:0) are understood.  A retraction natter cannot apply (of a
 * message it does not have, or from anyone but its sender) is dropped,
 * never shown: its body is only a fallback for clients without XEP-0424. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "core/chat.h"
#include "core/core_internal.h"
#include "core/correct.h"
#include "core/history.h"
#include "core/retract.h"
#include "util/jid.h"
#include "util/log.h"

#define NS_RETRACT_0 "urn:xmpp:message-retract:0"
#define NS_FASTEN    "urn:xmpp:fasten:0"

/* The id of the message st retracts, or NULL. */
static const char *target(xmpp_stanza_t *st)
{
	xmpp_stanza_t *r = xmpp_stanza_get_child_by_name_and_ns(st, "retract", NS_RETRACT);
	xmpp_stanza_t *a;

	if (r)
		return xmpp_stanza_get_attribute(r, "id");
	a = xmpp_stanza_get_child_by_name_and_ns(st, "apply-to", NS_FASTEN);
	if (a && xmpp_stanza_get_child_by_name_and_ns(a, "retract", NS_RETRACT_0))
		return xmpp_stanza_get_attribute(a, "id");
	return NULL;
}

/* Only the sender may withdraw a message: in a room the same occupant (as
 * for a correction); one to one, any client of the same account, since a
 * user may withdraw from their phone what they wrote on their laptop. */
static bool allowed(const struct store_ref *original, const struct chat_in *retraction)
{
	struct correct_sender o = {original->from, original->occupant_id, true};
	struct correct_sender r = {retraction->from, retraction->occupant_id, true};

	if (!strcmp(retraction->type, "groupchat"))
		return correct_allowed(&o, &r);
	return o.from && r.from && jid_bare_equal(o.from, r.from);
}

static int retract_receive(struct core *core, struct chat_in *in)
{
	const char *raw = target(in->st), *id;
	struct store_ref ref;
	int found;

	if (!raw)
		return CHAT_IN_PASS;
	id = chat_in_keep(in, core_clean(raw));
	found = id && in->peer
	            ? history_find(core, in->peer, in->outgoing ? STORE_OUT : STORE_IN, id, &ref)
	            : 0;
	if (found != 1) {
		log_info("ignored a retraction of a message natter does not have");
		return CHAT_IN_DUPLICATE;
	}
	if (!allowed(&ref, in)) {
		log_warn("ignored a retraction from %s of a message from %s",
		         in->from ? in->from : "?", ref.from ? ref.from : "?");
		store_ref_clear(&ref);
		return CHAT_IN_DUPLICATE;
	}
	in->retracts = id;
	in->retracts_row = ref.id;
	store_ref_clear(&ref);
	return CHAT_IN_PASS;
}

static const char *const features[] = {NS_RETRACT, NULL};

const struct core_module retract_module = {
    .name = "retract",
    .features = features,
    .receive = retract_receive,
};
