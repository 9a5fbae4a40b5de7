/* Cloud messaging (seed 002): a connection server's JSON payloads inside
 * <gcm xmlns="google:mobile:data">, read and written with jansson.
 *
 * Upstream messages (from devices) and delivery receipts are reported and,
 * with autoack_fcm, acknowledged (an "ack" carrying their message_id and
 * their sender as "to").  /fcm send queues a downstream message, with a
 * fresh message_id when it names none; at most 100 go unacknowledged on a
 * connection, as the service allows, and the rest wait.  Each ack or nack is
 * matched to its message and reported where the command was typed.
 *
 * CONNECTION_DRAINING: nothing more goes out on that connection
 * (connection_replace() opens a new one beside it).  Messages waiting go
 * out on the new one; those in flight on the old one are answered there
 * (it still delivers), and those it never answered go again on the new one
 * once it has ended.  Each message is sent once per connection, and never
 * on two connections at a time. */
#include "config.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <uthash.h>

#include "core/connection.h"
#include "core/core_internal.h"
#include "core/fcm.h"
#include "util/log.h"
#include "xmpp/stanza.h"

#define NS_GCM "google:mobile:data"
/* The service's limit: 100 unacknowledged downstream messages on one
 * connection. */
#define FCM_WINDOW 100
/* The service's payloads are at most 4 KiB; a server sending more than
 * this is not one natter will parse and report. */
#define FCM_PAYLOAD_MAX (64 * 1024)
/* Downstream messages that may wait: typed or scripted by the user, but a
 * script gone wrong must not make natter hold everything it ever wrote. */
#define FCM_WAITING_MAX 10000

struct fcm_msg {
	char *id;   /* message_id: the hash key */
	char *json; /* the payload as it goes out */
	struct core_cause cause;
	unsigned link;          /* the connection it went out on; 0 while it waits */
	unsigned long long seq; /* /fcm send's order, kept when it goes again */
	struct fcm_msg *next;   /* the waiting list */
	UT_hash_handle hh;      /* every message not yet answered */
};

struct fcm {
	struct core *core;
	unsigned link;     /* counts fresh sessions: the current connection */
	bool quiet;        /* the server drains the current connection */
	unsigned draining; /* the link set aside and still open, 0: none */
	bool drain_again;  /* drained again before the last drain ended */
	struct fcm_msg *byid;
	struct fcm_msg *wait_head;
	size_t nwait, inflight; /* inflight: on the current connection */
	unsigned long long seq;
};

static struct fcm *fcm_of(struct core *core)
{
	return core_state(core, &fcm_module);
}

static void msg_free(struct fcm_msg *m)
{
	free(m->id);
	free(m->json);
	free(m);
}

static bool ready(struct fcm *f)
{
	return core_online(f->core) && !f->quiet;
}

/* ---- sending ---- */

/* <message id=...><gcm xmlns="google:mobile:data">json</gcm></message>
 * to the server (seed 002); 0 or -1 on ENOMEM. */
static int send_payload(struct core *core, const char *json)
{
	xmpp_ctx_t *ctx = core_ctx(core);
	char *id = core_make_id();
	xmpp_stanza_t *msg = id ? xmpp_message_new(ctx, NULL, NULL, id) : NULL;
	xmpp_stanza_t *gcm = msg ? st_add_element(msg, "gcm", NS_GCM) : NULL;
	xmpp_stanza_t *text = gcm ? xmpp_stanza_new(ctx) : NULL;

	free(id);
	if (!text || xmpp_stanza_set_text(text, json) != XMPP_EOK) {
		if (text)
			xmpp_stanza_release(text);
		if (msg)
			xmpp_stanza_release(msg);
		return -1;
	}
	xmpp_stanza_add_child(gcm, text);
	xmpp_stanza_release(text);
	return core_send(core, msg);
}

