/* History in SQLite: opening, the write batch and its journal, reading.
 * The schema, and the statements its indexes serve, are in schema.c.
 *
 * Every write of the open batch is also kept in memory (the journal)
 * until COMMIT succeeds.  SQLite may roll a transaction back on its own
 * when the disk is full or an I/O error occurs; the journal is then
 * replayed into a fresh transaction by the next store_commit(), so a full
 * disk loses nothing while natter runs.  The journal only ever holds one
 * batch (the caller's policy: in natter, at most 500 writes or a quarter
 * of a second) while the disk is healthy. */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "config/paths.h"
#include "store/fts_tokenizer.h"
#include "store/schema.h"
#include "store/vfs_batch.h"
#include "store/store.h"
#include "util/log.h"

/* Another natter on the same account is the only other writer; the core
 * thread must not wait on it for long. */
#define BUSY_TIMEOUT_MS 1000
#define STR_(x)         #x
#define STR(x)          STR_(x)

/* OP_CORRECT and OP_RETRACT add the row of the correction or retraction
 * (an OP_ADD without text) and then change the row they act on. */
enum op_kind { OP_ADD, OP_DELIVERY, OP_KV, OP_KV_DEL, OP_CORRECT, OP_RETRACT };

/* One write of the open batch; its strings live in buf. */
struct op {
	struct op *next;
	enum op_kind kind;
	bool wrote;              /* the last run changed the database */
	struct store_msg m;      /* OP_ADD; OP_DELIVERY uses peer, stanza_id, delivery */
	const char *sender;      /* OP_ADD: the dedup key's sender (schema.c) */
	int64_t dkey, akey;      /* OP_ADD: schema_key() of its ids, 0: none */
	int64_t rkey, ckey;      /* OP_ADD, groupchat: the room's id, the content */
	int64_t target;          /* OP_CORRECT, OP_RETRACT: the row acted on */
	const char *key, *value; /* OP_KV; OP_KV_DEL: key only */
	char buf[];
};

struct store {
	sqlite3 *db;
	sqlite3_stmt *st[SQL_COUNT];
	struct op *head, **tail; /* the journal, oldest first */
	size_t nops;
	bool in_txn;  /* BEGIN done, COMMIT not yet */
	bool broken;  /* SQLite lost the batch: only the journal holds it */
	bool reading; /* inside a store_row_fn */
	int broken_rc;
	int64_t last_id;      /* the row the last OP_ADD stored */
	bool last_wrote;      /* the last op changed a row (a delivery state found its message) */
	int64_t batch_max;    /* the highest row id the open batch stored */
	int64_t max_id;       /* the highest committed row id we know of */
	int64_t indexed_upto; /* fts_state.upto as we last saw it */
	int64_t keys_upto;    /* keys_state.upto as we last saw it */
	int64_t pending_upto; /* temp.pending holds the keys of every committed row above
	                       * keys_upto up to this one (schema.c, version 7) */
	int64_t txn_max;      /* the highest row id when the open transaction began */
	/* the full-text index's own tokenizer, for rows not indexed yet */
	fts5_tokenizer tok;
	Fts5Tokenizer *tokenizer;
	struct toks *scratch; /* a body's tokens, reused row after row */
	struct store_stats stats;
	int wal_frames; /* pages in the WAL since its last reset */
};

__attribute__((format(printf, 2, 3))) static void set_err(char **err, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return;
	free(*err);
	va_start(ap, fmt);
	if (vasprintf(err, fmt, ap) < 0)
		*err = NULL;
	va_end(ap);
}

/* ---- opening ---- */

/* The account's directory: created 0700, and refused when others may
 * look into it (the history is as private as the messages). */
static int check_dir(const char *dir, char **err)
{
	struct stat st;

	if (paths_mkdir_private(dir) || stat(dir, &st)) {
		set_err(err, "cannot create %s: %s", dir, strerror(errno));
		return -1;
	}
	if (st.st_mode & 077) {
		set_err(err, "%s is open to other users (mode %03o): run 'chmod 700 %s'", dir,
		        (unsigned)(st.st_mode & 0777), dir);
		return -1;
	}
	return 0;
}

/* Creates path 0600 whatever the umask (SQLite would use 0644 & ~umask),
 * or checks that an existing file is private.  SQLite gives the -wal and
 * -shm files the database's mode. */
static int create_private(const char *path, char **err)
{
	struct stat st;
	int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);

	if (fd >= 0) {
		/* the umask may have removed bits we need (it never adds any) */
		if (fchmod(fd, 0600) < 0) {
			set_err(err, "cannot set the mode of %s: %s", path, strerror(errno));
			close(fd);
			return -1;
		}
		close(fd);
		return 0;
	}
	if (errno != EEXIST || lstat(path, &st)) {
		set_err(err, "cannot create %s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		set_err(err, "%s is not a regular file", path);
		return -1;
	}
	if (st.st_mode & 077) {
		set_err(err, "%s is open to other users (mode %03o): run 'chmod 600 %s'", path,
		        (unsigned)(st.st_mode & 0777), path);
		return -1;
	}
	return 0;
}

/* How big the WAL may stay on disk once checkpointed: SQLite truncates it
 * to this when it starts over. */
#define WAL_KEEP_BYTES 1048576

static int pragmas(sqlite3 *db, char **err)
{
	/* synchronous=NORMAL with WAL: a crash (kill -9) loses nothing
	 * committed; a power cut may lose the last commits, never the file.
	 * A burst's dirty pages (index leaves all over the file at a million
	 * messages) must fit in the cache, or SQLite spills them to the WAL
	 * and writes them again; the cache grows only as pages are read.
	 * Checkpoints are the caller's (store_checkpoint, when the stream is
	 * quiet): the wal hook below replaces SQLite's automatic one, which
	 * would copy the WAL into the database in the middle of a burst.
	 * Statement journals (the savepoint around indexing in a batch) stay
	 * in memory rather than in a temporary file written for each batch. */
	static const char sql[] = "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;"
	                          " PRAGMA cache_size = -32768; PRAGMA temp_store = MEMORY;"
	                          " PRAGMA journal_size_limit = " STR(WAL_KEEP_BYTES) ";";
	char *msg = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) == SQLITE_OK)
		return 0;
	set_err(err, "cannot set up %s: %s", sqlite3_db_filename(db, "main"),
	        msg ? msg : sqlite3_errmsg(db));
	sqlite3_free(msg);
	return -1;
}

/* After every commit: how many frames the WAL holds. */
static int wal_hook(void *ud, sqlite3 *db, const char *name, int frames)
{
	struct store *s = ud;

	(void)db;
	(void)name;
	s->wal_frames = frames;
	return SQLITE_OK;
}

/* ---- matching rows the full-text index has not seen ---- */

/* The tokens of a text as FTS5 indexes them (folded, without accents),
 * NUL-terminated one after the other in buf. */
struct toks {
	char *buf;
	size_t len, cap;
	size_t *off;
	size_t n, ncap;
	size_t *ends; /* a query's words: where each one's tokens end */
	bool *prefix; /* and whether the last of them is a prefix */
	size_t nwords;
};

/* The part of a searched word that is looked for: "pas*" looks for words
 * starting with "pas", as FTS5's prefix queries do. */
static size_t word_stem(const char *word, size_t len, bool *prefix)
{
	*prefix = len > 1 && word[len - 1] == '*';
	return *prefix ? len - 1 : len;
}

