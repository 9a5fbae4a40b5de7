/* The core thread's side of the XMPP session: dispatch, iq tracking and the
 * outbox on top of the network thread. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <uthash.h>

#include "util/jid.h"
#include "util/log.h"
#include "xmpp/budget.h"
#include "xmpp/session.h"
#include "xmpp/stanza.h"

struct xs_pending_iq {
	char *id; /* hash key */
	char *to; /* addressee, NULL for our own server */
	xs_iq_fn fn;
	void *ud;
	uint64_t timer;
	struct xs *xs;
	UT_hash_handle hh;
};

struct xs_outbox_item {
	struct xs_outbox_item *next;
	xmpp_stanza_t *st;
};

struct xs {
	struct loop *loop;
	struct net *net;
	int report_fd;
	xmpp_ctx_t *ctx;
	struct xs_callbacks cb;
	void *ud;
	struct xs_pending_iq *pending;
	struct xs_outbox_item *out_head, *out_tail;
	/* The last stanza the network thread handed back since the outbox was
	 * last flushed: the next one goes after it, so that several handed
	 * back together keep the order they were sent in. */
	struct xs_outbox_item *requeued;
	size_t outbox_len;
	bool online;
	char *jid;
	struct net_report *dispatching; /* the report whose stanza is being handled */
};

/* Reports handled in one pass of the loop before the terminal's turn. */
#define REPORTS_PER_PASS 256
/* ... and the time they may take before the loop looks at the keys. */
#define REPORTS_MS 5

static void on_reports(struct loop *loop, int fd, short revents, void *ud);

struct xs *xs_new(struct loop *loop, const struct xs_callbacks *cb, void *ud)
{
	struct xs *xs = calloc(1, sizeof(*xs));

	if (!xs)
		return NULL;
	/* No xmpp_initialize(): in libstrophe 0.12 it only initialises OpenSSL
	 * (loading its configuration and every error string: 2 MB resident
	 * before natter has connected anywhere) and names the xmppAddr OID,
	 * which libstrophe also does when first needed; OpenSSL 3 initialises
	 * itself when libstrophe makes its first TLS context, at STARTTLS, and
	 * cleans up at exit. */
	xs->loop = loop;
	xs->cb = *cb;
	xs->ud = ud;
	/* Sent on the network thread's connection: see budget_plain_mem(). */
	xs->ctx = xmpp_ctx_new(budget_plain_mem(), NULL);
	if (!xs->ctx)
		goto fail;
	xs->net = net_new(&xs->report_fd);
	if (!xs->net)
		goto fail;
	if (loop_fd_add(loop, xs->report_fd, POLLIN, on_reports, xs))
		goto fail;
	return xs;
fail:
	xs_free(xs);
	return NULL;
}

static void pending_drop(struct xs *xs, struct xs_pending_iq *p)
{
	HASH_DEL(xs->pending, p);
	loop_timer_cancel(xs->loop, p->timer);
	free(p->id);
	free(p->to);
	free(p);
}

void xs_free(struct xs *xs)
{
	struct xs_pending_iq *p, *tmp;
	struct xs_outbox_item *o;

	if (!xs)
		return;
	/* Every stanza the session keeps was built in xs->ctx (st_iq_error
	 * too), which outlives the network thread and its own context. */
	HASH_ITER(hh, xs->pending, p, tmp)
	pending_drop(xs, p);
	while ((o = xs->out_head)) {
		xs->out_head = o->next;
		xmpp_stanza_release(o->st);
		free(o);
	}
	if (xs->net) {
		loop_fd_remove(xs->loop, xs->report_fd);
		net_free(xs->net);
	}
	free(xs->jid);
	if (xs->ctx)
		xmpp_ctx_free(xs->ctx);
	free(xs);
}

xmpp_ctx_t *xs_ctx(struct xs *xs)
{
	return xs->ctx;
}

int xs_connect(struct xs *xs, struct net_params *params)
{
	return net_connect(xs->net, params);
}

void xs_close(struct xs *xs)
{
	net_close(xs->net);
}

int xs_replace(struct xs *xs, struct net_params *params)
{
	xs->online = false;
	return net_replace(xs->net, params);
}

void xs_drop_drained(struct xs *xs)
{
	net_drop_drained(xs->net);
}

void xs_abort(struct xs *xs)
{
	net_abort(xs->net);
}

int xs_register(struct xs *xs, struct net_params *params)
{
	return net_register(xs->net, params);
}

