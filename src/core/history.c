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
#include "util/memtrim.h"
#include "util/stamp.h"

#define HISTORY_DEFAULT 20
#define HISTORY_MAX     10000

/* When the open batch is committed: once it holds COMMIT_ROWS writes, once
 * its first write is COMMIT_AGE_MS old, or once nothing was written for
 * COMMIT_QUIET_MS (the stream went quiet: a single message, or the end of
 * a flood, is saved at once).  A flood is thus written in a few large
 * transactions rather than one per loop pass.  Gaps in the middle of a
 * flood as long as the quiet period (a busy server sends TLS records of
 * about 25 messages, sometimes 20 ms and more apart) cost an early commit:
 * the price of saving the end of a burst without waiting.  What a crash
 * (kill -9) costs is at most the last COMMIT_AGE_MS, which the next
 * login's archive catch-up (mam.c) fetches again: it starts after the
 * newest archived message committed. */
#define COMMIT_ROWS     500
#define COMMIT_AGE_MS   250
#define COMMIT_QUIET_MS 20
/* Rows indexed for search per pass while the index is behind: about 4 ms
 * of CPU here (bench/core), so input stays responsive; fewer rows a pass
 * cost bytes, since every transaction adds a segment and rewrites the
 * index's structure (500 rows a pass: 10.7 MB written for a flood of
 * 10,000, 2,000 rows: 9.8 MB).  Indexing waits until the store
 * has been quiet for INDEX_QUIET_MS: each indexing transaction adds an
 * FTS5 segment, which FTS5 later merges with the others, so indexing a
 * flood a few hundred rows per commit wrote the index several times over
 * (54-64 MB written for a 10,000-message flood, against 14-17 MB when
 * indexed after it).  Search meanwhile reads the rows not indexed yet
 * directly (store.c), which costs a millisecond or two per thousand. */
#define INDEX_CHUNK    2000
#define INDEX_QUIET_MS 1000
/* A store that is never quiet (busy rooms) is indexed all the same once
 * rows have waited this long, so scans of the unindexed rows stay short. */
#define INDEX_MAX_WAIT_MS 10000
/* After a failed indexing step or checkpoint (a full disk, another natter
 * holding the lock, a reader): waiting rather than spinning on it. */
#define RETRY_MS 5000
/* The WAL is copied into the database and truncated once the store has
 * been quiet this long, off the path of a burst; and even in the middle
 * of one when it has grown this big. */
#define CHECKPOINT_QUIET_MS  1000
#define CHECKPOINT_MAX_PAGES 4096

struct history_state {
	struct store *store;
	uint64_t first_ms, last_ms;   /* loop time of the open batch's first and last write */
	uint64_t active_ms;           /* the last write or commit */
	uint64_t wake_timer, wake_at; /* wakes the loop when the next step is due */
	uint64_t index_retry_at;      /* indexing failed: not before then */
	uint64_t behind_since;        /* the index has been behind since (0: it is not) */
	uint64_t checkpoint_at;       /* the next checkpoint: not before then */
	bool dirty_wal;               /* committed since the last full checkpoint */
	bool commit_failed;           /* reported once until a commit works again */
};

static struct history_state *hist(struct core *core)
{
	return core_state(core, &history_module);
}

/* Only wakes the loop: the work is done by store_pass, which runs before
 * the loop would sleep. */
static void wake(struct loop *loop, void *ud)
{
	struct history_state *h = hist(ud);

	(void)loop;
	if (h)
		h->wake_timer = 0;
}

/* Makes sure the loop comes back by loop time at. */
static void wake_at(struct core *core, struct history_state *h, uint64_t at)
{
	uint64_t now = loop_time(core_loop(core));

	if (h->wake_timer && h->wake_at <= at)
		return;
	loop_timer_cancel(core_loop(core), h->wake_timer);
	h->wake_at = at;
	h->wake_timer = loop_timer_add(core_loop(core), at > now ? at - now : 0, wake, core);
}

static void note_write(struct core *core, struct history_state *h)
{
	uint64_t now = loop_time(core_loop(core));

	if (!h->first_ms)
		h->first_ms = now;
	h->last_ms = h->active_ms = now;
}

static bool commit_due(struct history_state *h, uint64_t now)
{
	return store_pending(h->store) >= COMMIT_ROWS || now >= h->first_ms + COMMIT_AGE_MS ||
	       now >= h->last_ms + COMMIT_QUIET_MS;
}

