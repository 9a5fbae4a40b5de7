/* XEP-0054 vcard-temp: /vcard [JID] shows a vCard flattened to the common
 * fields; /vcard set FIELD VALUE changes one field of ours and keeps the
 * rest.  A client does not serve vcard-temp (the server does), so nothing
 * here is announced in disco. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core_internal.h"
#include "core/roster.h"
#include "core/vcard.h"
#include "util/jid.h"
#include "util/log.h"
#include "util/text.h"
#include "xmpp/stanza.h"

#define NS_VCARD           "vcard-temp"
#define REQUEST_TIMEOUT_MS 30000
/* Children of a vCard looked at: bounds the work a hostile one causes. */
#define MAX_CHILDREN 10000

/* Fields with their value as the element's text. */
static const char *const simple_fields[] = {"FN",    "NICKNAME", "BDAY",     "URL", "NOTE", "DESC",
                                            "TITLE", "ROLE",     "JABBERID", "TZ",  NULL};

/* Fields whose value sits in a child: EMAIL/USERID, TEL/NUMBER, ORG/ORGNAME. */
static const struct {
	const char *name, *part, *flag; /* flag: the type child a new one gets */
} compound_fields[] = {
    {"EMAIL", "USERID", "INTERNET"},
    {"TEL", "NUMBER", "VOICE"},
    {"ORG", "ORGNAME", NULL},
};

static const char *const adr_parts[] = {"POBOX",  "EXTADD", "STREET", "LOCALITY",
                                        "REGION", "PCODE",  "CTRY",   NULL};
static const char *const n_parts[] = {"PREFIX", "GIVEN", "MIDDLE", "FAMILY", "SUFFIX", NULL};

struct vcard_req {
	struct core *core;
	struct core_cause cause;
	char *to;            /* NULL: our own */
	char *field, *value; /* /vcard set */
};

static void req_free(struct vcard_req *r)
{
	free(r->to);
	free(r->field);
	free(r->value);
	free(r);
}

static bool is_tag(xmpp_stanza_t *c, const char *name)
{
	const char *n = xmpp_stanza_is_tag(c) ? xmpp_stanza_get_name(c) : NULL;

	return n && !strcmp(n, name);
}

/* Reports a failed request; returns 1 when reply was a failure. */
static int report_failure(struct vcard_req *r, xmpp_stanza_t *reply)
{
	return core_iq_failed(r->core, r->cause, r->to, reply);
}

/* ---- reading ---- */

struct flat {
	struct nt_field *f;
	size_t n, cap;
	bool oom;
};

/* Adds name=value (sanitised); a repeated name (two EMAILs) gets its
 * values joined, since the event holds one value per name. */
static void flat_add(struct flat *fl, const char *name, const char *value)
{
	char *clean, *joined;

	if (fl->oom || !value || !*value)
		return;
	if (!(clean = core_clean(value))) {
		fl->oom = true;
		return;
	}
	for (size_t i = 0; i < fl->n; i++) {
		if (strcmp(fl->f[i].name, name))
			continue;
		if (asprintf(&joined, "%s; %s", fl->f[i].value, clean) < 0) {
			fl->oom = true;
		} else {
			free((char *)fl->f[i].value);
			fl->f[i].value = joined;
		}
		free(clean);
		return;
	}
	if (fl->n == fl->cap) {
		size_t cap = fl->cap ? fl->cap * 2 : 8;
		struct nt_field *bigger = realloc(fl->f, cap * sizeof(*bigger));

		if (!bigger) {
			fl->oom = true;
			free(clean);
			return;
		}
		fl->f = bigger;
		fl->cap = cap;
	}
	fl->f[fl->n++] = (struct nt_field){name, clean};
}

static void flat_clear(struct flat *fl)
{
	for (size_t i = 0; i < fl->n; i++)
		free((char *)fl->f[i].value);
	free(fl->f);
}

/* The texts of the children named in parts, joined by sep. */
static char *join_parts(xmpp_stanza_t *el, const char *const *parts, const char *sep)
{
	char *out = NULL, *t;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	if (!f)
		return NULL;
	for (int i = 0; parts[i]; i++) {
		t = st_child_text(el, parts[i]);
		if (t && *t)
			fprintf(f, "%s%s", len ? sep : "", t);
		fflush(f);
		free(t);
	}
	if (fclose(f)) {
		free(out);
		return NULL;
	}
	return out;
}

