/* OMEMO's persistent state in SQLite (keystore.h). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/paths.h"
#include "omemo/keystore.h"
#include "util/log.h"

#define BUSY_TIMEOUT_MS 2000

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS own (id INTEGER PRIMARY KEY CHECK (id = 0),"
    " device_id INTEGER NOT NULL, registration_id INTEGER NOT NULL,"
    " pub BLOB NOT NULL, priv BLOB NOT NULL, next_prekey_id INTEGER NOT NULL,"
    " signed_prekey_id INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS prekeys (id INTEGER PRIMARY KEY, record BLOB NOT NULL);"
    "CREATE TABLE IF NOT EXISTS signed_prekeys (id INTEGER PRIMARY KEY, record BLOB NOT NULL);"
    "CREATE TABLE IF NOT EXISTS sessions (jid TEXT NOT NULL, device INTEGER NOT NULL,"
    " record BLOB NOT NULL, PRIMARY KEY (jid, device)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS identities (jid TEXT NOT NULL, device INTEGER NOT NULL,"
    " key BLOB NOT NULL, trust INTEGER NOT NULL, PRIMARY KEY (jid, device)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS devices (jid TEXT NOT NULL, device INTEGER NOT NULL,"
    " PRIMARY KEY (jid, device)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS chats (jid TEXT PRIMARY KEY, enabled INTEGER NOT NULL)"
    " WITHOUT ROWID;";

enum q {
	Q_OWN_GET,
	Q_OWN_SET,
	Q_PK_GET,
	Q_PK_PUT,
	Q_PK_DEL,
	Q_PK_IDS,
	Q_SPK_GET,
	Q_SPK_PUT,
	Q_SPK_DEL,
	Q_SPK_IDS,
	Q_SES_GET,
	Q_SES_PUT,
	Q_SES_DEL,
	Q_SES_DEL_ALL,
	Q_SES_DEVS,
	Q_ID_GET,
	Q_ID_PUT,
	Q_ID_TRUST,
	Q_ID_VERIFIED,
	Q_DEV_GET,
	Q_DEV_CLEAR,
	Q_DEV_ADD,
	Q_CHAT_GET,
	Q_CHAT_SET,
	Q_BEGIN,
	Q_COMMIT,
	Q_ROLLBACK,
	Q_COUNT
};

static const char *const sql[Q_COUNT] = {
    [Q_OWN_GET] = "SELECT device_id, registration_id, pub, priv, next_prekey_id,"
                  " signed_prekey_id FROM own WHERE id = 0",
    [Q_OWN_SET] = "INSERT OR REPLACE INTO own (id, device_id, registration_id, pub, priv,"
                  " next_prekey_id, signed_prekey_id) VALUES (0, ?1, ?2, ?3, ?4, ?5, ?6)",
    [Q_PK_GET] = "SELECT record FROM prekeys WHERE id = ?1",
    [Q_PK_PUT] = "INSERT OR REPLACE INTO prekeys (id, record) VALUES (?1, ?2)",
    [Q_PK_DEL] = "DELETE FROM prekeys WHERE id = ?1",
    [Q_PK_IDS] = "SELECT id FROM prekeys ORDER BY id",
    [Q_SPK_GET] = "SELECT record FROM signed_prekeys WHERE id = ?1",
    [Q_SPK_PUT] = "INSERT OR REPLACE INTO signed_prekeys (id, record) VALUES (?1, ?2)",
    [Q_SPK_DEL] = "DELETE FROM signed_prekeys WHERE id = ?1",
    [Q_SPK_IDS] = "SELECT id FROM signed_prekeys ORDER BY id",
    [Q_SES_GET] = "SELECT record FROM sessions WHERE jid = ?1 AND device = ?2",
    [Q_SES_PUT] = "INSERT OR REPLACE INTO sessions (jid, device, record) VALUES (?1, ?2, ?3)",
    [Q_SES_DEL] = "DELETE FROM sessions WHERE jid = ?1 AND device = ?2",
    [Q_SES_DEL_ALL] = "DELETE FROM sessions WHERE jid = ?1",
    [Q_SES_DEVS] = "SELECT device FROM sessions WHERE jid = ?1 ORDER BY device",
    [Q_ID_GET] = "SELECT key, trust FROM identities WHERE jid = ?1 AND device = ?2",
    [Q_ID_PUT] = "INSERT OR REPLACE INTO identities (jid, device, key, trust)"
                 " VALUES (?1, ?2, ?3, ?4)",
    [Q_ID_TRUST] = "UPDATE identities SET trust = ?3 WHERE jid = ?1 AND device = ?2",
    [Q_ID_VERIFIED] = "SELECT EXISTS (SELECT 1 FROM identities WHERE jid = ?1 AND trust = 2)",
    [Q_DEV_GET] = "SELECT device FROM devices WHERE jid = ?1 ORDER BY device",
    [Q_DEV_CLEAR] = "DELETE FROM devices WHERE jid = ?1",
    [Q_DEV_ADD] = "INSERT OR IGNORE INTO devices (jid, device) VALUES (?1, ?2)",
    [Q_CHAT_GET] = "SELECT enabled FROM chats WHERE jid = ?1",
    [Q_CHAT_SET] = "INSERT OR REPLACE INTO chats (jid, enabled) VALUES (?1, ?2)",
    [Q_BEGIN] = "BEGIN IMMEDIATE",
    [Q_COMMIT] = "COMMIT",
    [Q_ROLLBACK] = "ROLLBACK",
};

struct ks {
	sqlite3 *db;
	sqlite3_stmt *st[Q_COUNT];
};

static void set_err(char **err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_err(char **err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(err, fmt, ap) < 0)
		*err = NULL;
	va_end(ap);
}

/* The file is made 0600 before SQLite sees it (SQLite would honour the
 * umask); an existing one open to others is refused, as history.db is. */
