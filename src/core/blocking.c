/* XEP-0191 Blocking Command.
 *
 * The server does the blocking: it drops what a blocked JID sends us and
 * tells it nothing of us.  natter keeps the list (fetched at every fresh
 * login, kept in step by the pushes the server sends every client of the
 * account), and its guard drops whatever still comes from a blocked JID:
 * stanzas already in flight, copies from our other clients, messages in
 * the archive from before the block.  A server without XEP-0191 cannot
 * block, and natter says so rather than pretend. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uthash.h>

#include "core/blocking.h"
#include "core/core_internal.h"
#include "core/disco.h"
#include "util/jid.h"
#include "util/log.h"
#include "xmpp/stanza.h"

#define REQUEST_TIMEOUT_MS 30000
/* Entries kept for the guard; beyond, the server still blocks them. */
#define MAX_BLOCKED 10000
#define MAX_PENDING 32

struct blocked {
	char *key; /* the comparison key of the JID (see item_key) */
	char *jid; /* as the server listed it, sanitised */
	UT_hash_handle hh;
};

enum op { OP_BLOCK, OP_UNBLOCK, OP_LIST };

/* A command waiting to learn whether the server can block. */
struct pending {
	unsigned serial;
	enum op op;
	struct core_cause cause;
	char *jid; /* NULL for OP_LIST */
};

/* A request sent, until its answer. */
struct request {
	struct core *core;
	enum op op;
	struct core_cause cause;
	char *jid;
};

struct blocking_state {
	struct blocked *items; /* in the server's order */
	size_t n;
	struct pending *pending;
	size_t npending;
	unsigned next_serial;
};

static struct blocking_state *bst(struct core *core)
{
	return core_state(core, &blocking_module);
}

/* The key of a JID for comparing: its bare part as jid_bare_key() has it,
 * then "/resource" when it has one.  malloc'd, or NULL when invalid. */
static char *item_key(const char *jid)
{
	char *bare = jid_bare_key(jid, NULL), *key = NULL;
	const char *res = strchr(jid, '/');

	if (bare && asprintf(&key, "%s%s", bare, res ? res : "") < 0)
		key = NULL;
	free(bare);
	return key;
}

static struct blocked *lookup(struct blocking_state *bs, const char *key)
{
	struct blocked *b = NULL;

	if (key)
		HASH_FIND_STR(bs->items, key, b);
	return b;
}

/* 1 added, 0 there already (or too many), -1 on error. */
static int add_item(struct blocking_state *bs, const char *raw)
{
	char *key = item_key(raw);
	struct blocked *b;

	if (!key)
		return -1;
	if (lookup(bs, key) || bs->n == MAX_BLOCKED) {
		if (bs->n == MAX_BLOCKED)
			log_warn("blocklist: more than %d entries; natter only checks the first",
			         MAX_BLOCKED);
		free(key);
		return 0;
	}
	b = calloc(1, sizeof(*b));
	if (!b || !(b->jid = core_clean(raw))) {
		free(b);
		free(key);
		return -1;
	}
	b->key = key;
	HASH_ADD_KEYPTR(hh, bs->items, b->key, strlen(b->key), b);
	bs->n++;
	return 1;
}

static void drop_item(struct blocking_state *bs, struct blocked *b)
{
	HASH_DEL(bs->items, b);
	bs->n--;
	free(b->key);
	free(b->jid);
	free(b);
}

static void clear(struct blocking_state *bs)
{
	struct blocked *b, *tmp;

	HASH_ITER(hh, bs->items, b, tmp)
	drop_item(bs, b);
}

/* Whether from is blocked: the item may name the full JID, the bare JID,
 * the domain, or the domain with that resource (XEP-0191 §3.3.1). */
