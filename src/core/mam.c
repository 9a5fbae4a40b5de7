/* XEP-0313 Message Archive Management (urn:xmpp:mam:2), as far as catching
 * up goes: after every fresh login, the messages our server archived since
 * the archived message the history stored last (results come in the
 * archive's order; message times are the senders' claims and play no
 * part), page by page (RSM) until the archive says it is complete.  With nothing stored yet, the
 * most recent [history] mam_initial messages: found by paging backwards (ids only), then fetched
 * forwards, so they are reported oldest first like the rest.
 *
 * Every page has a timeout and a catch-up has a page budget; a failure is
 * an error event and natter goes on.  Results go through chat.c's
 * receiving path with their archive id, so what is already stored (seen
 * live, in a carbon, or by an earlier catch-up) is not reported again. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uthash.h>

#include "core/carbons.h"
#include "core/chat.h"
#include "core/core_internal.h"
#include "core/history.h"
#include "core/mam.h"
#include "util/jid.h"
#include "util/log.h"
#include "xmpp/stanza.h"

/* PAGE_MAX is what we ask for; Prosody caps it (50 by default).
 * MAX_PAGE_IDS bounds a server sending more than it was asked for. */
#define PAGE_MAX        100
#define MAX_PAGES       1000 /* per catch-up: 50,000 messages and more */
#define PAGE_TIMEOUT_MS 30000
#define MAX_PAGE_IDS    1000
#define MAX_LIVE_IDS    100000

enum phase {
	MAM_IDLE,
	MAM_FIND,    /* first login: paging back to where the window starts */
	MAM_FORWARD, /* fetching and reporting, oldest first */
};

struct live_id {
	char *id;
	UT_hash_handle hh;
};

/* One page in flight.  Its answer may come after a newer login started
 * another catch-up (gen) — or never, when the session is freed first: the
 * list lets mam_free() reclaim it. */
struct mam_req {
	struct mam_state *ms;
	unsigned gen;
	bool dead; /* never sent: no answer will come */
	struct mam_req *next;
};

struct mam_state {
	struct core *core;
	enum phase phase;
	unsigned gen;
	char *queryid; /* of the page in flight: results for others are ignored */
	char *cursor;  /* FIND: <before>, FORWARD: <after>; NULL: newest / oldest */
	bool fell_back;
	unsigned pages, page_results, found, shown, dups;
	char **page_ids; /* FIND: this page's ids, oldest first */
	size_t npage_ids;
	/* The newest archive id handled in this process: where the next
	 * catch-up starts when the history cannot say (no store). */
	char *mem_last;
	struct live_id *live; /* archive ids seen live during this catch-up */
	size_t nlive;
	struct mam_req *reqs;
};

static void page_ids_clear(struct mam_state *ms)
{
	for (size_t i = 0; i < ms->npage_ids; i++)
		free(ms->page_ids[i]);
	free(ms->page_ids);
	ms->page_ids = NULL;
	ms->npage_ids = 0;
}

static void live_clear(struct mam_state *ms)
{
	struct live_id *l, *tmp;

	HASH_ITER(hh, ms->live, l, tmp)
	{
		HASH_DEL(ms->live, l);
		free(l->id);
		free(l);
	}
	ms->nlive = 0;
}

/* -1 when out of memory (the slot is then NULL). */
static int set_str(char **slot, const char *s)
{
	free(*slot);
	*slot = s ? strdup(s) : NULL;
	return s && !*slot ? -1 : 0;
}

/* Ends the catch-up, whether it completed or not. */
static void finish(struct mam_state *ms)
{
	if (ms->phase != MAM_IDLE)
		log_info("archive catch-up: %u new, %u already known, %u pages", ms->shown,
		         ms->dups, ms->pages);
	ms->phase = MAM_IDLE;
	set_str(&ms->queryid, NULL);
	set_str(&ms->cursor, NULL);
	page_ids_clear(ms);
	live_clear(ms);
}

static void req_drop(struct mam_state *ms, struct mam_req *req)
{
	for (struct mam_req **p = &ms->reqs; *p; p = &(*p)->next) {
		if (*p == req) {
			*p = req->next;
			break;
		}
	}
	free(req);
}