static int create_private(const char *path, char **err)
{
	struct stat st;
	int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);

	if (fd >= 0) {
		int rc = fchmod(fd, 0600);

		close(fd);
		if (rc < 0)
			set_err(err, "cannot set the mode of %s: %s", path, strerror(errno));
		return rc < 0 ? -1 : 0;
	}
	if (errno != EEXIST || lstat(path, &st)) {
		set_err(err, "cannot create %s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode) || (st.st_mode & 077)) {
		set_err(err, "%s is not a private regular file: run 'chmod 600 %s'", path, path);
		return -1;
	}
	return 0;
}

struct ks *ks_open(const char *dir, char **err)
{
	struct ks *ks = calloc(1, sizeof(*ks));
	char *path = NULL, *msg = NULL;

	*err = NULL;
	if (!ks || asprintf(&path, "%s/omemo.db", dir) < 0) {
		free(ks);
		set_err(err, "out of memory");
		return NULL;
	}
	if (paths_mkdir_private(dir)) {
		set_err(err, "cannot create %s: %s", dir, strerror(errno));
		goto fail;
	}
	if (create_private(path, err))
		goto fail;
	if (sqlite3_open_v2(path, &ks->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) !=
	    SQLITE_OK) {
		set_err(err, "cannot open %s: %s", path,
		        ks->db ? sqlite3_errmsg(ks->db) : "out of memory");
		goto fail;
	}
	sqlite3_busy_timeout(ks->db, BUSY_TIMEOUT_MS);
	if (sqlite3_exec(ks->db,
	                 "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;"
	                 "PRAGMA secure_delete = ON;",
	                 NULL, NULL, &msg) != SQLITE_OK ||
	    sqlite3_exec(ks->db, schema, NULL, NULL, &msg) != SQLITE_OK) {
		set_err(err, "cannot set up %s: %s", path, msg ? msg : "?");
		sqlite3_free(msg);
		goto fail;
	}
	for (int i = 0; i < Q_COUNT; i++) {
		if (sqlite3_prepare_v3(ks->db, sql[i], -1, SQLITE_PREPARE_PERSISTENT, &ks->st[i],
		                       NULL) != SQLITE_OK) {
			set_err(err, "%s: %s", path, sqlite3_errmsg(ks->db));
			goto fail;
		}
	}
	free(path);
	return ks;
fail:
	free(path);
	ks_close(ks);
	if (!*err)
		set_err(err, "out of memory");
	return NULL;
}

