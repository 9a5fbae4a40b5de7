/* Group chat beyond talking: invitations (XEP-0045 §7.8 mediated, and
 * XEP-0249 direct), kicks and bans (§8.2, §9.1), and room configuration
 * (§10.1): a room we create is unlocked at once as an instant room unless
 * the user asked to configure it. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/muc.h"
#include "core/muc_internal.h"
#include "util/jid.h"
#include "util/log.h"
#include "util/text.h"
#include "xmpp/stanza.h"

#define NS_CONFERENCE "jabber:x:conference"
#define NS_DATA       "jabber:x:data"

#define REQUEST_TIMEOUT_MS 30000
#define MAX_FIELDS         200 /* of a configuration form */
#define MAX_VALUES         100 /* of one field */
#define MAX_REASON         1024

/* An answer the room owes us, for the command that asked. */
struct admin_req {
	struct core_cause cause;
	char *room; /* bare, normalised */
	char *what; /* "kick alice", for the texts */
	char **set; /* /roomconfig VAR=VALUE...: what to change once the form comes */
	size_t nset;
	bool submit;  /* the form was asked to be submitted (set, or instant) */
	bool created; /* an instant room we just created */
};

static void req_free(struct admin_req *q)
{
	free(q->room);
	free(q->what);
	for (size_t i = 0; i < q->nset; i++)
		free(q->set[i]);
	free(q->set);
	free(q);
}

static struct admin_req *req_new(struct core *core, struct core_cause cause, const char *room,
                                 const char *what)
{
	struct admin_req *q = calloc(1, sizeof(*q));

	if (!q || !(q->room = strdup(room)) || (what && !(q->what = strdup(what)))) {
		if (q)
			req_free(q);
		core_error(core, cause, "internal-server-error", "out of memory");
		return NULL;
	}
	q->cause = cause;
	return q;
}

/* Sends iq (to q->room) and hands the answer to fn; -1 reported. */
static int send_req(struct core *core, xmpp_stanza_t *iq, struct admin_req *q, core_iq_fn fn)
{
	if (xmpp_stanza_set_to(iq, q->room) != XMPP_EOK) {
		xmpp_stanza_release(iq);
		core_error(core, q->cause, "internal-server-error", "out of memory");
		req_free(q);
		return -1;
	}
	if (core_iq_send(core, iq, REQUEST_TIMEOUT_MS, fn, q)) {
		core_error(core, q->cause, "not-connected", "not sent: not connected");
		req_free(q);
		return -1;
	}
	return 0;
}

/* ---- the room a command is about ---- */

/* Like muc.c's: argv[0] when it is a room we are in, else (shift) the
 * current conversation when it is a room.  NULL after an error. */
static struct muc_room *cmd_room(struct cmd_call *call, int *first)
{
	struct core *core = CALL_CORE(call);
	const char *cur = core_current_chat(core);
	struct muc_room *r = call->argc ? muc_room_find(core, call->argv[0]) : NULL;

	*first = 1;
	if (r && !strchr(call->argv[0], '/') && r->state == MUC_JOINED)
		return r;
	r = cur && !strchr(cur, '/') ? muc_room_find(core, cur) : NULL;
	if (r && r->state == MUC_JOINED) {
		*first = 0;
		return r;
	}
	core_error(core, CAUSE(call), "item-not-found", "%s is not a room you are in",
	           call->argc ? call->argv[0] : "this window");
	return NULL;
}

/* argv[first...] joined back into one string (the words of a reason). */
static char *words_from(struct cmd_call *call, int first)
{
	char *s = strdup(""), *t;

	for (int i = first; s && i < call->argc; i++) {
		if (asprintf(&t, "%s%s%s", s, *s ? " " : "", call->argv[i]) < 0)
			t = NULL;
		free(s);
		s = t;
	}
	return s;
}

/* ---- kick and ban ---- */