static int take_token(void *ctx, int flags, const char *tok, int ntok, int start, int end)
{
	struct toks *t = ctx;
	size_t need = (size_t)ntok + 1;

	/* synonyms; unicode61 makes none, and the index would not match on
	 * them either without a query flag we never use */
	if (flags & FTS5_TOKEN_COLOCATED)
		return SQLITE_OK;
	if (t->n == t->ncap) {
		size_t ncap = t->ncap ? 2 * t->ncap : 64;
		size_t *off = realloc(t->off, ncap * sizeof(*off));

		if (!off)
			return SQLITE_NOMEM;
		t->off = off;
		t->ncap = ncap;
	}
	if (t->len + need > t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 512;
		char *buf;

		while (cap < t->len + need)
			cap *= 2;
		buf = realloc(t->buf, cap);
		if (!buf)
			return SQLITE_NOMEM;
		t->buf = buf;
		t->cap = cap;
	}
	t->off[t->n++] = t->len;
	memcpy(t->buf + t->len, tok, (size_t)ntok);
	t->len += (size_t)ntok;
	t->buf[t->len++] = '\0';
	return SQLITE_OK;
}

static void toks_free(void *p)
{
	struct toks *t = p;

	if (!t)
		return;
	free(t->buf);
	free(t->off);
	free(t->ends);
	free(t->prefix);
	free(t);
}

static int tokenize(struct store *s, struct toks *t, int flags, const char *text, size_t len)
{
	if (len > INT_MAX)
		return SQLITE_TOOBIG;
	return s->tok.xTokenize(s->tokenizer, t, flags, text, (int)len, take_token);
}

/* The user's words, split as fts_query() splits them, each tokenized on
 * its own: each is a phrase of the FTS5 query. */
static struct toks *query_toks(struct store *s, const char *text)
{
	static const char space[] = " \t\n\r\f\v";
	struct toks *t = calloc(1, sizeof(*t));

	size_t maxwords = strlen(text) / 2 + 1;

	if (!t || !(t->ends = malloc(maxwords * sizeof(*t->ends))) ||
	    !(t->prefix = malloc(maxwords * sizeof(*t->prefix)))) {
		toks_free(t);
		return NULL;
	}
	for (const char *p = text + strspn(text, space); *p; p += strspn(p, space)) {
		size_t w = strcspn(p, space);
		bool prefix;
		size_t stem = word_stem(p, w, &prefix);

		if (tokenize(s, t, FTS5_TOKENIZE_QUERY | (prefix ? FTS5_TOKENIZE_PREFIX : 0), p,
		             stem) != SQLITE_OK) {
			toks_free(t);
			return NULL;
		}
		t->prefix[t->nwords] = prefix;
		t->ends[t->nwords++] = t->n;
		p += w;
	}
	return t;
}

/* Whether every word of q occurs in body as consecutive tokens: what the
 * index answers for fts_query()'s query.  A word without tokens (only
 * punctuation) makes FTS5 match nothing; so here. */
static bool toks_match(const struct toks *body, const struct toks *q)
{
	size_t start = 0;

	if (!q->nwords)
		return false;
	for (size_t w = 0; w < q->nwords; start = q->ends[w++]) {
		size_t nt = q->ends[w] - start;
		bool found = false;

		if (!nt || nt > body->n)
			return false;
		for (size_t i = 0; i + nt <= body->n && !found; i++) {
			size_t j = 0;

			while (j < nt &&
			       !strcmp(body->buf + body->off[i + j], q->buf + q->off[start + j]))
				j++;
			/* a prefix word's last token needs only start the body's */
			if (j == nt - 1 && q->prefix[w]) {
				const char *qt = q->buf + q->off[start + j];

				j += !strncmp(body->buf + body->off[i + j], qt, strlen(qt));
			}
			found = j == nt;
		}
		if (!found)
			return false;
	}
	return true;
}

/* natter_match(body, query) */
static void match_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	struct store *s = sqlite3_user_data(ctx);
	struct toks *q = sqlite3_get_auxdata(ctx, 1), *b = s->scratch;
	const char *body = (const char *)sqlite3_value_text(argv[0]);
	const char *query = (const char *)sqlite3_value_text(argv[1]);
	int rc;

	if (!body || !query) {
		sqlite3_result_int(ctx, 0);
		return;
	}
	if (!q) {
		/* once per statement, not once per row */
		q = query_toks(s, query);
		if (!q) {
			sqlite3_result_error_nomem(ctx);
			return;
		}
		sqlite3_set_auxdata(ctx, 1, q, toks_free);
		q = sqlite3_get_auxdata(ctx, 1);
		if (!q) {
			sqlite3_result_error_nomem(ctx);
			return;
		}
	}
	b->n = b->len = 0;
	rc = tokenize(s, b, FTS5_TOKENIZE_DOCUMENT, body, (size_t)sqlite3_value_bytes(argv[0]));
	if (rc != SQLITE_OK) {
		sqlite3_result_error_code(ctx, rc);
		return;
	}
	sqlite3_result_int(ctx, toks_match(b, q));
}

/* The tokenizer messages_fts uses, with its arguments (schema.c), and the
 * SQL function that applies it. */
static int setup_match(struct store *s, char **err)
{
	static const char *args[] = {"remove_diacritics", "2"};
	void *ud = NULL;

	if (fts_tokenizer_find(s->db, &ud, &s->tok) != SQLITE_OK ||
	    s->tok.xCreate(ud, args, 2, &s->tokenizer) != SQLITE_OK) {
		s->tokenizer = NULL;
		set_err(err, "cannot set up full-text search: %s", sqlite3_errmsg(s->db));
		return -1;
	}
	s->scratch = calloc(1, sizeof(*s->scratch));
	if (!s->scratch) {
		set_err(err, "out of memory");
		return -1;
	}
	if (sqlite3_create_function_v2(s->db, "natter_match", 2,
	                               SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_DIRECTONLY, s,
	                               match_fn, NULL, NULL, NULL) != SQLITE_OK) {
		set_err(err, "cannot set up full-text search: %s", sqlite3_errmsg(s->db));
		return -1;
	}
	return 0;
}

/* Runs st, which returns one integer (NULL: 0), into *v; an SQLite
 * result code. */
static int step_int64(sqlite3_stmt *st, int64_t *v)
{
	int rc = sqlite3_step(st);

	*v = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? SQLITE_OK : rc;
}

static int prepare_all(struct store *s, char **err)
{
	for (int i = 0; i < SQL_COUNT; i++) {
		if (sqlite3_prepare_v3(s->db, schema_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
		                       &s->st[i], NULL) != SQLITE_OK) {
			set_err(err, "cannot prepare statement %d: %s", i, sqlite3_errmsg(s->db));
			return -1;
		}
	}
	return 0;
}

static void close_db(struct store *s)
{
	for (int i = 0; i < SQL_COUNT; i++)
		sqlite3_finalize(s->st[i]);
	if (s->tokenizer)
		s->tok.xDelete(s->tokenizer);
	toks_free(s->scratch);
	/* the last connection to close checkpoints and removes the WAL */
	sqlite3_close(s->db);
}

struct store *store_open(const char *dir, char **err)
{
	struct store *s;
	char *path = NULL;
	int rc;