void ks_close(struct ks *ks)
{
	if (!ks)
		return;
	for (int i = 0; i < Q_COUNT; i++)
		sqlite3_finalize(ks->st[i]);
	sqlite3_close(ks->db);
	free(ks);
}

/* The statement q, reset and with its bindings cleared. */
static sqlite3_stmt *q(struct ks *ks, enum q which)
{
	sqlite3_stmt *st = ks->st[which];

	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return st;
}

static int done(struct ks *ks, sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		log_error("omemo store: %s", sqlite3_errmsg(ks->db));
		return -1;
	}
	return 0;
}

static uint8_t *blob_copy(sqlite3_stmt *st, int col, size_t *len)
{
	const void *b = sqlite3_column_blob(st, col);
	int n = sqlite3_column_bytes(st, col);
	uint8_t *c = malloc(n > 0 ? (size_t)n : 1);

	if (c && n > 0)
		memcpy(c, b, (size_t)n);
	*len = n > 0 ? (size_t)n : 0;
	return c;
}

/* Steps a one-blob query: 1 (copy in *data), 0 no row, -1 error. */
static int one_blob(struct ks *ks, sqlite3_stmt *st, uint8_t **data, size_t *len)
{
	int rc = sqlite3_step(st);

	*data = NULL;
	*len = 0;
	if (rc == SQLITE_ROW) {
		*data = blob_copy(st, 0, len);
		rc = *data ? 1 : -1;
	} else if (rc == SQLITE_DONE) {
		rc = 0;
	} else {
		log_error("omemo store: %s", sqlite3_errmsg(ks->db));
		rc = -1;
	}
	sqlite3_reset(st);
	return rc;
}

/* Collects the integer first column of every row. */
static int id_list(struct ks *ks, sqlite3_stmt *st, uint32_t **ids, size_t *n)
{
	size_t cap = 0;
	int rc;

	*ids = NULL;
	*n = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (*n == cap) {
			uint32_t *grown = realloc(*ids, (cap ? cap * 2 : 16) * sizeof(**ids));

			if (!grown) {
				rc = SQLITE_NOMEM;
				break;
			}
			*ids = grown;
			cap = cap ? cap * 2 : 16;
		}
		(*ids)[(*n)++] = (uint32_t)sqlite3_column_int64(st, 0);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		log_error("omemo store: %s", sqlite3_errmsg(ks->db));
		free(*ids);
		*ids = NULL;
		*n = 0;
		return -1;
	}
	return 0;
}

int ks_begin(struct ks *ks)
{
	return done(ks, q(ks, Q_BEGIN));
}

int ks_commit(struct ks *ks, bool keep)
{
	return done(ks, q(ks, keep ? Q_COMMIT : Q_ROLLBACK));
}