/* PHOTO as its type and size: the picture itself is not text. */
static char *photo_summary(xmpp_stanza_t *el)
{
	char *type = st_child_text(el, "TYPE"), *bin = st_child_text(el, "BINVAL"), *s = NULL;
	size_t n = 0, pad = 0, bytes;

	if (bin) {
		for (const char *p = bin; *p; p++) {
			if (*p == '=')
				pad++;
			else if (!strchr(" \t\r\n", *p))
				n++;
		}
		bytes = (n + pad) / 4 * 3;
		bytes = bytes > pad ? bytes - pad : 0;
		if (asprintf(&s, "%s, %zu bytes", type ? type : "image", bytes) < 0)
			s = NULL;
	} else if (asprintf(&s, "%s, external", type ? type : "image") < 0) {
		s = NULL;
	}
	free(type);
	free(bin);
	return s;
}

#define NCOMPOUND (sizeof(compound_fields) / sizeof(*compound_fields))

/* The flat value of one vCard child (malloc'd) and its field name, or NULL
 * when it is not one we show. */
static char *child_value(xmpp_stanza_t *c, const char **field)
{
	const char *name = xmpp_stanza_get_name(c);
	char *raw, *v;

	for (size_t i = 0; simple_fields[i]; i++)
		if (!strcmp(name, simple_fields[i])) {
			*field = simple_fields[i];
			raw = xmpp_stanza_get_text(c);
			v = raw ? strdup(raw) : NULL;
			if (raw)
				xmpp_free(xmpp_stanza_get_context(c), raw);
			return v;
		}
	for (size_t i = 0; i < NCOMPOUND; i++)
		if (!strcmp(name, compound_fields[i].name)) {
			*field = compound_fields[i].name;
			return st_child_text(c, compound_fields[i].part);
		}
	if (!strcmp(name, "ADR")) {
		*field = "ADR";
		return join_parts(c, adr_parts, ", ");
	}
	if (!strcmp(name, "N")) {
		*field = "N";
		return join_parts(c, n_parts, " ");
	}
	if (!strcmp(name, "PHOTO")) {
		*field = "PHOTO";
		return photo_summary(c);
	}
	return NULL;
}

static void flatten(struct flat *fl, xmpp_stanza_t *vcard)
{
	size_t seen = 0;

	for (xmpp_stanza_t *c = vcard ? xmpp_stanza_get_children(vcard) : NULL;
	     c && seen < MAX_CHILDREN; c = xmpp_stanza_get_next(c), seen++) {
		const char *field = NULL;
		char *v = xmpp_stanza_is_tag(c) ? child_value(c, &field) : NULL;

		if (v)
			flat_add(fl, field, v);
		free(v);
	}
}

/* Our bare JID: whose vCard answers a get without "to". */
static char *own_bare(struct core *core)
{
	return jid_bare_of(core_jid(core), NULL);
}

static void get_answer(struct core *core, xmpp_stanza_t *reply, void *ud)
{
	struct vcard_req *r = ud;
	struct nt_event ev = {.kind = NT_EV_VCARD, .origin = r->cause.origin};
	struct flat fl = {0};
	char *from = NULL, *bare = NULL;

	if (report_failure(r, reply))
		goto out;
	flatten(&fl, xmpp_stanza_get_child_by_ns(reply, NS_VCARD));
	from = core_clean(xmpp_stanza_get_from(reply));
	if (!from)
		from = core_clean(r->to ? r->to : (bare = own_bare(r->core)));
	if (fl.oom || !from) {
		core_error(core, r->cause, "internal-server-error", "out of memory");
		goto out;
	}
	ev.u.vcard.from = from;
	ev.u.vcard.fields = fl.f;
	ev.u.vcard.count = fl.n;
	core_emit(r->core, &ev);
out:
	flat_clear(&fl);
	free(from);
	free(bare);
	req_free(r);
}

