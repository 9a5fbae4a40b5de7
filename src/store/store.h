/* History and caches in SQLite: $XDG_DATA_HOME/natter/<bare jid>/history.db.
 *
 * One database per account, WAL mode, synchronous=NORMAL, numbered
 * migrations (PRAGMA user_version) each in a transaction, bound parameters
 * and statements prepared once.  Writes are grouped: store_add() and
 * friends join the open batch, and store_commit() commits it in one
 * transaction; the core decides when (core/history.c: by size and age,
 * and when the stream goes quiet), and when to checkpoint the WAL.
 * Nothing here knows XMPP or the front ends. */
#ifndef NATTER_STORE_STORE_H
#define NATTER_STORE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct store;

enum store_direction { STORE_IN = 0, STORE_OUT = 1 };
enum store_delivery {
	STORE_NONE = 0,      /* incoming, or nothing known */
	STORE_PENDING = 1,   /* typed, not yet handed to the server */
	STORE_SENT = 2,      /* handed to the server */
	STORE_DELIVERED = 3, /* a receipt (or a XEP-0333 received marker) came back */
	STORE_FAILED = 4,    /* an error came back */
	STORE_DISPLAYED = 5, /* XEP-0333: the peer's client showed it */
};

struct store_msg {
	int64_t id;       /* row id; set by store_add, 0 before */
	const char *peer; /* bare JID of the other side, normalised (jid_bare_key) */
	enum store_direction direction;
	const char *type;       /* chat, normal, headline, groupchat, error */
	int64_t ts_ms;          /* UTC milliseconds since the epoch (the original time) */
	const char *from, *to;  /* full JIDs as seen */
	const char *body;       /* sanitised plain text */
	const char *xhtml;      /* sanitised XHTML, or NULL */
	const char *stanza_id;  /* the message's id attribute, or NULL */
	const char *origin_id;  /* XEP-0359 origin-id, or NULL */
	const char *archive_id; /* XEP-0313/0359 stanza-id given by our archive, or NULL */
	enum store_delivery delivery;
	bool carbon;            /* came as a XEP-0280 carbon copy */
	bool delayed;           /* delivered late (offline storage or archive) */
	const char *oob_url;    /* XEP-0066 link it carried, or NULL */
	const char *encryption; /* "omemo" when it came or went end-to-end encrypted */
	/* groupchat only */
	const char *room_sid;    /* XEP-0359 stanza-id given by the room, or NULL */
	const char *occupant_id; /* XEP-0421 id of the sender in the room, or NULL */
	/* Read back only (store_page, store_search): */
	bool edited;    /* corrected since: body is the newest text */
	bool retracted; /* withdrawn by its sender: no text left */
};

/* A message found by the id its sender gave it (store_find). */
struct store_ref {
	int64_t id;        /* its row */
	char *from;        /* the full JID of whoever sent the row the id named (malloc'd) */
	char *occupant_id; /* in a room: that row's XEP-0421 occupant id (malloc'd), or NULL */
	bool retracted;
	bool via_correction; /* the id was an earlier correction's */
};

/* Our newest message in a conversation (store_last_own), malloc'd strings. */
struct store_own {
	int64_t id;
	char *msgid; /* its stanza id (origin id when it had none) */
	char *to;    /* where it went */
	char *body;
};

/* Opens (creating dir 0700 and the file 0600) and migrates.  NULL with a
 * malloc'd *err on failure (unreadable, corrupt, full disk, newer schema). */
struct store *store_open(const char *dir, char **err);
/* Commits the open batch and closes. */
void store_close(struct store *s);

/* Adds a message to the open batch.  Returns 1 when stored, 0 when it is a
 * duplicate (the same archive id, or the same origin id — or stanza id when
 * there is no origin id — from the same sender), -1 on error (*err).
 *
 * A groupchat message is also a duplicate when the room gave it the same
 * room_sid as a stored one of that room, or, when it is a delayed copy (a
 * history replay) that has none of these ids matching, when the same sender
 * said the same words at the same time (the room's time of a replay, or
 * within STORE_ROOM_SKEW_MS of the time a live copy was stored at).  The
 * sender is the occupant id when there is one, else the occupant's JID;
 * ours is ''. */
int store_add(struct store *s, struct store_msg *m, char **err);
/* Updates the delivery state of our message with that stanza id: 1 when
 * there is such a message, 0 when we never sent one with that id to peer,
 * -1 on error (*err; while the disk is full it is kept and retried, and
 * reported as -1). */
int store_set_delivery(struct store *s, const char *peer, const char *stanza_id,
                       enum store_delivery state, char **err);
/* The message of that direction in peer's conversation whose stanza or
 * origin id is id, among its newest 500 rows; an id that named a
 * correction finds the message it corrected.  1 found (*out filled; clear
 * it with store_ref_clear), 0 not found, -1 on error. */
int store_find(struct store *s, const char *peer, enum store_direction dir, const char *id,
               struct store_ref *out, char **err);
void store_ref_clear(struct store_ref *r);
/* Our newest message to peer that may be corrected (not retracted), among
 * the conversation's newest 500 rows: 1 (*out filled; clear it with
 * store_own_clear), 0 none, -1 on error. */
