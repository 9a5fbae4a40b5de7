/* XEP-0333 Chat Markers.
 *
 * Every chat message we send carries <markable/>; the contact's client
 * answers "received" when it has it and "displayed" when it showed it,
 * and each marks that message and every earlier one.  We send "displayed"
 * for the newest markable message of a contact when the terminal UI shows
 * its window (core_chat_displayed), or when asked (/read): a script in
 * headless mode has read nothing unless it says so.  A marker names a
 * message by its id, and only the contact's own conversation is touched
 * (the history matches the id within it). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "core/chat.h"
#include "core/core_internal.h"
#include "core/history.h"
#include "core/markers.h"
#include "core/roster.h"
#include "util/jid.h"
#include "util/log.h"
#include "xmpp/stanza.h"

#define NS_HINTS "urn:xmpp:hints"
/* Contacts whose newest markable message is remembered; spam from many
 * addresses must not grow this. */
#define MAX_PEERS 256

static const char *const kinds[] = {"received", "displayed", "acknowledged"};

/* The newest markable message of one contact. */
struct markable {
	char *peer; /* bare JID key */
	char *from; /* the client that sent it: where "displayed" goes */
	char *id;
	bool displayed; /* said already */
};

struct markers_state {
	struct markable *v;
	size_t n;
};

static struct markers_state *mst(struct core *core)
{
	return core_state(core, &markers_module);
}

static void markable_free(struct markable *m)
{
	free(m->peer);
	free(m->from);
	free(m->id);
}

static struct markable *find(struct markers_state *ms, const char *peer)
{
	for (size_t i = 0; ms && peer && i < ms->n; i++)
		if (!strcmp(ms->v[i].peer, peer))
			return &ms->v[i];
	return NULL;
}

static void remember(struct core *core, const struct chat_in *in)
{
	struct markers_state *ms = mst(core);
	struct markable *m = find(ms, in->peer), fresh = {0};

	if (!ms)
		return;
	fresh.from = strdup(in->from);
	fresh.id = strdup(in->id);
	if (!fresh.from || !fresh.id) {
		markable_free(&fresh);
		return;
	}
	if (m) {
		free(m->from);
		free(m->id);
		m->from = fresh.from;
		m->id = fresh.id;
		m->displayed = false;
		return;
	}
	if (!(fresh.peer = strdup(in->peer))) {
		markable_free(&fresh);
		return;
	}
	if (ms->n == MAX_PEERS) {
		/* The oldest goes. */
		markable_free(&ms->v[0]);
		memmove(ms->v, ms->v + 1, --ms->n * sizeof(*ms->v));
	} else {
		struct markable *grown = realloc(ms->v, (ms->n + 1) * sizeof(*grown));

		if (!grown) {
			markable_free(&fresh);
			return;
		}
		ms->v = grown;
	}
	ms->v[ms->n++] = fresh;
}

static void report(struct core *core, const struct chat_in *in, const char *kind, xmpp_stanza_t *el)
{
	struct nt_event ev = {.kind = NT_EV_MARKER};
	char *id = core_clean(xmpp_stanza_get_attribute(el, "id"));

	if (!id || !in->from || !in->peer ||
	    /* Only for a message we sent that contact: anyone can claim to
	     * have read an id (without a store natter cannot tell). */
	    !history_delivery(core, in->peer, id,
	                      strcmp(kind, "received") ? STORE_DISPLAYED : STORE_DELIVERED)) {
		if (id)
			log_info("ignored a chat marker for a message we never sent");
		free(id);
		return;
	}
	ev.u.marker.from = in->from;
	ev.u.marker.type = kind;
	ev.u.marker.id = id;
	core_emit(core, &ev);
	free(id);
}

static int markers_receive(struct core *core, struct chat_in *in)
{
	bool chat = !strcmp(in->type, "chat") || !strcmp(in->type, "normal");

	for (size_t i = 0; i < COUNT(kinds); i++) {
		xmpp_stanza_t *el =
		    xmpp_stanza_get_child_by_name_and_ns(in->st, kinds[i], NS_MARKERS);

		/* Our own markers, copied from another of our clients, say what
		 * we read there: not news about our messages. */
		if (el && !in->outgoing && chat)
			report(core, in, kinds[i], el);
		if (el)
			break;
	}
	if (!in->outgoing && chat && in->body && in->id && in->from && in->peer &&
	    xmpp_stanza_get_child_by_name_and_ns(in->st, "markable", NS_MARKERS))
		remember(core, in);
	return CHAT_IN_PASS;
}