static void admin_answer(struct core *core, xmpp_stanza_t *reply, void *ud)
{
	struct admin_req *q = ud;

	if (!core_iq_failed(core, q->cause, q->room, reply))
		core_info(core, q->cause, "%s: %s done", q->room, q->what ? q->what : "change");
	req_free(q);
}

/* /kick [ROOM] NICK [REASON], /ban [ROOM] JID [REASON] */
static int moderate(struct cmd_call *call, bool ban)
{
	struct core *core = CALL_CORE(call);
	int first;
	struct muc_room *r = cmd_room(call, &first);
	xmpp_stanza_t *iq, *query, *item;
	char *target = NULL, *reason = NULL, *what = NULL, *safe = NULL;
	struct admin_req *q;
	int bad;

	if (!r)
		return -1;
	if (call->argc <= first) {
		core_error(core, CAUSE(call), "bad-request", "usage: /%s [ROOM] %s [REASON]",
		           ban ? "ban" : "kick", ban ? "JID" : "NICK");
		return -1;
	}
	if (ban) {
		target = core_checked_bare(core, CAUSE(call), call->argv[first]);
		if (!target)
			return -1;
	} else {
		target = strdup(call->argv[first]);
	}
	reason = words_from(call, first + 1);
	safe = reason ? text_xml_safe(reason) : NULL;
	if (asprintf(&what, "%s %s", ban ? "ban of" : "kick of", target ? target : "?") < 0)
		what = NULL;
	q = target && safe && what ? req_new(core, CAUSE(call), r->jid, what) : NULL;
	iq = q ? xmpp_iq_new(core_ctx(core), "set", NULL) : NULL;
	query = iq ? st_add_element(iq, "query", NS_MUC_ADMIN) : NULL;
	item = query ? st_add_element(query, "item", NULL) : NULL;
	bad = !item;
	if (!bad && ban)
		bad |= xmpp_stanza_set_attribute(item, "jid", target) != XMPP_EOK ||
		       xmpp_stanza_set_attribute(item, "affiliation", "outcast") != XMPP_EOK;
	else if (!bad)
		bad |= xmpp_stanza_set_attribute(item, "nick", target) != XMPP_EOK ||
		       xmpp_stanza_set_attribute(item, "role", "none") != XMPP_EOK;
	if (!bad && *safe)
		bad |= st_add_text(item, "reason", safe);
	free(target);
	free(reason);
	free(safe);
	free(what);
	if (bad) {
		if (iq)
			xmpp_stanza_release(iq);
		if (q) {
			core_error(core, CAUSE(call), "internal-server-error", "out of memory");
			req_free(q);
		}
		return -1;
	}
	return send_req(core, iq, q, admin_answer);
}

static int cmd_kick(struct cmd_call *call)
{
	return moderate(call, false);
}

static int cmd_ban(struct cmd_call *call)
{
	return moderate(call, true);
}

/* ---- invitations ---- */

/* /invite [ROOM] JID [REASON]: mediated, so the room can let them in
 * (members-only rooms add them as members). */
static int cmd_invite(struct cmd_call *call)
{
	struct core *core = CALL_CORE(call);
	int first;
	struct muc_room *r = cmd_room(call, &first);
	xmpp_stanza_t *m = NULL, *x, *inv;
	char *to = NULL, *reason = NULL, *safe = NULL, *id = core_make_id();
	int rc = -1;

	if (!r)
		goto out;
	if (call->argc <= first) {
		core_error(core, CAUSE(call), "bad-request", "usage: /invite [ROOM] JID [REASON]");
		goto out;
	}
	to = core_checked_bare(core, CAUSE(call), call->argv[first]);
	if (!to)
		goto out;
	reason = words_from(call, first + 1);
	safe = reason ? text_xml_safe(reason) : NULL;
	if (id && safe)
		m = xmpp_message_new(core_ctx(core), NULL, r->jid, id);
	x = m ? st_add_element(m, "x", NS_MUC_USER) : NULL;
	inv = x ? st_add_element(x, "invite", NULL) : NULL;
	if (!inv || xmpp_stanza_set_attribute(inv, "to", to) != XMPP_EOK ||
	    (*safe && st_add_text(inv, "reason", safe))) {
		core_error(core, CAUSE(call), "internal-server-error", "out of memory");
		goto out;
	}
	rc = core_send(core, m);
	m = NULL;
	if (!rc)
		core_info(core, CAUSE(call), "invited %s to %s", to, r->cjid);
out:
	if (m)
		xmpp_stanza_release(m);
	free(to);
	free(reason);
	free(safe);
	free(id);
	return rc;
}