void xs_abort_register(struct xs *xs)
{
	net_abort_register(xs->net);
}

bool xs_online(const struct xs *xs)
{
	return xs->online;
}

const char *xs_jid(const struct xs *xs)
{
	return xs->online ? xs->jid : NULL;
}

char *xs_make_id(void)
{
	unsigned char raw[9];
	char *id = malloc(sizeof(raw) * 2 + 4);

	if (!id)
		return NULL;
	if (getrandom(raw, sizeof raw, 0) != (ssize_t)sizeof raw) {
		/* getrandom() on Linux >= 3.17 does not fail for small sizes
		 * once the pool is ready; stay unique even if it did. */
		static unsigned long counter;

		memset(raw, 0, sizeof raw);
		memcpy(raw, &counter, sizeof counter);
		counter++;
	}
	strcpy(id, "nt-");
	for (size_t i = 0; i < sizeof raw; i++)
		sprintf(id + 3 + 2 * i, "%02x", raw[i]);
	return id;
}

/* ---- outbox ---- */

static int outbox_push(struct xs *xs, xmpp_stanza_t *st, bool front)
{
	struct xs_outbox_item *o = malloc(sizeof(*o));

	if (!o) {
		xmpp_stanza_release(st);
		return -1;
	}
	o->st = st;
	o->next = NULL;
	if (front && xs->requeued) {
		o->next = xs->requeued->next;
		xs->requeued->next = o;
		if (xs->out_tail == xs->requeued)
			xs->out_tail = o;
		xs->requeued = o;
	} else if (front) {
		xs->requeued = o;
		o->next = xs->out_head;
		xs->out_head = o;
		if (!xs->out_tail)
			xs->out_tail = o;
	} else {
		if (xs->out_tail)
			xs->out_tail->next = o;
		else
			xs->out_head = o;
		xs->out_tail = o;
	}
	xs->outbox_len++;
	return 0;
}

static void outbox_flush(struct xs *xs)
{
	struct xs_outbox_item *o;

	xs->requeued = NULL;
	while (xs->online && (o = xs->out_head)) {
		xs->out_head = o->next;
		if (!xs->out_head)
			xs->out_tail = NULL;
		xs->outbox_len--;
		net_send(xs->net, o->st);
		free(o);
	}
}

int xs_send(struct xs *xs, xmpp_stanza_t *st)
{
	if (!xs->online || xs->out_head)
		return outbox_push(xs, st, false);
	return net_send(xs->net, st);
}

int xs_send_nonza(struct xs *xs, const char *xml)
{
	return xs->online ? net_send_nonza(xs->net, xml) : 0;
}

size_t xs_outbox_len(const struct xs *xs)
{
	return xs->outbox_len;
}

/* ---- incoming ---- */

void xs_iq_error(struct xs *xs, xmpp_stanza_t *iq, const char *condition)
{
	xmpp_stanza_t *err = st_iq_error(xs->ctx, iq, condition);

	if (err)
		xs_send(xs, err);
}

/* An answer counts only from the entity we asked: an iq result from anyone
 * else could be a spoofed reply to a guessed id. */
static bool from_addressee(const struct xs *xs, const char *to, const char *from)
{
	if (!to) {
		struct jid own;
		bool ok;

		if (!from)
			return true;
		if (!xs->jid || jid_parse(xs->jid, &own, NULL))
			return false;
		ok = jid_bare_equal(from, xs->jid) || !strcasecmp(from, own.domain) ||
		     !strcasecmp(from, xs->jid);
		jid_clear(&own);
		return ok;
	}
	if (!from)
		return false;
	if (!jid_bare_equal(to, from))
		return false;
	{
		const char *rt = strchr(to, '/'), *rf = strchr(from, '/');

		if (!rt && !rf)
			return true;
		return rt && rf && !strcmp(rt, rf);
	}
}

static bool answer_pending(struct xs *xs, xmpp_stanza_t *st)
{
	const char *type = xmpp_stanza_get_type(st), *id = xmpp_stanza_get_id(st);
	struct xs_pending_iq *p = NULL;
	xs_iq_fn fn;
	void *ud;

	if (!type || (strcmp(type, "result") && strcmp(type, "error")) || !id)
		return false;
	HASH_FIND_STR(xs->pending, id, p);
	if (!p)
		return false;
	if (!from_addressee(xs, p->to, xmpp_stanza_get_from(st))) {
		log_warn("ignored an iq %s for id %s from an entity we did not ask", type, id);
		return true;
	}
	fn = p->fn;
	ud = p->ud;
	pending_drop(xs, p);
	fn(xs->ud, st, ud);
	return true;
}

