/* The history schema, one numbered migration per version, and the
 * statements the indexes serve. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>

#include "store/fts_tokenizer.h"
#include "store/schema.h"

/* The dedup keys of the rows with ids in (lo, hi]: one (key, id) pair per
 * key a row has.  NOT INDEXED: a range of row ids, never a skip-scan of
 * messages_peer. */
#define KEYS_OF_ROWS(lo, hi)                                                                       \
	"SELECT dkey AS key, id FROM messages NOT INDEXED WHERE id > " lo " AND id <= " hi         \
	" AND dkey IS NOT NULL UNION ALL SELECT akey, id FROM messages NOT INDEXED"                \
	" WHERE id > " lo " AND id <= " hi " AND akey IS NOT NULL UNION ALL SELECT rkey, id"       \
	" FROM messages NOT INDEXED WHERE id > " lo " AND id <= " hi " AND rkey IS NOT NULL"       \
	" UNION ALL SELECT ckey, id FROM messages NOT INDEXED WHERE id > " lo " AND id <= " hi     \
	" AND ckey IS NOT NULL"

/* Version 1.
 *
 * messages.sender is the dedup key's "who sent it": '' for our own
 * messages (any of our resources, or none known), the occupant's full JID
 * in a groupchat, else the bare JID of from when it is not the peer
 * itself (usually it is, and peer is already in the key).  store.c
 * computes it so that the live copy, the carbon and the archive copy of
 * one message agree.
 *
 * The dedup rules (one archive id, or one origin id — stanza id when
 * there is no origin id — per peer, direction and sender) are looked up
 * through two integer columns, dkey and akey, holding schema_key() of
 * those ids.  Unique indexes on the texts themselves made every burst of
 * inserts rewrite pages all over wide random-keyed B-trees; 6-byte keys
 * pack several times as many entries per page.  The indexes are not
 * UNIQUE: a hash collision must never merge two messages, so store.c
 * finds a duplicate by key and then compares the texts, inside the
 * transaction that inserts.  Ids are not unique across senders (a client
 * may count 1, 2, 3), hence the sender in the key; archive ids are unique
 * per account, and the database is per account.
 *
 * Receipts name our message by its id attribute; natter sends every
 * message with origin id = id, so dkey finds ours and they need no index
 * of their own.
 *
 * messages_fts indexes bodies without a second copy of them (external
 * content).  columnsize = 0: search orders by id, never by rank, so the
 * per-row size table would only cost every insert a B-tree write.
 *
 * Tokenising a body cost more than the rest of its insert, so bursts are
 * stored unindexed and store_index_some() indexes them afterwards, in
 * chunks, in id order: fts_state.upto is the highest id in the index,
 * moved in the same transaction as the index itself, so a crash leaves
 * them agreeing.  Row ids only grow (natter deletes no messages; a
 * replayed row keeps its id or takes a new, higher one), so every row
 * above upto is unindexed and every row at or below it is indexed.  The
 * triggers keep indexed rows in step; an unindexed row must not be
 * "deleted" from an external-content index that never saw it, which
 * would corrupt it. */