static void emit_waiting(struct fcm *f, const struct fcm_msg *m, const char *reason)
{
	struct nt_event ev = {.kind = NT_EV_FCM_WAITING, .origin = m->cause.origin};

	ev.u.fcm_waiting.message_id = m->id;
	ev.u.fcm_waiting.reason = reason;
	ev.u.fcm_waiting.waiting = (unsigned)f->nwait;
	core_emit(f->core, &ev);
}

/* Into the waiting list by /fcm send's order: a message sent again goes
 * before those typed after it. */
static void wait_insert(struct fcm *f, struct fcm_msg *m)
{
	struct fcm_msg **pp = &f->wait_head;

	while (*pp && (*pp)->seq < m->seq)
		pp = &(*pp)->next;
	m->link = 0;
	m->next = *pp;
	*pp = m;
	f->nwait++;
}

/* Sends what waits, as far as the window and the connection allow. */
static void pump(struct fcm *f)
{
	struct fcm_msg *m;

	while ((m = f->wait_head) && ready(f) && f->inflight < FCM_WINDOW) {
		struct nt_event ev = {.kind = NT_EV_FCM_SENT, .origin = m->cause.origin};

		if (send_payload(f->core, m->json)) {
			core_error(f->core, m->cause, "internal-server-error",
			           "out of memory: fcm message %s waits", m->id);
			return;
		}
		f->wait_head = m->next;
		f->nwait--;
		m->next = NULL;
		m->link = f->link;
		f->inflight++;
		ev.u.fcm_sent.message_id = m->id;
		ev.u.fcm_sent.in_flight = (unsigned)f->inflight;
		core_emit(f->core, &ev);
	}
}

/* Messages in flight on a connection that is gone wait to go again. */
static void resend_gone(struct fcm *f, bool (*gone)(const struct fcm *, unsigned))
{
	struct fcm_msg *m, *tmp;

	HASH_ITER(hh, f->byid, m, tmp)
	{
		if (!m->link || !gone(f, m->link))
			continue;
		if (m->link == f->link && f->inflight)
			f->inflight--;
		wait_insert(f, m);
		emit_waiting(f, m, "resend");
	}
}

/* ---- incoming payloads ---- */

/* A copy of v with every string (and key) made terminal-safe. */
static json_t *clean_json(json_t *v)
{
	json_t *out = NULL, *x;
	const char *key;
	size_t i;

	switch (json_typeof(v)) {
	case JSON_STRING: {
		char *c = core_clean(json_string_value(v));

		out = json_string(c ? c : "");
		free(c);
		return out;
	}
	case JSON_OBJECT:
		out = json_object();
		json_object_foreach(v, key, x)
		{
			char *ck = core_clean(key);

			if (out && ck)
				json_object_set_new(out, ck, clean_json(x));
			free(ck);
		}
		return out;
	case JSON_ARRAY:
		out = json_array();
		json_array_foreach(v, i, x)
		{
			if (out)
				json_array_append_new(out, clean_json(x));
		}
		return out;
	default:
		return json_deep_copy(v);
	}
}

static char *clean_member(json_t *o, const char *key)
{
	return core_clean(json_string_value(json_object_get(o, key)));
}

/* Reports a payload as an fcm event, with origin (the /fcm send it
 * answers, or 0). */