	*err = NULL;
	if (check_dir(dir, err))
		return NULL;
	if (asprintf(&path, "%s/history.db", dir) < 0) {
		set_err(err, "out of memory");
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		set_err(err, "out of memory");
		free(path);
		return NULL;
	}
	s->tail = &s->head;
	if (create_private(path, err))
		goto fail;
	rc = sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
	                     vfs_batch_name());
	if (rc != SQLITE_OK) {
		set_err(err, "cannot open %s: %s", path,
		        s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
		goto fail;
	}
	sqlite3_extended_result_codes(s->db, 1);
	sqlite3_busy_timeout(s->db, BUSY_TIMEOUT_MS);
	/* the version check comes first: a newer natter's file is left as
	 * it is, journal mode included */
	if (fts_tokenizer_register(s->db) != SQLITE_OK) {
		set_err(err, "cannot set up full-text search: %s", sqlite3_errmsg(s->db));
		goto fail;
	}
	/* Only a new, empty file takes it.  8 KB rather than 4: a WAL frame
	 * costs two write calls and a checkpoint one more per page, so a
	 * flood of 10,000 messages took 5,400 calls with 4 KB pages, 3,100
	 * with 8 KB; bigger pages cost bytes instead, as every commit
	 * rewrites the partly filled pages at the end of each B-tree (16 KB:
	 * 1,900 calls but 17.5 MB written rather than 13). */
	if (sqlite3_exec(s->db, "PRAGMA page_size = 8192", NULL, NULL, NULL) != SQLITE_OK ||
	    schema_migrate(s->db, err) || pragmas(s->db, err) || setup_match(s, err))
		goto fail;
	if (sqlite3_exec(s->db, schema_temp_sql, NULL, NULL, NULL) != SQLITE_OK) {
		set_err(err, "cannot set up %s: %s", path, sqlite3_errmsg(s->db));
		goto fail;
	}
	if (prepare_all(s, err))
		goto fail;
	sqlite3_wal_hook(s->db, wal_hook, s);
	rc = step_int64(s->st[SQL_FTS_UPTO], &s->indexed_upto);
	if (rc == SQLITE_OK)
		rc = step_int64(s->st[SQL_KEYS_UPTO], &s->keys_upto);
	if (rc == SQLITE_OK)
		rc = step_int64(s->st[SQL_MAX_ID], &s->max_id);
	/* the first transaction reads the keys of the rows above keys_upto */
	s->pending_upto = s->keys_upto;
	if (rc != SQLITE_OK) {
		set_err(err, "cannot read %s: %s", path, sqlite3_errmsg(s->db));
		goto fail;
	}
	free(path);
	return s;
fail:
	if (!*err)
		set_err(err, "out of memory");
	if (s->db)
		close_db(s);
	free(s);
	free(path);
	return NULL;
}

/* ---- the journal ---- */

static size_t len0(const char *p)
{
	return p ? strlen(p) + 1 : 0;
}

/* Copies src to *p and moves *p past it; NULL stays NULL. */
static const char *put(char **p, const char *src, size_t n)
{
	char *r = *p;

	if (!src)
		return NULL;
	memcpy(r, src, n);
	r[n] = '\0';
	*p += n + 1;
	return r;
}

static bool is_groupchat(const struct store_msg *m)
{
	return m->type && !strcmp(m->type, "groupchat");
}

#define OCCUPANT_PREFIX "occupant-id "

/* The dedup key's sender (schema.c): '' for our own messages, the
 * occupant in a room — by XEP-0421 id when the room gives one, which no
 * JID can look like (a localpart has no space), else the occupant's JID —
 * and otherwise the bare JID of from unless it is the peer itself.  Its
 * length in *len; the text is taken from (*src, *len) after *prefix. */
static void sender_of(const struct store_msg *m, const char **prefix, const char **src, size_t *len)
{
	size_t n;

	*prefix = "";
	*src = m->from;
	*len = 0;
	if (m->direction == STORE_OUT || !m->from)
		return;
	if (is_groupchat(m)) {
		if (m->occupant_id) {
			*prefix = OCCUPANT_PREFIX;
			*src = m->occupant_id;
		}
		*len = strlen(*src);
		return;
	}
	n = strcspn(m->from, "/");
	if (n == strlen(m->peer) && !strncasecmp(m->from, m->peer, n))
		return;
	*len = n;
}

static struct op *op_add_new(const struct store_msg *m)
{
	const char *strs[] = {m->peer,       m->type,     m->from,        m->to,
	                      m->body,       m->xhtml,    m->stanza_id,   m->origin_id,
	                      m->archive_id, m->room_sid, m->occupant_id, m->encryption,
	                      m->oob_url};
	const char *prefix, *ssrc;
	size_t size = 0, slen, plen;
	struct op *op;
	char *p, *sender;

	sender_of(m, &prefix, &ssrc, &slen);
	plen = strlen(prefix);
	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
		size += len0(strs[i]);
	op = calloc(1, sizeof(*op) + size + plen + slen + 1);
	if (!op)
		return NULL;
	op->kind = OP_ADD;
	op->m = *m;
	op->m.id = 0;
	p = op->buf;
	op->m.peer = put(&p, m->peer, strlen(m->peer));
	op->m.type = put(&p, m->type, len0(m->type) - 1);
	op->m.from = put(&p, m->from, len0(m->from) - 1);
	op->m.to = put(&p, m->to, len0(m->to) - 1);
	op->m.body = put(&p, m->body, len0(m->body) - 1);
	op->m.xhtml = put(&p, m->xhtml, len0(m->xhtml) - 1);
	op->m.stanza_id = put(&p, m->stanza_id, len0(m->stanza_id) - 1);
	op->m.origin_id = put(&p, m->origin_id, len0(m->origin_id) - 1);
	op->m.archive_id = put(&p, m->archive_id, len0(m->archive_id) - 1);
	op->m.room_sid = put(&p, m->room_sid, len0(m->room_sid) - 1);
	op->m.occupant_id = put(&p, m->occupant_id, len0(m->occupant_id) - 1);
	op->m.encryption = put(&p, m->encryption, len0(m->encryption) - 1);
	op->m.oob_url = put(&p, m->oob_url, len0(m->oob_url) - 1);
	sender = p;
	memcpy(sender, prefix, plen);
	memcpy(sender + plen, slen ? ssrc : "", slen);
	sender[plen + slen] = '\0';
	op->sender = sender;
	/* a bare JID's case does not matter (its resource's does) */
	if (!is_groupchat(m))
		for (char *c = sender; *c; c++)
			if (*c >= 'A' && *c <= 'Z')
				*c += 'a' - 'A';
	/* computed once: a replay after a full disk runs the op again */
	if (op->m.origin_id)
		op->dkey = schema_key(SCHEMA_KEY_ORIGIN, op->m.peer, op->m.direction, op->sender,
		                      op->m.origin_id);
	else if (op->m.stanza_id)
		op->dkey = schema_key(SCHEMA_KEY_STANZA, op->m.peer, op->m.direction, op->sender,
		                      op->m.stanza_id);
	if (op->m.archive_id)
		op->akey = schema_key(SCHEMA_KEY_ARCHIVE, NULL, 0, NULL, op->m.archive_id);
	if (is_groupchat(m) && op->m.room_sid)
		op->rkey = schema_key(SCHEMA_KEY_ROOM, op->m.peer, 0, NULL, op->m.room_sid);
	if (is_groupchat(m) && op->m.body)
		op->ckey = schema_key(SCHEMA_KEY_CONTENT, op->m.peer, op->m.direction, op->sender,
		                      op->m.body);
	return op;
}

static struct op *op_delivery_new(const char *peer, const char *stanza_id,
                                  enum store_delivery state)
{
	size_t np = strlen(peer), ns = strlen(stanza_id);
	struct op *op = calloc(1, sizeof(*op) + np + ns + 2);
	char *p;

	if (!op)
		return NULL;
	op->kind = OP_DELIVERY;
	p = op->buf;
	op->m.peer = put(&p, peer, np);
	op->m.stanza_id = put(&p, stanza_id, ns);
	op->m.delivery = state;
	/* our messages' sender is '' (schema.c); akey holds the second key */
	op->dkey = schema_key(SCHEMA_KEY_ORIGIN, peer, STORE_OUT, "", stanza_id);
	op->akey = schema_key(SCHEMA_KEY_STANZA, peer, STORE_OUT, "", stanza_id);
	return op;
}

/* value NULL: the key's removal. */
static struct op *op_kv_new(const char *key, const char *value)
{
	size_t nk = strlen(key), nv = len0(value);
	struct op *op = calloc(1, sizeof(*op) + nk + nv + 2);
	char *p;

	if (!op)
		return NULL;
	op->kind = value ? OP_KV : OP_KV_DEL;
	p = op->buf;
	op->key = put(&p, key, nk);
	op->value = put(&p, value, nv ? nv - 1 : 0);
	return op;
}

static void journal_push(struct store *s, struct op *op)
{
	op->next = NULL;
	*s->tail = op;
	s->tail = &op->next;
	s->nops++;
}

static void journal_clear(struct store *s)
{
	struct op *op, *next;

	for (op = s->head; op; op = next) {
		next = op->next;
		free(op);
	}
	s->head = NULL;
	s->tail = &s->head;
	s->nops = 0;
}