static const char v1[] =
    "CREATE TABLE messages ("
    " id INTEGER PRIMARY KEY,"
    " peer TEXT NOT NULL,"
    " direction INTEGER NOT NULL CHECK (direction IN (0, 1)),"
    " type TEXT,"
    " ts INTEGER NOT NULL,"
    " from_jid TEXT,"
    " to_jid TEXT,"
    " sender TEXT NOT NULL,"
    " body TEXT,"
    " xhtml TEXT,"
    " stanza_id TEXT,"
    " origin_id TEXT,"
    " archive_id TEXT,"
    " delivery INTEGER NOT NULL DEFAULT 0,"
    " carbon INTEGER NOT NULL DEFAULT 0,"
    " delayed INTEGER NOT NULL DEFAULT 0,"
    " dkey INTEGER,"
    " akey INTEGER"
    ");"
    /* a conversation, newest first, paged by id */
    "CREATE INDEX messages_peer ON messages (peer, id DESC);"
    "CREATE INDEX messages_dkey ON messages (dkey) WHERE dkey IS NOT NULL;"
    "CREATE INDEX messages_akey ON messages (akey) WHERE akey IS NOT NULL;"
    /* MAM catch-up started after the newest archived message (v2: the
     * last one stored) */
    "CREATE INDEX messages_archived_ts ON messages (ts) WHERE archive_id IS NOT NULL;"
    "CREATE VIRTUAL TABLE messages_fts USING fts5 (body, content = 'messages',"
    " content_rowid = 'id', columnsize = 0, tokenize = 'unicode61 remove_diacritics 2');"
    "CREATE TABLE fts_state (id INTEGER PRIMARY KEY CHECK (id = 0),"
    " upto INTEGER NOT NULL);"
    "INSERT INTO fts_state (id, upto) VALUES (0, 0);"
    "CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages"
    " WHEN old.id <= (SELECT upto FROM fts_state) BEGIN"
    " INSERT INTO messages_fts (messages_fts, rowid, body) VALUES ('delete', old.id, old.body);"
    " END;"
    "CREATE TRIGGER messages_fts_update AFTER UPDATE OF body ON messages"
    " WHEN old.id <= (SELECT upto FROM fts_state) BEGIN"
    " INSERT INTO messages_fts (messages_fts, rowid, body) VALUES ('delete', old.id, old.body);"
    " INSERT INTO messages_fts (rowid, body) VALUES (new.id, new.body);"
    " END;"
    "CREATE TABLE kv (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;";

/* Version 2: the MAM catch-up starts after the archived message stored
 * last, in the archive's own order (its pages come oldest first, and a
 * live message carries an archive id only once the archive is caught
 * up), never after the one with the latest time: a peer chooses the time
 * of its message (a <delay/> of 2099), not where it is in our archive.
 * Row ids only grow, so the newest row holding an archive id is it. */
static const char v2[] =
    "DROP INDEX messages_archived_ts;"
    "CREATE INDEX messages_archived ON messages (id) WHERE archive_id IS NOT NULL;";

/* Version 3: group chat (XEP-0045).
 *
 * A room numbers its messages itself: room_sid is the XEP-0359 stanza-id
 * whose "by" is the room.  It is unique only within that room, so it is
 * not an archive id (which is unique per account, and which MAM catch-up
 * of our own archive starts after): rkey is schema_key() of the room and
 * the id together.
 *
 * Messages without any id at all are known by what they say: ckey is
 * schema_key() of the room, the sender and the body, set on room rows
 * stored without a room stanza-id.  A room's history replay carries the
 * room's time in its delay stamp, while the live copy was stored at our
 * own time, so the time is compared apart from the key: a replayed copy
 * (delayed) matches a row with the same stamp, or a live row not claimed
 * yet whose time is close enough (store.c); stamp then records the room's
 * time for that row, so the next replayed message with the same words is
 * not taken for it.
 *
 * occupant_id is XEP-0421's: the room's name for the sender that survives
 * nick changes.  It is the dedup key's sender when present (store.c). */
static const char v3[] = "ALTER TABLE messages ADD COLUMN room_sid TEXT;"
                         "ALTER TABLE messages ADD COLUMN occupant_id TEXT;"
                         "ALTER TABLE messages ADD COLUMN rkey INTEGER;"
                         "ALTER TABLE messages ADD COLUMN ckey INTEGER;"
                         "ALTER TABLE messages ADD COLUMN stamp INTEGER;"
                         "CREATE INDEX messages_rkey ON messages (rkey) WHERE rkey IS NOT NULL;"
                         "CREATE INDEX messages_ckey ON messages (ckey) WHERE ckey IS NOT NULL;";

/* Version 4: how a message was end-to-end encrypted ("omemo"), NULL when
 * it was not.  The body stays plaintext (search needs it; the file is
 * 0600); an encrypted message that could not be decrypted has no body. */
