/* XEP-0280 Message Carbons: enabled at every fresh login; the copies are
 * unwrapped here and go through chat.c's receiving path. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "core/carbons.h"
#include "core/chat.h"
#include "core/core_internal.h"
#include "util/jid.h"
#include "util/log.h"
#include "xmpp/stanza.h"

#define ENABLE_TIMEOUT_MS 30000

static void on_enabled(struct core *core, xmpp_stanza_t *reply, void *ud)
{
	const char *type = reply ? xmpp_stanza_get_type(reply) : NULL;

	(void)core;
	(void)ud;
	/* Not worth an error event: messages still work, only the copies of
	 * what our other clients see are missing. */
	if (!reply)
		log_warn("carbons: the server did not answer the request to enable them");
	else if (!type || strcmp(type, "result"))
		log_warn("carbons: the server refused to enable them (%s)",
		         st_error_condition(reply, NULL));
}

static void carbons_login(struct core *core, const struct core_login *l)
{
	xmpp_stanza_t *iq = xmpp_iq_new(core_ctx(core), "set", NULL);

	(void)l;

	if (!iq || !st_add_element(iq, "enable", NS_CARBONS)) {
		if (iq)
			xmpp_stanza_release(iq);
		log_error("out of memory: carbons not enabled");
		return;
	}
	if (core_iq_send(core, iq, ENABLE_TIMEOUT_MS, on_enabled, NULL))
		log_error("carbons: the request to enable them could not be sent");
}

/* XEP-0280 §11: only our own account may send us copies; anyone else
 * could put words into our contacts' mouths this way.  Without a from the
 * server speaks for our account (RFC 6120 §8.1.2.1), as archive results
 * do: the server stamps a from on whatever others send. */
static bool from_own_account(struct core *core, const char *from)
{
	return !from || (!strchr(from, '/') && jid_bare_equal(from, core_account(core)->jid));
}

static int on_carbon(struct core *core, xmpp_stanza_t *st)
{
	xmpp_stanza_t *wrap = xmpp_stanza_get_child_by_name_and_ns(st, "received", NS_CARBONS);
	xmpp_stanza_t *fwd, *inner = NULL, *delay;
	const char *from = xmpp_stanza_get_from(st);
	struct chat_via via = {.carbon = "received"};

	if (!wrap) {
		wrap = xmpp_stanza_get_child_by_name_and_ns(st, "sent", NS_CARBONS);
		via.carbon = "sent";
		via.outgoing = true;
	}
	/* <private/> and the like: an ordinary message for chat.c. */
	if (!wrap)
		return CORE_PASS;
	if (!from_own_account(core, from)) {
		char *who = core_clean(from);

		log_warn("dropped a forged carbon copy from %s", who ? who : "(no sender)");
		free(who);
		return CORE_STOP;
	}
	fwd = xmpp_stanza_get_child_by_name_and_ns(wrap, "forwarded", NS_FORWARD);
	if (fwd)
		inner = xmpp_stanza_get_child_by_name(fwd, "message");
	if (!inner) {
		log_warn("dropped a carbon copy without a forwarded message");
		return CORE_STOP;
	}
	delay = xmpp_stanza_get_child_by_name_and_ns(fwd, "delay", "urn:xmpp:delay");
	via.stamp = delay ? xmpp_stanza_get_attribute(delay, "stamp") : NULL;
	chat_receive(core, inner, &via);
	return CORE_STOP;
}

static const struct core_handler handlers[] = {
    {CORE_UNWRAP, "message", NULL, NS_CARBONS, on_carbon},
};

static const char *const features[] = {NS_CARBONS, NULL};

const struct core_module carbons_module = {
    .name = "carbons",
    .login = carbons_login,
    .handlers = handlers,
    .nhandlers = COUNT(handlers),
    .features = features,
};