static void emit_invite(struct core *core, const char *room, const char *from, const char *reason,
                        const char *password, bool direct)
{
	struct nt_event ev = {.kind = NT_EV_MUC_INVITE};
	char *croom = core_clean(room), *cfrom = core_clean(from);
	char *creason = NULL, *cpass = core_clean(password);

	if (reason && strlen(reason) <= MAX_REASON)
		creason = core_clean(reason);
	if (croom && cfrom) {
		ev.u.muc_invite.room = croom;
		ev.u.muc_invite.from = cfrom;
		ev.u.muc_invite.reason = creason;
		ev.u.muc_invite.password = cpass;
		ev.u.muc_invite.direct = direct;
		core_emit(core, &ev);
	}
	free(croom);
	free(cfrom);
	free(creason);
	free(cpass);
}

/* Guard: a room's message about invitations (not groupchat: those stopped
 * earlier).  A private message carries an empty <x/> and goes on. */
static int on_mediated(struct core *core, xmpp_stanza_t *st)
{
	xmpp_stanza_t *x = xmpp_stanza_get_child_by_name_and_ns(st, "x", NS_MUC_USER);
	xmpp_stanza_t *inv = x ? xmpp_stanza_get_child_by_name(x, "invite") : NULL;
	xmpp_stanza_t *dec = x ? xmpp_stanza_get_child_by_name(x, "decline") : NULL;
	const char *from = xmpp_stanza_get_from(st), *type = xmpp_stanza_get_type(st);
	char *room = NULL, *res = NULL, *reason, *password;

	if ((!inv && !dec) || (type && !strcmp(type, "error")))
		return CORE_PASS;
	/* Only a room sends these, from its bare JID. */
	if (muc_split(from, &room, &res) || res) {
		log_info("ignored an invitation that did not come from a room");
		goto out;
	}
	if (dec) {
		char *who = core_clean(xmpp_stanza_get_attribute(dec, "from"));
		char *croom = core_clean(room);
		char *why = st_child_text(dec, "reason"), *cwhy = core_clean(why);

		core_info(core, NO_CAUSE, "%s declined your invitation to %s%s%s",
		          who ? who : "someone", croom ? croom : "?", cwhy ? ": " : "",
		          cwhy ? cwhy : "");
		free(who);
		free(croom);
		free(why);
		free(cwhy);
		goto out;
	}
	reason = st_child_text(inv, "reason");
	password = st_child_text(x, "password");
	emit_invite(core, room,
	            xmpp_stanza_get_attribute(inv, "from") ? xmpp_stanza_get_attribute(inv, "from")
	                                                   : room,
	            reason, password, false);
	free(reason);
	free(password);
out:
	free(room);
	free(res);
	return CORE_STOP;
}

/* Guard: a XEP-0249 direct invitation. */
static int on_direct(struct core *core, xmpp_stanza_t *st)
{
	xmpp_stanza_t *x = xmpp_stanza_get_child_by_name_and_ns(st, "x", NS_CONFERENCE);
	const char *room = xmpp_stanza_get_attribute(x, "jid"), *from = xmpp_stanza_get_from(st);
	const char *type = xmpp_stanza_get_type(st);
	char *bare = NULL, *res = NULL;

	if (type && !strcmp(type, "error"))
		return CORE_PASS;
	if (!from || muc_split(room, &bare, &res) || res) {
		log_info("ignored a direct invitation without a valid room");
	} else {
		emit_invite(core, bare, from, xmpp_stanza_get_attribute(x, "reason"),
		            xmpp_stanza_get_attribute(x, "password"), true);
	}
	free(bare);
	free(res);
	return CORE_STOP;
}