static void dispatch(struct xs *xs, xmpp_stanza_t *st)
{
	const char *name = xmpp_stanza_get_name(st);

	if (name && !strcmp(name, "iq") && answer_pending(xs, st))
		return;
	xs->cb.stanza(xs->ud, st);
}

struct rs_list *xs_take_roster_items(struct xs *xs, const xmpp_stanza_t *st)
{
	struct net_report *r = xs->dispatching;
	struct rs_list *l;

	if (!r || r->stanza != st)
		return NULL;
	l = r->roster;
	r->roster = NULL;
	return l;
}

/* ---- iq requests ---- */

static void iq_timeout(struct loop *loop, void *ud)
{
	struct xs_pending_iq *p = ud;
	struct xs *xs = p->xs;
	xs_iq_fn fn = p->fn;
	void *fud = p->ud;

	p->timer = 0;
	pending_drop(xs, p);
	fn(xs->ud, NULL, fud);
}

int xs_iq_send(struct xs *xs, xmpp_stanza_t *iq, unsigned timeout_ms, xs_iq_fn fn, void *ud)
{
	struct xs_pending_iq *p;
	const char *to = xmpp_stanza_get_to(iq);

	if (!xs->online) {
		xmpp_stanza_release(iq);
		return -1;
	}
	p = calloc(1, sizeof(*p));
	if (!p || !(p->id = xs_make_id()) || (to && !(p->to = strdup(to)))) {
		if (p)
			free(p->id);
		free(p);
		xmpp_stanza_release(iq);
		return -1;
	}
	p->fn = fn;
	p->ud = ud;
	p->xs = xs;
	p->timer = loop_timer_add(xs->loop, timeout_ms, iq_timeout, p);
	xmpp_stanza_set_id(iq, p->id);
	HASH_ADD_KEYPTR(hh, xs->pending, p->id, strlen(p->id), p);
	return xs_send(xs, iq);
}

/* ---- reports from the network thread ---- */

static void handle_report(struct xs *xs, struct net_report *r)
{
	switch (r->kind) {
	case NET_R_STANZA:
		xs->dispatching = r;
		dispatch(xs, r->stanza);
		xs->dispatching = NULL;
		break;
	case NET_R_UNSENT:
		/* Lost the race with a disconnection, or lost with a connection
		 * or a session before the server had it (smqueue.h): back to
		 * the outbox, in the order it was sent. */
		outbox_push(xs, r->stanza, true);
		r->stanza = NULL;
		break;
	case NET_R_ONLINE: {
		struct xs_online o = {r->jid,    r->mechanism, r->resumed,
		                      r->secure, r->rosterver, r->csi};

		free(xs->jid);
		xs->jid = r->jid;
		r->jid = NULL;
		xs->online = true;
		xs->cb.online(xs->ud, &o);
		outbox_flush(xs);
		break;
	}
	case NET_R_REGISTER: {
		struct xs_offline o = {r->fail, r->condition, r->text,
		                       r->cert.fingerprint ? &r->cert : NULL};

		xs->cb.registered(xs->ud, r->jid, &o);
		break;
	}
	case NET_R_DRAINED:
		xs->cb.drained(xs->ud);
		break;
	case NET_R_OFFLINE: {
		struct xs_offline o = {r->fail, r->condition, r->text,
		                       r->cert.fingerprint ? &r->cert : NULL};

		xs->online = false;
		xs->cb.offline(xs->ud, &o);
		break;
	}
	}
}

static void on_reports(struct loop *loop, int fd, short revents, void *ud)
{
	struct xs *xs = ud;
	struct net_report *r, *next;

	unsigned left = REPORTS_PER_PASS;
	uint64_t until = loop_now_ms() + REPORTS_MS;
	bool spent = false;

	/* Until the queue is found empty: what the network thread posted
	 * while these were handled cost it no wake-up (net_take_reports).
	 * Bounded in number and time so that a flood cannot hold up the
	 * terminal (keystroke echo): past the bound the pipe is made readable
	 * again, and the loop comes straight back after the keys. */
	while (!spent && (r = net_take_reports(xs->net, left))) {
		for (; r; r = next) {
			next = r->next;
			r->next = NULL;
			handle_report(xs, r);
			net_report_free(r);
			left--;
		}
		spent = !left || loop_now_ms() >= until;
	}
	if (spent)
		net_reports_later(xs->net);
}