static const char v4[] = "ALTER TABLE messages ADD COLUMN encryption TEXT;";

/* Version 5: corrections (XEP-0308), retractions (XEP-0424) and
 * out-of-band links (XEP-0066).
 *
 * A corrected message keeps its row: body (and xhtml) become the newest
 * text, which history and search show, and original_body keeps the text
 * it first had, for the record (never shown).  The update trigger of v1
 * moves the full-text index with it.  A retracted message keeps its row
 * too, marked retracted, with every text of it gone (so search cannot
 * find it, and nothing of it is kept against its sender's wish).
 *
 * The correction or retraction itself is stored as a row of its own
 * whose replaces names the row it acted on: its ids then take part in
 * the dedup rules (the archive's copy of a correction seen live is known
 * as such and not applied twice, and MAM catch-up knows where it stands),
 * and a correction that names an earlier correction's id finds the
 * message behind it.  Such rows have no body (the full-text index never
 * sees them) and are never shown: paging leaves them out. */
static const char v5[] = "ALTER TABLE messages ADD COLUMN original_body TEXT;"
                         "ALTER TABLE messages ADD COLUMN replaces INTEGER;"
                         "ALTER TABLE messages ADD COLUMN retracted INTEGER NOT NULL DEFAULT 0;"
                         "ALTER TABLE messages ADD COLUMN oob_url TEXT;";
/* Version 6: the index is rebuilt with natter's tokenizer
 * (fts_tokenizer.h), which indexes the characters of scripts written
 * without spaces one by one, so that searching them finds substrings.
 * upto = 0 hands every row to store_index_some(), which indexes them in
 * chunks while natter is idle; until then search reads the rows not
 * indexed yet directly, as for a burst. */
static const char v6[] =
    "DROP TABLE messages_fts;"
    "CREATE VIRTUAL TABLE messages_fts USING fts5 (body, content = 'messages',"
    " content_rowid = 'id', columnsize = 0, tokenize = '" FTS_TOKENIZER " remove_diacritics 2');"
    "UPDATE fts_state SET upto = 0;";

/* Version 7: the dedup keys leave the messages table's indexes for a
 * table of their own, written after a burst rather than during it.
 *
 * Keys are hashes, so every row inserted lands on a random leaf of each
 * key index: a commit of a few hundred rows rewrote nearly all of their
 * leaves, each commit again (4 of the 13 MB a 10,000-message flood wrote,
 * and 1,900 of its 5,400 write calls; ../shared/bench).  Now the keys of
 * rows above keys_state.upto live in memory only (store.c: the temporary
 * table pending, rebuilt from the rows themselves at open), and
 * store_index_some() moves them into keys in one transaction once the
 * burst is over, touching each leaf once.  keys and upto move in the same
 * transaction, so a crash leaves them agreeing, like fts_state.upto.  A
 * key set on an older row (an archive id attached to our own message, a
 * room's id to its echo) goes into keys at once: it is rare, and upto
 * could not say it is missing.
 *
 * keys holds every kind (the kind is hashed into the key): a key only
 * names candidates, which the statements then check by their texts.
 *
 * messages_peer is rebuilt ascending: rows arrive in growing id order,
 * which a descending index takes at the front of the conversation's
 * range, splitting its pages half full (115 pages, half of them free,
 * after a 10,000-message flood).  SQLite reads it backwards for the
 * newest-first statements just as well. */
static const char v7[] =
    "DROP INDEX IF EXISTS messages_dkey;"
    "DROP INDEX IF EXISTS messages_akey;"
    "DROP INDEX IF EXISTS messages_rkey;"
    "DROP INDEX IF EXISTS messages_ckey;"
    "DROP INDEX messages_peer;"
    "CREATE INDEX messages_peer ON messages (peer, id);"
    "CREATE TABLE keys (key INTEGER NOT NULL, id INTEGER NOT NULL,"
    " PRIMARY KEY (key, id)) WITHOUT ROWID;"
    "CREATE TABLE keys_state (id INTEGER PRIMARY KEY CHECK (id = 0), upto INTEGER NOT NULL);"
    "INSERT INTO keys (key, id) SELECT key, id FROM (" KEYS_OF_ROWS(
        "0", "9223372036854775807") ") ORDER BY 1, 2;"
                                    "INSERT INTO keys_state (id, upto) VALUES (0, coalesce((SELECT "
                                    "max(id) FROM messages), 0));";