static void commit(struct core *core, struct history_state *h, uint64_t now)
{
	char *err = NULL;

	if (store_commit(h->store, &err)) {
		if (!h->commit_failed)
			core_error(core, NO_CAUSE, "internal-server-error",
			           "history could not be saved (%s); natter keeps it in memory "
			           "and tries again",
			           err ? err : "unknown error");
		h->commit_failed = true;
		/* the next try when a batch would be due again */
		h->first_ms = now;
		free(err);
		return;
	}
	if (h->commit_failed) {
		core_info(core, NO_CAUSE, "history is saved again");
		h->commit_failed = false;
	}
	h->first_ms = h->last_ms = 0;
	h->active_ms = now;
	h->dirty_wal = true;
}

/* One chunk of search indexing.  While more remain, the loop comes back at
 * once, so the next pass does the next chunk after handling whatever input
 * came meanwhile.  Returns whether it wrote anything: the checkpoint then
 * waits for the next pass, so that no pass does both (what a key typed
 * meanwhile waits for). */
static bool index_pass(struct core *core, struct history_state *h, uint64_t now)
{
	char *err = NULL;
	int n;

	if (!store_index_behind(h->store)) {
		h->behind_since = 0;
		return false;
	}
	if (!h->behind_since)
		h->behind_since = now;
	if (now < h->index_retry_at)
		return false;
	if (now < h->active_ms + INDEX_QUIET_MS && now < h->behind_since + INDEX_MAX_WAIT_MS) {
		wake_at(core, h,
		        h->active_ms + INDEX_QUIET_MS < h->behind_since + INDEX_MAX_WAIT_MS
		            ? h->active_ms + INDEX_QUIET_MS
		            : h->behind_since + INDEX_MAX_WAIT_MS);
		return false;
	}
	n = store_index_some(h->store, INDEX_CHUNK, &err);
	if (n < 0) {
		log_warn("history: search index not updated, retrying later: %s", err ? err : "?");
		free(err);
		h->index_retry_at = now + RETRY_MS;
		wake_at(core, h, h->index_retry_at);
		return false;
	}
	if (n > 0)
		h->dirty_wal = true;
	if (n > 0 || store_index_behind(h->store))
		wake_at(core, h, now);
	return n > 0;
}

static void checkpoint_pass(struct core *core, struct history_state *h, uint64_t now)
{
	char *err = NULL;
	int rc;

	if (!h->dirty_wal)
		return;
	if (store_wal_pages(h->store) < CHECKPOINT_MAX_PAGES &&
	    (now < h->active_ms + CHECKPOINT_QUIET_MS || now < h->checkpoint_at)) {
		wake_at(core, h,
		        h->checkpoint_at > h->active_ms + CHECKPOINT_QUIET_MS
		            ? h->checkpoint_at
		            : h->active_ms + CHECKPOINT_QUIET_MS);
		return;
	}
	rc = store_checkpoint(h->store, &err);
	if (rc < 0) {
		log_warn("history: %s", err ? err : "checkpoint failed");
		free(err);
	}
	if (rc) {
		h->checkpoint_at = now + RETRY_MS;
		wake_at(core, h, h->checkpoint_at);
		return;
	}
	h->dirty_wal = false;
	/* At rest after a burst (a flood, a roster of 10,000, a catch-up):
	 * what SQLite cached for it and what the burst freed in the middle
	 * of the heap go back to the system.  Resident memory after a login
	 * with 10,000 contacts: 33 MB before, 22 MB after (../shared/bench). */
	store_release_memory(h->store);
	memtrim();
}

/* Before the loop sleeps: commits the batch when it is due (else wakes the
 * loop when it will be); with no batch open, indexes one chunk, and once
 * all is quiet, checkpoints. */
static void store_pass(struct loop *loop, void *ud)
{
	struct core *core = ud;
	struct history_state *h = hist(core);
	uint64_t now = loop_time(loop);

	if (!h || !h->store)
		return;
	if (store_pending(h->store)) {
		if (!commit_due(h, now)) {
			wake_at(core, h,
			        h->first_ms + COMMIT_AGE_MS < h->last_ms + COMMIT_QUIET_MS
			            ? h->first_ms + COMMIT_AGE_MS
			            : h->last_ms + COMMIT_QUIET_MS);
			return;
		}
		commit(core, h, now);
		if (store_pending(h->store))
			return;
	}
	if (!index_pass(core, h, now) && !store_index_behind(h->store))
		checkpoint_pass(core, h, now);
}