/* ---- configuration ---- */

struct form {
	struct nt_form_field *f;
	size_t n;
	char **strs; /* everything the fields point to */
	size_t nstrs;
	const char **lists; /* values and options, in blocks */
	size_t nlists;
};

static void form_free(struct form *fm)
{
	for (size_t i = 0; i < fm->nstrs; i++)
		free(fm->strs[i]);
	free(fm->strs);
	free(fm->f);
	free(fm->lists);
	memset(fm, 0, sizeof(*fm));
}

static const char *keep(struct form *fm, char *s)
{
	char **g = s ? realloc(fm->strs, (fm->nstrs + 1) * sizeof(*g)) : NULL;

	if (!g) {
		free(s);
		return NULL;
	}
	fm->strs = g;
	g[fm->nstrs++] = s;
	return s;
}

static size_t count_named(xmpp_stanza_t *el, const char *name)
{
	size_t n = 0;

	for (xmpp_stanza_t *c = xmpp_stanza_get_children(el); c; c = xmpp_stanza_get_next(c))
		n += xmpp_stanza_is_tag(c) && xmpp_stanza_get_name(c) &&
		     !strcmp(xmpp_stanza_get_name(c), name);
	return n;
}

/* The texts of el's children called name (inside <option/> for options),
 * sanitised, into a NULL-terminated block of fm->lists; its start. */
static const char *const *read_list(struct form *fm, xmpp_stanza_t *el, const char *name, size_t *n)
{
	size_t want = count_named(el, name), start;

	if (want > MAX_VALUES)
		want = MAX_VALUES;
	start = fm->nlists;
	*n = 0;
	for (xmpp_stanza_t *c = xmpp_stanza_get_children(el); c && *n < want;
	     c = xmpp_stanza_get_next(c)) {
		const char *cn = xmpp_stanza_is_tag(c) ? xmpp_stanza_get_name(c) : NULL;
		char *raw;
		const char *v;

		if (!cn || strcmp(cn, name))
			continue;
		raw = !strcmp(name, "option") ? st_child_text(c, "value") : xmpp_stanza_get_text(c);
		v = keep(fm, core_clean(raw ? raw : ""));
		if (raw && !strcmp(name, "option"))
			free(raw);
		else if (raw)
			xmpp_free(xmpp_stanza_get_context(c), raw);
		if (v)
			fm->lists[fm->nlists++] = v, (*n)++;
	}
	fm->lists[fm->nlists++] = NULL;
	return fm->lists + start;
}