int ks_own_get(struct ks *ks, struct ks_own *own)
{
	sqlite3_stmt *st = q(ks, Q_OWN_GET);
	int rc = sqlite3_step(st);

	memset(own, 0, sizeof(*own));
	if (rc == SQLITE_DONE) {
		sqlite3_reset(st);
		return 0;
	}
	if (rc != SQLITE_ROW) {
		log_error("omemo store: %s", sqlite3_errmsg(ks->db));
		sqlite3_reset(st);
		return -1;
	}
	own->device_id = (uint32_t)sqlite3_column_int64(st, 0);
	own->registration_id = (uint32_t)sqlite3_column_int64(st, 1);
	own->pub = blob_copy(st, 2, &own->pub_len);
	own->priv = blob_copy(st, 3, &own->priv_len);
	own->next_prekey_id = (uint32_t)sqlite3_column_int64(st, 4);
	own->signed_prekey_id = (uint32_t)sqlite3_column_int64(st, 5);
	sqlite3_reset(st);
	if (!own->pub || !own->priv) {
		ks_own_clear(own);
		return -1;
	}
	return 1;
}

int ks_own_set(struct ks *ks, const struct ks_own *own)
{
	sqlite3_stmt *st = q(ks, Q_OWN_SET);

	sqlite3_bind_int64(st, 1, own->device_id);
	sqlite3_bind_int64(st, 2, own->registration_id);
	sqlite3_bind_blob(st, 3, own->pub, (int)own->pub_len, SQLITE_STATIC);
	sqlite3_bind_blob(st, 4, own->priv, (int)own->priv_len, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, own->next_prekey_id);
	sqlite3_bind_int64(st, 6, own->signed_prekey_id);
	return done(ks, st);
}

void ks_own_clear(struct ks_own *own)
{
	if (own->priv)
		explicit_bzero(own->priv, own->priv_len);
	free(own->priv);
	free(own->pub);
	memset(own, 0, sizeof(*own));
}

int ks_key_get(struct ks *ks, enum ks_table t, uint32_t id, uint8_t **data, size_t *len)
{
	sqlite3_stmt *st = q(ks, t == KS_PREKEY ? Q_PK_GET : Q_SPK_GET);

	sqlite3_bind_int64(st, 1, id);
	return one_blob(ks, st, data, len);
}

int ks_key_put(struct ks *ks, enum ks_table t, uint32_t id, const uint8_t *data, size_t len)
{
	sqlite3_stmt *st = q(ks, t == KS_PREKEY ? Q_PK_PUT : Q_SPK_PUT);

	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_blob(st, 2, data, (int)len, SQLITE_STATIC);
	return done(ks, st);
}

int ks_key_del(struct ks *ks, enum ks_table t, uint32_t id)
{
	sqlite3_stmt *st = q(ks, t == KS_PREKEY ? Q_PK_DEL : Q_SPK_DEL);

	sqlite3_bind_int64(st, 1, id);
	return done(ks, st);
}

int ks_key_ids(struct ks *ks, enum ks_table t, uint32_t **ids, size_t *n)
{
	return id_list(ks, q(ks, t == KS_PREKEY ? Q_PK_IDS : Q_SPK_IDS), ids, n);
}

static sqlite3_stmt *jid_dev(struct ks *ks, enum q which, const char *jid, uint32_t dev)
{
	sqlite3_stmt *st = q(ks, which);

	sqlite3_bind_text(st, 1, jid, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, dev);
	return st;
}

int ks_session_get(struct ks *ks, const char *jid, uint32_t dev, uint8_t **data, size_t *len)
{
	return one_blob(ks, jid_dev(ks, Q_SES_GET, jid, dev), data, len);
}

int ks_session_put(struct ks *ks, const char *jid, uint32_t dev, const uint8_t *data, size_t len)
{
	sqlite3_stmt *st = jid_dev(ks, Q_SES_PUT, jid, dev);

	sqlite3_bind_blob(st, 3, data, (int)len, SQLITE_STATIC);
	return done(ks, st);
}

int ks_session_del(struct ks *ks, const char *jid, uint32_t dev)
{
	return done(ks, jid_dev(ks, Q_SES_DEL, jid, dev));
}

int ks_session_del_all(struct ks *ks, const char *jid)
{
	sqlite3_stmt *st = q(ks, Q_SES_DEL_ALL);

	sqlite3_bind_text(st, 1, jid, -1, SQLITE_STATIC);
	if (done(ks, st))
		return -1;
	return sqlite3_changes(ks->db);
}