static void report(struct fcm *f, json_t *o, const char *type, uint64_t origin)
{
	struct nt_event ev = {.kind = NT_EV_FCM, .origin = origin};
	json_t *data = json_object_get(o, "data"), *clean = data ? clean_json(data) : NULL;
	char *s[9], *dump = clean ? json_dumps(clean, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
	static const char *const keys[] = {"message_id",      "from",        "to",
	                                   "category",        "error",       "error_description",
	                                   "registration_id", "control_type"};
	char *ctype = core_clean(type);

	for (size_t i = 0; i < COUNT(keys); i++)
		s[i] = clean_member(o, keys[i]);
	ev.u.fcm.message_type = ctype ? ctype : "?";
	ev.u.fcm.message_id = s[0];
	ev.u.fcm.from = s[1];
	ev.u.fcm.to = s[2];
	ev.u.fcm.category = s[3];
	ev.u.fcm.error = s[4];
	ev.u.fcm.error_description = s[5];
	ev.u.fcm.registration_id = s[6];
	ev.u.fcm.control_type = s[7];
	ev.u.fcm.data = dump;
	core_emit(f->core, &ev);
	for (size_t i = 0; i < COUNT(keys); i++)
		free(s[i]);
	free(ctype);
	free(dump);
	json_decref(clean);
}

/* The ack the service wants for every upstream message and receipt. */
static void acknowledge(struct fcm *f, json_t *o)
{
	const char *id = json_string_value(json_object_get(o, "message_id"));
	const char *to = json_string_value(json_object_get(o, "from"));
	struct nt_event ev = {.kind = NT_EV_FCM_ACK_SENT};
	json_t *ack;
	char *text, *cid;

	if (!id) {
		core_error(f->core, CAUSED_BY("fcm"), "fcm-malformed",
		           "an fcm message without a message_id cannot be acknowledged");
		return;
	}
	ack = to ? json_pack("{s:s, s:s, s:s}", "to", to, "message_id", id, "message_type", "ack")
	         : json_pack("{s:s, s:s}", "message_id", id, "message_type", "ack");
	text = ack ? json_dumps(ack, JSON_COMPACT) : NULL;
	json_decref(ack);
	if (!text || send_payload(f->core, text)) {
		free(text);
		core_error(f->core, CAUSED_BY("fcm"), "internal-server-error",
		           "out of memory: an fcm message was not acknowledged");
		return;
	}
	free(text);
	cid = core_clean(id);
	ev.u.fcm_ack_sent.message_id = cid;
	core_emit(f->core, &ev);
	free(cid);
}

/* An ack or nack of one of our downstream messages. */
static void answered(struct fcm *f, json_t *o, const char *type)
{
	const char *id = json_string_value(json_object_get(o, "message_id"));
	const char *err = json_string_value(json_object_get(o, "error"));
	struct fcm_msg *m = NULL;

	if (id)
		HASH_FIND_STR(f->byid, id, m);
	if (!m || !m->link) {
		/* An answer to nothing natter sent (or sent by another client
		 * of the same sender): still worth a line. */
		report(f, o, type, 0);
		return;
	}
	if (m->link == f->link && f->inflight)
		f->inflight--;
	report(f, o, type, m->cause.origin);
	if (!strcmp(type, "nack") && err && !strcmp(err, "CONNECTION_DRAINING")) {
		/* The service's own word: retry at once on another connection. */
		wait_insert(f, m);
		emit_waiting(f, m, "resend");
	} else {
		HASH_DEL(f->byid, m);
		msg_free(m);
	}
	pump(f);
}

static bool on_old_link(const struct fcm *f, unsigned link)
{
	return link == f->draining;
}

static void old_connection_gone(struct core *core, void *ud)
{
	struct fcm *f = ud;

	(void)core;
	if (!f->draining)
		return;
	core_info(core, CAUSED_BY("fcm"), "the drained connection has closed");
	resend_gone(f, on_old_link);
	f->draining = 0;
	if (f->drain_again) {
		f->drain_again = false;
		if (f->quiet && !connection_replace(f->core, old_connection_gone, f))
			f->draining = f->link;
	}
	pump(f);
}

static void control(struct fcm *f, json_t *o)
{
	const char *ct = json_string_value(json_object_get(o, "control_type"));

	report(f, o, "control", 0);
	if (!ct || strcmp(ct, "CONNECTION_DRAINING") || f->quiet)
		return;
	/* Not one more stanza of ours on this connection. */
	f->quiet = true;
	if (f->draining)
		f->drain_again = true;
	else if (!connection_replace(f->core, old_connection_gone, f))
		f->draining = f->link;
}

static void malformed(struct fcm *f, xmpp_stanza_t *st, const char *why)
{
	char *from = core_clean(xmpp_stanza_get_from(st)), *cwhy = core_clean(why);

	core_error(f->core, CAUSED_BY("fcm"), "fcm-malformed",
	           "a google:mobile:data message from %s is not a JSON object (%s): reported, "
	           "not acknowledged",
	           from ? from : "the server", cwhy ? cwhy : "?");
	free(from);
	free(cwhy);
}

static int on_gcm(struct core *core, xmpp_stanza_t *st)
{
	struct fcm *f = fcm_of(core);
	xmpp_stanza_t *gcm = xmpp_stanza_get_child_by_ns(st, NS_GCM);
	const char *stype = xmpp_stanza_get_type(st), *type;
	char *raw = gcm ? xmpp_stanza_get_text(gcm) : NULL, *why = NULL;
	json_error_t err;
	json_t *o = NULL;

	/* A bounce of one of ours is the chat module's to show. */
	if (!f || (stype && !strcmp(stype, "error"))) {
		if (raw)
			xmpp_free(xmpp_stanza_get_context(st), raw);
		return CORE_PASS;
	}
	if (!raw || !*raw) {
		malformed(f, st, "empty");
	} else if (strlen(raw) > FCM_PAYLOAD_MAX) {
		malformed(f, st, "over 64 KiB");
	} else if (!(o = json_loads(raw, JSON_REJECT_DUPLICATES, &err)) || !json_is_object(o)) {
		if (asprintf(&why, "%s at line %d, column %d", o ? "not an object" : err.text,
		             o ? 1 : err.line, o ? 1 : err.column) < 0)
			why = NULL;
		malformed(f, st, why ? why : "not JSON");
		free(why);
	} else if (json_object_get(o, "message_type") &&
	           !json_is_string(json_object_get(o, "message_type"))) {
		malformed(f, st, "message_type is not a string");
	} else if (!(type = json_string_value(json_object_get(o, "message_type")))) {
		/* An upstream message from a device. */
		report(f, o, "upstream", 0);
		if (core_account(core)->autoack_fcm)
			acknowledge(f, o);
	} else if (!strcmp(type, "ack") || !strcmp(type, "nack")) {
		answered(f, o, type);
	} else if (!strcmp(type, "receipt")) {
		report(f, o, type, 0);
		if (core_account(core)->autoack_fcm)
			acknowledge(f, o);
	} else if (!strcmp(type, "control")) {
		control(f, o);
	} else {
		report(f, o, type, 0);
	}
	json_decref(o);
	if (raw)
		xmpp_free(xmpp_stanza_get_context(st), raw);
	return CORE_PASS;
}

/* ---- /fcm send ---- */

static int send_ack_typed(struct cmd_call *call, json_t *o)
{
	struct core *core = CALL_CORE(call);
	struct nt_event ev = {.kind = NT_EV_FCM_ACK_SENT, .origin = call->origin};
	char *text = json_dumps(o, JSON_COMPACT), *cid;

	if (!text || send_payload(core, text)) {
		free(text);
		core_error(core, CAUSE(call), "internal-server-error", "out of memory");
		return -1;
	}
	free(text);
	cid = core_clean(json_string_value(json_object_get(o, "message_id")));
	ev.u.fcm_ack_sent.message_id = cid;
	core_emit(core, &ev);
	free(cid);
	return 0;
}

static int cmd_send(struct cmd_call *call)
{
	struct core *core = CALL_CORE(call);
	struct fcm *f = fcm_of(core);
	json_t *o = json_loads(call->argv[0], JSON_REJECT_DUPLICATES, &(json_error_t){0}), *id;
	const char *type;
	struct fcm_msg *m = NULL, *dup = NULL;
	char *made = NULL;
	int rc = -1;

	if (!o || !json_is_object(o)) {
		core_error(core, CAUSE(call), "bad-request", "/fcm send takes one JSON object");
		goto out;
	}
	type = json_string_value(json_object_get(o, "message_type"));
	/* An acknowledgement written by hand (autoack_fcm = false) is no
	 * downstream message: it waits for no window and gets no answer. */
	if (type && (!strcmp(type, "ack") || !strcmp(type, "nack"))) {
		rc = send_ack_typed(call, o);
		goto out;
	}
	id = json_object_get(o, "message_id");
	if (id && (!json_is_string(id) || !*json_string_value(id))) {
		core_error(core, CAUSE(call), "bad-request",
		           "message_id must be a non-empty string");
		goto out;
	}
	if (!id) {
		made = core_make_id();
		if (!made || json_object_set_new(o, "message_id", json_string(made))) {
			core_error(core, CAUSE(call), "internal-server-error", "out of memory");
			goto out;
		}
		id = json_object_get(o, "message_id");
	}
	HASH_FIND_STR(f->byid, json_string_value(id), dup);
	if (dup) {
		core_error(core, CAUSE(call), "conflict",
		           "message_id %s is already waiting for its answer", dup->id);
		goto out;
	}
	if (f->nwait >= FCM_WAITING_MAX) {
		core_error(core, CAUSE(call), "resource-constraint", "%d fcm messages wait already",
		           FCM_WAITING_MAX);
		goto out;
	}
	m = calloc(1, sizeof(*m));
	if (!m || !(m->id = strdup(json_string_value(id))) ||
	    !(m->json = json_dumps(o, JSON_COMPACT))) {
		if (m)
			msg_free(m);
		core_error(core, CAUSE(call), "internal-server-error", "out of memory");
		goto out;
	}
	m->cause = CAUSE(call);
	m->seq = ++f->seq;
	HASH_ADD_KEYPTR(hh, f->byid, m->id, strlen(m->id), m);
	wait_insert(f, m);
	pump(f);
	if (!m->link)
		emit_waiting(f, m,
		             f->quiet             ? "draining"
		             : !core_online(core) ? "offline"
		                                  : "window");
	rc = 0;
out:
	free(made);
	json_decref(o);
	return rc;
}

static const struct cmd_entry commands[] = {
    {.name = "fcm send",
     .usage = "JSON",
     .help = "send a downstream cloud-messaging message (a message_id is added if none)",
     .min_args = 1,
     .max_args = 1,
     .rest = true,
     .exec = cmd_send},
};

static const struct core_handler handlers[] = {
    {CORE_HANDLE, "message", NULL, NS_GCM, on_gcm},
};

/* ---- life ---- */

static bool on_dead_link(const struct fcm *f, unsigned link)
{
	/* Everything before this connection, but the one still draining. */
	return link != f->draining;
}

/* A fresh connection: what went out on one that is gone and was never
 * answered goes again, then what waits. */
static void fcm_login(struct core *core, const struct core_login *l)
{
	struct fcm *f = fcm_of(core);

	(void)l;
	f->link++;
	f->quiet = false;
	f->inflight = 0;
	resend_gone(f, on_dead_link);
	pump(f);
}

static int fcm_init(struct core *core)
{
	struct fcm *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	f->core = core;
	core_set_state(core, &fcm_module, f);
	return 0;
}

static void fcm_free(struct core *core)
{
	struct fcm *f = fcm_of(core);
	struct fcm_msg *m, *tmp;

	if (!f)
		return;
	HASH_ITER(hh, f->byid, m, tmp)
	{
		HASH_DEL(f->byid, m);
		msg_free(m);
	}
	free(f);
	core_set_state(core, &fcm_module, NULL);
}

const struct core_module fcm_module = {
    .name = "fcm",
    .title = "Cloud messaging",
    .init = fcm_init,
    .free = fcm_free,
    .login = fcm_login,
    .service_login = true,
    .commands = commands,
    .ncommands = COUNT(commands),
    .handlers = handlers,
    .nhandlers = COUNT(handlers),
};
