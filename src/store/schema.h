/* The history database's schema: numbered migrations, and the statements
 * its indexes were designed for (store.c prepares them; the tests check
 * their query plans). */
#ifndef NATTER_STORE_SCHEMA_H
#define NATTER_STORE_SCHEMA_H

#include <stdint.h>

#include <sqlite3.h>

/* The newest schema version this natter knows (PRAGMA user_version). */
#define SCHEMA_VERSION 7

/* Brings db to SCHEMA_VERSION, one transaction per step.  Refuses a
 * database written by a newer natter.  0, or -1 with a malloc'd *err. */
int schema_migrate(sqlite3 *db, char **err);
/* The database's user_version, or -1 (with *err) when it cannot be read. */
int schema_version(sqlite3 *db, char **err);

enum schema_stmt {
	SQL_BEGIN,
	SQL_COMMIT,
	SQL_ROLLBACK,
	SQL_INSERT,
	SQL_FIND_ARCHIVE,
	SQL_FIND_ORIGIN,
	SQL_FIND_STANZA,
	SQL_ATTACH,
	SQL_DELIVERY,
	SQL_PAGE,
	SQL_SEARCH,
	SQL_SEARCH_TAIL,
	SQL_FTS_UPTO,
	SQL_FTS_CHUNK_END,
	SQL_FTS_INDEX,
	SQL_FTS_SET_UPTO,
	SQL_MAX_ID,
	SQL_LAST_ARCHIVE,
	SQL_KV_GET,
	SQL_KV_SET,
	SQL_KV_DEL,
	SQL_KV_RANGE,
	SQL_FIND_ROOM,
	SQL_ATTACH_ROOM,
	SQL_FIND_CONTENT,
	SQL_CLAIM,
	SQL_ROOM_LAST_SID,
	SQL_ROOM_LAST_TS,
	SQL_FIND,
	SQL_LAST_OWN,
	SQL_CORRECT,
	SQL_RETRACT,
	SQL_PENDING_SYNC,
	SQL_PENDING_ADD,
	SQL_PENDING_DROP,
	SQL_KEY_ADD,
	SQL_KEYS_MERGE,
	SQL_KEYS_UPTO,
	SQL_KEYS_SET_UPTO,
	SQL_COUNT
};

/* Creates the connection's own table of the dedup keys not merged yet
 * (schema.c, version 7); the statements need it. */
extern const char schema_temp_sql[];
/* The text of each statement, indexed by enum schema_stmt. */
extern const char *const schema_sql[SQL_COUNT];

/* What an id in a dedup key is. */
enum schema_key_kind {
	SCHEMA_KEY_ARCHIVE = 'a', /* archive id: the key is the id alone */
	SCHEMA_KEY_ORIGIN = 'o',  /* origin id, per peer, direction and sender */
	SCHEMA_KEY_STANZA = 's',  /* stanza id of a message without origin id */
	SCHEMA_KEY_ROOM = 'r',    /* a room's stanza-id, per room (peer) */
	SCHEMA_KEY_CONTENT = 'c', /* per room, direction and sender: the body is the id */
};

/* The value of messages.dkey (or akey, for SCHEMA_KEY_ARCHIVE): a 47-bit
 * hash of the id and what scopes it.  Equal keys only make two rows
 * candidates; the texts decide. */
int64_t schema_key(int kind, const char *peer, int direction, const char *sender, const char *id);
/* Replaces the hash when set: the tests force collisions with it. */
extern int64_t (*schema_key_hook)(int kind, const char *peer, int direction, const char *sender,
                                  const char *id);

/* Column order of SQL_PAGE, SQL_SEARCH and SQL_SEARCH_TAIL. */
enum schema_col {
	COL_ID,
	COL_PEER,
	COL_DIRECTION,
	COL_TYPE,
	COL_TS,
	COL_FROM,
	COL_TO,
	COL_BODY,
	COL_XHTML,
	COL_STANZA_ID,
	COL_ORIGIN_ID,
	COL_ARCHIVE_ID,
	COL_DELIVERY,
	COL_CARBON,
	COL_DELAYED,
	COL_ENCRYPTION,
	COL_EDITED,
	COL_RETRACTED,
	COL_OOB_URL,
};

#endif