static void on_page(struct core *core, xmpp_stanza_t *reply, void *ud);

static struct mam_state *mst(struct core *core)
{
	return core_state(core, &mam_module);
}

static int send_page(struct mam_state *ms)
{
	struct core *core = ms->core;
	xmpp_stanza_t *iq = xmpp_iq_new(core_ctx(core), "set", NULL), *q = NULL, *set = NULL;
	struct mam_req *req;
	char max[16];
	int rc;

	snprintf(max, sizeof max, "%d", PAGE_MAX);
	set_str(&ms->queryid, NULL);
	ms->queryid = core_make_id();
	ms->page_results = 0;
	page_ids_clear(ms);
	if (iq && ms->queryid && (q = st_add_element(iq, "query", NS_MAM)) &&
	    xmpp_stanza_set_attribute(q, "queryid", ms->queryid) == XMPP_EOK)
		set = st_add_element(q, "set", NS_RSM);
	if (!set || st_add_text(set, "max", max) ||
	    (ms->phase == MAM_FIND && ms->cursor && st_add_text(set, "before", ms->cursor)) ||
	    (ms->phase == MAM_FIND && !ms->cursor && !st_add_element(set, "before", NULL)) ||
	    (ms->phase == MAM_FORWARD && ms->cursor && st_add_text(set, "after", ms->cursor)) ||
	    !(req = calloc(1, sizeof(*req)))) {
		if (iq)
			xmpp_stanza_release(iq);
		return -1;
	}
	*req = (struct mam_req){.ms = ms, .gen = ms->gen, .next = ms->reqs};
	ms->reqs = req;
	rc = core_iq_send(core, iq, PAGE_TIMEOUT_MS, on_page, req);
	/* The request may or may not be pending now: keep it until an answer
	 * or mam_free(). */
	if (rc)
		req->dead = true;
	return rc;
}

static void send_or_fail(struct mam_state *ms)
{
	if (send_page(ms)) {
		core_error(ms->core, NO_CAUSE, "internal-server-error",
		           "the message archive could not be asked: catch-up stopped");
		finish(ms);
	}
}

static void start(struct mam_state *ms, enum phase phase, const char *cursor)
{
	ms->phase = phase;
	/* Without its cursor, a page would start from the wrong end. */
	if (set_str(&ms->cursor, cursor)) {
		core_error(ms->core, NO_CAUSE, "internal-server-error",
		           "out of memory: archive catch-up stopped");
		finish(ms);
		return;
	}
	send_or_fail(ms);
}

static void mam_login(struct core *core, const struct core_login *l)
{
	struct mam_state *ms = mst(core);
	char *last;

	(void)l;
	/* Answers to a previous session's pages are ignored from now on. */
	ms->gen++;
	finish(ms);
	ms->fell_back = false;
	ms->pages = ms->found = ms->shown = ms->dups = 0;
	last = history_last_archive_id(core);
	if (!last && ms->mem_last)
		last = strdup(ms->mem_last);
	if (last)
		start(ms, MAM_FORWARD, last);
	else if (core_settings(core)->mam_initial > 0)
		start(ms, MAM_FIND, NULL);
	else
		/* No window wanted: ask nothing, so the server delivers what it
		 * stored offline the classic way; live messages carry archive
		 * ids from now on, and the next login catches up from them. */
		log_info("history is empty and mam_initial = 0: no archive catch-up");
	free(last);
}

static bool is_true(const char *s)
{
	return s && (!strcmp(s, "true") || !strcmp(s, "1"));
}

/* FIND: where the window of the mam_initial newest messages starts. */
static void found_page(struct mam_state *ms, bool complete, const char *first)
{
	size_t s = ms->npage_ids;
	unsigned window = (unsigned)core_settings(ms->core)->mam_initial;

	if (ms->found + s > window) {
		/* Pages go back in time, each oldest first: the message just
		 * before the window is the (window + 1)th newest. */
		start(ms, MAM_FORWARD, ms->page_ids[s - (window + 1 - ms->found)]);
	} else if (complete || !s) {
		/* The archive holds no more than the window: all of it. */
		start(ms, MAM_FORWARD, NULL);
	} else {
		ms->found += (unsigned)s;
		start(ms, MAM_FIND, first ? first : ms->page_ids[0]);
	}
}