/* ---- running statements ---- */

/* Runs a statement that returns no rows to the caller and makes it ready
 * for the next use; an SQLite result code (SQLITE_OK when it worked). */
static int run(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? SQLITE_OK : rc;
}

/* BEGIN IMMEDIATE, then the keys of rows committed since we last looked
 * (another writer's; ours are there already) go into temp.pending: with
 * the write lock held, no row can come in between.  An SQLite result
 * code; the transaction is open when it is SQLITE_OK. */
static int begin(struct store *s)
{
	sqlite3_stmt *st = s->st[SQL_PENDING_SYNC];
	int rc = run(s->st[SQL_BEGIN]);

	if (rc != SQLITE_OK)
		return rc;
	sqlite3_bind_int64(st, 1, s->pending_upto);
	rc = run(st);
	if (rc == SQLITE_OK)
		rc = step_int64(s->st[SQL_MAX_ID], &s->txn_max);
	if (rc != SQLITE_OK)
		run(s->st[SQL_ROLLBACK]);
	return rc;
}

/* After a commit: temp.pending holds the keys of every row there is. */
static void committed(struct store *s)
{
	if (s->txn_max > s->pending_upto)
		s->pending_upto = s->txn_max;
	if (s->batch_max > s->pending_upto)
		s->pending_upto = s->batch_max;
}

static int pend_key(struct store *s, int64_t key, int64_t id)
{
	sqlite3_stmt *st = s->st[SQL_PENDING_ADD];

	sqlite3_bind_int64(st, 1, key);
	sqlite3_bind_int64(st, 2, id);
	return run(st);
}

/* The keys of a row just inserted, as bind_msg() stored them: found by
 * the next message's lookup before they are merged into keys. */
static int pend_keys(struct store *s, const struct op *op)
{
	const struct store_msg *m = &op->m;
	int rc = SQLITE_OK;

	if (m->origin_id || m->stanza_id)
		rc = pend_key(s, op->dkey, m->id);
	if (rc == SQLITE_OK && m->archive_id)
		rc = pend_key(s, op->akey, m->id);
	if (rc == SQLITE_OK && op->rkey)
		rc = pend_key(s, op->rkey, m->id);
	if (rc == SQLITE_OK && op->ckey && !op->rkey)
		rc = pend_key(s, op->ckey, m->id);
	return rc;
}

/* A key set on a stored row: into keys at once, whether the row is
 * merged already or not (the merge reads temp.pending, which took the
 * row's keys before this one). */
static int add_key(struct store *s, int64_t key, int64_t id)
{
	sqlite3_stmt *st = s->st[SQL_KEY_ADD];

	sqlite3_bind_int64(st, 1, key);
	sqlite3_bind_int64(st, 2, id);
	return run(st);
}

static void bind_msg(sqlite3_stmt *st, const struct op *op)
{
	const struct store_msg *m = &op->m;
	/* a correction's or retraction's own row keeps its ids, no text */
	bool mark = op->kind == OP_CORRECT || op->kind == OP_RETRACT;

	if (m->id)
		sqlite3_bind_int64(st, 1, m->id);
	else
		sqlite3_bind_null(st, 1);
	sqlite3_bind_text(st, 2, m->peer, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, m->direction);
	sqlite3_bind_text(st, 4, m->type, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, m->ts_ms);
	sqlite3_bind_text(st, 6, m->from, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, m->to, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 8, op->sender, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 9, mark ? NULL : m->body, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 10, mark ? NULL : m->xhtml, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 11, m->stanza_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 12, m->origin_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 13, m->archive_id, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 14, m->delivery);
	sqlite3_bind_int(st, 15, m->carbon);
	sqlite3_bind_int(st, 16, m->delayed);
	if (m->origin_id || m->stanza_id)
		sqlite3_bind_int64(st, 17, op->dkey);
	if (m->archive_id)
		sqlite3_bind_int64(st, 18, op->akey);
	sqlite3_bind_text(st, 19, m->room_sid, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 20, m->occupant_id, -1, SQLITE_STATIC);
	if (op->rkey)
		sqlite3_bind_int64(st, 21, op->rkey);
	/* only what the room did not number is known by its words */
	if (op->ckey && !op->rkey)
		sqlite3_bind_int64(st, 22, op->ckey);
	if (op->ckey && m->delayed)
		sqlite3_bind_int64(st, 23, m->ts_ms);
	sqlite3_bind_text(st, 24, m->encryption, -1, SQLITE_STATIC);
	if (mark)
		sqlite3_bind_int64(st, 25, op->target);
	sqlite3_bind_text(st, 26, mark ? NULL : m->oob_url, -1, SQLITE_STATIC);
}

/* What a correction or retraction does to the row it names, once its own
 * row is in. */
static int apply_mark(struct store *s, const struct op *op)
{
	sqlite3_stmt *st = s->st[op->kind == OP_CORRECT ? SQL_CORRECT : SQL_RETRACT];

	sqlite3_bind_int64(st, 1, op->target);
	if (op->kind == OP_CORRECT) {
		sqlite3_bind_text(st, 2, op->m.body, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, op->m.xhtml, -1, SQLITE_STATIC);
	}
	return run(st);
}

/* The stored row a message duplicates, and what that row still lacks. */
struct dup {
	int64_t id;       /* 0: none */
	bool no_archive;  /* the row has no archive id yet */
	bool no_room_sid; /* ... no room stanza-id yet */
	bool unclaimed;   /* found by its words: a live row without the room's time */
};

/* Runs st (bound) for one row: its id in d->id and, when the statement
 * returns them, the flags in columns 1..3.  An SQLite result code. */
