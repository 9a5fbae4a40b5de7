/* OMEMO's persistent state: $XDG_DATA_HOME/natter/<bare jid>/omemo.db.
 *
 * One SQLite file per account, 0600 in the 0700 data directory, beside
 * history.db but separate from it: it holds private keys, and nothing but
 * the OMEMO code opens it.  Every write is its own transaction (WAL,
 * synchronous=NORMAL): a ratchet step must never be lost to a crash while
 * the message it decrypted was shown.  Nothing here knows XMPP. */
#ifndef NATTER_OMEMO_KEYSTORE_H
#define NATTER_OMEMO_KEYSTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ks;

/* What we decided about a contact's device identity.  UNDECIDED: seen,
 * not used (manual trust, or a new device of a verified contact);
 * TRUSTED: blindly trusted; VERIFIED: the user compared the fingerprint;
 * UNTRUSTED: the user distrusted it. */
enum ks_trust { KS_UNDECIDED = 0, KS_TRUSTED = 1, KS_VERIFIED = 2, KS_UNTRUSTED = 3 };

struct ks_own {
	uint32_t device_id, registration_id;
	uint8_t *pub, *priv; /* the identity key pair, as libomemo-c serialises them */
	size_t pub_len, priv_len;
	uint32_t next_prekey_id, signed_prekey_id;
};

/* Opens or creates dir/omemo.db (dir is created 0700).  NULL with a
 * malloc'd *err on failure. */
struct ks *ks_open(const char *dir, char **err);
void ks_close(struct ks *ks);

/* Groups the writes until ks_commit in one transaction (a batch of new
 * pre-keys: one commit, not a hundred); ks_commit(ks, false) drops them.
 * 0 or -1. */
int ks_begin(struct ks *ks);
int ks_commit(struct ks *ks, bool keep);

/* Our identity: 1 found (*own filled, free with ks_own_clear), 0 none yet,
 * -1 error. */
int ks_own_get(struct ks *ks, struct ks_own *own);
int ks_own_set(struct ks *ks, const struct ks_own *own);
void ks_own_clear(struct ks_own *own);

/* Opaque records by id (pre-keys, signed pre-keys): get returns 1 found
 * (*data malloc'd), 0 absent, -1 error. */
enum ks_table { KS_PREKEY, KS_SIGNED_PREKEY };
int ks_key_get(struct ks *ks, enum ks_table t, uint32_t id, uint8_t **data, size_t *len);
int ks_key_put(struct ks *ks, enum ks_table t, uint32_t id, const uint8_t *data, size_t len);
int ks_key_del(struct ks *ks, enum ks_table t, uint32_t id);
/* The ids in a table (malloc'd, *n of them), ascending; -1 on error. */
int ks_key_ids(struct ks *ks, enum ks_table t, uint32_t **ids, size_t *n);

/* Ratchet sessions by (bare JID, device). */
int ks_session_get(struct ks *ks, const char *jid, uint32_t dev, uint8_t **data, size_t *len);
int ks_session_put(struct ks *ks, const char *jid, uint32_t dev, const uint8_t *data, size_t len);
int ks_session_del(struct ks *ks, const char *jid, uint32_t dev);
int ks_session_del_all(struct ks *ks, const char *jid);
int ks_session_devices(struct ks *ks, const char *jid, uint32_t **ids, size_t *n);

/* The identity key a device of jid has shown, and our trust in it:
 * get returns 1 (key malloc'd), 0 unknown, -1 error.  put records a key;
 * a key that differs from the one recorded replaces it with trust. */
int ks_identity_get(struct ks *ks, const char *jid, uint32_t dev, uint8_t **key, size_t *len,
                    enum ks_trust *trust);
int ks_identity_put(struct ks *ks, const char *jid, uint32_t dev, const uint8_t *key, size_t len,
                    enum ks_trust trust);
int ks_identity_set_trust(struct ks *ks, const char *jid, uint32_t dev, enum ks_trust trust);
/* Whether any device of jid is VERIFIED (blind trust then stops). */
int ks_any_verified(struct ks *ks, const char *jid);

/* The last device list seen for jid (so a restart can encrypt at once). */
int ks_devices_get(struct ks *ks, const char *jid, uint32_t **ids, size_t *n);
int ks_devices_set(struct ks *ks, const char *jid, const uint32_t *ids, size_t n);

/* /omemo on|off per contact: 1 on, 0 off, -1 never said. */
int ks_chat_get(struct ks *ks, const char *jid);
int ks_chat_set(struct ks *ks, const char *jid, bool on);

#endif