static bool is_blocked(struct core *core, const char *from)
{
	struct blocking_state *bs = bst(core);
	char *bare, *key = NULL, *dom = NULL;
	const char *res, *domain;
	bool hit;

	if (!bs || !bs->n || !from)
		return false;
	bare = jid_bare_key(from, NULL);
	if (!bare)
		return false;
	res = strchr(from, '/');
	domain = strchr(bare, '@') ? strchr(bare, '@') + 1 : bare;
	hit = lookup(bs, bare) || lookup(bs, domain);
	if (!hit && res && asprintf(&key, "%s%s", bare, res) >= 0 &&
	    asprintf(&dom, "%s%s", domain, res) >= 0)
		hit = lookup(bs, key) || lookup(bs, dom);
	free(key);
	free(dom);
	free(bare);
	return hit;
}

static void emit_list(struct core *core, struct core_cause cause)
{
	struct blocking_state *bs = bst(core);
	struct nt_event ev = {.kind = NT_EV_BLOCKLIST, .origin = cause.origin};
	const char **items = calloc(bs->n + 1, sizeof(*items));
	struct blocked *b;
	size_t i = 0;

	if (!items) {
		core_error(core, cause, "internal-server-error", "out of memory");
		return;
	}
	for (b = bs->items; b; b = b->hh.next)
		items[i++] = b->jid;
	ev.u.blocklist.items = items;
	ev.u.blocklist.count = i;
	core_emit(core, &ev);
	free(items);
}

/* Applies the <item/>s of a <block/> or <unblock/> (an <unblock/> without
 * items unblocks everyone); whether anything changed. */
static bool apply(struct blocking_state *bs, xmpp_stanza_t *el, bool block)
{
	bool changed = false, any = false;

	for (xmpp_stanza_t *c = xmpp_stanza_get_children(el); c; c = xmpp_stanza_get_next(c)) {
		const char *name = xmpp_stanza_get_name(c), *jid;

		if (!xmpp_stanza_is_tag(c) || !name || strcmp(name, "item") ||
		    !(jid = xmpp_stanza_get_attribute(c, "jid")))
			continue;
		any = true;
		if (block) {
			changed |= add_item(bs, jid) > 0;
		} else {
			char *key = item_key(jid);
			struct blocked *b = lookup(bs, key);

			if (b) {
				drop_item(bs, b);
				changed = true;
			}
			free(key);
		}
	}
	if (!block && !any && bs->n) {
		clear(bs);
		changed = true;
	}
	return changed;
}

/* ---- requests ---- */

static void request_free(struct request *r)
{
	free(r->jid);
	free(r);
}

static void on_answer(struct core *core, xmpp_stanza_t *reply, void *ud)
{
	struct request *r = ud;
	struct blocking_state *bs = bst(core);
	xmpp_stanza_t *list;

	if (!bs) {
		request_free(r);
		return;
	}
	/* The login's own fetch has no command to answer: a server without
	 * XEP-0191 answers it with an error, which is no news. */
	if (!r->cause.command && (!reply || !xmpp_stanza_get_type(reply) ||
	                          strcmp(xmpp_stanza_get_type(reply), "result"))) {
		log_info("blocklist: %s", reply ? st_error_condition(reply, NULL) : "no answer");
		clear(bs);
		request_free(r);
		return;
	}
	if (core_iq_failed(core, r->cause, NULL, reply)) {
		request_free(r);
		return;
	}
	switch (r->op) {
	case OP_BLOCK:
		add_item(bs, r->jid);
		break;
	case OP_UNBLOCK: {
		char *key = item_key(r->jid);
		struct blocked *b = lookup(bs, key);

		if (b)
			drop_item(bs, b);
		free(key);
		break;
	}
	case OP_LIST:
		list = xmpp_stanza_get_child_by_name_and_ns(reply, "blocklist", NS_BLOCKING);
		clear(bs);
		if (list)
			apply(bs, list, true);
		break;
	}
	/* The login's own fetch has no command to answer. */
	if (r->cause.command)
		emit_list(core, r->cause);
	request_free(r);
}