static int step_dup(sqlite3_stmt *st, struct dup *d, int flags)
{
	int rc = sqlite3_step(st);

	if (rc == SQLITE_ROW) {
		d->id = sqlite3_column_int64(st, 0);
		d->no_archive = flags > 0 && sqlite3_column_int(st, 1);
		d->no_room_sid = flags > 1 && sqlite3_column_int(st, 2);
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* The row that op duplicates (d->id, 0 when there is none): by archive
 * id, by room stanza-id, by origin or stanza id, and for a room's replayed
 * message without ids, by its words (store.h).  An SQLite result code. */
static int find_dup(struct store *s, const struct op *op, struct dup *d)
{
	const struct store_msg *m = &op->m;
	sqlite3_stmt *st;
	int rc;

	memset(d, 0, sizeof(*d));
	if (m->archive_id) {
		st = s->st[SQL_FIND_ARCHIVE];
		sqlite3_bind_int64(st, 1, op->akey);
		sqlite3_bind_text(st, 2, m->archive_id, -1, SQLITE_STATIC);
		if ((rc = step_dup(st, d, 0)) != SQLITE_OK || d->id)
			return rc;
	}
	if (op->rkey) {
		st = s->st[SQL_FIND_ROOM];
		sqlite3_bind_int64(st, 1, op->rkey);
		sqlite3_bind_text(st, 2, m->peer, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, m->room_sid, -1, SQLITE_STATIC);
		if ((rc = step_dup(st, d, 0)) != SQLITE_OK || d->id)
			return rc;
	}
	if (m->origin_id || m->stanza_id) {
		st = s->st[m->origin_id ? SQL_FIND_ORIGIN : SQL_FIND_STANZA];
		sqlite3_bind_int64(st, 1, op->dkey);
		sqlite3_bind_text(st, 2, m->peer, -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 3, m->direction);
		sqlite3_bind_text(st, 4, op->sender, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 5, m->origin_id ? m->origin_id : m->stanza_id, -1,
		                  SQLITE_STATIC);
		return step_dup(st, d, 2);
	}
	if (!op->ckey || !m->delayed)
		return SQLITE_OK;
	st = s->st[SQL_FIND_CONTENT];
	for (int live = 0; live < 2 && !d->id; live++) {
		sqlite3_bind_int64(st, 1, op->ckey);
		sqlite3_bind_text(st, 2, m->peer, -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 3, m->direction);
		sqlite3_bind_text(st, 4, op->sender, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 5, m->ts_ms);
		sqlite3_bind_int64(st, 6, STORE_ROOM_SKEW_MS);
		sqlite3_bind_text(st, 7, m->body, -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 8, live);
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW) {
			d->id = sqlite3_column_int64(st, 0);
			d->no_room_sid = sqlite3_column_int(st, 1);
			d->unclaimed = sqlite3_column_int(st, 2);
		}
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
		if (rc != SQLITE_ROW && rc != SQLITE_DONE)
			return rc;
	}
	return SQLITE_OK;
}

/* Runs an update of row id (bound from 2 on by the caller, ?1 here as
 * text or integer) and notes whether it changed anything. */
static int update_row(struct store *s, struct op *op, sqlite3_stmt *st)
{
	int rc = run(st);

	if (rc == SQLITE_OK && sqlite3_changes(s->db))
		op->wrote = true;
	return rc;
}

/* A duplicate that brings what the stored row lacks: an archive id (the
 * message was stored live without one — our own message, or a server that
 * does not stamp live messages — and this is its archive copy), a room's
 * stanza-id (our message, echoed by the room), or the room's time of a
 * row found by its words.  The stored row gets it, so catch-ups know where
 * they stand and the next copy is caught by that id alone. */
static int complete_dup(struct store *s, struct op *op, const struct dup *d)
{
	sqlite3_stmt *st;
	int rc = SQLITE_OK;

	if (d->no_archive && op->m.archive_id) {
		st = s->st[SQL_ATTACH];
		sqlite3_bind_text(st, 1, op->m.archive_id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, op->akey);
		sqlite3_bind_int64(st, 3, d->id);
		rc = update_row(s, op, st);
		if (rc == SQLITE_OK && sqlite3_changes(s->db))
			rc = add_key(s, op->akey, d->id);
	}
	if (rc == SQLITE_OK && d->no_room_sid && op->rkey) {
		st = s->st[SQL_ATTACH_ROOM];
		sqlite3_bind_text(st, 1, op->m.room_sid, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, op->rkey);
		sqlite3_bind_int64(st, 3, d->id);
		rc = update_row(s, op, st);
		if (rc == SQLITE_OK && sqlite3_changes(s->db))
			rc = add_key(s, op->rkey, d->id);
	}
	if (rc == SQLITE_OK && d->unclaimed) {
		st = s->st[SQL_CLAIM];
		sqlite3_bind_int64(st, 1, op->m.ts_ms);
		sqlite3_bind_int64(st, 2, d->id);
		rc = update_row(s, op, st);
	}
	return rc;
}

static int exec_add(struct store *s, struct op *op)
{
	sqlite3_stmt *st = s->st[SQL_INSERT];
	struct dup d;
	int rc = find_dup(s, op, &d);

	if (rc != SQLITE_OK)
		return rc;
	if (d.id) {
		/* a replay that another writer's copy beat to it stores nothing */
		op->m.id = 0;
		return complete_dup(s, op, &d);
	}
	bind_msg(st, op);
	rc = run(st);
	if (rc != SQLITE_OK)
		return rc;
	if (!sqlite3_changes(s->db) && op->m.id) {
		/* a replay whose row id another writer took meanwhile */
		op->m.id = 0;
		bind_msg(st, op);
		rc = run(st);
		if (rc != SQLITE_OK)
			return rc;
	}
	op->m.id = sqlite3_last_insert_rowid(s->db);
	op->wrote = true;
	if ((rc = pend_keys(s, op)) != SQLITE_OK)
		return rc;
	if (op->m.id > s->batch_max)
		s->batch_max = op->m.id;
	return op->kind == OP_ADD ? SQLITE_OK : apply_mark(s, op);
}

static int exec_op(struct store *s, struct op *op)
{
	sqlite3_stmt *st;
	int rc;

	op->wrote = false;
	switch (op->kind) {
	case OP_ADD:
	case OP_CORRECT:
	case OP_RETRACT:
		return exec_add(s, op);
	case OP_DELIVERY:
		st = s->st[SQL_DELIVERY];
		sqlite3_bind_text(st, 1, op->m.peer, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, op->m.stanza_id, -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 3, op->m.delivery);
		sqlite3_bind_int64(st, 4, op->dkey);
		sqlite3_bind_int64(st, 5, op->akey);
		rc = run(st);
		op->wrote = rc == SQLITE_OK && sqlite3_changes(s->db) > 0;
		return rc;
	case OP_KV:
		st = s->st[SQL_KV_SET];
		sqlite3_bind_text(st, 1, op->key, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, op->value, -1, SQLITE_STATIC);
		rc = run(st);
		op->wrote = rc == SQLITE_OK;
		return rc;
	case OP_KV_DEL:
		st = s->st[SQL_KV_DEL];
		sqlite3_bind_text(st, 1, op->key, -1, SQLITE_STATIC);
		rc = run(st);
		/* kept even when nothing was there: a replay must still
		 * remove what an earlier op of the batch put */
		op->wrote = rc == SQLITE_OK;
		return rc;
	}
	return SQLITE_MISUSE;
}

/* Errors about the data itself fail the same way every time; anything
 * else (full disk, I/O error, a lock held too long) may pass later. */
static bool retryable(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_CONSTRAINT:
	case SQLITE_TOOBIG:
	case SQLITE_MISMATCH:
	case SQLITE_RANGE:
	case SQLITE_MISUSE:
		return false;
	}
	return true;
}

/* The open transaction is given up; the journal keeps its writes for the
 * next store_commit(). */
static void break_batch(struct store *s, int rc)
{
	if (!sqlite3_get_autocommit(s->db))
		run(s->st[SQL_ROLLBACK]);
	s->in_txn = false;
	s->broken = true;
	s->broken_rc = rc;
	/* the replay stores the rows again, and says where */
	s->batch_max = 0;
}

static void set_kept_err(struct store *s, char **err)
{
	set_err(err,
	        "the history cannot be written (%s): %zu change(s) kept in memory, tried again "
	        "at the next commit",
	        sqlite3_errstr(s->broken_rc), s->nops);
}

/* Nothing was written: end the transaction rather than hold the write
 * lock until a commit nobody will ask for (store_pending() is 0). */
static void end_if_empty(struct store *s)
{
	if (s->in_txn && !s->nops) {
		run(s->st[SQL_ROLLBACK]);
		s->in_txn = false;
	}
}

/* Runs op in the open batch, opening one if needed, and keeps it in the
 * journal until it is committed.  Takes op.  0, or -1 with *err. */
static int write_op(struct store *s, struct op *op, char **err)
{
	int rc = SQLITE_OK;

	s->last_id = 0;
	if (s->broken) {
		journal_push(s, op);
		set_kept_err(s, err);
		return -1;
	}
	if (!s->in_txn) {
		rc = begin(s);
		s->in_txn = rc == SQLITE_OK;
	}
	if (rc == SQLITE_OK)
		rc = exec_op(s, op);
	if (rc == SQLITE_OK) {
		s->last_wrote = op->wrote;
		if (op->kind == OP_ADD || op->kind == OP_CORRECT || op->kind == OP_RETRACT)
			s->last_id = op->wrote ? op->m.id : 0;
		if (op->wrote)
			journal_push(s, op);
		else
			free(op);
		end_if_empty(s);
		return 0;
	}
	if (!retryable(rc)) {
		set_err(err, "%s", sqlite3_errmsg(s->db));
		free(op);
		/* SQLite may have ended the transaction itself */
		if (s->in_txn && sqlite3_get_autocommit(s->db))
			break_batch(s, rc);
		end_if_empty(s);
		return -1;
	}
	journal_push(s, op);
	break_batch(s, rc);
	set_kept_err(s, err);
	return -1;
}