static void page_failed(struct mam_state *ms, xmpp_stanza_t *reply)
{
	struct core *core = ms->core;
	char *text = NULL, *ctext, *ccond;
	const char *cond = st_error_condition(reply, &text);

	if (!strcmp(cond, "item-not-found") && ms->phase == MAM_FORWARD && ms->cursor &&
	    !ms->fell_back) {
		/* The archive no longer holds our newest message (expired or
		 * cleared): the recent window is the best we can do. */
		log_warn("archive catch-up: the server does not know our newest archived "
		         "message any more; fetching the most recent ones");
		ms->fell_back = true;
		free(text);
		start(ms, MAM_FIND, NULL);
		return;
	}
	ctext = core_clean(text);
	ccond = core_clean(cond);
	/* A server without an archive is not an error worth showing at every
	 * login. */
	if (!strcmp(cond, "service-unavailable") || !strcmp(cond, "feature-not-implemented"))
		log_info("no message archive on this server (%s)", cond);
	else
		core_error(core, NO_CAUSE, ccond ? ccond : "undefined-condition",
		           "the message archive refused the catch-up: %s",
		           ctext ? ctext : (ccond ? ccond : "error"));
	free(text);
	free(ctext);
	free(ccond);
	finish(ms);
}

static void on_page(struct core *core, xmpp_stanza_t *reply, void *ud)
{
	struct mam_req *req = ud;
	struct mam_state *ms = req->ms;
	bool current = !req->dead && req->gen == ms->gen && ms->phase != MAM_IDLE;
	xmpp_stanza_t *fin, *set;
	const char *type;
	char *first, *last;
	bool complete;

	(void)core;
	req_drop(ms, req);
	if (!current)
		return;
	if (!reply) {
		core_error(ms->core, NO_CAUSE, "remote-server-timeout",
		           "the message archive did not answer within %d s: catch-up stopped",
		           PAGE_TIMEOUT_MS / 1000);
		finish(ms);
		return;
	}
	type = xmpp_stanza_get_type(reply);
	if (type && !strcmp(type, "error")) {
		page_failed(ms, reply);
		return;
	}
	fin = xmpp_stanza_get_child_by_name_and_ns(reply, "fin", NS_MAM);
	if (!fin) {
		core_error(ms->core, NO_CAUSE, "undefined-condition",
		           "the message archive gave an answer without <fin/>: catch-up stopped");
		finish(ms);
		return;
	}
	ms->pages++;
	complete = is_true(xmpp_stanza_get_attribute(fin, "complete"));
	set = xmpp_stanza_get_child_by_name_and_ns(fin, "set", NS_RSM);
	first = set ? st_child_text(set, "first") : NULL;
	last = set ? st_child_text(set, "last") : NULL;
	if (ms->pages >= MAX_PAGES && !complete) {
		core_error(ms->core, NO_CAUSE, "resource-constraint",
		           "archive catch-up stopped after %u pages; older messages stay on the "
		           "server",
		           ms->pages);
		finish(ms);
	} else if (ms->phase == MAM_FIND) {
		found_page(ms, complete, first);
	} else if (complete || !last || !ms->page_results) {
		finish(ms);
	} else {
		start(ms, MAM_FORWARD, last);
	}
	free(first);
	free(last);
}

static bool live_seen(struct mam_state *ms, const char *id)
{
	struct live_id *l = NULL;

	HASH_FIND_STR(ms->live, id, l);
	return l != NULL;
}

bool mam_live_id(struct core *core, const char *archive_id)
{
	struct mam_state *ms = mst(core);
	struct live_id *l;

	if (!ms)
		return true;
	if (ms->phase == MAM_IDLE) {
		set_str(&ms->mem_last, archive_id);
		return true;
	}
	if (ms->nlive < MAX_LIVE_IDS && !live_seen(ms, archive_id) && (l = calloc(1, sizeof(*l)))) {
		if (!(l->id = strdup(archive_id))) {
			free(l);
			return false;
		}
		HASH_ADD_KEYPTR(hh, ms->live, l->id, strlen(l->id), l);
		ms->nlive++;
	}
	return false;
}

