/* The core's side of the message store. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "config/paths.h"
#include "core/action.h"
#include "core/core_internal.h"
#include "core/history.h"
#include "core/roster.h"
#include "util/jid.h"
#include "util/log.h"
#include "util/stamp.h"

#define HISTORY_DEFAULT 20
#define HISTORY_MAX 10000
/* Rows indexed for search per loop pass: a few milliseconds, so input
 * stays responsive while a large catch-up is indexed. */
#define INDEX_CHUNK 500
/* After a failed indexing step (a full disk, another natter holding the
 * lock): waiting rather than spinning on the failure. */
#define INDEX_RETRY_MS 5000

struct history_state {
	struct store *store;
	uint64_t index_timer; /* armed while the search index is behind */
	bool index_waiting;   /* index_timer is a retry after a failure */
	bool commit_failed;   /* reported once until a commit works again */
};

static struct history_state *hist(struct core *core)
{
	return core_state(core, &history_module);
}

/* Only wakes the loop: the indexing is done by commit_pass, which runs
 * before the loop would sleep. */
static void index_wake(struct loop *loop, void *ud)
{
	struct history_state *h = hist(ud);

	(void)loop;
	if (h) {
		h->index_timer = 0;
		h->index_waiting = false;
	}
}

/* One chunk of search indexing per pass.  While more remain, a 0-ms
 * timer keeps the loop from sleeping, so the next pass does the next
 * chunk after handling whatever input came meanwhile; once caught up,
 * nothing is armed. */
static void index_pass(struct core *core, struct history_state *h)
{
	char *err = NULL;
	int n;

	if (h->index_waiting || !store_index_behind(h->store))
		return;
	n = store_index_some(h->store, INDEX_CHUNK, &err);
	if (n < 0) {
		log_warn("history: search index not updated, retrying later: %s", err ? err : "?");
		free(err);
		loop_timer_cancel(core_loop(core), h->index_timer);
		h->index_timer = loop_timer_add(core_loop(core), INDEX_RETRY_MS, index_wake, core);
		h->index_waiting = h->index_timer != 0;
		return;
	}
	if (store_index_behind(h->store) && !h->index_timer)
		h->index_timer = loop_timer_add(core_loop(core), 0, index_wake, core);
}

/* Commits what this loop pass added, before the loop sleeps: one
 * transaction per burst, not one per message.  Search indexing follows
 * the commit, off the insert path. */
static void commit_pass(struct loop *loop, void *ud)
{
	struct core *core = ud;
	struct history_state *h = hist(core);
	char *err = NULL;

	(void)loop;
	if (!h || !h->store)
		return;
	if (!store_pending(h->store)) {
		index_pass(core, h);
		return;
	}
	if (store_commit(h->store, &err)) {
		if (!h->commit_failed)
			core_error(core, NO_CAUSE, "internal-server-error",
				   "history could not be saved (%s); natter keeps it in memory "
				   "and tries again",
				   err ? err : "unknown error");
		h->commit_failed = true;
	} else {
		if (h->commit_failed) {
			core_info(core, NO_CAUSE, "history is saved again");
			h->commit_failed = false;
		}
		index_pass(core, h);
	}
	free(err);
}

static int history_init(struct core *core)
{
	struct history_state *h = calloc(1, sizeof(*h));
	char *bare = NULL, *dir = NULL, *err = NULL;

	if (!h)
		return -1;
	core_set_state(core, &history_module, h);
	if (loop_prepare_add(core_loop(core), commit_pass, core))
		return -1;
	bare = jid_bare_key(core_account(core)->jid, NULL);
	dir = bare ? paths_data_dir(bare) : NULL;
	if (dir)
		h->store = store_open(dir, &err);
	if (!h->store)
		core_error(core, NO_CAUSE, "internal-server-error", "history is not available: %s",
			   err ? err : "no data directory");
	free(err);
	free(dir);
	free(bare);
	return 0;
}

static void history_free(struct core *core)
{
	struct history_state *h = hist(core);

	if (!h)
		return;
	loop_timer_cancel(core_loop(core), h->index_timer);
	/* store_close commits what is still open: nothing is lost on /quit. */
	store_close(h->store);
	free(h);
	core_set_state(core, &history_module, NULL);
}

int history_record(struct core *core, struct store_msg *m)
{
	struct history_state *h = hist(core);
	char *err = NULL;
	int rc;

	if (!h || !h->store)
		return -1;
	rc = store_add(h->store, m, &err);
	if (rc < 0) {
		log_error("a message could not be added to the history: %s", err ? err : "?");
		free(err);
	}
	return rc;
}

int history_delivery(struct core *core, const char *peer, const char *stanza_id,
		     enum store_delivery state)
{
	struct history_state *h = hist(core);
	char *err = NULL;
	int rc;

	if (!h || !h->store)
		return -1;
	rc = store_set_delivery(h->store, peer, stanza_id, state, &err);
	if (rc < 0) {
		log_error("a delivery state could not be saved: %s", err ? err : "?");
		free(err);
	}
	return rc;
}