/* After a lost batch: runs the journal again in a new transaction. */
static int replay(struct store *s, char **err)
{
	struct op **pp = &s->head, *op;
	int rc = begin(s);

	if (rc != SQLITE_OK) {
		s->broken_rc = rc;
		set_kept_err(s, err);
		return -1;
	}
	s->in_txn = true;
	s->tail = &s->head;
	while ((op = *pp)) {
		rc = exec_op(s, op);
		if (rc != SQLITE_OK && (retryable(rc) || sqlite3_get_autocommit(s->db))) {
			s->tail = pp;
			while (*s->tail)
				s->tail = &(*s->tail)->next;
			break_batch(s, rc);
			set_kept_err(s, err);
			return -1;
		}
		if (rc != SQLITE_OK || !op->wrote) {
			/* refused for good, or a duplicate by now */
			if (rc != SQLITE_OK)
				log_error("history: a change was dropped: %s",
				          sqlite3_errmsg(s->db));
			*pp = op->next;
			free(op);
			s->nops--;
			continue;
		}
		s->tail = &op->next;
		pp = &op->next;
	}
	s->broken = false;
	end_if_empty(s);
	return 0;
}

/* ---- writing ---- */

static bool usable(struct store *s, char **err)
{
	if (!s) {
		set_err(err, "the history is not open");
		return false;
	}
	if (s->reading) {
		set_err(err, "the history was used from inside a page or search callback");
		return false;
	}
	return true;
}

int store_add(struct store *s, struct store_msg *m, char **err)
{
	struct op *op;

	if (!usable(s, err))
		return -1;
	m->id = 0;
	if (!m->peer || !*m->peer || (m->direction != STORE_IN && m->direction != STORE_OUT)) {
		set_err(err, "a message without a peer or direction cannot be stored");
		return -1;
	}
	op = op_add_new(m);
	if (!op) {
		set_err(err, "out of memory");
		return -1;
	}
	if (write_op(s, op, err))
		return -1;
	m->id = s->last_id;
	return m->id ? 1 : 0;
}

static int add_mark(struct store *s, enum op_kind kind, int64_t target, struct store_msg *m,
                    char **err)
{
	struct op *op;

	if (!usable(s, err))
		return -1;
	m->id = 0;
	if (!m->peer || !*m->peer || target <= 0 ||
	    (m->direction != STORE_IN && m->direction != STORE_OUT)) {
		set_err(err, "a correction or retraction needs a peer, a direction and a message");
		return -1;
	}
	op = op_add_new(m);
	if (!op) {
		set_err(err, "out of memory");
		return -1;
	}
	op->kind = kind;
	op->target = target;
	/* its row has no words of its own to be known by (bind_msg) */
	op->ckey = 0;
	if (write_op(s, op, err))
		return -1;
	m->id = s->last_id;
	return m->id ? 1 : 0;
}

int store_correct(struct store *s, int64_t target, struct store_msg *m, char **err)
{
	return add_mark(s, OP_CORRECT, target, m, err);
}

int store_retract(struct store *s, int64_t target, struct store_msg *m, char **err)
{
	return add_mark(s, OP_RETRACT, target, m, err);
}

int store_set_delivery(struct store *s, const char *peer, const char *stanza_id,
                       enum store_delivery state, char **err)
{
	struct op *op;

	if (!usable(s, err))
		return -1;
	if (!peer || !stanza_id) {
		set_err(err, "a delivery state needs a peer and a stanza id");
		return -1;
	}
	op = op_delivery_new(peer, stanza_id, state);
	if (!op) {
		set_err(err, "out of memory");
		return -1;
	}
	s->last_wrote = false;
	if (write_op(s, op, err))
		return -1;
	return s->last_wrote ? 1 : 0;
}

int store_kv_set(struct store *s, const char *key, const char *value, char **err)
{
	struct op *op;

	if (!usable(s, err))
		return -1;
	if (!key || !value) {
		set_err(err, "a cache entry needs a key and a value");
		return -1;
	}
	op = op_kv_new(key, value);
	if (!op) {
		set_err(err, "out of memory");
		return -1;
	}
	return write_op(s, op, err);
}

int store_kv_del(struct store *s, const char *key, char **err)
{
	struct op *op;

	if (!usable(s, err))
		return -1;
	if (!key) {
		set_err(err, "a cache entry needs a key");
		return -1;
	}
	op = op_kv_new(key, NULL);
	if (!op) {
		set_err(err, "out of memory");
		return -1;
	}
	return write_op(s, op, err);
}

int store_commit(struct store *s, char **err)
{
	int rc;

	if (!usable(s, err))
		return -1;
	if (s->broken && replay(s, err))
		return -1;
	if (!s->in_txn)
		return 0;
	rc = sqlite3_get_autocommit(s->db) ? SQLITE_ABORT : run(s->st[SQL_COMMIT]);
	if (rc != SQLITE_OK) {
		break_batch(s, rc);
		set_kept_err(s, err);
		return -1;
	}
	s->in_txn = false;
	s->stats.commits++;
	committed(s);
	journal_clear(s);
	if (s->batch_max > s->max_id)
		s->max_id = s->batch_max;
	s->batch_max = 0;
	return 0;
}

/* Indexes the next max_rows rows above fts_state.upto in the open
 * transaction, moving upto with them.  The rows go in id order, so one
 * number says what is indexed, and it moves in the transaction that
 * indexes (schema.c).  *upto gets the new value, *n the count; an SQLite
 * result code. */
static int index_chunk(struct store *s, int max_rows, int64_t *upto, int64_t *n)
{
	sqlite3_stmt *st;
	int64_t end;
	int rc;

	*n = 0;
	rc = step_int64(s->st[SQL_FTS_UPTO], upto);
	if (rc != SQLITE_OK)
		return rc;
	st = s->st[SQL_FTS_CHUNK_END];
	sqlite3_bind_int64(st, 1, *upto);
	sqlite3_bind_int(st, 2, max_rows);
	rc = sqlite3_step(st);
	end = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	*n = rc == SQLITE_ROW ? sqlite3_column_int64(st, 1) : 0;
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_ROW)
		return rc;
	if (!*n)
		return SQLITE_OK;
	st = s->st[SQL_FTS_INDEX];
	sqlite3_bind_int64(st, 1, *upto);
	sqlite3_bind_int64(st, 2, end);
	rc = run(st);
	if (rc == SQLITE_OK) {
		st = s->st[SQL_FTS_SET_UPTO];
		sqlite3_bind_int64(st, 1, end);
		rc = run(st);
	}
	if (rc == SQLITE_OK)
		*upto = end;
	return rc;
}

/* Moves the keys of up to KEYS_MERGE_ROWS rows above keys_state.upto from
 * temp.pending into keys, in the open transaction (begin() brought
 * pending up to date).  *upto gets the new keys_state.upto, *n the rows
 * it covered; an SQLite result code. */
#define KEYS_MERGE_ROWS 10000
static int merge_keys(struct store *s, int64_t *upto, int64_t *n)
{
	sqlite3_stmt *st;
	int64_t end;
	int rc;

	*n = 0;
	rc = step_int64(s->st[SQL_KEYS_UPTO], upto);
	if (rc != SQLITE_OK || s->txn_max <= *upto)
		return rc;
	end = s->txn_max - *upto > KEYS_MERGE_ROWS ? *upto + KEYS_MERGE_ROWS : s->txn_max;
	st = s->st[SQL_KEYS_MERGE];
	sqlite3_bind_int64(st, 1, *upto);
	sqlite3_bind_int64(st, 2, end);
	rc = run(st);
	if (rc == SQLITE_OK) {
		st = s->st[SQL_KEYS_SET_UPTO];
		sqlite3_bind_int64(st, 1, end);
		rc = run(st);
	}
	if (rc == SQLITE_OK) {
		st = s->st[SQL_PENDING_DROP];
		sqlite3_bind_int64(st, 1, end);
		rc = run(st);
	}
	if (rc == SQLITE_OK) {
		*n = end - *upto;
		*upto = end;
	}
	return rc;
}