static int on_result(struct core *core, xmpp_stanza_t *st)
{
	struct mam_state *ms = mst(core);
	xmpp_stanza_t *res = xmpp_stanza_get_child_by_name_and_ns(st, "result", NS_MAM);
	xmpp_stanza_t *fwd, *inner = NULL, *delay;
	const char *from = xmpp_stanza_get_from(st), *qid, *id, *ifrom;
	struct chat_via via = {0};
	char **grown;
	int rc;

	/* Only our own archive answers our queries (it sends them without a
	 * from, or from our bare JID).  A room's archive answers the queries
	 * muc_message.c makes, and it drops every other result: anyone else
	 * is inventing history. */
	if (from && (strchr(from, '/') || !jid_bare_equal(from, core_account(core)->jid)))
		return CORE_PASS;
	qid = xmpp_stanza_get_attribute(res, "queryid");
	id = xmpp_stanza_get_attribute(res, "id");
	if (!ms || !ms->queryid || !qid || strcmp(qid, ms->queryid) || !id) {
		log_info("ignored an archive result for no query under way");
		return CORE_STOP;
	}
	ms->page_results++;
	if (ms->phase == MAM_FIND) {
		if (ms->npage_ids < MAX_PAGE_IDS &&
		    (grown = realloc(ms->page_ids, (ms->npage_ids + 1) * sizeof(*grown)))) {
			ms->page_ids = grown;
			if ((grown[ms->npage_ids] = strdup(id)))
				ms->npage_ids++;
		}
		return CORE_STOP;
	}
	fwd = xmpp_stanza_get_child_by_name_and_ns(res, "forwarded", NS_FORWARD);
	if (fwd)
		inner = xmpp_stanza_get_child_by_name(fwd, "message");
	if (!inner)
		return CORE_STOP;
	set_str(&ms->mem_last, id);
	if (live_seen(ms, id)) {
		/* Reported live during this catch-up and stored without its
		 * archive id (mam.h).  Recorded again, the store knows it by
		 * its origin or stanza id and gives the live copy the archive
		 * id; a message without either could not be told apart, so
		 * its copy is dropped. */
		ms->dups++;
		if (!xmpp_stanza_get_id(inner) &&
		    !xmpp_stanza_get_child_by_name_and_ns(inner, "origin-id", "urn:xmpp:sid:0"))
			return CORE_STOP;
		via.quiet = true;
	}
	delay = xmpp_stanza_get_child_by_name_and_ns(fwd, "delay", "urn:xmpp:delay");
	ifrom = xmpp_stanza_get_from(inner);
	via.archive_id = id;
	via.stamp = delay ? xmpp_stanza_get_attribute(delay, "stamp") : NULL;
	via.outgoing = ifrom && jid_bare_equal(ifrom, core_account(core)->jid);
	rc = chat_receive(core, inner, &via);
	if (rc > 0)
		ms->shown++;
	else if (rc == 0 && !via.quiet)
		ms->dups++;
	return CORE_STOP;
}

static int mam_init(struct core *core)
{
	struct mam_state *ms = calloc(1, sizeof(*ms));

	if (!ms)
		return -1;
	ms->core = core;
	core_set_state(core, &mam_module, ms);
	return 0;
}

/* After the session is gone: no page answer can come any more. */
static void mam_free(struct core *core)
{
	struct mam_state *ms = mst(core);

	if (!ms)
		return;
	core_set_state(core, &mam_module, NULL);
	finish(ms);
	while (ms->reqs)
		req_drop(ms, ms->reqs);
	free(ms->mem_last);
	free(ms);
}

static const struct core_handler handlers[] = {
    {CORE_UNWRAP, "message", NULL, NS_MAM, on_result},
};

const struct core_module mam_module = {
    .name = "mam",
    .init = mam_init,
    .free = mam_free,
    .login = mam_login,
    .handlers = handlers,
    .nhandlers = COUNT(handlers),
};