/* migrations[i] takes a database from version i to version i + 1. */
static const char *const migrations[] = {v1, v2, v3, v4, v5, v6, v7};

_Static_assert(sizeof(migrations) / sizeof(migrations[0]) == SCHEMA_VERSION,
               "one migration per schema version");

#define MSG_COLS                                                                                   \
	"id, peer, direction, type, ts, from_jid, to_jid, body, xhtml, stanza_id, origin_id, "     \
	"archive_id, delivery, carbon, delayed, encryption, original_body IS NOT NULL, "           \
	"retracted, oob_url"

/* The rows a correction or retraction may name: the newest 500 of the
 * conversation.  XEP-0308 corrects the last message; this leaves room for
 * a few more while bounding what a stranger's made-up ids cost.  The
 * oldest row of the window, for a conversation ?1: */
#define WINDOW_START                                                                               \
	"coalesce((SELECT min(id) FROM (SELECT id FROM messages WHERE peer = ?1"                   \
	" ORDER BY id DESC LIMIT 500)), 0)"

/* The rows whose dedup key may be ?1: those merged into keys, and those
 * above keys_state.upto (v7).  A join rather than "id IN (...)", which
 * SQLite runs by filling a temporary table at every step (16% of a
 * flood's CPU); this one it runs as two plain searches. */
#define BY_KEY(cols)                                                                               \
	"SELECT " cols " FROM (SELECT id FROM keys WHERE key = ?1 UNION ALL"                       \
	" SELECT id FROM temp.pending WHERE key = ?1) AS k, messages AS m NOT INDEXED"             \
	" WHERE m.id = k.id"

const char schema_temp_sql[] =
    "CREATE TEMP TABLE pending (key INTEGER NOT NULL, id INTEGER NOT NULL,"
    " PRIMARY KEY (key, id)) WITHOUT ROWID";

