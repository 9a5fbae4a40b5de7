/* XEP-0308 Last Message Correction.
 *
 * Sending: /correct JID TEXT replaces our newest message to JID (found in
 * the history) with a message of its own that names it.  Receiving: a
 * message that names one of the sender's own (same full JID, or the same
 * occupant in a room: correct_allowed()) becomes that message's new text
 * in the history and is reported with "replaces"; anything else is an
 * ordinary message. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/chat.h"
#include "core/core_internal.h"
#include "core/correct.h"
#include "core/history.h"
#include "core/muc.h"
#include "util/jid.h"
#include "util/log.h"
#include "xmpp/stanza.h"

bool correct_allowed(const struct correct_sender *original, const struct correct_sender *correction)
{
	if (!original->from || !correction->from || original->groupchat != correction->groupchat)
		return false;
	if (original->groupchat) {
		/* The same room in any case; then the occupant. */
		if (!jid_bare_equal(original->from, correction->from))
			return false;
		if (original->occupant_id || correction->occupant_id)
			return original->occupant_id && correction->occupant_id &&
			       !strcmp(original->occupant_id, correction->occupant_id);
	}
	return chat_same_full_jid(original->from, correction->from);
}

/* ---- sending ---- */

static int cmd_correct(struct cmd_call *call)
{
	struct core *core = CALL_CORE(call);
	char *to = core_checked_jid(core, CAUSE(call), call->argv[0]), *peer;
	struct store_own own;
	struct chat_out o = {0};
	int rc = -1;

	if (!to)
		return -1;
	/* a private message with an occupant is a conversation of its own */
	peer = muc_private_key(core, to, false);
	if (!peer)
		peer = jid_bare_key(to, NULL);
	switch (peer ? history_last_own(core, peer, &own) : -1) {
	case 1:
		o.to = to;
		o.text = call->argv[1];
		o.replaces = own.msgid;
		o.replaces_row = own.id;
		if (own.msgid)
			rc = chat_send_out(core, &o, CAUSE(call));
		else
			core_error(core, CAUSE(call), "item-not-found",
			           "the last message to %s has no id to name", to);
		store_own_clear(&own);
		break;
	case 0:
		core_error(core, CAUSE(call), "item-not-found", "no message to %s to correct", to);
		break;
	default:
		core_error(core, CAUSE(call), "service-unavailable",
		           "without the history natter cannot find the message to correct");
		break;
	}
	free(peer);
	free(to);
	return rc;
}

static int correct_decorate(struct core *core, xmpp_stanza_t *m, struct chat_out *o)
{
	xmpp_stanza_t *r;

	(void)core;
	if (!o->replaces)
		return 0;
	r = st_add_element(m, "replace", NS_CORRECT);
	return r && xmpp_stanza_set_attribute(r, "id", o->replaces) == XMPP_EOK ? 0 : -1;
}

/* ---- receiving ---- */

static int correct_receive(struct core *core, struct chat_in *in)
{
	xmpp_stanza_t *r = xmpp_stanza_get_child_by_name_and_ns(in->st, "replace", NS_CORRECT);
	const char *raw = r ? xmpp_stanza_get_attribute(r, "id") : NULL;
	bool groupchat = !strcmp(in->type, "groupchat");
	struct correct_sender orig = {.groupchat = groupchat}, corr = {.groupchat = groupchat};
	struct store_ref ref;
	const char *id;

	/* A correction without text corrects nothing. */
	if (!raw || !in->body || !in->peer)
		return CHAT_IN_PASS;
	id = chat_in_keep(in, core_clean(raw));
	if (!id ||
	    history_find(core, in->peer, in->outgoing ? STORE_OUT : STORE_IN, id, &ref) != 1) {
		log_info("a correction of a message natter does not have is shown as a new one");
		return CHAT_IN_PASS;
	}
	/* In a room, the room JID/nick of each, and the XEP-0421 occupant
	 * ids where the room gives them (the original's kept with it in the
	 * history), which the rule prefers. */
	orig.from = ref.from;
	orig.occupant_id = ref.occupant_id;
	corr.from = in->from;
	corr.occupant_id = in->occupant_id;
	if (ref.retracted || !correct_allowed(&orig, &corr)) {
		log_warn("refused a correction from %s of a message from %s: shown as a new one",
		         in->from ? in->from : "?", ref.from ? ref.from : "?");
	} else {
		in->replaces = id;
		in->replaces_row = ref.id;
	}
	store_ref_clear(&ref);
	return CHAT_IN_PASS;
}

static const struct cmd_entry commands[] = {
    {.name = "correct",
     .usage = "JID TEXT",
     .help = "replace your last message to JID with TEXT (XEP-0308; in a chat window: "
             "/correct TEXT, or Up on an empty line)",
     .min_args = 2,
     .max_args = 2,
     .rest = true,
     .complete = {"@jid"},
     .exec = cmd_correct},
};

static const char *const features[] = {NS_CORRECT, NULL};

const struct core_module correct_module = {
    .name = "correct",
    .title = "Chats",
    .commands = commands,
    .ncommands = COUNT(commands),
    .features = features,
    .receive = correct_receive,
    .decorate = correct_decorate,
};