/* Reads a XEP-0004 form; 0 or -1. */
static int form_read(xmpp_stanza_t *x, struct form *fm)
{
	size_t nf = count_named(x, "field"), room = 0;

	memset(fm, 0, sizeof(*fm));
	if (nf > MAX_FIELDS)
		nf = MAX_FIELDS;
	for (xmpp_stanza_t *c = xmpp_stanza_get_children(x); c; c = xmpp_stanza_get_next(c))
		if (xmpp_stanza_is_tag(c) && xmpp_stanza_get_name(c) &&
		    !strcmp(xmpp_stanza_get_name(c), "field"))
			room += 2 +
			        (count_named(c, "value") < MAX_VALUES ? count_named(c, "value")
			                                              : MAX_VALUES) +
			        (count_named(c, "option") < MAX_VALUES ? count_named(c, "option")
			                                               : MAX_VALUES);
	fm->f = calloc(nf ? nf : 1, sizeof(*fm->f));
	fm->lists = calloc(room ? room : 1, sizeof(*fm->lists));
	if (!fm->f || !fm->lists)
		return -1;
	for (xmpp_stanza_t *c = xmpp_stanza_get_children(x); c && fm->n < nf;
	     c = xmpp_stanza_get_next(c)) {
		struct nt_form_field *f;
		const char *var;

		if (!xmpp_stanza_is_tag(c) || !xmpp_stanza_get_name(c) ||
		    strcmp(xmpp_stanza_get_name(c), "field"))
			continue;
		var = xmpp_stanza_get_attribute(c, "var");
		f = &fm->f[fm->n];
		f->var = var ? keep(fm, core_clean(var)) : NULL;
		f->type = keep(fm, core_clean(xmpp_stanza_get_attribute(c, "type")
		                                  ? xmpp_stanza_get_attribute(c, "type")
		                                  : "text-single"));
		f->label = xmpp_stanza_get_attribute(c, "label")
		               ? keep(fm, core_clean(xmpp_stanza_get_attribute(c, "label")))
		               : NULL;
		f->values = read_list(fm, c, "value", &f->nvalues);
		f->options = read_list(fm, c, "option", &f->noptions);
		/* A field without a name is a fixed text: shown, never sent. */
		if (f->type)
			fm->n++;
	}
	return 0;
}

static void emit_config(struct core *core, struct admin_req *q, const struct form *fm)
{
	struct nt_event ev = {.kind = NT_EV_MUC_CONFIG, .origin = q->cause.origin};
	char *room = core_clean(q->room);

	ev.u.muc_config.room = room ? room : q->room;
	ev.u.muc_config.fields = fm->f;
	ev.u.muc_config.count = fm->n;
	core_emit(core, &ev);
	free(room);
}

/* The value /roomconfig gives var, or NULL. */
static const char *given(const struct admin_req *q, const char *var)
{
	size_t n = strlen(var);

	for (size_t i = 0; var && i < q->nset; i++)
		if (!strncmp(q->set[i], var, n) && q->set[i][n] == '=')
			return q->set[i] + n + 1;
	return NULL;
}

static void submit_answer(struct core *core, xmpp_stanza_t *reply, void *ud)
{
	struct admin_req *q = ud;

	if (core_iq_failed(core, q->cause, q->room, reply))
		;
	else if (q->created)
		core_info(core, q->cause,
		          "%s: created (an instant room, as the service configures "
		          "new rooms)",
		          q->room);
	else
		core_info(core, q->cause, "%s: configuration saved%s", q->room,
		          q->nset ? "" : " (the room's defaults)");
	req_free(q);
}

/* Submits the form fm with what q changes; every other field keeps its
 * value (the raw form x, so the values go back exactly as they came). */