const char *const schema_sql[SQL_COUNT] = {
    /* IMMEDIATE: take the write lock now rather than fail to upgrade a
     * read lock half-way through a batch */
    [SQL_BEGIN] = "BEGIN IMMEDIATE",
    [SQL_COMMIT] = "COMMIT",
    [SQL_ROLLBACK] = "ROLLBACK",
    /* no unique index but the row id's: a replayed row's id may have
     * been taken by another writer meanwhile (store.c then lets SQLite
     * choose) */
    [SQL_INSERT] = "INSERT INTO messages (id, peer, direction, type, ts, from_jid, to_jid,"
                   " sender, body, xhtml, stanza_id, origin_id, archive_id, delivery, carbon,"
                   " delayed, dkey, akey, room_sid, occupant_id, rkey, ckey, stamp, encryption,"
                   " replaces, oob_url) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12,"
                   " ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26)"
                   " ON CONFLICT DO NOTHING",
    /* the key finds the candidates, the texts decide */
    [SQL_FIND_ARCHIVE] = BY_KEY("m.id") " AND akey = ?1 AND archive_id = ?2",
    [SQL_FIND_ORIGIN] = BY_KEY(
        "m.id, archive_id IS NULL, room_sid IS NULL") " AND dkey = ?1 AND peer = ?2 AND direction "
                                                      "= ?3 AND sender = ?4 AND origin_id = ?5",
    [SQL_FIND_STANZA] = BY_KEY(
        "m.id, archive_id IS NULL, room_sid IS NULL") " AND dkey = ?1 AND peer = ?2 AND direction "
                                                      "= ?3 AND sender = ?4 AND stanza_id = ?5"
                                                      " AND origin_id IS NULL",
    /* the archive copy of a message stored live without its archive id */
    [SQL_ATTACH] = "UPDATE messages SET archive_id = ?1, akey = ?2"
                   " WHERE id = ?3 AND archive_id IS NULL",
    /* a room's own id for a row stored without it (our message, echoed) */
    [SQL_FIND_ROOM] = BY_KEY("m.id") " AND rkey = ?1 AND peer = ?2 AND room_sid = ?3",
    [SQL_ATTACH_ROOM] = "UPDATE messages SET room_sid = ?1, rkey = ?2"
                        " WHERE id = ?3 AND room_sid IS NULL",
    /* ?5: the replayed copy's time; ?6: how far a live row's own time may
     * be from it.  ?8 = 0 finds the row that has the room's time already;
     * store.c asks that first, then ?8 = 1 for a live row not claimed yet. */
    [SQL_FIND_CONTENT] = BY_KEY(
        "m.id, room_sid IS NULL, stamp IS NULL") " AND ckey = ?1 AND peer = ?2 AND direction = ?3 "
                                                 "AND sender = ?4"
                                                 " AND body = ?7 AND origin_id IS NULL AND "
                                                 "stanza_id IS NULL"
                                                 " AND (stamp = ?5 OR (?8 AND stamp IS NULL AND "
                                                 "delayed = 0"
                                                 " AND ts BETWEEN ?5 - ?6 AND ?5 + ?6)) LIMIT 1",
    [SQL_CLAIM] = "UPDATE messages SET stamp = ?1 WHERE id = ?2 AND stamp IS NULL",
    /* where a rejoin starts: the room's newest id, and its newest time
     * among the latest rows (a catch-up stores older messages after newer
     * ones, so the newest row is not always the latest time) */
    [SQL_ROOM_LAST_SID] = "SELECT room_sid FROM messages WHERE peer = ?1"
                          " AND room_sid IS NOT NULL ORDER BY id DESC LIMIT 1",
    [SQL_ROOM_LAST_TS] = "SELECT max(coalesce(stamp, ts)) FROM (SELECT stamp, ts FROM messages"
                         " WHERE peer = ?1 ORDER BY id DESC LIMIT 200)",
    /* ?4, ?5: the keys of ?2 as our origin id and as the stanza id of our
     * message without one; stanza_id = ?2 keeps a collision out; a state
     * never goes back (a late receipt after "displayed"), and the row
     * counts as found either way */
    [SQL_DELIVERY] =
        "UPDATE messages NOT INDEXED SET delivery = max(delivery, ?3) WHERE id IN (SELECT id"
        " FROM keys WHERE key IN (?4, ?5) UNION ALL SELECT id FROM temp.pending"
        " WHERE key IN (?4, ?5)) AND dkey IN (?4, ?5)"
        " AND peer = ?1 AND direction = 1 AND stanza_id = ?2",
    [SQL_PAGE] = "SELECT " MSG_COLS " FROM messages WHERE peer = ?1 AND id < ?2"
                 " AND replaces IS NULL ORDER BY id DESC LIMIT ?3",
    /* the newest row of the window with that id as its stanza or origin
     * id, and what a correction or retraction checks of it: the index
     * walks the conversation from its newest row down to the window's
     * oldest, and stops at the first match */
    [SQL_FIND] = "SELECT id, replaces, from_jid, retracted, occupant_id FROM messages"
                 " WHERE peer = ?1"
                 " AND id >= " WINDOW_START " AND direction = ?2"
                 " AND (stanza_id = ?3 OR origin_id = ?3) ORDER BY id DESC LIMIT 1",
    /* our newest message there that may still be corrected */
    [SQL_LAST_OWN] = "SELECT id, coalesce(stanza_id, origin_id), to_jid, body FROM messages"
                     " WHERE peer = ?1 AND id >= " WINDOW_START " AND direction = 1"
                     " AND replaces IS NULL AND retracted = 0 AND body IS NOT NULL"
                     " ORDER BY id DESC LIMIT 1",
    [SQL_CORRECT] = "UPDATE messages SET original_body = coalesce(original_body, body),"
                    " body = ?2, xhtml = ?3 WHERE id = ?1 AND retracted = 0",
    [SQL_RETRACT] = "UPDATE messages SET body = NULL, xhtml = NULL, original_body = NULL,"
                    " oob_url = NULL, retracted = 1 WHERE id = ?1",
    /* the match walks the full-text index newest first and stops after
     * ?2 hits; only those rows are read.  ?3: the upto the unindexed part
     * was searched above, which another writer may have moved since. */
    [SQL_SEARCH] = "SELECT " MSG_COLS " FROM messages WHERE id IN (SELECT rowid"
                   " FROM messages_fts WHERE messages_fts MATCH ?1 AND rowid <= ?3"
                   " ORDER BY rowid DESC LIMIT ?2) ORDER BY id DESC",
    /* the rows not yet indexed, newest first, matched the way the index
     * would match them (store.c).  NOT INDEXED, here and in the indexing
     * statements: they read the newest rows by id, which a skip-scan of
     * messages_peer (the planner's choice once ANALYZE has seen few
     * peers) would visit peer by peer. */
    [SQL_SEARCH_TAIL] = "SELECT " MSG_COLS " FROM messages NOT INDEXED WHERE id > ?1"
                        " AND natter_match(body, ?2) ORDER BY id DESC LIMIT ?3",
    [SQL_FTS_UPTO] = "SELECT upto FROM fts_state",
    /* the last id and the number of the next chunk */
    [SQL_FTS_CHUNK_END] = "SELECT max(id), count(*) FROM (SELECT id FROM messages NOT INDEXED"
                          " WHERE id > ?1 ORDER BY id LIMIT ?2)",
    [SQL_FTS_INDEX] = "INSERT INTO messages_fts (rowid, body) SELECT id, body FROM messages"
                      " NOT INDEXED WHERE id > ?1 AND id <= ?2",
    [SQL_FTS_SET_UPTO] = "UPDATE fts_state SET upto = ?1",
    [SQL_MAX_ID] = "SELECT max(id) FROM messages",
    /* max() over the partial index: one step, however many rows lack an
     * archive id (ORDER BY id DESC LIMIT 1 gets planned as a scan) */
    [SQL_LAST_ARCHIVE] = "SELECT archive_id FROM messages WHERE id = (SELECT max(id)"
                         " FROM messages WHERE archive_id IS NOT NULL)",
    /* the dedup keys (v7): rows above keys_state.upto have theirs in
     * temp.pending (store.c), the others in keys */
    [SQL_PENDING_SYNC] =
        "INSERT OR IGNORE INTO temp.pending (key, id) " KEYS_OF_ROWS("?1", "9223372036854775807"),
    [SQL_PENDING_ADD] = "INSERT OR IGNORE INTO temp.pending (key, id) VALUES (?1, ?2)",
    [SQL_PENDING_DROP] = "DELETE FROM temp.pending WHERE id <= ?1",
    [SQL_KEY_ADD] = "INSERT OR IGNORE INTO keys (key, id) VALUES (?1, ?2)",
    /* in key order, as the temporary table holds them: each leaf of keys
     * is written once */
    [SQL_KEYS_MERGE] = "INSERT OR IGNORE INTO keys (key, id) SELECT key, id FROM temp.pending"
                       " WHERE id > ?1 AND id <= ?2 ORDER BY key, id",
    [SQL_KEYS_UPTO] = "SELECT upto FROM keys_state",
    [SQL_KEYS_SET_UPTO] = "UPDATE keys_state SET upto = ?1",
    [SQL_KV_GET] = "SELECT value FROM kv WHERE key = ?1",
    [SQL_KV_SET] = "INSERT INTO kv (key, value) VALUES (?1, ?2)"
                   " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    [SQL_KV_DEL] = "DELETE FROM kv WHERE key = ?1",
    /* the entries of one collection ("roster/item/..."): ?2 is the prefix
     * with its last byte raised by one */
    [SQL_KV_RANGE] = "SELECT key, value FROM kv WHERE key >= ?1 AND key < ?2 ORDER BY key",
};