/* The store, or NULL when history is not available. */
static struct store *store_of(struct core *core)
{
	struct history_state *h = hist(core);

	return h ? h->store : NULL;
}

/* rc, once a failure (rc < 0, with err) is logged: the store failing
 * never stops a message. */
static int logged(int rc, char *err, const char *what)
{
	if (rc < 0)
		log_error("%s: %s", what, err ? err : "?");
	free(err);
	return rc;
}

int history_find(struct core *core, const char *peer, enum store_direction dir, const char *id,
		 struct store_ref *out)
{
	char *err = NULL;

	memset(out, 0, sizeof(*out));
	if (!store_of(core))
		return -1;
	return logged(store_find(store_of(core), peer, dir, id, out, &err), err, "history");
}

int history_correct(struct core *core, int64_t target, struct store_msg *m)
{
	char *err = NULL;

	if (!store_of(core))
		return -1;
	return logged(store_correct(store_of(core), target, m, &err), err,
		      "a correction could not be saved");
}

int history_retract(struct core *core, int64_t target, struct store_msg *m)
{
	char *err = NULL;

	if (!store_of(core))
		return -1;
	return logged(store_retract(store_of(core), target, m, &err), err,
		      "a retraction could not be saved");
}

int history_last_own(struct core *core, const char *peer, struct store_own *out)
{
	char *err = NULL;

	memset(out, 0, sizeof(*out));
	if (!store_of(core))
		return -1;
	return logged(store_last_own(store_of(core), peer, out, &err), err, "history");
}

char *history_last_archive_id(struct core *core)
{
	struct history_state *h = hist(core);
	char *err = NULL, *id;

	if (!h || !h->store)
		return NULL;
	id = store_last_archive_id(h->store, &err);
	if (!id && err) {
		log_error("history: %s", err);
		free(err);
	}
	return id;
}

int history_kv_get(struct core *core, const char *key, char **value)
{
	struct history_state *h = hist(core);
	char *err = NULL;
	int rc;

	*value = NULL;
	if (!h || !h->store)
		return -1;
	rc = store_kv_get(h->store, key, value, &err);
	if (rc < 0) {
		log_warn("cache %s could not be read: %s", key, err ? err : "?");
		free(err);
	}
	return rc;
}

int history_kv_set(struct core *core, const char *key, const char *value)
{
	struct history_state *h = hist(core);
	char *err = NULL;

	if (!h || !h->store)
		return -1;
	if (store_kv_set(h->store, key, value, &err)) {
		log_warn("cache %s could not be saved: %s", key, err ? err : "?");
		free(err);
		return -1;
	}
	return 0;
}

/* ---- reading ---- */

struct page {
	struct nt_history_message *rows;
	char (*stamps)[STAMP_LEN];
	char **strings; /* copies: store rows live only during the callback */
	size_t n, cap, nstrings;
	bool nomem;
};

static char *keep(struct page *p, const char *s)
{
	char *c;
	char **grown;

	if (!s)
		return NULL;
	c = strdup(s);
	grown = c ? realloc(p->strings, (p->nstrings + 1) * sizeof(*grown)) : NULL;
	if (!grown) {
		free(c);
		p->nomem = true;
		return NULL;
	}
	p->strings = grown;
	p->strings[p->nstrings++] = c;
	return c;
}

static const char *delivery_name(const struct store_msg *m)
{
	if (m->direction != STORE_OUT)
		return NULL;
	switch (m->delivery) {
	case STORE_SENT:
		return "sent";
	case STORE_DELIVERED:
		return "delivered";
	case STORE_DISPLAYED:
		return "displayed";
	case STORE_FAILED:
		return "failed";
	default:
		return NULL;
	}
}

static void collect(const struct store_msg *m, void *ud)
{
	struct page *p = ud;
	struct nt_history_message *r;

	if (p->nomem)
		return;
	if (p->n == p->cap) {
		size_t ncap = p->cap ? p->cap * 2 : 32;
		void *rows = realloc(p->rows, ncap * sizeof(*p->rows));
		void *stamps = rows ? realloc(p->stamps, ncap * sizeof(*p->stamps)) : NULL;

		if (rows)
			p->rows = rows;
		if (!stamps) {
			p->nomem = true;
			return;
		}
		p->stamps = stamps;
		p->cap = ncap;
	}
	r = &p->rows[p->n];
	stamp_format(m->ts_ms, p->stamps[p->n]);
	*r = (struct nt_history_message){
		.id = m->id,
		.ts_ms = m->ts_ms,
		.from = keep(p, m->from),
		.to = keep(p, m->to),
		.body = keep(p, m->body ? m->body : ""),
		.xhtml = keep(p, m->xhtml),
		.direction = m->direction == STORE_OUT ? "out" : "in",
		.stanza_id = keep(p, m->stanza_id),
		.delivery = delivery_name(m),
		.delayed = m->delayed,
		.carbon = m->carbon,
		.edited = m->edited,
		.retracted = m->retracted,
		.action = action_text(m->body) != NULL,
		.oob_url = keep(p, m->oob_url),
	};
	p->n++;
}