static int send_request(struct core *core, enum op op, const char *jid, struct core_cause cause)
{
	static const char *const names[] = {"block", "unblock", "blocklist"};
	struct request *r = calloc(1, sizeof(*r));
	xmpp_stanza_t *iq = xmpp_iq_new(core_ctx(core), op == OP_LIST ? "get" : "set", NULL);
	xmpp_stanza_t *el = iq ? st_add_element(iq, names[op], NS_BLOCKING) : NULL, *item;

	item = el && jid ? st_add_element(el, "item", NULL) : NULL;
	if (!r || !el ||
	    (jid &&
	     (!item || xmpp_stanza_set_attribute(item, "jid", jid) || !(r->jid = strdup(jid))))) {
		if (iq)
			xmpp_stanza_release(iq);
		free(r ? r->jid : NULL);
		free(r);
		core_error(core, cause, "internal-server-error", "out of memory");
		return -1;
	}
	r->core = core;
	r->op = op;
	r->cause = cause;
	if (core_iq_send(core, iq, REQUEST_TIMEOUT_MS, on_answer, r)) {
		core_error(core, cause, "not-connected", "not sent: not connected");
		request_free(r);
		return -1;
	}
	return 0;
}

/* disco_check_feature's answer for a waiting command (ud: its serial). */
static void on_checked(struct core *core, const char *jid, int supported, void *ud)
{
	struct blocking_state *bs = bst(core);
	unsigned serial = (unsigned)(uintptr_t)ud;
	struct pending p;
	size_t i;

	(void)jid;
	for (i = 0; bs && i < bs->npending && bs->pending[i].serial != serial; i++)
		;
	if (!bs || i == bs->npending)
		return;
	p = bs->pending[i];
	bs->pending[i] = bs->pending[--bs->npending];
	if (supported == 1)
		send_request(core, p.op, p.jid, p.cause);
	else if (supported == 0)
		core_error(core, p.cause, "feature-not-implemented",
		           "your server does not support blocking (XEP-0191): %s",
		           p.op == OP_LIST    ? "it keeps no list of blocked JIDs"
		           : p.op == OP_BLOCK ? "nobody can be blocked"
		                              : "nobody is blocked");
	else
		core_error(core, p.cause, "remote-server-timeout",
		           "could not learn whether your server supports blocking (XEP-0191)");
	free(p.jid);
}

/* Every command first learns whether the server can block (disco#info,
 * asked once a session). */
static int start(struct cmd_call *call, enum op op)
{
	struct core *core = CALL_CORE(call);
	struct blocking_state *bs = bst(core);
	struct pending *grown, *p;
	char *jid = NULL;
	unsigned serial;

	if (op != OP_LIST && !(jid = core_checked_jid(core, CAUSE(call), call->argv[0])))
		return -1;
	if (bs->npending == MAX_PENDING ||
	    !(grown = realloc(bs->pending, (bs->npending + 1) * sizeof(*grown)))) {
		core_error(core, CAUSE(call), "resource-constraint", "too many requests under way");
		free(jid);
		return -1;
	}
	bs->pending = grown;
	serial = ++bs->next_serial;
	p = &bs->pending[bs->npending++];
	*p = (struct pending){.serial = serial, .op = op, .cause = CAUSE(call), .jid = jid};
	if (disco_check_feature(core, NULL, NS_BLOCKING, on_checked, (void *)(uintptr_t)serial))
		on_checked(core, NULL, -1, (void *)(uintptr_t)serial);
	return 0;
}

static int cmd_block(struct cmd_call *call)
{
	return start(call, OP_BLOCK);
}

static int cmd_unblock(struct cmd_call *call)
{
	return start(call, OP_UNBLOCK);
}

static int cmd_blocked(struct cmd_call *call)
{
	return start(call, OP_LIST);
}

/* ---- the session ---- */

/* The list is asked for at once, not after a disco#info round trip: the
 * server answers in order, so it is here before the archive catch-up
 * (asked for next, module order) brings anything to guard against. */
static void blocking_login(struct core *core, const struct core_login *l)
{
	(void)l;
	send_request(core, OP_LIST, NULL, NO_CAUSE);
}

/* What another client of the account blocked or unblocked (or we did:
 * the server tells every client). */