int schema_version(sqlite3 *db, char **err)
{
	sqlite3_stmt *st;
	int v = -1, rc;

	rc = sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL);
	if (rc == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	if (v < 0)
		if (asprintf(err, "cannot read the schema version: %s", sqlite3_errmsg(db)) < 0)
			*err = NULL;
	sqlite3_finalize(st);
	return v;
}

/* Steps from+1 .. to in one transaction: a failure leaves version from
 * intact, and the next start tries again.  An upgrade takes one step a
 * transaction; a new file takes them all in one (each transaction of a
 * file not in WAL mode yet costs four syncs: seven of them were most of
 * the first start's time to its first screen). */
static int migrate(sqlite3 *db, int from, int to, char **err)
{
	char *sql = NULL, *msg = NULL, *all = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&all, &len);
	int rc;

	for (int v = from; f && v < to; v++)
		fputs(migrations[v], f);
	if (!f || fclose(f) ||
	    asprintf(&sql, "BEGIN IMMEDIATE; %s PRAGMA user_version = %d; COMMIT;", all, to) < 0) {
		free(all);
		*err = strdup("out of memory");
		return -1;
	}
	free(all);
	rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
	free(sql);
	if (rc == SQLITE_OK)
		return 0;
	if (asprintf(err, "cannot upgrade the history to schema version %d: %s", to,
	             msg ? msg : sqlite3_errstr(rc)) < 0)
		*err = NULL;
	sqlite3_free(msg);
	if (!sqlite3_get_autocommit(db))
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