static void page_free(struct page *p)
{
	for (size_t i = 0; i < p->nstrings; i++)
		free(p->strings[i]);
	free(p->strings);
	free(p->rows);
	free(p->stamps);
}

/* Rows come newest first from the store; events and scrollback want them
 * in reading order. */
static void oldest_first(struct page *p)
{
	for (size_t i = 0; i < p->n / 2; i++) {
		struct nt_history_message t = p->rows[i];
		char s[STAMP_LEN];

		p->rows[i] = p->rows[p->n - 1 - i];
		p->rows[p->n - 1 - i] = t;
		memcpy(s, p->stamps[i], sizeof s);
		memcpy(p->stamps[i], p->stamps[p->n - 1 - i], sizeof s);
		memcpy(p->stamps[p->n - 1 - i], s, sizeof s);
	}
	for (size_t i = 0; i < p->n; i++)
		p->rows[i].ts = p->stamps[i];
}

int core_history_page(struct core *core, const char *peer, long long before_id, int n,
		      void (*fn)(const struct nt_history_message *m, void *ud), void *ud)
{
	struct history_state *h = hist(core);
	struct page p = {0};
	char *key = jid_bare_key(peer, NULL), *err = NULL;
	int rc;

	if (!h || !h->store || !key) {
		free(key);
		return -1;
	}
	rc = store_page(h->store, key, before_id, n, collect, &p, &err);
	free(key);
	if (rc < 0 || p.nomem) {
		log_error("history: %s", err ? err : "out of memory");
		free(err);
		page_free(&p);
		return -1;
	}
	oldest_first(&p);
	for (size_t i = 0; i < p.n; i++)
		fn(&p.rows[i], ud);
	page_free(&p);
	return (int)p.n;
}

static bool have_store(struct cmd_call *call)
{
	struct history_state *h = hist(CALL_CORE(call));

	if (h && h->store)
		return true;
	core_error(CALL_CORE(call), CAUSE(call), "service-unavailable",
		   "history is not available (see the error at start-up)");
	return false;
}

static int emit_page(struct cmd_call *call, struct page *p, const char *with, const char *query,
		     int rc, char *err)
{
	struct nt_event ev = {.kind = NT_EV_HISTORY, .origin = call->origin};

	if (rc < 0 || p->nomem) {
		core_error(CALL_CORE(call), CAUSE(call), "internal-server-error", "history: %s",
			   err ? err : "out of memory");
		free(err);
		page_free(p);
		return -1;
	}
	oldest_first(p);
	ev.u.history.with = with;
	ev.u.history.query = query;
	ev.u.history.messages = p->rows;
	ev.u.history.count = p->n;
	core_emit(CALL_CORE(call), &ev);
	page_free(p);
	return 0;
}

static int cmd_show(struct cmd_call *call)
{
	struct page p = {0};
	const char *why = NULL;
	char *key, *jid, *err = NULL, *end;
	long n = HISTORY_DEFAULT;
	int rc;

	if (call->argc > 1) {
		n = strtol(call->argv[1], &end, 10);
		if (*end || n < 1 || n > HISTORY_MAX) {
			core_error(CALL_CORE(call), CAUSE(call), "bad-request",
				   "N must be a whole number from 1 to %d", HISTORY_MAX);
			return -1;
		}
	}
	jid = roster_resolve(CALL_CORE(call), CAUSE(call), call->argv[0]);
	key = jid ? jid_bare_key(jid, &why) : NULL;
	free(jid);
	if (!key)
		return -1;
	if (!have_store(call)) {
		free(key);
		return -1;
	}
	rc = store_page(hist(CALL_CORE(call))->store, key, 0, (int)n, collect, &p, &err);
	rc = emit_page(call, &p, key, NULL, rc, err);
	free(key);
	return rc;
}

static int cmd_search(struct cmd_call *call)
{
	struct page p = {0};
	char *err = NULL;
	int rc;

	if (!have_store(call))
		return -1;
	rc = store_search(hist(CALL_CORE(call))->store, call->argv[0], HISTORY_DEFAULT * 5, collect,
			  &p, &err);
	return emit_page(call, &p, NULL, call->argv[0], rc, err);
}

static const struct cmd_entry commands[] = {
	{.name = "history", .usage = "JID [N]",
	 .help = "show the last N messages with JID (20 by default)", .min_args = 1,
	 .max_args = 2, .complete = {"@jid"}, .exec = cmd_show},
	{.name = "history search", .usage = "TEXT",
	 .help = "search every conversation (full-text)", .min_args = 1, .max_args = 1,
	 .rest = true, .exec = cmd_search},
};

const struct core_module history_module = {
	.name = "history",
	.title = "History",
	.init = history_init,
	.free = history_free,
	.commands = commands,
	.ncommands = COUNT(commands),
};