int store_index_some(struct store *s, int max_rows, char **err)
{
	int64_t upto, n, kupto = -1, kn = 0;
	int rc;

	if (!usable(s, err))
		return -1;
	/* the batch's rows are not committed: they may yet be rolled back
	 * and stored under other ids */
	if (max_rows <= 0 || s->in_txn || s->broken)
		return 0;
	rc = begin(s);
	if (rc == SQLITE_OK)
		rc = index_chunk(s, max_rows, &upto, &n);
	/* the keys once the burst is indexed for search: one transaction
	 * then writes each leaf of keys once (schema.c, version 7) */
	if (rc == SQLITE_OK && n < max_rows)
		rc = merge_keys(s, &kupto, &kn);
	if (rc == SQLITE_OK)
		rc = run(s->st[n || kn ? SQL_COMMIT : SQL_ROLLBACK]);
	if (rc != SQLITE_OK) {
		set_err(err, "cannot index the history: %s", sqlite3_errmsg(s->db));
		if (!sqlite3_get_autocommit(s->db))
			run(s->st[SQL_ROLLBACK]);
		return -1;
	}
	if (n || kn)
		committed(s);
	if (n)
		s->stats.index_passes++;
	/* (another writer may have merged them) */
	if (kupto >= 0)
		s->keys_upto = kupto;
	s->indexed_upto = upto;
	/* a short chunk reached the newest row, another writer's too */
	if (n < max_rows || upto > s->max_id)
		s->max_id = upto;
	if (s->txn_max > s->max_id)
		s->max_id = s->txn_max;
	/* keys moved but no text: still something to checkpoint */
	return n ? (int)n : kn ? 1 : 0;
}

bool store_index_behind(const struct store *s)
{
	return s && (s->max_id > s->indexed_upto || s->max_id > s->keys_upto);
}

size_t store_pending(const struct store *s)
{
	return s ? s->nops : 0;
}

void store_close(struct store *s)
{
	char *err = NULL;

	if (!s)
		return;
	s->reading = false;
	if (store_commit(s, &err))
		log_error("history: %zu change(s) lost at exit: %s", s->nops, err ? err : "?");
	free(err);
	journal_clear(s);
	close_db(s);
	free(s);
}

/* ---- reading ---- */

static const char *col_text(sqlite3_stmt *st, int i)
{
	return (const char *)sqlite3_column_text(st, i);
}

/* Calls fn for each row of st (SQL_PAGE or SQL_SEARCH, bound); the row
 * count, or -1 with *err.  The strings live until fn returns. */
static int each_row(struct store *s, sqlite3_stmt *st, store_row_fn fn, void *ud, char **err)
{
	int rc, n = 0;

	s->reading = true;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_msg m = {
		    .id = sqlite3_column_int64(st, COL_ID),
		    .peer = col_text(st, COL_PEER),
		    .direction = sqlite3_column_int(st, COL_DIRECTION) ? STORE_OUT : STORE_IN,
		    .type = col_text(st, COL_TYPE),
		    .ts_ms = sqlite3_column_int64(st, COL_TS),
		    .from = col_text(st, COL_FROM),
		    .to = col_text(st, COL_TO),
		    .body = col_text(st, COL_BODY),
		    .xhtml = col_text(st, COL_XHTML),
		    .stanza_id = col_text(st, COL_STANZA_ID),
		    .origin_id = col_text(st, COL_ORIGIN_ID),
		    .archive_id = col_text(st, COL_ARCHIVE_ID),
		    .delivery = (enum store_delivery)sqlite3_column_int(st, COL_DELIVERY),
		    .carbon = sqlite3_column_int(st, COL_CARBON) != 0,
		    .delayed = sqlite3_column_int(st, COL_DELAYED) != 0,
		    .encryption = col_text(st, COL_ENCRYPTION),
		    .edited = sqlite3_column_int(st, COL_EDITED) != 0,
		    .retracted = sqlite3_column_int(st, COL_RETRACTED) != 0,
		    .oob_url = col_text(st, COL_OOB_URL),
		};

		fn(&m, ud);
		n++;
	}
	s->reading = false;
	if (rc != SQLITE_DONE) {
		set_err(err, "reading the history: %s", sqlite3_errmsg(s->db));
		n = -1;
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return n;
}

int store_page(struct store *s, const char *peer, int64_t before_id, int n, store_row_fn fn,
               void *ud, char **err)
{
	sqlite3_stmt *st;

	if (!usable(s, err))
		return -1;
	if (!peer || n <= 0)
		return 0;
	st = s->st[SQL_PAGE];
	sqlite3_bind_text(st, 1, peer, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, before_id > 0 ? before_id : INT64_MAX);
	sqlite3_bind_int(st, 3, n);
	return each_row(s, st, fn, ud, err);
}

/* The user's words as FTS5 strings ("it""s" for it"s), all required: the
 * query language's operators, columns and brackets are text here.  NULL
 * (with *len 0) when there is no word; -1 in *len when out of memory. */
static char *fts_query(const char *text, int *len)
{
	static const char space[] = " \t\n\r\f\v";
	/* at worst every byte is a '"' (doubled) and every other one a word
	 * of its own (two quotes and a space) */
	size_t n = 0, tlen = strlen(text);
	char *q = tlen < INT_MAX / 4 ? malloc(4 * tlen + 4) : NULL;

	*len = 0;
	if (!q) {
		*len = -1;
		return NULL;
	}
	for (const char *p = text + strspn(text, space); *p; p += strspn(p, space)) {
		size_t w = strcspn(p, space);
		bool prefix;
		size_t stem = word_stem(p, w, &prefix);

		if (n)
			q[n++] = ' ';
		q[n++] = '"';
		for (size_t i = 0; i < stem; i++) {
			if (p[i] == '"')
				q[n++] = '"';
			q[n++] = p[i];
		}
		q[n++] = '"';
		if (prefix) {
			q[n++] = ' ';
			q[n++] = '*';
		}
		p += w;
	}
	q[n] = '\0';
	if (!n) {
		free(q);
		return NULL;
	}
	*len = (int)n;
	return q;
}

int store_search(struct store *s, const char *query, int n, store_row_fn fn, void *ud, char **err)
{
	sqlite3_stmt *st;
	int64_t upto;
	char *q;
	int len, rc, got;

	if (!usable(s, err))
		return -1;
	if (!query || n <= 0)
		return 0;
	q = fts_query(query, &len);
	if (!q) {
		if (len < 0)
			set_err(err, "out of memory");
		return len < 0 ? -1 : 0;
	}
	rc = step_int64(s->st[SQL_FTS_UPTO], &upto);
	if (rc != SQLITE_OK) {
		set_err(err, "reading the history: %s", sqlite3_errmsg(s->db));
		free(q);
		return -1;
	}
	/* every row not yet indexed is newer than every indexed one, so the
	 * scan's hits come first and the index fills up the rest */
	st = s->st[SQL_SEARCH_TAIL];
	sqlite3_bind_int64(st, 1, upto);
	sqlite3_bind_text(st, 2, query, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, n);
	got = each_row(s, st, fn, ud, err);
	if (got >= 0 && got < n) {
		st = s->st[SQL_SEARCH];
		sqlite3_bind_text(st, 1, q, len, SQLITE_STATIC);
		sqlite3_bind_int(st, 2, n - got);
		sqlite3_bind_int64(st, 3, upto);
		rc = each_row(s, st, fn, ud, err);
		got = rc < 0 ? -1 : got + rc;
	}
	free(q);
	return got;
}

/* strdup of a column, NULL for NULL; false when out of memory. */
static bool dup_col(sqlite3_stmt *st, int i, char **out)
{
	const char *v = col_text(st, i);

	*out = v ? strdup(v) : NULL;
	return !v || *out;
}

void store_ref_clear(struct store_ref *r)
{
	free(r->from);
	free(r->occupant_id);
	memset(r, 0, sizeof(*r));
}