int ks_session_devices(struct ks *ks, const char *jid, uint32_t **ids, size_t *n)
{
	sqlite3_stmt *st = q(ks, Q_SES_DEVS);

	sqlite3_bind_text(st, 1, jid, -1, SQLITE_STATIC);
	return id_list(ks, st, ids, n);
}

int ks_identity_get(struct ks *ks, const char *jid, uint32_t dev, uint8_t **key, size_t *len,
                    enum ks_trust *trust)
{
	sqlite3_stmt *st = jid_dev(ks, Q_ID_GET, jid, dev);
	int rc = sqlite3_step(st);

	*key = NULL;
	*len = 0;
	if (rc == SQLITE_ROW) {
		*key = blob_copy(st, 0, len);
		if (trust)
			*trust = (enum ks_trust)sqlite3_column_int(st, 1);
		rc = *key ? 1 : -1;
	} else {
		rc = rc == SQLITE_DONE ? 0 : -1;
	}
	sqlite3_reset(st);
	return rc;
}

int ks_identity_put(struct ks *ks, const char *jid, uint32_t dev, const uint8_t *key, size_t len,
                    enum ks_trust trust)
{
	sqlite3_stmt *st = jid_dev(ks, Q_ID_PUT, jid, dev);

	sqlite3_bind_blob(st, 3, key, (int)len, SQLITE_STATIC);
	sqlite3_bind_int(st, 4, (int)trust);
	return done(ks, st);
}

int ks_identity_set_trust(struct ks *ks, const char *jid, uint32_t dev, enum ks_trust trust)
{
	sqlite3_stmt *st = jid_dev(ks, Q_ID_TRUST, jid, dev);

	sqlite3_bind_int(st, 3, (int)trust);
	return done(ks, st);
}

int ks_any_verified(struct ks *ks, const char *jid)
{
	sqlite3_stmt *st = q(ks, Q_ID_VERIFIED);
	int rc;

	sqlite3_bind_text(st, 1, jid, -1, SQLITE_STATIC);
	rc = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : -1;
	sqlite3_reset(st);
	return rc;
}

int ks_devices_get(struct ks *ks, const char *jid, uint32_t **ids, size_t *n)
{
	sqlite3_stmt *st = q(ks, Q_DEV_GET);

	sqlite3_bind_text(st, 1, jid, -1, SQLITE_STATIC);
	return id_list(ks, st, ids, n);
}

int ks_devices_set(struct ks *ks, const char *jid, const uint32_t *ids, size_t n)
{
	sqlite3_stmt *st;

	if (done(ks, q(ks, Q_BEGIN)))
		return -1;
	st = q(ks, Q_DEV_CLEAR);
	sqlite3_bind_text(st, 1, jid, -1, SQLITE_STATIC);
	if (done(ks, st))
		goto fail;
	for (size_t i = 0; i < n; i++) {
		st = jid_dev(ks, Q_DEV_ADD, jid, ids[i]);
		if (done(ks, st))
			goto fail;
	}
	if (done(ks, q(ks, Q_COMMIT)))
		goto fail;
	return 0;
fail:
	done(ks, q(ks, Q_ROLLBACK));
	return -1;
}

int ks_chat_get(struct ks *ks, const char *jid)
{
	sqlite3_stmt *st = q(ks, Q_CHAT_GET);
	int rc;

	sqlite3_bind_text(st, 1, jid, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	rc = rc == SQLITE_ROW ? (sqlite3_column_int(st, 0) != 0) : -1;
	sqlite3_reset(st);
	return rc;
}

int ks_chat_set(struct ks *ks, const char *jid, bool on)
{
	sqlite3_stmt *st = q(ks, Q_CHAT_SET);

	sqlite3_bind_text(st, 1, jid, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, on);
	return done(ks, st);
}