static int on_push(struct core *core, xmpp_stanza_t *iq)
{
	const char *from = xmpp_stanza_get_from(iq);
	xmpp_stanza_t *el = xmpp_stanza_get_child_by_name_and_ns(iq, "block", NS_BLOCKING);
	xmpp_stanza_t *res;
	bool block = el != NULL, changed;

	/* Only our own account speaks for our list. */
	if (from && (strchr(from, '/') || !jid_bare_equal(from, core_account(core)->jid))) {
		core_iq_error(core, iq, "forbidden");
		return CORE_PASS;
	}
	if (!el)
		el = xmpp_stanza_get_child_by_name_and_ns(iq, "unblock", NS_BLOCKING);
	if (!el) {
		core_iq_error(core, iq, "bad-request");
		return CORE_PASS;
	}
	changed = apply(bst(core), el, block);
	res = core_iq_result(core, iq, NULL, NULL);
	if (res)
		core_send(core, res);
	if (changed)
		emit_list(core, CAUSED_BY("blocklist push"));
	return CORE_PASS;
}

/* Nothing from a blocked JID is shown.  Our own account and server are
 * never blocked here (a domain item for our own server would silence the
 * session itself), and a blocked contact going offline still is: the
 * server says so when the block starts, and it ends what we show. */
static int guard(struct core *core, xmpp_stanza_t *st)
{
	const char *from = xmpp_stanza_get_from(st), *type = xmpp_stanza_get_type(st);
	const char *name = xmpp_stanza_get_name(st);
	char *server;
	bool own;

	if (!from || !is_blocked(core, from))
		return CORE_PASS;
	server = core_server(core);
	own = jid_bare_equal(from, core_account(core)->jid) || (server && !strcmp(from, server));
	free(server);
	if (own || (!strcmp(name, "presence") && type && !strcmp(type, "unavailable")))
		return CORE_PASS;
	log_debug("dropped a %s from a blocked JID", name);
	return CORE_STOP;
}

bool blocking_drops(struct core *core, xmpp_stanza_t *st)
{
	return bst(core) && guard(core, st) == CORE_STOP;
}

static int blocking_init(struct core *core)
{
	struct blocking_state *bs = calloc(1, sizeof(*bs));

	if (!bs)
		return -1;
	core_set_state(core, &blocking_module, bs);
	return 0;
}

static void blocking_free(struct core *core)
{
	struct blocking_state *bs = bst(core);

	if (!bs)
		return;
	clear(bs);
	while (bs->npending)
		free(bs->pending[--bs->npending].jid);
	free(bs->pending);
	free(bs);
	core_set_state(core, &blocking_module, NULL);
}

static const struct cmd_entry commands[] = {
    {.name = "block",
     .usage = "JID",
     .help = "block JID: nothing it sends reaches you, nor your presence it (XEP-0191)",
     .min_args = 1,
     .max_args = 1,
     .complete = {"@jid"},
     .flags = CMD_ONLINE,
     .exec = cmd_block},
    {.name = "unblock",
     .usage = "JID",
     .help = "stop blocking JID",
     .min_args = 1,
     .max_args = 1,
     .complete = {"@jid"},
     .flags = CMD_ONLINE,
     .exec = cmd_unblock},
    {.name = "blocked",
     .usage = "",
     .help = "list the JIDs you block",
     .flags = CMD_ONLINE,
     .exec = cmd_blocked},
};

static const struct core_handler handlers[] = {
    {CORE_GUARD, "message", NULL, NULL, guard},       {CORE_GUARD, "presence", NULL, NULL, guard},
    {CORE_GUARD, "iq", "get", NULL, guard},           {CORE_GUARD, "iq", "set", NULL, guard},
    {CORE_HANDLE, "iq", "set", NS_BLOCKING, on_push},
};

const struct core_module blocking_module = {
    .name = "blocking",
    .title = "Blocking",
    .init = blocking_init,
    .free = blocking_free,
    .login = blocking_login,
    .commands = commands,
    .ncommands = COUNT(commands),
    .handlers = handlers,
    .nhandlers = COUNT(handlers),
};