/* Sends <iq type=type [to=to]> with payload (taken) or an empty vCard. */
static int send_iq(struct vcard_req *r, const char *type, xmpp_stanza_t *payload, core_iq_fn fn)
{
	xmpp_ctx_t *ctx = core_ctx(r->core);
	xmpp_stanza_t *iq = xmpp_iq_new(ctx, type, NULL);

	if (!payload)
		payload = st_element(ctx, "vCard", NS_VCARD);
	if (!iq || !payload || (r->to && xmpp_stanza_set_to(iq, r->to)) ||
	    xmpp_stanza_add_child_ex(iq, payload, 0)) {
		if (iq)
			xmpp_stanza_release(iq);
		if (payload)
			xmpp_stanza_release(payload);
		core_error(r->core, r->cause, "internal-server-error", "out of memory");
		return -1;
	}
	if (core_iq_send(r->core, iq, REQUEST_TIMEOUT_MS, fn, r)) {
		core_error(r->core, r->cause, "not-connected", "not sent: not connected");
		return -1;
	}
	return 0;
}

static struct vcard_req *req_new(struct cmd_call *call)
{
	struct vcard_req *r = calloc(1, sizeof(*r));

	if (!r) {
		core_error(CALL_CORE(call), CAUSE(call), "internal-server-error", "out of memory");
		return NULL;
	}
	r->core = CALL_CORE(call);
	r->cause = CAUSE(call);
	return r;
}

static int cmd_get(struct cmd_call *call)
{
	struct vcard_req *r = req_new(call);

	if (!r)
		return -1;
	if (call->argc) {
		r->to = roster_resolve(CALL_CORE(call), CAUSE(call), call->argv[0]);
		if (!r->to) {
			req_free(r);
			return -1;
		}
	}
	if (send_iq(r, "get", NULL, get_answer)) {
		req_free(r);
		return -1;
	}
	return 0;
}

/* ---- /vcard set ---- */

/* Appends a deep copy of c to parent; 0 or -1. */
static int add_copy(xmpp_stanza_t *parent, xmpp_stanza_t *c)
{
	/* vCard elements nest two or three deep; a server's answer deeper than
	 * this is not one. */
	xmpp_stanza_t *copy = st_copy_into(xmpp_stanza_get_context(parent), c, 8);

	if (!copy || xmpp_stanza_add_child_ex(parent, copy, 0)) {
		if (copy)
			xmpp_stanza_release(copy);
		return -1;
	}
	return 0;
}

/* A copy of the compound element c (EMAIL, TEL, ORG) with its value part
 * replaced; appended to parent. */
static int add_replaced(xmpp_stanza_t *parent, xmpp_stanza_t *c, const char *part,
                        const char *value)
{
	xmpp_stanza_t *el = st_add_element(parent, xmpp_stanza_get_name(c), NULL);
	int bad = !el;

	for (xmpp_stanza_t *k = c ? xmpp_stanza_get_children(c) : NULL; k && !bad;
	     k = xmpp_stanza_get_next(k))
		if (!is_tag(k, part))
			bad |= add_copy(el, k);
	return bad || st_add_text(el, part, value);
}

/* Our vCard with field set to value: every other child is kept as it
 * was.  A simple field replaces all of its kind; a compound one (EMAIL,
 * TEL, ORG) changes the first, keeping its type flags and the others.
 * A new reference, or NULL on ENOMEM. */
static xmpp_stanza_t *vcard_with(xmpp_ctx_t *ctx, xmpp_stanza_t *old, const char *field,
                                 const char *value)
{
	xmpp_stanza_t *vc = st_element(ctx, "vCard", NS_VCARD), *el;
	const char *part = NULL, *flag = NULL;
	bool done = false;
	int bad = !vc;
	size_t seen = 0;

	for (size_t i = 0; i < NCOMPOUND; i++)
		if (!strcmp(field, compound_fields[i].name)) {
			part = compound_fields[i].part;
			flag = compound_fields[i].flag;
		}
	for (xmpp_stanza_t *c = old ? xmpp_stanza_get_children(old) : NULL;
	     c && !bad && seen < MAX_CHILDREN; c = xmpp_stanza_get_next(c), seen++) {
		if (!is_tag(c, field))
			bad |= add_copy(vc, c);
		else if (part && !done)
			bad |= add_replaced(vc, c, part, value);
		else if (part)
			bad |= add_copy(vc, c);
		else if (!done)
			bad |= st_add_text(vc, field, value);
		done |= is_tag(c, field);
	}
	if (!bad && !done) {
		if (!part) {
			bad = st_add_text(vc, field, value);
		} else {
			el = st_add_element(vc, field, NULL);
			bad = !el || (flag && !st_add_element(el, flag, NULL)) ||
			      st_add_text(el, part, value);
		}
	}
	if (bad && vc) {
		xmpp_stanza_release(vc);
		return NULL;
	}
	return vc;
}