/* Steps st, bound, for one row: 1 when there is one (read its columns,
 * then end_row), 0 when there is none, -1 with *err. */
static int one_row(struct store *s, sqlite3_stmt *st, char **err)
{
	int rc = sqlite3_step(st);

	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	set_err(err, "reading the history: %s", sqlite3_errmsg(s->db));
	return -1;
}

static void end_row(sqlite3_stmt *st)
{
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

int store_find(struct store *s, const char *peer, enum store_direction dir, const char *id,
               struct store_ref *out, char **err)
{
	sqlite3_stmt *st;
	int found;

	memset(out, 0, sizeof(*out));
	if (!usable(s, err))
		return -1;
	if (!peer || !id)
		return 0;
	st = s->st[SQL_FIND];
	sqlite3_bind_text(st, 1, peer, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, dir);
	sqlite3_bind_text(st, 3, id, -1, SQLITE_STATIC);
	found = one_row(s, st, err);
	if (found == 1) {
		out->via_correction = sqlite3_column_type(st, 1) != SQLITE_NULL;
		out->id = sqlite3_column_int64(st, out->via_correction ? 1 : 0);
		out->retracted = sqlite3_column_int(st, 3) != 0;
		if (!dup_col(st, 2, &out->from) || !dup_col(st, 4, &out->occupant_id)) {
			set_err(err, "out of memory");
			found = -1;
		}
	}
	end_row(st);
	if (found < 0)
		store_ref_clear(out);
	return found;
}

void store_own_clear(struct store_own *o)
{
	free(o->msgid);
	free(o->to);
	free(o->body);
	memset(o, 0, sizeof(*o));
}

int store_last_own(struct store *s, const char *peer, struct store_own *out, char **err)
{
	sqlite3_stmt *st;
	int found;

	memset(out, 0, sizeof(*out));
	if (!usable(s, err))
		return -1;
	if (!peer)
		return 0;
	st = s->st[SQL_LAST_OWN];
	sqlite3_bind_text(st, 1, peer, -1, SQLITE_STATIC);
	found = one_row(s, st, err);
	if (found == 1) {
		out->id = sqlite3_column_int64(st, 0);
		if (!dup_col(st, 1, &out->msgid) || !dup_col(st, 2, &out->to) ||
		    !dup_col(st, 3, &out->body)) {
			set_err(err, "out of memory");
			found = -1;
		}
	}
	end_row(st);
	if (found < 0)
		store_own_clear(out);
	return found;
}

int store_room_last(struct store *s, const char *peer, char **sid, int64_t *ts_ms, char **err)
{
	sqlite3_stmt *st;
	const char *v;
	int rc;

	*sid = NULL;
	*ts_ms = 0;
	if (!usable(s, err))
		return -1;
	st = s->st[SQL_ROOM_LAST_SID];
	sqlite3_bind_text(st, 1, peer, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && (v = col_text(st, 0)) && !(*sid = strdup(v)))
		rc = SQLITE_NOMEM;
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc == SQLITE_ROW || rc == SQLITE_DONE) {
		st = s->st[SQL_ROOM_LAST_TS];
		sqlite3_bind_text(st, 1, peer, -1, SQLITE_STATIC);
		rc = step_int64(st, ts_ms);
	}
	if (rc == SQLITE_ROW || rc == SQLITE_DONE || rc == SQLITE_OK)
		return 0;
	set_err(err, "reading the history: %s",
	        rc == SQLITE_NOMEM ? "out of memory" : sqlite3_errmsg(s->db));
	free(*sid);
	*sid = NULL;
	return -1;
}

char *store_last_archive_id(struct store *s, char **err)
{
	sqlite3_stmt *st;
	char *id = NULL;
	int rc;

	if (!usable(s, err))
		return NULL;
	st = s->st[SQL_LAST_ARCHIVE];
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		id = strdup(col_text(st, 0));
		if (!id)
			set_err(err, "out of memory");
	} else if (rc != SQLITE_DONE) {
		set_err(err, "reading the history: %s", sqlite3_errmsg(s->db));
	}
	sqlite3_reset(st);
	return id;
}

int store_kv_get(struct store *s, const char *key, char **value, char **err)
{
	sqlite3_stmt *st;
	const char *v = NULL;
	bool journaled = false;
	int rc;

	*value = NULL;
	if (!usable(s, err))
		return -1;
	/* while the disk is full the newest value is only in the journal */
	for (struct op *op = s->broken ? s->head : NULL; op; op = op->next) {
		if ((op->kind == OP_KV || op->kind == OP_KV_DEL) && !strcmp(op->key, key)) {
			v = op->value;
			journaled = true;
		}
	}
	if (journaled && !v)
		return 0;
	if (v) {
		*value = strdup(v);
		goto out;
	}
	st = s->st[SQL_KV_GET];
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		v = col_text(st, 0);
		*value = strdup(v ? v : "");
	} else if (rc != SQLITE_DONE) {
		set_err(err, "reading the history: %s", sqlite3_errmsg(s->db));
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_ROW)
		return rc == SQLITE_DONE ? 0 : -1;
out:
	if (!*value) {
		set_err(err, "out of memory");
		return -1;
	}
	return 1;
}

int store_wal_pages(const struct store *s)
{
	return s ? s->wal_frames : 0;
}

int store_checkpoint(struct store *s, char **err)
{
	int rc, frames = 0, done = 0;

	if (!usable(s, err))
		return -1;
	/* never inside a batch: the caller commits first */
	if (s->in_txn || s->broken)
		return 1;
	/* TRUNCATE waits for readers through the busy handler; natter's
	 * loop must not, so the handler is off: a reader (another natter, a
	 * script) only makes this a PASSIVE checkpoint, tried again later. */
	sqlite3_busy_timeout(s->db, 0);
	rc = sqlite3_wal_checkpoint_v2(s->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, &frames, &done);
	sqlite3_busy_timeout(s->db, BUSY_TIMEOUT_MS);
	if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) {
		/* what no reader needs was still copied */
		rc = sqlite3_wal_checkpoint_v2(s->db, NULL, SQLITE_CHECKPOINT_PASSIVE, &frames,
		                               &done);
		if (rc == SQLITE_OK)
			rc = SQLITE_BUSY;
	}
	s->stats.checkpoints++;
	if (rc == SQLITE_OK) {
		s->wal_frames = 0;
		return 0;
	}
	if (rc == SQLITE_BUSY)
		return 1;
	set_err(err, "cannot checkpoint the history: %s", sqlite3_errmsg(s->db));
	return -1;
}

void store_release_memory(struct store *s)
{
	if (s && s->db && !s->in_txn)
		sqlite3_db_release_memory(s->db);
}

void store_get_stats(const struct store *s, struct store_stats *out)
{
	if (s)
		*out = s->stats;
	else
		memset(out, 0, sizeof(*out));
}

int store_kv_each(struct store *s, const char *prefix, store_kv_fn fn, void *ud, char **err)
{
	size_t n = strlen(prefix);
	sqlite3_stmt *st;
	char *upper;
	int rc, count = 0;

	if (!usable(s, err))
		return -1;
	if (!n || (unsigned char)prefix[n - 1] == 0xff) {
		set_err(err, "a collection needs a prefix that does not end in byte 0xff");
		return -1;
	}
	upper = strdup(prefix);
	if (!upper) {
		set_err(err, "out of memory");
		return -1;
	}
	upper[n - 1]++;
	st = s->st[SQL_KV_RANGE];
	sqlite3_bind_text(st, 1, prefix, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, upper, -1, SQLITE_STATIC);
	s->reading = true;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *k = col_text(st, 0), *v = col_text(st, 1);

		fn(k ? k : "", v ? v : "", ud);
		count++;
	}
	s->reading = false;
	if (rc != SQLITE_DONE) {
		set_err(err, "reading the history: %s", sqlite3_errmsg(s->db));
		count = -1;
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	free(upper);
	return count;
}

struct sqlite3 *store_sqlite(struct store *s)
{
	return s->db;
}