int store_last_own(struct store *s, const char *peer, struct store_own *out, char **err);
void store_own_clear(struct store_own *o);
/* Applies a correction m (its own ids, sender and time; body and xhtml
 * the new text) to the row target: target shows the new text and keeps
 * its first one for the record; m is kept as a row of its own that is
 * never shown, so a copy of it (carbon, archive) is known.  Returns 1 when
 * applied, 0 when m is a duplicate (nothing changes), -1 on error. */
int store_correct(struct store *s, int64_t target, struct store_msg *m, char **err);
/* The same for a retraction: target loses every text and is marked
 * retracted. */
int store_retract(struct store *s, int64_t target, struct store_msg *m, char **err);
/* Commits the open batch (a no-op when nothing is open).  On a full disk the
 * batch is kept in memory and retried by the next call: nothing is lost
 * while natter runs; -1 with *err then. */
int store_commit(struct store *s, char **err);
/* Rows added since the last successful commit. */
size_t store_pending(const struct store *s);

typedef void (*store_row_fn)(const struct store_msg *m, void *ud);
/* One page of a conversation, newest first: at most n messages older than
 * before_id (0: the newest).  Returns the number of rows, -1 on error. */
int store_page(struct store *s, const char *peer, int64_t before_id, int n, store_row_fn fn,
               void *ud, char **err);
/* Full-text search (FTS5) over every conversation, newest first: every
 * word must be there.  Rows not yet indexed are searched too (matched
 * the same way, by a scan), so the answer never depends on indexing. */
int store_search(struct store *s, const char *query, int n, store_row_fn fn, void *ud, char **err);

/* Stores take bursts without indexing their bodies; this indexes the next
 * max_rows committed rows not yet in the full-text index, in one
 * transaction, and once that index has caught up, moves the dedup keys of
 * the burst to disk in the same transaction (schema.c, version 7).
 * Returns how many rows it indexed for search (1 when it only moved keys):
 * 0 when caught up (or while a batch is open: index after store_commit),
 * -1 on error (*err). */
int store_index_some(struct store *s, int max_rows, char **err);
/* Whether rows this store committed (or found at open) are not indexed
 * yet, or their dedup keys not on disk: store_index_some() has work. */
bool store_index_behind(const struct store *s);
/* How far our clock and a room's may disagree (see store_add). */
#define STORE_ROOM_SKEW_MS (5 * 60 * 1000)

/* Where catching up with room peer starts: the room stanza-id of its newest
 * row that has one (malloc'd in *sid, NULL when none), and the newest time
 * among its latest rows (*ts_ms, 0 when the room has no rows).  0 or -1. */
int store_room_last(struct store *s, const char *peer, char **sid, int64_t *ts_ms, char **err);

/* The archive id of the archived message stored last, malloc'd, or NULL
 * when none (MAM catch-up starts after it).  Last stored, not latest in
 * time: results arrive in the archive's order, and times are the
 * senders' claims. */
char *store_last_archive_id(struct store *s, char **err);

/* Small key/value caches (roster, entity capabilities): the value is an
 * opaque string (JSON).  get: 1 found (*value malloc'd), 0 absent, -1. */
int store_kv_get(struct store *s, const char *key, char **value, char **err);
int store_kv_set(struct store *s, const char *key, const char *value, char **err);
/* Removes key (nothing happens when it is absent); with the open batch. */
int store_kv_del(struct store *s, const char *key, char **err);
/* A collection is the entries whose keys share a prefix ("roster/item/"),
 * so that one entry changes without rewriting the others.  Calls fn for
 * each, in key order (the strings live during the call; fn must not use
 * the store); the count, or -1 with *err. */
typedef void (*store_kv_fn)(const char *key, const char *value, void *ud);
int store_kv_each(struct store *s, const char *prefix, store_kv_fn fn, void *ud, char **err);

/* Pages the write-ahead log holds since it was last emptied.  SQLite does
 * not checkpoint on its own here: the caller does, when it is quiet. */
int store_wal_pages(const struct store *s);
/* Copies the WAL into the database and truncates it; never waits for a
 * reader.  0 done, 1 not all of it (a reader, or a batch open: try again
 * later), -1 with *err. */
int store_checkpoint(struct store *s, char **err);

/* Frees what SQLite caches (the page cache, up to 32 MB after a flood or
 * a large roster) but does not need; the next reads fill it again. */
void store_release_memory(struct store *s);

/* What the store has done since it was opened: for the benchmark and the
 * tests of the commit policy. */
struct store_stats {
	uint64_t commits;      /* batches committed */
	uint64_t index_passes; /* store_index_some() transactions that indexed rows */
	uint64_t checkpoints;  /* WAL checkpoints natter ran */
};
void store_get_stats(const struct store *s, struct store_stats *out);

/* The SQLite connection, for the tests and the benchmark (query plans,
 * fault injection); the rest of natter goes through the functions above. */
struct sqlite3;
struct sqlite3 *store_sqlite(struct store *s);

#endif