static void set_answer(struct core *core, xmpp_stanza_t *reply, void *ud)
{
	struct vcard_req *r = ud;

	if (!report_failure(r, reply))
		core_info(core, r->cause, "vCard updated: %s set", r->field);
	req_free(r);
}

static void fetched_for_set(struct core *core, xmpp_stanza_t *reply, void *ud)
{
	struct vcard_req *r = ud;
	xmpp_stanza_t *old = NULL, *vc;
	const char *type = reply ? xmpp_stanza_get_type(reply) : NULL;

	/* item-not-found: no vCard yet, so we start from an empty one. */
	if (type && !strcmp(type, "error") &&
	    !strcmp(st_error_condition(reply, NULL), "item-not-found")) {
		log_info("no vCard stored yet: starting an empty one");
	} else if (report_failure(r, reply)) {
		req_free(r);
		return;
	} else {
		old = xmpp_stanza_get_child_by_ns(reply, NS_VCARD);
	}
	vc = vcard_with(core_ctx(core), old, r->field, r->value);
	if (!vc) {
		core_error(core, r->cause, "internal-server-error", "out of memory");
		req_free(r);
		return;
	}
	if (send_iq(r, "set", vc, set_answer))
		req_free(r);
}

/* Whether /vcard set knows field (upper case). */
static bool settable(const char *field)
{
	for (size_t i = 0; simple_fields[i]; i++)
		if (!strcmp(field, simple_fields[i]))
			return true;
	for (size_t i = 0; i < NCOMPOUND; i++)
		if (!strcmp(field, compound_fields[i].name))
			return true;
	return false;
}

static int cmd_set(struct cmd_call *call)
{
	struct vcard_req *r = req_new(call);

	if (!r)
		return -1;
	r->field = strdup(call->argv[0]);
	r->value = text_xml_safe(call->argv[1]);
	if (!r->field || !r->value) {
		core_error(CALL_CORE(call), CAUSE(call), "internal-server-error", "out of memory");
		req_free(r);
		return -1;
	}
	for (char *p = r->field; *p; p++)
		*p = (char)((*p >= 'a' && *p <= 'z') ? *p - 'a' + 'A' : *p);
	if (!settable(r->field)) {
		core_error(CALL_CORE(call), CAUSE(call), "bad-request",
		           "cannot set %s: one of FN, NICKNAME, BDAY, URL, NOTE, DESC, TITLE, "
		           "ROLE, JABBERID, TZ, EMAIL, TEL, ORG",
		           r->field);
		req_free(r);
		return -1;
	}
	if (send_iq(r, "get", NULL, fetched_for_set)) {
		req_free(r);
		return -1;
	}
	return 0;
}

static const struct cmd_entry commands[] = {
    {.name = "vcard",
     .usage = "[JID]",
     .help = "show a vCard (yours without JID)",
     .max_args = 1,
     .complete = {"@jid"},
     .flags = CMD_ONLINE,
     .exec = cmd_get},
    {.name = "vcard set",
     .usage = "FIELD VALUE",
     .help = "set a field of your vCard (FN, NICKNAME, EMAIL, URL, BDAY, NOTE, ...)",
     .min_args = 2,
     .max_args = 2,
     .rest = true,
     .complete = {"FN|NICKNAME|EMAIL|URL|BDAY|NOTE|TEL|TITLE|ORG"},
     .flags = CMD_ONLINE,
     .exec = cmd_set},
};

const struct core_module vcard_module = {
    .name = "vcard",
    .title = "vCards",
    .commands = commands,
    .ncommands = COUNT(commands),
};