static int markers_decorate(struct core *core, xmpp_stanza_t *m, struct chat_out *o)
{
	(void)core;
	/* natter reads no markers in rooms (markers_receive), so asks for none */
	if (o->groupchat)
		return 0;
	return st_add_element(m, "markable", NS_MARKERS) ? 0 : -1;
}

/* Sends "displayed" for jid's newest markable message.  1 sent, 0 nothing
 * to say (none, or said already), -1 on failure (reported for cause when
 * it has a command). */
static int send_displayed(struct core *core, const char *jid, struct core_cause cause)
{
	char *peer = jid_bare_key(jid, NULL), *id = core_make_id();
	struct markable *mk = find(mst(core), peer);
	xmpp_stanza_t *m = NULL, *d;
	int rc = 0;

	if (mk && !mk->displayed && id) {
		rc = -1;
		m = xmpp_message_new(core_ctx(core), "chat", mk->from, id);
		d = m ? st_add_element(m, "displayed", NS_MARKERS) : NULL;
		/* Archived, so the contact's other clients learn it too. */
		if (d && xmpp_stanza_set_attribute(d, "id", mk->id) == XMPP_EOK &&
		    st_add_element(m, "store", NS_HINTS)) {
			rc = core_send(core, m) ? -1 : 1;
			m = NULL;
			if (rc == 1)
				mk->displayed = true;
		}
		if (rc < 0 && cause.command)
			core_error(core, cause, "internal-server-error", "out of memory: not sent");
	}
	if (m)
		xmpp_stanza_release(m);
	free(id);
	free(peer);
	return rc;
}

int core_chat_displayed(struct core *core, const char *jid)
{
	/* As receipts (XEP-0184 §8): a marker tells the sender we are here,
	 * so only those allowed to see our presence get one by itself. */
	if (!core_settings(core)->read_markers || !core_online(core) || !roster_sees_us(core, jid))
		return 0;
	return send_displayed(core, jid, NO_CAUSE) < 0 ? -1 : 0;
}

static int cmd_read(struct cmd_call *call)
{
	struct core *core = CALL_CORE(call);
	char *jid = core_checked_bare(core, CAUSE(call), call->argv[0]);
	int rc;

	if (!jid)
		return -1;
	rc = send_displayed(core, jid, CAUSE(call));
	if (rc == 0)
		core_info(core, CAUSE(call), "nothing from %s waits to be marked as read", jid);
	else if (rc > 0)
		core_info(core, CAUSE(call), "%s knows its messages were read", jid);
	free(jid);
	return rc < 0 ? -1 : 0;
}

static int markers_init(struct core *core)
{
	struct markers_state *ms = calloc(1, sizeof(*ms));

	if (!ms)
		return -1;
	core_set_state(core, &markers_module, ms);
	return 0;
}

static void markers_free(struct core *core)
{
	struct markers_state *ms = mst(core);

	if (!ms)
		return;
	for (size_t i = 0; i < ms->n; i++)
		markable_free(&ms->v[i]);
	free(ms->v);
	free(ms);
	core_set_state(core, &markers_module, NULL);
}

static const struct cmd_entry commands[] = {
    {.name = "read",
     .usage = "JID",
     .help = "tell JID you have read its messages (XEP-0333 displayed marker)",
     .min_args = 1,
     .max_args = 1,
     .complete = {"@jid"},
     .flags = CMD_ONLINE,
     .exec = cmd_read},
};

static const char *const features[] = {NS_MARKERS, NULL};

const struct core_module markers_module = {
    .name = "markers",
    .title = "Chats",
    .init = markers_init,
    .free = markers_free,
    .commands = commands,
    .ncommands = COUNT(commands),
    .features = features,
    .receive = markers_receive,
    .decorate = markers_decorate,
};
