/* The history store: files and modes, schema versions, dedup, batching,
 * a full disk, a crash, paging, search, caches and query plans. */
#include "config.h"

#include <ftw.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "store/fts_tokenizer.h"
#include "store/schema.h"
#include "store/store.h"

struct fx {
	char tmp[64];
	char *dir;  /* the account directory: tmp/data/natter/acct, not created */
	char *path; /* dir/history.db */
	struct store *s;
};

static int setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));

	if (!fx)
		return -1;
	strcpy(fx->tmp, "/tmp/natter-store-XXXXXX");
	if (!mkdtemp(fx->tmp) || asprintf(&fx->dir, "%s/data/natter/acct", fx->tmp) < 0 ||
	    asprintf(&fx->path, "%s/history.db", fx->dir) < 0)
		return -1;
	*state = fx;
	return 0;
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	/* tests take permissions away; give them back to remove the file */
	chmod(p, 0700);
	return remove(p);
}

static int teardown(void **state)
{
	struct fx *fx = *state;

	store_close(fx->s);
	nftw(fx->tmp, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(fx->dir);
	free(fx->path);
	free(fx);
	return 0;
}

static struct store *open_ok(struct fx *fx)
{
	char *err = NULL;
	struct store *s = store_open(fx->dir, &err);

	if (!s)
		fail_msg("store_open: %s", err);
	return s;
}

/* store_open's error, which must happen; malloc'd. */
static char *open_err(struct fx *fx)
{
	char *err = NULL;
	struct store *s = store_open(fx->dir, &err);

	assert_null(s);
	assert_non_null(err);
	return err;
}

static struct store_msg in_msg(const char *peer, const char *body)
{
	return (struct store_msg){
	    .peer = peer,
	    .direction = STORE_IN,
	    .type = "chat",
	    .ts_ms = 1700000000000,
	    .from = "bob@example.org/phone",
	    .to = "me@example.net/natter",
	    .body = body,
	};
}

static int add(struct store *s, struct store_msg m)
{
	char *err = NULL;
	int rc = store_add(s, &m, &err);

	if (rc < 0)
		fail_msg("store_add: %s", err);
	return rc;
}

static void commit(struct store *s)
{
	char *err = NULL;

	if (store_commit(s, &err))
		fail_msg("store_commit: %s", err);
}

/* A second connection, as another program would open the file, with
 * natter's tokenizer: the schema holds the index, which SQLite cannot
 * parse without it. */
static sqlite3 *open_raw(struct fx *fx)
{
	sqlite3 *db;

	assert_int_equal(sqlite3_open(fx->path, &db), SQLITE_OK);
	assert_int_equal(fts_tokenizer_register(db), SQLITE_OK);
	return db;
}

/* The first column of the first row of sql on a second connection (the
 * committed state), as an integer. */
static long long query_int(struct fx *fx, const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	long long v = -1;

	assert_int_equal(sqlite3_open_v2(fx->path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	/* the index cannot be read without natter's tokenizer */
	assert_int_equal(fts_tokenizer_register(db), SQLITE_OK);
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

static long long committed_rows(struct fx *fx)
{
	return query_int(fx, "SELECT count(*) FROM messages");
}

/* Rows handed to a store_row_fn, copied. */
struct rows {
	int n;
	int64_t id[64];
	char *body[64];
	char *archive_id[64];
	int delivery[64];
};

static void collect(const struct store_msg *m, void *ud)
{
	struct rows *r = ud;

	assert_true(r->n < 64);
	r->id[r->n] = m->id;
	r->body[r->n] = strdup(m->body ? m->body : "");
	r->archive_id[r->n] = m->archive_id ? strdup(m->archive_id) : NULL;
	r->delivery[r->n] = m->delivery;
	r->n++;
}

static void rows_free(struct rows *r)
{
	for (int i = 0; i < r->n; i++) {
		free(r->body[i]);
		free(r->archive_id[i]);
	}
	memset(r, 0, sizeof(*r));
}

static int page(struct store *s, const char *peer, int64_t before, int n, struct rows *r)
{
	char *err = NULL;
	int rc;

	rows_free(r);
	rc = store_page(s, peer, before, n, collect, r, &err);
	if (rc < 0)
		fail_msg("store_page: %s", err);
	assert_int_equal(rc, r->n);
	return rc;
}

static int search(struct store *s, const char *q, struct rows *r)
{
	char *err = NULL;
	int rc;

	rows_free(r);
	rc = store_search(s, q, 64, collect, r, &err);
	if (rc < 0)
		fail_msg("store_search(%s): %s", q, err);
	assert_int_equal(rc, r->n);
	return rc;
}

/* Indexes until caught up, chunk rows at a time; the rows indexed. */
static int catch_up(struct store *s, int chunk)
{
	char *err = NULL;
	int n, total = 0;

	while ((n = store_index_some(s, chunk, &err)) > 0) {
		assert_true(n <= chunk);
		total += n;
	}
	if (n < 0)
		fail_msg("store_index_some: %s", err);
	assert_false(store_index_behind(s));
	return total;
}

/* FTS5's own check that the index holds exactly what messages holds. */
static void fts_consistent(struct store *s)
{
	char *msg = NULL;

	if (sqlite3_exec(store_sqlite(s),
	                 "INSERT INTO messages_fts (messages_fts) VALUES ('integrity-check')", NULL,
	                 NULL, &msg) != SQLITE_OK)
		fail_msg("full-text index integrity check: %s", msg);
}

/* ---- files and versions ---- */

static void fresh(void **state)
{
	struct fx *fx = *state;
	struct stat st;
	char *data;
	mode_t old = umask(0);

	/* umask 0 must not open the file up, nor 0277 lock us out of it */
	fx->s = open_ok(fx);
	umask(old);
	assert_int_equal(stat(fx->path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(stat(fx->dir, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	assert_true(asprintf(&data, "%s/data", fx->tmp) > 0);
	assert_int_equal(stat(data, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	free(data);
	assert_int_equal(query_int(fx, "PRAGMA user_version"), SCHEMA_VERSION);
	assert_int_equal(committed_rows(fx), 0);
	store_close(fx->s);
	fx->s = NULL;
	assert_int_equal(unlink(fx->path), 0);

	old = umask(0277);
	fx->s = open_ok(fx);
	umask(old);
	assert_int_equal(stat(fx->path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(add(fx->s, in_msg("bob@example.org", "hi")), 1);
	commit(fx->s);
}

static void wal_mode(void **state)
{
	struct fx *fx = *state;
	sqlite3_stmt *st;

	fx->s = open_ok(fx);
	assert_int_equal(
	    sqlite3_prepare_v2(store_sqlite(fx->s), "PRAGMA journal_mode", -1, &st, NULL),
	    SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 0), "wal");
	sqlite3_finalize(st);
	assert_int_equal(
	    sqlite3_prepare_v2(store_sqlite(fx->s), "PRAGMA synchronous", -1, &st, NULL),
	    SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(st, 0), 1); /* NORMAL */
	sqlite3_finalize(st);
}

static void reopen(void **state)
{
	struct fx *fx = *state;
	struct store_msg m = in_msg("bob@example.org", "kept");
	struct rows r = {0};

	fx->s = open_ok(fx);
	m.archive_id = "A1";
	assert_int_equal(add(fx->s, m), 1);
	store_close(fx->s); /* commits */
	fx->s = open_ok(fx);
	assert_int_equal(query_int(fx, "PRAGMA user_version"), SCHEMA_VERSION);
	assert_int_equal(page(fx->s, "bob@example.org", 0, 10, &r), 1);
	assert_string_equal(r.body[0], "kept");
	/* the copy stored before the restart is still recognised */
	assert_int_equal(add(fx->s, m), 0);
	rows_free(&r);
}

static void newer_version_refused(void **state)
{
	struct fx *fx = *state;
	sqlite3 *db;
	char *err;

	fx->s = open_ok(fx);
	store_close(fx->s);
	fx->s = NULL;
	db = open_raw(fx);
	assert_int_equal(sqlite3_exec(db, "PRAGMA user_version = 99", NULL, NULL, NULL), 0);
	sqlite3_close(db);
	err = open_err(fx);
	assert_non_null(strstr(err, "newer natter"));
	assert_non_null(strstr(err, "99"));
	free(err);
	/* and left as it was */
	assert_int_equal(query_int(fx, "PRAGMA user_version"), 99);
}

/* A half-created file (a crash during the first start) is version 0 and
 * gets the whole schema. */
static void from_version_0(void **state)
{
	struct fx *fx = *state;
	sqlite3 *db;

	fx->s = open_ok(fx);
	store_close(fx->s);
	fx->s = NULL;
	assert_int_equal(unlink(fx->path), 0);
	db = open_raw(fx);
	assert_int_equal(sqlite3_exec(db, "CREATE TABLE unrelated (x)", NULL, NULL, NULL), 0);
	sqlite3_close(db);
	assert_int_equal(chmod(fx->path, 0600), 0);
	fx->s = open_ok(fx);
	assert_int_equal(query_int(fx, "PRAGMA user_version"), SCHEMA_VERSION);
	assert_int_equal(add(fx->s, in_msg("bob@example.org", "x")), 1);
}

/* Takes a database of this natter's back to version 6, before the older
 * versions' own steps back: the key indexes on messages, messages_peer
 * descending, no keys table. */
#define UNDO_V7                                                                                    \
	"DROP TABLE keys; DROP TABLE keys_state; DROP INDEX messages_peer;"                        \
	"CREATE INDEX messages_peer ON messages (peer, id DESC);"                                  \
	"CREATE INDEX messages_dkey ON messages (dkey) WHERE dkey IS NOT NULL;"                    \
	"CREATE INDEX messages_akey ON messages (akey) WHERE akey IS NOT NULL;"                    \
	"CREATE INDEX messages_rkey ON messages (rkey) WHERE rkey IS NOT NULL;"                    \
	"CREATE INDEX messages_ckey ON messages (ckey) WHERE ckey IS NOT NULL;"

/* A version 1 history (natter before catch-up went by arrival, and before
 * OMEMO) is taken to the current version: its messages stay, the archive
 * is found by the new index, not the one ordered by time, and messages
 * can say how they were encrypted. */
static void from_version_1(void **state)
{
	struct fx *fx = *state;
	struct store_msg m = in_msg("bob@example.org", "old");
	sqlite3 *db;
	char *id, *err = NULL;

	fx->s = open_ok(fx);
	m.archive_id = "A1";
	add(fx->s, m);
	store_close(fx->s);
	fx->s = NULL;
	db = open_raw(fx);
	/* (version 3's room columns go too: a real version 1 had none) */
	assert_int_equal(sqlite3_exec(db,
	                              UNDO_V7 "DROP INDEX messages_rkey; DROP INDEX messages_ckey;"
	                                      "ALTER TABLE messages DROP COLUMN room_sid;"
	                                      "ALTER TABLE messages DROP COLUMN occupant_id;"
	                                      "ALTER TABLE messages DROP COLUMN rkey;"
	                                      "ALTER TABLE messages DROP COLUMN ckey;"
	                                      "ALTER TABLE messages DROP COLUMN stamp;"
	                                      "DROP INDEX messages_archived;"
	                                      "ALTER TABLE messages DROP COLUMN encryption;"
	                                      "CREATE INDEX messages_archived_ts ON messages (ts)"
	                                      " WHERE archive_id IS NOT NULL;"
	                                      "ALTER TABLE messages DROP COLUMN original_body;"
	                                      "ALTER TABLE messages DROP COLUMN replaces;"
	                                      "ALTER TABLE messages DROP COLUMN retracted;"
	                                      "ALTER TABLE messages DROP COLUMN oob_url;"
	                                      "PRAGMA user_version = 1",
	                              NULL, NULL, NULL),
	                 0);
	sqlite3_close(db);
	fx->s = open_ok(fx);
	assert_int_equal(query_int(fx, "PRAGMA user_version"), SCHEMA_VERSION);
	assert_int_equal(query_int(fx, "SELECT count(*) FROM sqlite_master WHERE name ="
	                               " 'messages_archived_ts'"),
	                 0);
	assert_int_equal(query_int(fx, "SELECT count(*) FROM sqlite_master WHERE name ="
	                               " 'messages_archived'"),
	                 1);
	assert_int_equal(query_int(fx, "SELECT count(*) FROM pragma_table_info('messages')"
	                               " WHERE name = 'encryption'"),
	                 1);
	id = store_last_archive_id(fx->s, &err);
	assert_string_equal(id, "A1");
	free(id);
}

static void open_to_others_refused(void **state)
{
	struct fx *fx = *state;
	char *err;

	fx->s = open_ok(fx);
	store_close(fx->s);
	fx->s = NULL;
	assert_int_equal(chmod(fx->path, 0644), 0);
	err = open_err(fx);
	assert_non_null(strstr(err, "chmod 600"));
	free(err);
	assert_int_equal(chmod(fx->path, 0600), 0);
	assert_int_equal(chmod(fx->dir, 0750), 0);
	err = open_err(fx);
	assert_non_null(strstr(err, "chmod 700"));
	free(err);
}

static void not_a_database(void **state)
{
	struct fx *fx = *state;
	FILE *f;
	char *err;

	fx->s = open_ok(fx);
	store_close(fx->s);
	fx->s = NULL;
	f = fopen(fx->path, "w");
	assert_non_null(f);
	for (int i = 0; i < 300; i++)
		fputs("this is not an SQLite database at all. ", f);
	fclose(f);
	err = open_err(fx);
	assert_non_null(strstr(err, "not a database"));
	free(err);
}

/* ---- dedup ---- */

static void dedup_archive_id(void **state)
{
	struct fx *fx = *state;
	struct store_msg m = in_msg("bob@example.org", "one");

	fx->s = open_ok(fx);
	m.archive_id = "arch-1";
	assert_int_equal(add(fx->s, m), 1);
	/* anything else may differ: the archive id names the message */
	m.from = "carol@example.org/x";
	m.peer = "carol@example.org";
	m.stanza_id = "s1";
	assert_int_equal(add(fx->s, m), 0);
	assert_int_equal(m.id, 0);
	m.archive_id = "arch-2";
	assert_int_equal(add(fx->s, m), 1);
	commit(fx->s);
	assert_int_equal(committed_rows(fx), 2);
}

static void dedup_origin_id(void **state)
{
	struct fx *fx = *state;
	struct store_msg m = in_msg("bob@example.org", "hello");
	struct store_msg room = in_msg("room@muc.example.org", "hello");

	fx->s = open_ok(fx);
	m.origin_id = "o-1";
	m.stanza_id = "s-1";
	assert_int_equal(add(fx->s, m), 1);
	/* the same message through another route: another stanza id, another
	 * resource, a carbon copy */
	m.stanza_id = "s-other";
	m.from = "Bob@Example.org/laptop";
	m.carbon = true;
	assert_int_equal(add(fx->s, m), 0);
	/* the same origin id from someone else is another message */
	m.peer = "carol@example.org";
	m.from = "carol@example.org/x";
	assert_int_equal(add(fx->s, m), 1);
	/* ... and so is our own message with it */
	m.direction = STORE_OUT;
	m.from = "me@example.net/natter";
	assert_int_equal(add(fx->s, m), 1);
	m.from = NULL; /* our message, whichever resource sent it */
	assert_int_equal(add(fx->s, m), 0);

	/* in a room the sender is the occupant */
	room.type = "groupchat";
	room.origin_id = "o-1";
	room.from = "room@muc.example.org/alice";
	assert_int_equal(add(fx->s, room), 1);
	room.from = "room@muc.example.org/bob";
	assert_int_equal(add(fx->s, room), 1);
	assert_int_equal(add(fx->s, room), 0);
	commit(fx->s);
	assert_int_equal(committed_rows(fx), 5);
}

/* A room message as it comes live: from an occupant, with the room's id. */
static struct store_msg room_msg(const char *body, const char *nick, const char *room_sid)
{
	static char from[128];
	struct store_msg m = in_msg("room@muc.example.org", body);

	snprintf(from, sizeof from, "room@muc.example.org/%s", nick);
	m.type = "groupchat";
	m.from = from;
	m.room_sid = room_sid;
	return m;
}

/* A room's stanza-id names the message within that room only, and is no
 * archive id: our own archive's catch-up must never start after it. */
static void dedup_room_sid(void **state)
{
	struct fx *fx = *state;
	struct store_msg m = room_msg("hello room", "alice", "r-1");
	char *err = NULL, *id;

	fx->s = open_ok(fx);
	assert_int_equal(add(fx->s, m), 1);
	/* the history replay after a nick change, without the message's id */
	m = room_msg("hello room", "alice2", "r-1");
	m.delayed = true;
	m.ts_ms += 1234;
	assert_int_equal(add(fx->s, m), 0);
	/* another room may number its messages the same way */
	m.peer = "other@muc.example.org";
	m.from = "other@muc.example.org/alice";
	assert_int_equal(add(fx->s, m), 1);
	/* a chat message with the same text as an archive id is no match */
	m = in_msg("bob@example.org", "x");
	m.archive_id = "r-1";
	assert_int_equal(add(fx->s, m), 1);
	commit(fx->s);
	assert_int_equal(committed_rows(fx), 3);
	id = store_last_archive_id(fx->s, &err);
	assert_non_null(id);
	assert_string_equal(id, "r-1");
	free(id);
	assert_int_equal(
	    query_int(fx, "SELECT count(*) FROM messages WHERE archive_id IS NOT NULL"), 1);
}

/* Our message, stored as we sent it, comes back from the room with the
 * room's id: one row, which then carries that id, so a replay under
 * another nick is known by it. */
static void room_echo_gets_room_sid(void **state)
{
	struct fx *fx = *state;
	struct store_msg m = room_msg("mine", "me", NULL);
	char *sid = NULL, *err = NULL;
	int64_t ts;

	fx->s = open_ok(fx);
	m.direction = STORE_OUT;
	m.from = "me@example.net/natter";
	m.origin_id = m.stanza_id = "our-1";
	assert_int_equal(add(fx->s, m), 1);
	m.from = "room@muc.example.org/me";
	m.room_sid = "r-9";
	assert_int_equal(add(fx->s, m), 0);
	commit(fx->s);
	assert_int_equal(query_int(fx, "SELECT count(*) FROM messages WHERE room_sid = 'r-9'"), 1);
	m = room_msg("mine", "me-renamed", "r-9");
	m.delayed = true;
	assert_int_equal(add(fx->s, m), 0);
	assert_int_equal(store_room_last(fx->s, "room@muc.example.org", &sid, &ts, &err), 0);
	assert_non_null(sid);
	assert_string_equal(sid, "r-9");
	assert_true(ts == m.ts_ms);
	free(sid);
	assert_int_equal(store_room_last(fx->s, "nowhere@muc.example.org", &sid, &ts, &err), 0);
	assert_null(sid);
	assert_true(ts == 0);
}

/* XEP-0421: the occupant id is the sender, whatever the nick. */
static void room_sender_is_occupant_id(void **state)
{
	struct fx *fx = *state;
	struct store_msg m = room_msg("hi", "alice", NULL);

	fx->s = open_ok(fx);
	m.occupant_id = "occ-A";
	m.origin_id = "o-7";
	assert_int_equal(add(fx->s, m), 1);
	m.from = "room@muc.example.org/alice-away";
	assert_int_equal(add(fx->s, m), 0);
	/* someone else reusing the origin id is someone else's message */
	m.occupant_id = "occ-B";
	assert_int_equal(add(fx->s, m), 1);
	commit(fx->s);
	assert_int_equal(committed_rows(fx), 2);
}

/* Without any id, a replayed message is known by sender, words and time:
 * the room's time on a replay against our time on the live copy. */
static void room_dedup_by_content(void **state)
{
	struct fx *fx = *state;
	struct store_msg live = room_msg("+1", "bob", NULL), replay;

	fx->s = open_ok(fx);
	assert_int_equal(add(fx->s, live), 1);
	/* a second live "+1" is a second message */
	live.ts_ms += 20000;
	assert_int_equal(add(fx->s, live), 1);
	live.ts_ms -= 20000;
	replay = live;
	replay.delayed = true;
	replay.ts_ms = live.ts_ms + 3000; /* the room's clock runs ahead */
	assert_int_equal(add(fx->s, replay), 0);
	/* the same replay again (a second rejoin) */
	assert_int_equal(add(fx->s, replay), 0);
	/* the second live one is claimed by the second replayed one */
	replay.ts_ms = live.ts_ms + 23000;
	assert_int_equal(add(fx->s, replay), 0);
	/* a third "+1" said while we were away is new, though close in time */
	replay.ts_ms = live.ts_ms + 40000;
	assert_int_equal(add(fx->s, replay), 1);
	assert_int_equal(add(fx->s, replay), 0);
	/* other words, another sender, far away in time: new */
	replay.ts_ms = live.ts_ms + 3000;
	replay.body = "+2";
	assert_int_equal(add(fx->s, replay), 1);
	replay.body = "+1";
	replay.from = "room@muc.example.org/carol";
	assert_int_equal(add(fx->s, replay), 1);
	replay.from = live.from;
	replay.ts_ms = live.ts_ms + STORE_ROOM_SKEW_MS + 60000;
	assert_int_equal(add(fx->s, replay), 1);
	/* a message with an id is known by its id, never by its words */
	replay.ts_ms = live.ts_ms + 60000;
	replay.stanza_id = "s-1";
	assert_int_equal(add(fx->s, replay), 1);
	commit(fx->s);
	assert_int_equal(committed_rows(fx), 7);
}

/* A history written by natter before group chat is upgraded in place. */
static void from_version_2(void **state)
{
	struct fx *fx = *state;
	sqlite3 *db;

	fx->s = open_ok(fx);
	assert_int_equal(add(fx->s, in_msg("bob@example.org", "before rooms")), 1);
	store_close(fx->s);
	fx->s = NULL;
	db = open_raw(fx);
	assert_int_equal(sqlite3_exec(db,
	                              UNDO_V7 "DROP INDEX messages_rkey; DROP INDEX messages_ckey;"
	                                      "ALTER TABLE messages DROP COLUMN room_sid;"
	                                      "ALTER TABLE messages DROP COLUMN occupant_id;"
	                                      "ALTER TABLE messages DROP COLUMN rkey;"
	                                      "ALTER TABLE messages DROP COLUMN ckey;"
	                                      "ALTER TABLE messages DROP COLUMN stamp;"
	                                      /* (version 4's go too: a real version 2 had none) */
	                                      "ALTER TABLE messages DROP COLUMN original_body;"
	                                      "ALTER TABLE messages DROP COLUMN replaces;"
	                                      "ALTER TABLE messages DROP COLUMN retracted;"
	                                      "ALTER TABLE messages DROP COLUMN oob_url;"
	                                      "ALTER TABLE messages DROP COLUMN encryption;"
	                                      "PRAGMA user_version = 2;",
	                              NULL, NULL, NULL),
	                 SQLITE_OK);
	sqlite3_close(db);
	fx->s = open_ok(fx);
	assert_int_equal(query_int(fx, "PRAGMA user_version"), SCHEMA_VERSION);
	assert_int_equal(committed_rows(fx), 1);
	assert_int_equal(add(fx->s, room_msg("after", "alice", "r-1")), 1);
	assert_int_equal(add(fx->s, room_msg("after", "alice", "r-1")), 0);
}

/* What a store_row_fn saw of a row's encryption: NULL or "omemo". */
struct seen_encryption {
	int n;
	char *body[4], *encryption[4];
};

static void collect_encryption(const struct store_msg *m, void *ud)
{
	struct seen_encryption *r = ud;

	assert_true(r->n < 4);
	r->body[r->n] = strdup(m->body ? m->body : "");
	r->encryption[r->n] = m->encryption ? strdup(m->encryption) : NULL;
	r->n++;
}

/* A history written by natter with group chat but before OMEMO (version
 * 3: rooms) is upgraded in place: its chats and room messages stay, the
 * room's ids still find duplicates, and messages can now say how they
 * were encrypted. */
static void from_version_3(void **state)
{
	struct fx *fx = *state;
	struct store_msg secret = in_msg("bob@example.org", "between us");
	struct seen_encryption seen = {0};
	char *err = NULL;
	sqlite3 *db;

	fx->s = open_ok(fx);
	assert_int_equal(add(fx->s, in_msg("bob@example.org", "before omemo")), 1);
	assert_int_equal(add(fx->s, room_msg("in the room", "alice", "r-1")), 1);
	store_close(fx->s);
	fx->s = NULL;
	db = open_raw(fx);
	assert_int_equal(sqlite3_exec(db,
	                              UNDO_V7 "ALTER TABLE messages DROP COLUMN encryption;"
	                                      /* (version 5's go too: a real version 3 had none) */
	                                      "ALTER TABLE messages DROP COLUMN original_body;"
	                                      "ALTER TABLE messages DROP COLUMN replaces;"
	                                      "ALTER TABLE messages DROP COLUMN retracted;"
	                                      "ALTER TABLE messages DROP COLUMN oob_url;"
	                                      "PRAGMA user_version = 3;",
	                              NULL, NULL, NULL),
	                 SQLITE_OK);
	sqlite3_close(db);
	fx->s = open_ok(fx);
	assert_int_equal(query_int(fx, "PRAGMA user_version"), SCHEMA_VERSION);
	assert_int_equal(committed_rows(fx), 2);
	assert_int_equal(add(fx->s, room_msg("in the room", "alice", "r-1")), 0);
	secret.encryption = "omemo";
	assert_int_equal(add(fx->s, secret), 1);
	commit(fx->s);
	assert_int_equal(
	    store_page(fx->s, "bob@example.org", 0, 4, collect_encryption, &seen, &err), 2);
	/* newest first */
	assert_string_equal(seen.body[0], "between us");
	assert_non_null(seen.encryption[0]);
	assert_string_equal(seen.encryption[0], "omemo");
	assert_string_equal(seen.body[1], "before omemo");
	assert_null(seen.encryption[1]);
	for (int i = 0; i < seen.n; i++) {
		free(seen.body[i]);
		free(seen.encryption[i]);
	}
}

/* A history indexed by words only (before version 6) is indexed again,
 * in chunks, with scripts without spaces by character. */
static void from_version_5(void **state)
{
	struct fx *fx = *state;
	struct rows r = {0};
	sqlite3 *db;

	fx->s = open_ok(fx);
	assert_int_equal(add(fx->s, in_msg("bob@example.org", "CJK 日本語のテキスト")), 1);
	assert_int_equal(add(fx->s, in_msg("bob@example.org", "plain words")), 1);
	commit(fx->s);
	assert_int_equal(catch_up(fx->s, 10), 2);
	store_close(fx->s);
	fx->s = NULL;
	db = open_raw(fx);
	assert_int_equal(sqlite3_exec(db,
	                              UNDO_V7
	                              "DROP TABLE messages_fts;"
	                              "CREATE VIRTUAL TABLE messages_fts USING fts5 (body,"
	                              " content = 'messages', content_rowid = 'id',"
	                              " columnsize = 0,"
	                              " tokenize = 'unicode61 remove_diacritics 2');"
	                              "INSERT INTO messages_fts (messages_fts) VALUES ('rebuild');"
	                              "PRAGMA user_version = 5;",
	                              NULL, NULL, NULL),
	                 SQLITE_OK);
	sqlite3_close(db);
	fx->s = open_ok(fx);
	assert_int_equal(query_int(fx, "PRAGMA user_version"), SCHEMA_VERSION);
	assert_true(store_index_behind(fx->s));
	assert_int_equal(committed_rows(fx), 2);
	assert_int_equal(search(fx->s, "テキスト", &r), 1);
	assert_int_equal(catch_up(fx->s, 1), 2);
	assert_int_equal(search(fx->s, "テキスト", &r), 1);
	assert_int_equal(search(fx->s, "word*", &r), 1);
	fts_consistent(fx->s);
	rows_free(&r);
}

static void dedup_stanza_id(void **state)
{
	struct fx *fx = *state;
	struct store_msg m = in_msg("bob@example.org", "hey");

	fx->s = open_ok(fx);
	m.stanza_id = "1";
	assert_int_equal(add(fx->s, m), 1);
	assert_int_equal(add(fx->s, m), 0);
	/* clients that count from 1: another sender's "1" is another message */
	m.peer = "carol@example.org";
	m.from = "carol@example.org/x";
	assert_int_equal(add(fx->s, m), 1);
	/* with an origin id, the stanza id is not the key */
	m.origin_id = "o";
	assert_int_equal(add(fx->s, m), 1);
	/* no id at all: nothing to compare, always stored */
	m.stanza_id = m.origin_id = NULL;
	assert_int_equal(add(fx->s, m), 1);
	assert_int_equal(add(fx->s, m), 1);
	commit(fx->s);
	assert_int_equal(committed_rows(fx), 5);
}

/* Our own message, stored as typed; then its archive copy from MAM with
 * the archive id: one row, which now has the archive id. */
static void live_then_archive(void **state)
{
	struct fx *fx = *state;
	struct store_msg live = {
	    .peer = "bob@example.org",
	    .direction = STORE_OUT,
	    .type = "chat",
	    .ts_ms = 1700000000000,
	    .from = "me@example.net/natter",
	    .to = "bob@example.org",
	    .body = "see you",
	    .stanza_id = "u-1",
	    .origin_id = "u-1",
	    .delivery = STORE_SENT,
	};
	struct store_msg mam = live, in = in_msg("bob@example.org", "ok");
	struct rows r = {0};
	char *id, *err = NULL;

	fx->s = open_ok(fx);
	assert_int_equal(add(fx->s, live), 1);
	mam.archive_id = "mam-7";
	mam.delayed = true;
	mam.from = "me@example.net/other-device";
	mam.ts_ms += 900; /* the server's clock */
	assert_int_equal(add(fx->s, mam), 0);
	assert_int_equal(store_pending(fx->s), 2); /* the insert and the attach */
	commit(fx->s);
	assert_int_equal(committed_rows(fx), 1);
	assert_int_equal(page(fx->s, "bob@example.org", 0, 10, &r), 1);
	assert_string_equal(r.archive_id[0], "mam-7");
	id = store_last_archive_id(fx->s, &err);
	assert_string_equal(id, "mam-7");
	free(id);
	/* a third copy is caught by either id */
	assert_int_equal(add(fx->s, mam), 0);
	assert_int_equal(store_pending(fx->s), 0);

	/* an incoming message without origin id: the stanza id joins them */
	in.stanza_id = "b-9";
	assert_int_equal(add(fx->s, in), 1);
	in.archive_id = "mam-8";
	in.ts_ms += 1000;
	assert_int_equal(add(fx->s, in), 0);
	commit(fx->s);
	assert_int_equal(committed_rows(fx), 2);
	assert_int_equal(page(fx->s, "bob@example.org", 0, 10, &r), 2);
	assert_string_equal(r.archive_id[0], "mam-8");

	/* archive copy first, then the live one: still one row */
	mam = in_msg("bob@example.org", "late");
	mam.origin_id = "o-late";
	mam.archive_id = "mam-9";
	assert_int_equal(add(fx->s, mam), 1);
	mam.archive_id = NULL;
	assert_int_equal(add(fx->s, mam), 0);
	commit(fx->s);
	assert_int_equal(committed_rows(fx), 3);
	rows_free(&r);
}

/* Catch-up goes on after the archived message stored last: results come
 * in the archive's order, and a message's time is whatever its sender
 * claimed (a stranger's <delay/> of 2099 must not become the place every
 * later catch-up restarts from). */
static void last_archive_id_by_arrival(void **state)
{
	struct fx *fx = *state;
	struct store_msg m = in_msg("bob@example.org", "x");
	char *id, *err = NULL;

	fx->s = open_ok(fx);
	assert_null(store_last_archive_id(fx->s, &err));
	assert_null(err);
	m.archive_id = "forged-future";
	m.ts_ms = 4070908800000; /* 2099 */
	add(fx->s, m);
	m.archive_id = "next";
	m.ts_ms = 1000;
	add(fx->s, m);
	/* without an archive id: not a place in the archive */
	m.archive_id = NULL;
	m.ts_ms = 9000;
	add(fx->s, m);
	id = store_last_archive_id(fx->s, &err);
	assert_string_equal(id, "next");
	free(id);
	commit(fx->s);
	id = store_last_archive_id(fx->s, &err);
	assert_string_equal(id, "next");
	free(id);
}

/* ---- batching ---- */

static void batch_visible_after_commit(void **state)
{
	struct fx *fx = *state;
	struct rows r = {0};

	fx->s = open_ok(fx);
	assert_int_equal(store_pending(fx->s), 0);
	commit(fx->s); /* nothing open: a no-op */
	for (int i = 0; i < 10; i++)
		add(fx->s, in_msg("bob@example.org", "batched"));
	assert_int_equal(store_pending(fx->s), 10);
	/* this connection sees its batch, another one does not yet */
	assert_int_equal(page(fx->s, "bob@example.org", 0, 50, &r), 10);
	assert_int_equal(committed_rows(fx), 0);
	commit(fx->s);
	assert_int_equal(store_pending(fx->s), 0);
	assert_int_equal(committed_rows(fx), 10);
	rows_free(&r);
}

/* A duplicate alone must not leave a write transaction open: nobody would
 * commit it (store_pending() is 0) and it would block other writers. */
static void duplicate_leaves_no_transaction(void **state)
{
	struct fx *fx = *state;
	struct store_msg m = in_msg("bob@example.org", "x");
	char *err = NULL;

	fx->s = open_ok(fx);
	m.archive_id = "a";
	add(fx->s, m);
	commit(fx->s);
	assert_int_equal(add(fx->s, m), 0);
	assert_int_equal(store_pending(fx->s), 0);
	assert_true(sqlite3_get_autocommit(store_sqlite(fx->s)));
	/* a delivery update that matches nothing, likewise */
	assert_int_equal(
	    store_set_delivery(fx->s, "bob@example.org", "nope", STORE_DELIVERED, &err), 0);
	assert_int_equal(store_pending(fx->s), 0);
	assert_true(sqlite3_get_autocommit(store_sqlite(fx->s)));
}

static void set_max_pages(struct store *s, long long n)
{
	char sql[64];

	snprintf(sql, sizeof sql, "PRAGMA max_page_count = %lld", n);
	assert_int_equal(sqlite3_exec(store_sqlite(s), sql, NULL, NULL, NULL), SQLITE_OK);
}

/* A full disk (max_page_count stands in for it): nothing is lost, the
 * batch is kept in memory and stored by a later commit. */
static void full_disk_keeps_rows(void **state)
{
	struct fx *fx = *state;
	static char big[3000];
	struct store_msg m = in_msg("bob@example.org", big);
	char *err = NULL, *v = NULL;
	int failed = 0, i;
	long long pages;

	memset(big, 'x', sizeof big - 1);
	fx->s = open_ok(fx);
	add(fx->s, in_msg("bob@example.org", "before"));
	commit(fx->s);
	pages = query_int(fx, "PRAGMA page_count");
	set_max_pages(fx->s, pages + 2);
	for (i = 0; i < 40; i++) {
		char sid[16];

		snprintf(sid, sizeof sid, "s%d", i);
		m.stanza_id = sid;
		if (store_add(fx->s, &m, &err) < 0) {
			assert_non_null(strstr(err, "kept in memory"));
			failed++;
		}
		free(err);
		err = NULL;
	}
	assert_int_equal(store_set_delivery(fx->s, "bob@example.org", "s1", STORE_FAILED, &err),
	                 -1);
	free(err);
	err = NULL;
	assert_int_equal(store_kv_set(fx->s, "roster", "{\"v\":2}", &err), -1);
	free(err);
	err = NULL;
	assert_true(failed > 0);
	assert_int_equal(store_pending(fx->s), 42);
	/* the cache answers from memory meanwhile */
	assert_int_equal(store_kv_get(fx->s, "roster", &v, &err), 1);
	assert_string_equal(v, "{\"v\":2}");
	free(v);
	assert_int_equal(store_commit(fx->s, &err), -1);
	assert_non_null(err);
	free(err);
	err = NULL;
	assert_int_equal(store_pending(fx->s), 42);
	assert_int_equal(committed_rows(fx), 1);

	set_max_pages(fx->s, 1000000); /* space again */
	commit(fx->s);
	assert_int_equal(store_pending(fx->s), 0);
	assert_int_equal(committed_rows(fx), 41);
	assert_true(store_index_behind(fx->s));
	assert_int_equal(catch_up(fx->s, 1000), 41);
	fts_consistent(fx->s);
	assert_int_equal(query_int(fx, "SELECT delivery FROM messages WHERE stanza_id = 's1'"), 0);
	assert_int_equal(query_int(fx, "SELECT count(*) FROM kv"), 1);
	/* the full-text index followed */
	assert_int_equal(query_int(fx, "SELECT count(*) FROM messages_fts WHERE messages_fts "
	                               "MATCH 'before'"),
	                 1);
	/* and the duplicates are still recognised */
	m.stanza_id = "s3";
	assert_int_equal(add(fx->s, m), 0);
}

/* kill -9 between commits: the file is intact and has every commit. */
static void crash_keeps_commits(void **state)
{
	struct fx *fx = *state;
	pid_t pid = fork();
	int status;

	assert_true(pid >= 0);
	if (pid == 0) {
		char *err = NULL;
		struct store *s = store_open(fx->dir, &err);

		if (!s)
			_exit(2);
		for (int i = 0; i < 100; i++) {
			struct store_msg m = in_msg("bob@example.org", "committed");

			store_add(s, &m, &err);
			if (i % 10 == 9 && store_commit(s, &err))
				_exit(3);
			/* indexing lags behind the commits, as in natter */
			if (i % 20 == 19 && store_index_some(s, 7, &err) != 7)
				_exit(5);
		}
		for (int i = 0; i < 5; i++) {
			struct store_msg m = in_msg("bob@example.org", "open batch");

			store_add(s, &m, &err);
		}
		raise(SIGKILL);
		_exit(4);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	fx->s = open_ok(fx);
	assert_int_equal(query_int(fx, "SELECT count(*) FROM messages WHERE body = 'committed'"),
	                 100);
	assert_int_equal(committed_rows(fx), 100);
	assert_int_equal(query_int(fx, "SELECT count(*) FROM pragma_integrity_check "
	                               "WHERE integrity_check = 'ok'"),
	                 1);
	/* the marker moved with the index: 5 chunks of 7 survived */
	assert_int_equal(query_int(fx, "SELECT count(*) FROM messages_fts WHERE messages_fts "
	                               "MATCH 'committed'"),
	                 35);
	assert_true(store_index_behind(fx->s));
	assert_int_equal(catch_up(fx->s, 30), 65);
	assert_int_equal(query_int(fx, "SELECT count(*) FROM messages_fts WHERE messages_fts "
	                               "MATCH 'committed'"),
	                 100);
	fts_consistent(fx->s);
}

/* ---- reading ---- */

static void paging(void **state)
{
	struct fx *fx = *state;
	struct rows r = {0};
	int64_t ids[120];
	int n = 0;

	fx->s = open_ok(fx);
	for (int i = 0; i < 120; i++) {
		char body[16];
		struct store_msg m = in_msg("bob@example.org", body);

		snprintf(body, sizeof body, "b%d", i);
		assert_int_equal(store_add(fx->s, &m, NULL), 1);
		ids[i] = m.id;
		/* another conversation in between */
		add(fx->s, in_msg("carol@example.org", "other"));
	}
	commit(fx->s);
	assert_int_equal(page(fx->s, "bob@example.org", 0, 50, &r), 50);
	assert_string_equal(r.body[0], "b119"); /* newest first */
	assert_string_equal(r.body[49], "b70");
	for (int i = 1; i < 50; i++)
		assert_true(r.id[i] < r.id[i - 1]);
	n += r.n;
	assert_int_equal(page(fx->s, "bob@example.org", r.id[49], 50, &r), 50);
	assert_string_equal(r.body[0], "b69");
	n += r.n;
	assert_int_equal(page(fx->s, "bob@example.org", r.id[49], 50, &r), 20);
	assert_string_equal(r.body[19], "b0");
	assert_int_equal(r.id[19], ids[0]);
	n += r.n;
	assert_int_equal(page(fx->s, "bob@example.org", r.id[19], 50, &r), 0);
	assert_int_equal(n, 120);
	/* before_id need not be one of the conversation's */
	assert_int_equal(page(fx->s, "bob@example.org", ids[5] + 1, 50, &r), 6);
	assert_int_equal(page(fx->s, "nobody@example.org", 0, 50, &r), 0);
	assert_int_equal(page(fx->s, "bob@example.org", 0, 0, &r), 0);
}

static void page_fields_round_trip(void **state)
{
	struct fx *fx = *state;
	struct store_msg in = {
	    .peer = "bob@example.org",
	    .direction = STORE_OUT,
	    .type = "normal",
	    .ts_ms = 1234567890123,
	    .from = "me@example.net/a",
	    .to = "bob@example.org/b",
	    .body = "body",
	    .xhtml = "<p>body</p>",
	    .stanza_id = "s",
	    .origin_id = "o",
	    .archive_id = "a",
	    .delivery = STORE_DELIVERED,
	    .carbon = true,
	    .delayed = true,
	};
	sqlite3_stmt *st;

	fx->s = open_ok(fx);
	assert_int_equal(add(fx->s, in), 1);
	commit(fx->s);
	/* through the page statement's own columns */
	assert_int_equal(
	    sqlite3_prepare_v2(store_sqlite(fx->s), schema_sql[SQL_PAGE], -1, &st, NULL),
	    SQLITE_OK);
	sqlite3_bind_text(st, 1, "bob@example.org", -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, INT64_MAX);
	sqlite3_bind_int(st, 3, 1);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(st, COL_DIRECTION), STORE_OUT);
	assert_string_equal((const char *)sqlite3_column_text(st, COL_TYPE), "normal");
	assert_int_equal(sqlite3_column_int64(st, COL_TS), 1234567890123);
	assert_string_equal((const char *)sqlite3_column_text(st, COL_FROM), "me@example.net/a");
	assert_string_equal((const char *)sqlite3_column_text(st, COL_TO), "bob@example.org/b");
	assert_string_equal((const char *)sqlite3_column_text(st, COL_XHTML), "<p>body</p>");
	assert_string_equal((const char *)sqlite3_column_text(st, COL_STANZA_ID), "s");
	assert_string_equal((const char *)sqlite3_column_text(st, COL_ORIGIN_ID), "o");
	assert_string_equal((const char *)sqlite3_column_text(st, COL_ARCHIVE_ID), "a");
	assert_int_equal(sqlite3_column_int(st, COL_DELIVERY), STORE_DELIVERED);
	assert_int_equal(sqlite3_column_int(st, COL_CARBON), 1);
	assert_int_equal(sqlite3_column_int(st, COL_DELAYED), 1);
	sqlite3_finalize(st);
}

static void search_words(void **state)
{
	struct fx *fx = *state;
	struct rows r = {0};

	fx->s = open_ok(fx);
	add(fx->s, in_msg("bob@example.org", "Lunch at the café tomorrow?"));
	add(fx->s, in_msg("carol@example.org", "Привет, как дела?"));
	add(fx->s, in_msg("bob@example.org", "the cafe was closed"));
	add(fx->s, in_msg("dave@example.org", "use a AND b OR NOT c, \"quoted\" (x) col:y *z ^w"));
	commit(fx->s);

	/* newest first, accents and case folded */
	assert_int_equal(search(fx->s, "CAFE", &r), 2);
	assert_string_equal(r.body[0], "the cafe was closed");
	assert_true(r.id[0] > r.id[1]);
	assert_int_equal(search(fx->s, "café", &r), 2);
	assert_int_equal(search(fx->s, "привет", &r), 1);
	assert_int_equal(search(fx->s, "ДЕЛА", &r), 1);
	/* every word must be there */
	assert_int_equal(search(fx->s, "cafe tomorrow", &r), 1);
	assert_int_equal(search(fx->s, "cafe  yesterday", &r), 0);
	assert_int_equal(search(fx->s, "   ", &r), 0);
	assert_int_equal(search(fx->s, "", &r), 0);
	rows_free(&r);
}

/* Scripts written without spaces are found by substring; a word ending
 * in '*' finds the words it starts. */
static void search_substrings_and_prefixes(void **state)
{
	struct fx *fx = *state;
	struct rows r = {0};
	char *err = NULL;

	fx->s = open_ok(fx);
	add(fx->s, in_msg("bob@example.org", "CJK 日本語のテキスト"));
	add(fx->s, in_msg("bob@example.org", "中文搜索测试"));
	add(fx->s, in_msg("bob@example.org", "한국어를 배워요"));
	add(fx->s, in_msg("bob@example.org", "ภาษาไทยง่าย"));
	add(fx->s, in_msg("carol@example.org", "the password is swordfish"));
	add(fx->s, in_msg("carol@example.org", "a passing remark, abc日本"));
	commit(fx->s);
	/* twice: once read from the rows not indexed yet, once from the index */
	for (int pass = 0; pass < 2; pass++) {
		assert_int_equal(search(fx->s, "日本語", &r), 1);
		assert_string_equal(r.body[0], "CJK 日本語のテキスト");
		assert_int_equal(search(fx->s, "テキスト", &r), 1);
		assert_int_equal(search(fx->s, "語の", &r), 1);
		assert_int_equal(search(fx->s, "日本", &r), 2);
		assert_int_equal(search(fx->s, "本語テ", &r), 0);
		assert_int_equal(search(fx->s, "搜索", &r), 1);
		assert_int_equal(search(fx->s, "한국어", &r), 1);
		assert_int_equal(search(fx->s, "ไทย", &r), 1);
		assert_int_equal(search(fx->s, "cjk テキスト", &r), 1);
		assert_int_equal(search(fx->s, "abc日本", &r), 1);
		/* prefixes, in any script; words stay words without the star */
		assert_int_equal(search(fx->s, "pas*", &r), 2);
		assert_int_equal(search(fx->s, "PASS*", &r), 2);
		assert_int_equal(search(fx->s, "pas", &r), 0);
		assert_int_equal(search(fx->s, "passw*", &r), 1);
		assert_string_equal(r.body[0], "the password is swordfish");
		assert_int_equal(search(fx->s, "sword*", &r), 1);
		assert_int_equal(search(fx->s, "word*", &r), 0);
		assert_int_equal(search(fx->s, "pas* remark", &r), 1);
		assert_int_equal(search(fx->s, "テキ*", &r), 1);
		assert_int_equal(search(fx->s, "*", &r), 0);
		assert_int_equal(search(fx->s, "-*", &r), 0);
		assert_int_equal(search(fx->s, "\"*", &r), 0);
		if (!pass) {
			assert_true(store_index_behind(fx->s));
			assert_int_equal(catch_up(fx->s, 100), 6);
			assert_false(store_index_behind(fx->s));
		}
	}
	/* the index holds the characters one by one */
	assert_int_equal(query_int(fx, "SELECT count(*) FROM messages_fts WHERE messages_fts "
	                               "MATCH '\"語 の\"'"),
	                 1);
	fts_consistent(fx->s);
	(void)err;
	rows_free(&r);
}

/* The query language's syntax in the user's text is plain text. */
static void search_syntax_is_harmless(void **state)
{
	static const char *const queries[] = {
	    "\"",        "\"\"",
	    "AND",       "a AND",
	    "OR b",      "NOT",
	    "NEAR(a b)", "(",
	    ")",         "*",
	    "z*",        "^w",
	    "col:y",     "body:x",
	    "-x",        "+",
	    "a\"b",      "{body}: x",
	    "'",         "\\",
	    "x OR",      "\"quoted\"",
	    "NEAR(",     "\" \" \"",
	    "\"\"\"\"",  "\xe2\x80\x8f",
	    "日本語",    "a - b",
	    ":",         "%_",
	};
	struct fx *fx = *state;
	struct rows r = {0};

	fx->s = open_ok(fx);
	add(fx->s, in_msg("dave@example.org", "use a AND b OR NOT c, \"quoted\" (x) col:y *z ^w"));
	commit(fx->s);
	for (size_t i = 0; i < sizeof(queries) / sizeof(queries[0]); i++)
		search(fx->s, queries[i], &r);
	/* operators are words, matched as words */
	assert_int_equal(search(fx->s, "AND", &r), 1);
	assert_int_equal(search(fx->s, "\"quoted\"", &r), 1);
	assert_int_equal(search(fx->s, "col:y", &r), 1);
	assert_int_equal(search(fx->s, "NEAR(a b)", &r), 0);
	rows_free(&r);
}

static void search_limit(void **state)
{
	struct fx *fx = *state;
	struct rows r = {0};
	char *err = NULL;

	fx->s = open_ok(fx);
	for (int i = 0; i < 30; i++)
		add(fx->s, in_msg("bob@example.org", "again and again"));
	commit(fx->s);
	assert_int_equal(store_search(fx->s, "again", 7, collect, &r, &err), 7);
	for (int i = 1; i < 7; i++)
		assert_true(r.id[i] < r.id[i - 1]);
	rows_free(&r);
}

/* Search does not wait for the index: rows not indexed yet are found
 * the same way, and before the indexed ones (they are newer). */
static void search_while_indexing(void **state)
{
	struct fx *fx = *state;
	struct rows r = {0};
	char *err = NULL;
	int64_t ids[40];

	fx->s = open_ok(fx);
	assert_false(store_index_behind(fx->s));
	for (int i = 0; i < 40; i++) {
		struct store_msg m =
		    in_msg("bob@example.org", i % 2 ? "Déjà vu at the CAFÉ" : "nothing to see");

		assert_int_equal(store_add(fx->s, &m, &err), 1);
		ids[i] = m.id;
	}
	commit(fx->s);
	assert_true(store_index_behind(fx->s));
	assert_int_equal(query_int(fx, "SELECT count(*) FROM messages_fts WHERE messages_fts "
	                               "MATCH 'cafe'"),
	                 0);
	/* folded and unaccented like the index: whole words, in order */
	assert_int_equal(search(fx->s, "cafe deja", &r), 20);
	assert_int_equal(r.id[0], ids[39]);
	assert_int_equal(search(fx->s, "DEJA-VU", &r), 20);
	assert_int_equal(search(fx->s, "vu-deja", &r), 0);
	assert_int_equal(search(fx->s, "caf", &r), 0);
	assert_int_equal(search(fx->s, "(", &r), 0);

	/* half indexed: the two halves meet without a gap or a repeat */
	assert_int_equal(store_index_some(fx->s, 15, &err), 15);
	assert_true(store_index_behind(fx->s));
	assert_int_equal(search(fx->s, "café", &r), 20);
	for (int i = 0; i < 20; i++)
		assert_int_equal(r.id[i], ids[39 - 2 * i]);
	assert_int_equal(store_search(fx->s, "cafe", 5, collect, &r, &err), 5);
	assert_int_equal(r.id[4], ids[31]);
	rows_free(&r);
	/* the limit falls in the indexed part */
	assert_int_equal(store_search(fx->s, "cafe", 15, collect, &r, &err), 15);
	assert_int_equal(r.id[14], ids[11]);
	rows_free(&r);

	assert_int_equal(catch_up(fx->s, 10), 25);
	assert_int_equal(search(fx->s, "cafe deja", &r), 20);
	assert_int_equal(r.id[0], ids[39]);
	assert_int_equal(search(fx->s, "vu-deja", &r), 0);
	fts_consistent(fx->s);
	rows_free(&r);
}

/* Indexing goes in chunks, says when it is done, and where it stands
 * survives a restart. */
static void index_in_chunks(void **state)
{
	struct fx *fx = *state;
	char *err = NULL;

	fx->s = open_ok(fx);
	assert_int_equal(store_index_some(fx->s, 10, &err), 0);
	for (int i = 0; i < 25; i++)
		add(fx->s, in_msg("bob@example.org", "word"));
	/* the open batch is not indexed before its commit */
	assert_int_equal(store_index_some(fx->s, 10, &err), 0);
	assert_int_equal(store_pending(fx->s), 25);
	commit(fx->s);
	assert_true(store_index_behind(fx->s));
	assert_int_equal(store_index_some(fx->s, 10, &err), 10);
	assert_int_equal(query_int(fx, "SELECT upto FROM fts_state"),
	                 query_int(fx, "SELECT min(id) + 9 FROM messages"));
	store_close(fx->s);

	fx->s = open_ok(fx);
	assert_true(store_index_behind(fx->s));
	assert_int_equal(store_index_some(fx->s, 10, &err), 10);
	assert_int_equal(store_index_some(fx->s, 10, &err), 5);
	assert_false(store_index_behind(fx->s));
	assert_int_equal(store_index_some(fx->s, 10, &err), 0);
	store_close(fx->s);

	fx->s = open_ok(fx);
	assert_false(store_index_behind(fx->s));
	assert_int_equal(store_index_some(fx->s, 10, &err), 0);
	assert_int_equal(query_int(fx, "SELECT upto FROM fts_state"),
	                 query_int(fx, "SELECT max(id) FROM messages"));
	assert_int_equal(query_int(fx, "SELECT count(*) FROM messages_fts WHERE messages_fts "
	                               "MATCH 'word'"),
	                 25);
	fts_consistent(fx->s);
}

/* Deleting or editing rows keeps the index exact, whether they were
 * indexed yet or not. */
static void index_follows_changes(void **state)
{
	struct fx *fx = *state;
	struct rows r = {0};
	sqlite3 *db;

	fx->s = open_ok(fx);
	db = store_sqlite(fx->s);
	for (int i = 0; i < 20; i++)
		add(fx->s, in_msg("bob@example.org", i < 10 ? "early" : "late"));
	commit(fx->s);
	assert_int_equal(store_index_some(fx->s, 10, NULL), 10);
	assert_int_equal(sqlite3_exec(db,
	                              "DELETE FROM messages WHERE id IN (SELECT id FROM messages"
	                              " WHERE body = 'early' LIMIT 2);"
	                              "DELETE FROM messages WHERE id IN (SELECT id FROM messages"
	                              " WHERE body = 'late' LIMIT 2);"
	                              "UPDATE messages SET body = 'edited' WHERE id IN (SELECT id"
	                              " FROM messages WHERE body = 'early' LIMIT 1);"
	                              "UPDATE messages SET body = 'edited' WHERE id IN (SELECT id"
	                              " FROM messages WHERE body = 'late' LIMIT 1);",
	                              NULL, NULL, NULL),
	                 SQLITE_OK);
	fts_consistent(fx->s);
	assert_int_equal(search(fx->s, "edited", &r), 2);
	assert_int_equal(search(fx->s, "early", &r), 7);
	assert_int_equal(search(fx->s, "late", &r), 7);
	assert_int_equal(catch_up(fx->s, 100), 8);
	fts_consistent(fx->s);
	assert_int_equal(search(fx->s, "edited", &r), 2);
	assert_int_equal(search(fx->s, "late", &r), 7);
	rows_free(&r);
}

static void kv(void **state)
{
	struct fx *fx = *state;
	char *v = NULL, *err = NULL;

	fx->s = open_ok(fx);
	assert_int_equal(store_kv_get(fx->s, "roster", &v, &err), 0);
	assert_null(v);
	assert_int_equal(store_kv_set(fx->s, "roster", "{\"ver\":\"1\"}", &err), 0);
	assert_int_equal(store_pending(fx->s), 1); /* so the loop commits it */
	assert_int_equal(store_kv_get(fx->s, "roster", &v, &err), 1);
	assert_string_equal(v, "{\"ver\":\"1\"}");
	free(v);
	assert_int_equal(store_kv_set(fx->s, "roster", "{\"ver\":\"2\"}", &err), 0);
	assert_int_equal(store_kv_set(fx->s, "caps", "", &err), 0);
	store_close(fx->s);
	fx->s = open_ok(fx);
	assert_int_equal(store_kv_get(fx->s, "roster", &v, &err), 1);
	assert_string_equal(v, "{\"ver\":\"2\"}");
	free(v);
	assert_int_equal(store_kv_get(fx->s, "caps", &v, &err), 1);
	assert_string_equal(v, "");
	free(v);
}

static void delivery(void **state)
{
	struct fx *fx = *state;
	struct store_msg out = {
	    .peer = "bob@example.org",
	    .direction = STORE_OUT,
	    .type = "chat",
	    .ts_ms = 1,
	    .body = "ping",
	    .stanza_id = "x1",
	    .origin_id = "x1",
	    .delivery = STORE_PENDING,
	};
	struct store_msg in = in_msg("bob@example.org", "an incoming one with the same id");
	struct rows r = {0};
	char *err = NULL;

	fx->s = open_ok(fx);
	in.stanza_id = "x1";
	add(fx->s, in);
	add(fx->s, out);
	commit(fx->s);
	/* 1: the message was found (a receipt names a message we sent) */
	assert_int_equal(store_set_delivery(fx->s, "bob@example.org", "x1", STORE_SENT, &err), 1);
	assert_int_equal(store_pending(fx->s), 1);
	assert_int_equal(store_set_delivery(fx->s, "bob@example.org", "x1", STORE_DELIVERED, &err),
	                 1);
	commit(fx->s);
	assert_int_equal(page(fx->s, "bob@example.org", 0, 10, &r), 2);
	assert_int_equal(r.delivery[0], STORE_DELIVERED); /* ours */
	assert_int_equal(r.delivery[1], STORE_NONE);      /* theirs, untouched */
	/* another conversation's x1 is not ours: 0, nothing found */
	assert_int_equal(store_set_delivery(fx->s, "carol@example.org", "x1", STORE_FAILED, &err),
	                 0);
	assert_int_equal(
	    store_set_delivery(fx->s, "bob@example.org", "never-sent", STORE_DELIVERED, &err), 0);
	commit(fx->s);
	assert_int_equal(page(fx->s, "bob@example.org", 0, 10, &r), 2);
	assert_int_equal(r.delivery[0], STORE_DELIVERED);
	rows_free(&r);
}

/* ---- corrections and retractions (schema v2) ---- */

static struct store_msg marked(const char *id, const char *body)
{
	struct store_msg m = in_msg("bob@example.org", body);

	m.stanza_id = id;
	m.ts_ms += 1000;
	return m;
}

static int correct(struct store *s, int64_t target, struct store_msg m)
{
	char *err = NULL;
	int rc = store_correct(s, target, &m, &err);

	if (rc < 0)
		fail_msg("store_correct: %s", err);
	return rc;
}

static int64_t find(struct store *s, const char *id, bool *via)
{
	struct store_ref ref;
	char *err = NULL;
	int64_t row;
	int rc = store_find(s, "bob@example.org", STORE_IN, id, &ref, &err);

	if (rc < 0)
		fail_msg("store_find: %s", err);
	row = rc ? ref.id : 0;
	if (via)
		*via = ref.via_correction;
	if (rc)
		assert_string_equal(ref.from, "bob@example.org/phone");
	store_ref_clear(&ref);
	return row;
}

static void corrections(void **state)
{
	struct fx *fx = *state;
	struct store_msg first = in_msg("bob@example.org", "helo wrld");
	struct rows r = {0};
	int64_t row;
	bool via;

	fx->s = open_ok(fx);
	first.stanza_id = "m1";
	add(fx->s, first);
	commit(fx->s);
	catch_up(fx->s, 100);
	row = find(fx->s, "m1", &via);
	assert_true(row > 0);
	assert_false(via);
	assert_int_equal(correct(fx->s, row, marked("m2", "hello world")), 1);
	/* its copy (a carbon, the archive) changes nothing */
	assert_int_equal(correct(fx->s, row, marked("m2", "hello world")), 0);
	commit(fx->s);
	catch_up(fx->s, 100);
	/* one message, the new text; the first kept, not shown */
	assert_int_equal(page(fx->s, "bob@example.org", 0, 10, &r), 1);
	assert_string_equal(r.body[0], "hello world");
	assert_int_equal(query_int(fx, "SELECT count(*) FROM messages WHERE original_body = "
	                               "'helo wrld' AND body = 'hello world'"),
	                 1);
	assert_int_equal(search(fx->s, "wrld", &r), 0);
	assert_int_equal(search(fx->s, "hello", &r), 1);
	fts_consistent(fx->s);
	/* a correction that names the correction finds the message */
	assert_int_equal(find(fx->s, "m2", &via), row);
	assert_true(via);
	/* a message corrected before it was indexed */
	first.stanza_id = "m3";
	first.body = "unindexed tpyo";
	add(fx->s, first);
	assert_int_equal(correct(fx->s, find(fx->s, "m3", NULL), marked("m4", "indexed typo")), 1);
	commit(fx->s);
	assert_int_equal(search(fx->s, "tpyo", &r), 0);
	catch_up(fx->s, 100);
	assert_int_equal(search(fx->s, "tpyo", &r), 0);
	assert_int_equal(search(fx->s, "typo", &r), 1);
	fts_consistent(fx->s);
	rows_free(&r);
}

static void retractions(void **state)
{
	struct fx *fx = *state;
	struct store_msg first = in_msg("bob@example.org", "secret plan");
	struct rows r = {0};
	char *err = NULL;
	struct store_msg m = marked("x1", "fallback text");
	int64_t row;

	fx->s = open_ok(fx);
	first.stanza_id = "r1";
	first.oob_url = "https://example.org/plan.pdf";
	add(fx->s, first);
	commit(fx->s);
	catch_up(fx->s, 100);
	row = find(fx->s, "r1", NULL);
	assert_int_equal(store_retract(fx->s, row, &m, &err), 1);
	commit(fx->s);
	assert_int_equal(page(fx->s, "bob@example.org", 0, 10, &r), 1);
	assert_string_equal(r.body[0], "");
	assert_int_equal(query_int(fx,
	                           "SELECT count(*) FROM messages WHERE retracted = 1 AND "
	                           "body IS NULL AND oob_url IS NULL AND original_body IS NULL"),
	                 1);
	assert_int_equal(search(fx->s, "secret", &r), 0);
	assert_int_equal(search(fx->s, "fallback", &r), 0);
	catch_up(fx->s, 100);
	assert_int_equal(search(fx->s, "fallback", &r), 0);
	fts_consistent(fx->s);
	/* a retracted message is corrected no more */
	assert_int_equal(correct(fx->s, row, marked("r2", "back again")), 1);
	assert_int_equal(page(fx->s, "bob@example.org", 0, 10, &r), 1);
	assert_string_equal(r.body[0], "");
	rows_free(&r);
}

static void last_own(void **state)
{
	struct fx *fx = *state;
	struct store_msg out = {.peer = "bob@example.org",
	                        .direction = STORE_OUT,
	                        .type = "chat",
	                        .ts_ms = 1,
	                        .from = "me@example.net/natter",
	                        .to = "bob@example.org/phone",
	                        .body = "mine",
	                        .stanza_id = "o1",
	                        .origin_id = "o1"};
	struct store_own own;
	char *err = NULL;

	fx->s = open_ok(fx);
	assert_int_equal(store_last_own(fx->s, "bob@example.org", &own, &err), 0);
	add(fx->s, out);
	add(fx->s, in_msg("bob@example.org", "theirs, newer"));
	assert_int_equal(store_last_own(fx->s, "bob@example.org", &own, &err), 1);
	assert_string_equal(own.msgid, "o1");
	assert_string_equal(own.body, "mine");
	assert_string_equal(own.to, "bob@example.org/phone");
	store_own_clear(&own);
	assert_int_equal(store_last_own(fx->s, "carol@example.org", &own, &err), 0);
}

/* A version 4 history (group chat and OMEMO, before corrections) is
 * upgraded in place, its room messages too. */
static void from_version_4(void **state)
{
	struct fx *fx = *state;
	struct store_msg m = in_msg("bob@example.org", "written by version 4");
	struct store_msg rm = room_msg("in a room", "alice", "r-1");
	struct rows r = {0};

	fx->s = open_ok(fx);
	m.stanza_id = "v1";
	add(fx->s, m);
	rm.stanza_id = "rv1";
	assert_int_equal(add(fx->s, rm), 1);
	store_close(fx->s);
	fx->s = NULL;
	{
		sqlite3 *db;

		db = open_raw(fx);
		assert_int_equal(sqlite3_exec(db,
		                              UNDO_V7
		                              "ALTER TABLE messages DROP COLUMN original_body;"
		                              "ALTER TABLE messages DROP COLUMN replaces;"
		                              "ALTER TABLE messages DROP COLUMN retracted;"
		                              "ALTER TABLE messages DROP COLUMN oob_url;"
		                              "PRAGMA user_version = 4;",
		                              NULL, NULL, NULL),
		                 SQLITE_OK);
		sqlite3_close(db);
	}
	fx->s = open_ok(fx);
	assert_int_equal(query_int(fx, "PRAGMA user_version"), SCHEMA_VERSION);
	/* the room's message is still known by the room's id */
	assert_int_equal(add(fx->s, rm), 0);
	assert_int_equal(page(fx->s, "bob@example.org", 0, 10, &r), 1);
	assert_string_equal(r.body[0], "written by version 4");
	assert_int_equal(correct(fx->s, find(fx->s, "v1", NULL), marked("v2", "and corrected")), 1);
	assert_int_equal(page(fx->s, "bob@example.org", 0, 10, &r), 1);
	assert_string_equal(r.body[0], "and corrected");
	rows_free(&r);
}

/* A correction made while the disk is full is applied by a later commit. */
static void correction_survives_full_disk(void **state)
{
	struct fx *fx = *state;
	static char big[3000];
	struct store_msg m = in_msg("bob@example.org", "to be corrected");
	struct store_msg c;
	struct rows r = {0};
	char *err = NULL;
	int64_t row;

	memset(big, 'y', sizeof big - 1);
	fx->s = open_ok(fx);
	m.stanza_id = "f1";
	add(fx->s, m);
	commit(fx->s);
	row = find(fx->s, "f1", NULL);
	set_max_pages(fx->s, query_int(fx, "PRAGMA page_count"));
	for (int i = 0; i < 10; i++) {
		struct store_msg filler = in_msg("carol@example.org", big);

		store_add(fx->s, &filler, &err);
		free(err);
		err = NULL;
	}
	c = marked("f2", "corrected meanwhile");
	store_correct(fx->s, row, &c, &err);
	free(err);
	err = NULL;
	assert_int_equal(store_commit(fx->s, &err), -1);
	free(err);
	set_max_pages(fx->s, 1000000);
	commit(fx->s);
	assert_int_equal(page(fx->s, "bob@example.org", 0, 10, &r), 1);
	assert_string_equal(r.body[0], "corrected meanwhile");
	catch_up(fx->s, 1000);
	fts_consistent(fx->s);
	rows_free(&r);
}

static void delivery_never_goes_back(void **state)
{
	struct fx *fx = *state;
	struct store_msg out = {.peer = "bob@example.org",
	                        .direction = STORE_OUT,
	                        .type = "chat",
	                        .ts_ms = 1,
	                        .body = "ping",
	                        .stanza_id = "d1",
	                        .origin_id = "d1",
	                        .delivery = STORE_SENT};
	struct rows r = {0};
	char *err = NULL;

	fx->s = open_ok(fx);
	add(fx->s, out);
	assert_int_equal(store_set_delivery(fx->s, "bob@example.org", "d1", STORE_DISPLAYED, &err),
	                 1);
	/* still found: a late receipt is a receipt, it only changes nothing */
	assert_int_equal(store_set_delivery(fx->s, "bob@example.org", "d1", STORE_DELIVERED, &err),
	                 1);
	commit(fx->s);
	assert_int_equal(page(fx->s, "bob@example.org", 0, 10, &r), 1);
	assert_int_equal(r.delivery[0], STORE_DISPLAYED);
	rows_free(&r);
}

/* A callback that calls the store back is refused, not a corrupted
 * statement. */
static void reenter(const struct store_msg *m, void *ud)
{
	struct store *s = ud;
	struct store_msg again = *m;
	char *err = NULL;

	assert_int_equal(store_add(s, &again, &err), -1);
	assert_non_null(strstr(err, "callback"));
	free(err);
}

static void callback_reentry_refused(void **state)
{
	struct fx *fx = *state;
	char *err = NULL;

	fx->s = open_ok(fx);
	add(fx->s, in_msg("bob@example.org", "x"));
	assert_int_equal(store_page(fx->s, "bob@example.org", 0, 5, reenter, fx->s, &err), 1);
	assert_int_equal(store_pending(fx->s), 1);
}

/* ---- hash collisions ---- */

/* Every id gets the same key: only the texts tell messages apart. */
static int64_t same_key(int kind, const char *peer, int direction, const char *sender,
                        const char *id)
{
	(void)kind, (void)peer, (void)direction, (void)sender, (void)id;
	return 42;
}

static void collisions_never_merge(void **state)
{
	struct fx *fx = *state;
	struct store_msg m = in_msg("bob@example.org", "one");
	struct store_msg out = {
	    .peer = "bob@example.org",
	    .direction = STORE_OUT,
	    .type = "chat",
	    .ts_ms = 1,
	    .body = "mine",
	    .stanza_id = "o-1",
	    .origin_id = "o-1",
	    .delivery = STORE_SENT,
	};
	struct rows r = {0};
	char *err = NULL;

	schema_key_hook = same_key;
	fx->s = open_ok(fx);
	m.origin_id = "o-1";
	assert_int_equal(add(fx->s, m), 1);
	assert_int_equal(add(fx->s, m), 0);
	m.origin_id = "o-2";
	assert_int_equal(add(fx->s, m), 1);
	/* the same id in another kind, scope or direction */
	m.origin_id = NULL;
	m.stanza_id = "o-1";
	assert_int_equal(add(fx->s, m), 1);
	assert_int_equal(add(fx->s, m), 0);
	m.peer = "carol@example.org";
	m.from = "carol@example.org/x";
	assert_int_equal(add(fx->s, m), 1);
	assert_int_equal(add(fx->s, out), 1);
	assert_int_equal(add(fx->s, out), 0);
	/* archive ids */
	m.stanza_id = NULL;
	m.archive_id = "a-1";
	assert_int_equal(add(fx->s, m), 1);
	m.archive_id = "a-2";
	assert_int_equal(add(fx->s, m), 1);
	assert_int_equal(add(fx->s, m), 0);
	/* the archive copy of ours still finds it, and only it */
	out.archive_id = "a-3";
	assert_int_equal(add(fx->s, out), 0);
	assert_int_equal(store_set_delivery(fx->s, "bob@example.org", "o-1", STORE_DELIVERED, &err),
	                 1);
	commit(fx->s);
	assert_int_equal(committed_rows(fx), 7);
	assert_int_equal(query_int(fx, "SELECT count(*) FROM messages WHERE archive_id = 'a-3'"
	                               " AND direction = 1"),
	                 1);
	assert_int_equal(page(fx->s, "bob@example.org", 0, 10, &r), 4);
	assert_int_equal(r.delivery[0], STORE_DELIVERED); /* ours, the newest */
	for (int i = 1; i < 4; i++)
		assert_int_equal(r.delivery[i], STORE_NONE);
	rows_free(&r);
	schema_key_hook = NULL;
}

/* ---- query plans ---- */

/* The plan of statement i, one detail per line. */
static char *plan(struct store *s, enum schema_stmt i)
{
	sqlite3_stmt *st;
	char *sql, *out = calloc(1, 1);
	size_t len = 0;

	assert_non_null(out);
	assert_true(asprintf(&sql, "EXPLAIN QUERY PLAN %s", schema_sql[i]) > 0);
	if (sqlite3_prepare_v2(store_sqlite(s), sql, -1, &st, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(store_sqlite(s)));
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *d = (const char *)sqlite3_column_text(st, 3);
		size_t n = strlen(d);

		out = realloc(out, len + n + 2);
		assert_non_null(out);
		memcpy(out + len, d, n);
		len += n;
		out[len++] = '\n';
		out[len] = '\0';
	}
	sqlite3_finalize(st);
	free(sql);
	return out;
}

static void expect_plan(struct store *s, enum schema_stmt i, const char *uses)
{
	char *p = plan(s, i);

	if (!strstr(p, uses) || strstr(p, "SCAN messages\n") || strstr(p, "TEMP B-TREE"))
		fail_msg("statement %d should use %s, without a scan or sort:\n%s", i, uses, p);
	free(p);
}

/* Messages with every kind of id, as a flood brings them. */
static void add_flood(struct store *s, int from, int n)
{
	for (int i = from; i < from + n; i++) {
		char sid[32], aid[32];
		struct store_msg m = in_msg("bob@example.org", "flood");

		snprintf(sid, sizeof sid, "s%d", i);
		snprintf(aid, sizeof aid, "A%d", i);
		m.stanza_id = sid;
		m.archive_id = aid;
		assert_int_equal(add(s, m), 1);
	}
}

/* Each copy of message i is a duplicate, whichever id tells it. */
static void expect_dups(struct store *s, int from, int n)
{
	for (int i = from; i < from + n; i++) {
		char sid[32], aid[32];
		struct store_msg m = in_msg("bob@example.org", "flood");

		snprintf(sid, sizeof sid, "s%d", i);
		snprintf(aid, sizeof aid, "A%d", i);
		m.archive_id = aid;
		assert_int_equal(add(s, m), 0);
		m.archive_id = NULL;
		m.stanza_id = sid;
		assert_int_equal(add(s, m), 0);
	}
}

/* A burst's keys stay off the disk until the burst is indexed, and its
 * duplicates are recognised all along: in the open batch, committed,
 * after a restart (rebuilt from the rows), and once merged. */
static void keys_after_burst(void **state)
{
	struct fx *fx = *state;

	fx->s = open_ok(fx);
	add_flood(fx->s, 0, 300);
	expect_dups(fx->s, 0, 300);
	commit(fx->s);
	assert_int_equal(query_int(fx, "SELECT count(*) FROM keys"), 0);
	expect_dups(fx->s, 0, 300);
	store_close(fx->s);
	fx->s = open_ok(fx);
	expect_dups(fx->s, 0, 300);
	commit(fx->s);
	assert_true(store_index_behind(fx->s));
	assert_int_equal(catch_up(fx->s, 1000), 300);
	/* one key for each id of each row, and the mark with them */
	assert_int_equal(query_int(fx, "SELECT count(*) FROM keys"), 600);
	assert_int_equal(query_int(fx, "SELECT upto FROM keys_state"), 300);
	expect_dups(fx->s, 0, 300);
	add_flood(fx->s, 300, 10);
	commit(fx->s);
	expect_dups(fx->s, 0, 310);
	store_close(fx->s);
	fx->s = open_ok(fx);
	expect_dups(fx->s, 0, 310);
	assert_int_equal(committed_rows(fx), 310);
}

/* Rows another natter committed, not merged yet, are found too. */
static void keys_of_another_writer(void **state)
{
	struct fx *fx = *state;
	struct store *other;

	fx->s = open_ok(fx);
	other = open_ok(fx);
	/* our store has seen the file before the other one writes */
	add_flood(fx->s, 0, 5);
	commit(fx->s);
	add_flood(other, 5, 5);
	commit(other);
	expect_dups(fx->s, 0, 10);
	commit(fx->s);
	/* the other one merges; ours still finds them all */
	assert_int_equal(catch_up(other, 100), 10);
	store_close(other);
	expect_dups(fx->s, 0, 10);
	commit(fx->s);
	assert_int_equal(committed_rows(fx), 10);
	assert_int_equal(catch_up(fx->s, 100), 0);
	assert_int_equal(query_int(fx, "SELECT count(*) FROM keys"), 20);
}

/* A history of version 6 gets its keys table filled and its key indexes
 * dropped. */
static void from_version_6(void **state)
{
	struct fx *fx = *state;
	sqlite3 *db;

	fx->s = open_ok(fx);
	add_flood(fx->s, 0, 20);
	commit(fx->s);
	store_close(fx->s);
	fx->s = NULL;
	db = open_raw(fx);
	assert_int_equal(sqlite3_exec(db, UNDO_V7 "PRAGMA user_version = 6;", NULL, NULL, NULL),
	                 SQLITE_OK);
	sqlite3_close(db);
	fx->s = open_ok(fx);
	assert_int_equal(query_int(fx, "PRAGMA user_version"), SCHEMA_VERSION);
	assert_int_equal(query_int(fx, "SELECT count(*) FROM keys"), 40);
	assert_int_equal(query_int(fx, "SELECT upto FROM keys_state"), 20);
	assert_int_equal(query_int(fx, "SELECT count(*) FROM sqlite_schema WHERE name IN"
	                               " ('messages_dkey', 'messages_akey', 'messages_rkey',"
	                               " 'messages_ckey')"),
	                 0);
	assert_int_equal(query_int(fx, "SELECT count(*) FROM sqlite_schema WHERE name ="
	                               " 'messages_peer' AND sql LIKE '%(peer, id)'"),
	                 1);
	expect_dups(fx->s, 0, 20);
	commit(fx->s);
	assert_int_equal(committed_rows(fx), 20);
}

/* The process's write calls so far (/proc/self/io), -1 when unknown. */
static long long write_calls(void)
{
	FILE *f = fopen("/proc/self/io", "r");
	char line[128];
	long long n = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof line, f))
		if (sscanf(line, "syscw: %lld", &n) == 1)
			break;
	fclose(f);
	return n;
}

/* A commit writes its WAL frames in a call or two, and a checkpoint its
 * pages a run at a time (vfs_batch.c), not a call per frame or page. */
static void writes_gathered(void **state)
{
	struct fx *fx = *state;
	char *err = NULL;
	long long before, commit_calls, ckpt_calls;

	fx->s = open_ok(fx);
	add_flood(fx->s, 0, 500);
	before = write_calls();
	if (before < 0)
		skip();
	commit(fx->s);
	commit_calls = write_calls() - before;
	/* another connection sees every frame of the commit at once, though
	 * it was more than one write's worth */
	assert_int_equal(committed_rows(fx), 500);
	assert_int_equal(query_int(fx, "SELECT count(*) FROM messages WHERE body = 'flood'"), 500);
	before = write_calls();
	assert_int_equal(store_checkpoint(fx->s, &err), 0);
	ckpt_calls = write_calls() - before;
	/* 500 rows: some 20 frames of 8 KB, 40 calls through SQLite's own
	 * VFS; here one per 124 KB */
	if (commit_calls > 4 || ckpt_calls > 6)
		fail_msg("%lld write calls for the commit, %lld for the checkpoint", commit_calls,
		         ckpt_calls);
	expect_dups(fx->s, 0, 500);
	commit(fx->s);
	assert_int_equal(committed_rows(fx), 500);
	/* Commits of many sizes, so that the commit frame falls at every
	 * place in what is held (a write that does not fit sends what is
	 * held first, some 15 frames in): each is whole for another
	 * connection at once. */
	for (int k = 200, at = 500; k <= 520; at += k, k += 8) {
		add_flood(fx->s, at, k);
		commit(fx->s);
		assert_int_equal(committed_rows(fx), at + k);
		assert_int_equal(query_int(fx, "SELECT count(*) FROM pragma_integrity_check"
		                               " WHERE integrity_check = 'ok'"),
		                 1);
	}
}

static void query_plans(void **state)
{
	struct fx *fx = *state;

	fx->s = open_ok(fx);
	/* with statistics that make a scan look cheap, to be sure the plan
	 * does not depend on an empty table */
	for (int i = 0; i < 200; i++)
		add(fx->s, in_msg(i % 2 ? "bob@example.org" : "carol@example.org", "hello"));
	commit(fx->s);
	assert_int_equal(sqlite3_exec(store_sqlite(fx->s), "ANALYZE", NULL, NULL, NULL), 0);

	expect_plan(fx->s, SQL_PAGE, "USING INDEX messages_peer (peer=? AND id<?)");
	/* a dedup key is looked up in keys and in temp.pending, and names
	 * rows by id: two plain searches, no temporary table filled at each
	 * step (what "id IN (SELECT ...)" costs) */
	static const enum schema_stmt by_key[] = {SQL_FIND_ARCHIVE, SQL_FIND_ORIGIN,
	                                          SQL_FIND_STANZA, SQL_FIND_ROOM, SQL_FIND_CONTENT};
	for (size_t i = 0; i < sizeof(by_key) / sizeof(by_key[0]); i++) {
		char *p = plan(fx->s, by_key[i]);

		expect_plan(fx->s, by_key[i], "SEARCH keys USING PRIMARY KEY (key=?)");
		expect_plan(fx->s, by_key[i], "SEARCH temp.pending USING PRIMARY KEY (key=?)");
		expect_plan(fx->s, by_key[i], "SEARCH m USING INTEGER PRIMARY KEY (rowid=?)");
		if (strstr(p, "LIST SUBQUERY") || strstr(p, "MATERIALIZE"))
			fail_msg("statement %d fills a temporary table:\n%s", by_key[i], p);
		free(p);
	}
	expect_plan(fx->s, SQL_DELIVERY, "SEARCH keys USING PRIMARY KEY (key=?)");
	expect_plan(fx->s, SQL_DELIVERY, "SEARCH messages USING INTEGER PRIMARY KEY (rowid=?)");
	expect_plan(fx->s, SQL_PENDING_SYNC, "USING INTEGER PRIMARY KEY (rowid>? AND rowid<?)");
	expect_plan(fx->s, SQL_ATTACH, "USING INTEGER PRIMARY KEY (rowid=?)");
	expect_plan(fx->s, SQL_LAST_ARCHIVE, "USING INDEX messages_archived");
	expect_plan(fx->s, SQL_SEARCH, "SCAN messages_fts VIRTUAL TABLE");
	expect_plan(fx->s, SQL_SEARCH, "USING INTEGER PRIMARY KEY (rowid=?)");
	expect_plan(fx->s, SQL_SEARCH_TAIL, "USING INTEGER PRIMARY KEY (rowid>?)");
	expect_plan(fx->s, SQL_FTS_CHUNK_END, "USING INTEGER PRIMARY KEY (rowid>?)");
	expect_plan(fx->s, SQL_FTS_INDEX, "USING INTEGER PRIMARY KEY (rowid>? AND rowid<?)");
	expect_plan(fx->s, SQL_KV_GET, "USING PRIMARY KEY (key=?)");
	/* corrections, retractions and /correct read the conversation's
	 * newest rows, never the whole table */
	expect_plan(fx->s, SQL_FIND, "USING INDEX messages_peer (peer=? AND id>?)");
	expect_plan(fx->s, SQL_LAST_OWN, "USING INDEX messages_peer (peer=? AND id>?)");
	expect_plan(fx->s, SQL_CORRECT, "USING INTEGER PRIMARY KEY (rowid=?)");
	expect_plan(fx->s, SQL_RETRACT, "USING INTEGER PRIMARY KEY (rowid=?)");
	expect_plan(fx->s, SQL_ATTACH_ROOM, "USING INTEGER PRIMARY KEY (rowid=?)");
	expect_plan(fx->s, SQL_CLAIM, "USING INTEGER PRIMARY KEY (rowid=?)");
	expect_plan(fx->s, SQL_ROOM_LAST_SID, "USING INDEX messages_peer (peer=?)");
	expect_plan(fx->s, SQL_ROOM_LAST_TS, "USING INDEX messages_peer (peer=?)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(fresh, setup, teardown),
	    cmocka_unit_test_setup_teardown(wal_mode, setup, teardown),
	    cmocka_unit_test_setup_teardown(reopen, setup, teardown),
	    cmocka_unit_test_setup_teardown(newer_version_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(from_version_0, setup, teardown),
	    cmocka_unit_test_setup_teardown(open_to_others_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(not_a_database, setup, teardown),
	    cmocka_unit_test_setup_teardown(dedup_archive_id, setup, teardown),
	    cmocka_unit_test_setup_teardown(dedup_origin_id, setup, teardown),
	    cmocka_unit_test_setup_teardown(from_version_5, setup, teardown),
	    cmocka_unit_test_setup_teardown(from_version_6, setup, teardown),
	    cmocka_unit_test_setup_teardown(keys_after_burst, setup, teardown),
	    cmocka_unit_test_setup_teardown(keys_of_another_writer, setup, teardown),
	    cmocka_unit_test_setup_teardown(writes_gathered, setup, teardown),
	    cmocka_unit_test_setup_teardown(dedup_stanza_id, setup, teardown),
	    cmocka_unit_test_setup_teardown(dedup_room_sid, setup, teardown),
	    cmocka_unit_test_setup_teardown(room_echo_gets_room_sid, setup, teardown),
	    cmocka_unit_test_setup_teardown(room_sender_is_occupant_id, setup, teardown),
	    cmocka_unit_test_setup_teardown(room_dedup_by_content, setup, teardown),
	    cmocka_unit_test_setup_teardown(from_version_1, setup, teardown),
	    cmocka_unit_test_setup_teardown(live_then_archive, setup, teardown),
	    cmocka_unit_test_setup_teardown(last_archive_id_by_arrival, setup, teardown),
	    cmocka_unit_test_setup_teardown(from_version_2, setup, teardown),
	    cmocka_unit_test_setup_teardown(from_version_3, setup, teardown),
	    cmocka_unit_test_setup_teardown(batch_visible_after_commit, setup, teardown),
	    cmocka_unit_test_setup_teardown(duplicate_leaves_no_transaction, setup, teardown),
	    cmocka_unit_test_setup_teardown(full_disk_keeps_rows, setup, teardown),
	    cmocka_unit_test_setup_teardown(crash_keeps_commits, setup, teardown),
	    cmocka_unit_test_setup_teardown(paging, setup, teardown),
	    cmocka_unit_test_setup_teardown(page_fields_round_trip, setup, teardown),
	    cmocka_unit_test_setup_teardown(search_words, setup, teardown),
	    cmocka_unit_test_setup_teardown(search_substrings_and_prefixes, setup, teardown),
	    cmocka_unit_test_setup_teardown(search_syntax_is_harmless, setup, teardown),
	    cmocka_unit_test_setup_teardown(search_limit, setup, teardown),
	    cmocka_unit_test_setup_teardown(search_while_indexing, setup, teardown),
	    cmocka_unit_test_setup_teardown(index_in_chunks, setup, teardown),
	    cmocka_unit_test_setup_teardown(index_follows_changes, setup, teardown),
	    cmocka_unit_test_setup_teardown(kv, setup, teardown),
	    cmocka_unit_test_setup_teardown(delivery, setup, teardown),
	    cmocka_unit_test_setup_teardown(callback_reentry_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(collisions_never_merge, setup, teardown),
	    cmocka_unit_test_setup_teardown(query_plans, setup, teardown),
	    cmocka_unit_test_setup_teardown(corrections, setup, teardown),
	    cmocka_unit_test_setup_teardown(retractions, setup, teardown),
	    cmocka_unit_test_setup_teardown(last_own, setup, teardown),
	    cmocka_unit_test_setup_teardown(from_version_4, setup, teardown),
	    cmocka_unit_test_setup_teardown(correction_survives_full_disk, setup, teardown),
	    cmocka_unit_test_setup_teardown(delivery_never_goes_back, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