static int submit(struct core *core, struct admin_req *q, xmpp_stanza_t *x)
{
	xmpp_stanza_t *iq = xmpp_iq_new(core_ctx(core), "set", NULL), *query, *out;
	int bad = !iq;

	query = iq ? st_add_element(iq, "query", NS_MUC_OWNER) : NULL;
	out = query ? st_add_element(query, "x", NS_DATA) : NULL;
	bad |= !out || xmpp_stanza_set_attribute(out, "type", "submit") != XMPP_EOK;
	for (xmpp_stanza_t *c = x && !bad ? xmpp_stanza_get_children(x) : NULL; c && !bad;
	     c = xmpp_stanza_get_next(c)) {
		const char *var = xmpp_stanza_get_attribute(c, "var"), *type, *v;
		xmpp_stanza_t *field;

		if (!var || !xmpp_stanza_is_tag(c) || strcmp(xmpp_stanza_get_name(c), "field"))
			continue;
		type = xmpp_stanza_get_attribute(c, "type");
		if (type && !strcmp(type, "fixed"))
			continue;
		field = st_add_element(out, "field", NULL);
		bad |= !field || xmpp_stanza_set_attribute(field, "var", var) != XMPP_EOK;
		if (bad)
			break;
		if ((v = given(q, var))) {
			bool multi = type && strstr(type, "-multi");

			/* list-multi and jid-multi: values separated by commas */
			for (const char *p = v; !bad;) {
				size_t n = multi ? strcspn(p, ",") : strlen(p);
				char *one = strndup(p, n);

				bad |= !one || st_add_text(field, "value", one);
				free(one);
				if (!p[n])
					break;
				p += n + 1;
			}
			continue;
		}
		for (xmpp_stanza_t *val = xmpp_stanza_get_children(c); val && !bad;
		     val = xmpp_stanza_get_next(val)) {
			char *text;

			if (!xmpp_stanza_is_tag(val) || strcmp(xmpp_stanza_get_name(val), "value"))
				continue;
			text = xmpp_stanza_get_text(val);
			bad |= st_add_text(field, "value", text ? text : "");
			if (text)
				xmpp_free(xmpp_stanza_get_context(val), text);
		}
	}
	if (bad) {
		if (iq)
			xmpp_stanza_release(iq);
		core_error(core, q->cause, "internal-server-error", "out of memory");
		req_free(q);
		return -1;
	}
	return send_req(core, iq, q, submit_answer);
}

static void form_answer(struct core *core, xmpp_stanza_t *reply, void *ud)
{
	struct admin_req *q = ud;
	xmpp_stanza_t *query, *x = NULL;
	struct form fm;

	if (core_iq_failed(core, q->cause, q->room, reply)) {
		req_free(q);
		return;
	}
	query = xmpp_stanza_get_child_by_ns(reply, NS_MUC_OWNER);
	if (query)
		x = xmpp_stanza_get_child_by_name_and_ns(query, "x", NS_DATA);
	if (!x) {
		core_error(core, q->cause, "feature-not-implemented",
		           "%s sent no configuration form", q->room);
		req_free(q);
		return;
	}
	if (q->submit) {
		submit(core, q, x);
		return;
	}
	if (form_read(x, &fm))
		core_error(core, q->cause, "internal-server-error", "out of memory");
	else
		emit_config(core, q, &fm);
	form_free(&fm);
	req_free(q);
}

static int ask_form(struct core *core, struct admin_req *q)
{
	xmpp_stanza_t *iq = xmpp_iq_new(core_ctx(core), "get", NULL);

	if (!iq || !st_add_element(iq, "query", NS_MUC_OWNER)) {
		if (iq)
			xmpp_stanza_release(iq);
		core_error(core, q->cause, "internal-server-error", "out of memory");
		req_free(q);
		return -1;
	}
	return send_req(core, iq, q, form_answer);
}

/* An instant room (§10.1.2): an empty form accepts every default. */
static int instant(struct core *core, struct admin_req *q)
{
	return submit(core, q, NULL);
}

void muc_admin_created(struct core *core, struct muc_room *r)
{
	struct admin_req *q = req_new(core, r->cause, r->jid, NULL);

	if (!q)
		return;
	if (r->configure) {
		core_info(core, r->cause,
		          "%s was created and stays locked until you configure it: "
		          "/roomconfig %s VAR=VALUE ... (or /roomconfig %s default)",
		          r->cjid, r->cjid, r->cjid);
		ask_form(core, q);
		return;
	}
	q->created = true;
	instant(core, q);
}