int schema_migrate(sqlite3 *db, char **err)
{
	int v = schema_version(db, err);

	if (v < 0)
		return -1;
	if (v > SCHEMA_VERSION) {
		if (asprintf(err,
		             "%s was written by a newer natter (schema version %d; this one knows "
		             "up to %d): upgrade natter, or move the file away to start afresh",
		             sqlite3_db_filename(db, "main"), v, SCHEMA_VERSION) < 0)
			*err = NULL;
		return -1;
	}
	if (v == 0)
		return migrate(db, 0, SCHEMA_VERSION, err);
	for (; v < SCHEMA_VERSION; v++)
		if (migrate(db, v, v + 1, err))
			return -1;
	return 0;
}

/* FNV-1a over one field and the byte that ends it, so that ("ab", "c")
 * and ("a", "bc") differ. */
static uint64_t fnv(uint64_t h, const char *p)
{
	for (; p && *p; p++)
		h = (h ^ (unsigned char)*p) * 0x100000001b3ULL;
	return h * 0x100000001b3ULL;
}

static int64_t real_key(int kind, const char *peer, int direction, const char *sender,
                        const char *id)
{
	char tag[] = {(char)kind, (char)('0' + direction), '\0'};
	uint64_t h = fnv(0xcbf29ce484222325ULL, tag);

	if (kind != SCHEMA_KEY_ARCHIVE) {
		h = fnv(h, peer);
		h = fnv(h, sender);
	}
	h = fnv(h, id);
	/* FNV's low bits depend on few input bits; MurmurHash3's finaliser
	 * spreads them all */
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	/* 47 bits: SQLite stores the key in 6 bytes rather than 8, and a
	 * collision (expected once in 300 databases of a million messages)
	 * only costs a row read */
	return (int64_t)(h & ((1ULL << 47) - 1));
}

int64_t (*schema_key_hook)(int kind, const char *peer, int direction, const char *sender,
                           const char *id);

int64_t schema_key(int kind, const char *peer, int direction, const char *sender, const char *id)
{
	if (schema_key_hook)
		return schema_key_hook(kind, peer, direction, sender, id);
	return real_key(kind, peer, direction, sender, id);
}