static int history_init(struct core *core)
{
	struct history_state *h = calloc(1, sizeof(*h));
	char *bare = NULL, *dir = NULL, *err = NULL;

	if (!h)
		return -1;
	core_set_state(core, &history_module, h);
	if (loop_prepare_add(core_loop(core), store_pass, core))
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
	loop_timer_cancel(core_loop(core), h->wake_timer);
	/* The loop may outlive this core (a test restarting natter). */
	loop_prepare_remove(core_loop(core), store_pass, core);
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
	note_write(core, h);
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
	note_write(core, h);
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

int history_room_last(struct core *core, const char *room, char **sid, int64_t *ts_ms)
{
	struct history_state *h = hist(core);
	char *err = NULL, *key;
	int rc;

	*sid = NULL;
	*ts_ms = 0;
	if (!h || !h->store || !(key = jid_bare_key(room, NULL)))
		return -1;
	rc = store_room_last(h->store, key, sid, ts_ms, &err);
	if (rc < 0) {
		log_error("history: %s", err ? err : "?");
		free(err);
	}
	free(key);
	return rc;
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
	note_write(core, h);
	if (store_kv_set(h->store, key, value, &err)) {
		log_warn("cache %s could not be saved: %s", key, err ? err : "?");
		free(err);
		return -1;
	}
	return 0;
}

int history_commit_now(struct core *core)
{
	struct history_state *h = hist(core);

	if (!h || !h->store)
		return -1;
	if (store_pending(h->store))
		commit(core, h, loop_time(core_loop(core)));
	return h->commit_failed ? -1 : 0;
}

int history_kv_del(struct core *core, const char *key)
{
	struct history_state *h = hist(core);
	char *err = NULL;

	if (!h || !h->store)
		return -1;
	note_write(core, h);
	if (store_kv_del(h->store, key, &err)) {
		log_warn("cache %s could not be removed: %s", key, err ? err : "?");
		free(err);
		return -1;
	}
	return 0;
}

int history_kv_each(struct core *core, const char *prefix, store_kv_fn fn, void *ud)
{
	struct history_state *h = hist(core);
	char *err = NULL;
	int n;

	if (!h || !h->store)
		return -1;
	n = store_kv_each(h->store, prefix, fn, ud, &err);
	if (n < 0) {
		log_warn("cache %s could not be read: %s", prefix, err ? err : "?");
		free(err);
	}
	return n;
}

void history_stats(struct core *core, struct store_stats *out)
{
	struct history_state *h = hist(core);

	store_get_stats(h ? h->store : NULL, out);
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
	    .encrypted = keep(p, m->encryption),
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

static void ignore_row(const struct store_msg *m, void *ud)
{
	(void)m;
	(void)ud;
}

/* The store's peer for a conversation with jid: its bare JID's key, or,
 * for a full JID, the key of a private conversation with a room's
 * occupant (muc.h) when the store holds one.  malloc'd; NULL when jid is
 * not valid (*why) or out of memory. */
static char *conversation(struct history_state *h, const char *jid, const char **why)
{
	char *bare = jid_bare_key(jid, why), *full = NULL;
	const char *res = strchr(jid, '/');
	if (!bare || !res)
		return bare;
	if (asprintf(&full, "%s%s", bare, res) < 0)
		full = NULL;
	/* One row of it is enough to know it exists. */
	if (full && store_page(h->store, full, 0, 1, ignore_row, NULL, NULL) > 0) {
		free(bare);
		return full;
	}
	free(full);
	return bare;
}

int core_history_page(struct core *core, const char *peer, long long before_id, int n,
                      void (*fn)(const struct nt_history_message *m, void *ud), void *ud)
{
	struct history_state *h = hist(core);
	struct page p = {0};
	char *key = h && h->store ? conversation(h, peer, NULL) : NULL, *err = NULL;
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
	if (!have_store(call))
		return -1;
	jid = roster_resolve(CALL_CORE(call), CAUSE(call), call->argv[0]);
	if (!jid)
		return -1;
	/* A room's occupant keeps its nick: the private conversation's key. */
	key = conversation(hist(CALL_CORE(call)), jid, &why);
	free(jid);
	if (!key) {
		core_error(CALL_CORE(call), CAUSE(call), "jid-malformed",
		           "'%s' is not a valid JID: %s", call->argv[0], why ? why : "invalid");
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
    {.name = "history",
     .usage = "JID [N]",
     .help = "show the last N messages with JID (20 by default)",
     .min_args = 1,
     .max_args = 2,
     .complete = {"@jid"},
     .exec = cmd_show},
    {.name = "history search",
     .usage = "TEXT",
     .help = "search every conversation (full-text)",
     .min_args = 1,
     .max_args = 1,
     .rest = true,
     .exec = cmd_search},
};

const struct core_module history_module = {
    .name = "history",
    .title = "History",
    .init = history_init,
    .free = history_free,
    .commands = commands,
    .ncommands = COUNT(commands),
};