/* /roomconfig [ROOM] [default | VAR=VALUE ...] */
static int cmd_roomconfig(struct cmd_call *call)
{
	struct core *core = CALL_CORE(call);
	struct muc_room *r = call->argc ? muc_room_find(core, call->argv[0]) : NULL;
	const char *cur = core_current_chat(core), *rest;
	struct admin_req *q;
	char *text = NULL;

	if (r && !strchr(call->argv[0], '/')) {
		rest = call->argc > 1 ? call->argv[1] : "";
	} else if (cur && !strchr(cur, '/') && (r = muc_room_find(core, cur))) {
		if (asprintf(&text, "%s%s%s", call->argc ? call->argv[0] : "",
		             call->argc > 1 ? " " : "", call->argc > 1 ? call->argv[1] : "") < 0)
			return -1;
		rest = text;
	} else {
		core_error(core, CAUSE(call), "item-not-found", "%s is not a room you are in",
		           call->argc ? call->argv[0] : "this window");
		return -1;
	}
	q = req_new(core, CAUSE(call), r->jid, NULL);
	if (!q) {
		free(text);
		return -1;
	}
	if (!strcmp(rest, "default")) {
		q->submit = true;
		free(text);
		return instant(core, q);
	}
	/* VAR=VALUE, a value in double quotes when it has spaces */
	for (const char *p = rest; *p;) {
		const char *eq = strchr(p, '='), *end;
		char *one, **g;

		if (!eq || eq == p || strchr(p, ' ') < eq) {
			core_error(core, CAUSE(call), "bad-request",
			           "expected VAR=VALUE (or default), got '%.*s'",
			           (int)strcspn(p, " "), p);
			req_free(q);
			free(text);
			return -1;
		}
		if (eq[1] == '"' && (end = strchr(eq + 2, '"'))) {
			if (asprintf(&one, "%.*s=%.*s", (int)(eq - p), p, (int)(end - eq - 2),
			             eq + 2) < 0)
				one = NULL;
			end++;
		} else {
			end = eq + strcspn(eq, " ");
			one = strndup(p, (size_t)(end - p));
		}
		g = one ? realloc(q->set, (q->nset + 1) * sizeof(*g)) : NULL;
		if (!g) {
			free(one);
			core_error(core, CAUSE(call), "internal-server-error", "out of memory");
			req_free(q);
			free(text);
			return -1;
		}
		q->set = g;
		q->set[q->nset++] = one;
		p = end + strspn(end, " ");
	}
	q->submit = q->nset > 0;
	free(text);
	return ask_form(core, q);
}

static const struct cmd_entry commands[] = {
    {.name = "invite",
     .usage = "[ROOM] JID [REASON]",
     .help = "invite someone to a room",
     .min_args = 1,
     .max_args = 3,
     .rest = true,
     .complete = {"@jid", "@jid"},
     .flags = CMD_ONLINE,
     .exec = cmd_invite},
    {.name = "kick",
     .usage = "[ROOM] NICK [REASON]",
     .help = "kick an occupant out of a room",
     .min_args = 1,
     .max_args = 3,
     .rest = true,
     .complete = {"@jid"},
     .flags = CMD_ONLINE,
     .exec = cmd_kick},
    {.name = "ban",
     .usage = "[ROOM] JID [REASON]",
     .help = "ban someone from a room",
     .min_args = 1,
     .max_args = 3,
     .rest = true,
     .complete = {"@jid", "@jid"},
     .flags = CMD_ONLINE,
     .exec = cmd_ban},
    {.name = "roomconfig",
     .usage = "[ROOM] [default | VAR=VALUE ...]",
     .help = "show a room's configuration form, or change fields of it (owners)",
     .max_args = 2,
     .rest = true,
     .complete = {"@jid"},
     .flags = CMD_ONLINE,
     .exec = cmd_roomconfig},
};

static const struct core_handler handlers[] = {
    {CORE_GUARD, "message", NULL, NS_MUC_USER, on_mediated},
    {CORE_GUARD, "message", NULL, NS_CONFERENCE, on_direct},
};

static const char *const features[] = {NS_CONFERENCE, NULL};

const struct core_module muc_admin_module = {
    .name = "muc_admin",
    .title = "Rooms",
    .commands = commands,
    .ncommands = COUNT(commands),
    .handlers = handlers,
    .nhandlers = COUNT(handlers),
    .features = features,
};
