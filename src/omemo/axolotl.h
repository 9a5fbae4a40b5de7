/* One OMEMO device (legacy namespace eu.siacs.conversations.axolotl) on
 * top of libomemo-c: the identity, pre-keys and sessions (kept in
 * keystore.h), the Signal protocol steps, and the AES-128-GCM payload.
 * libomemo-c's crypto callbacks are OpenSSL here.  Nothing here knows
 * XMPP: callers hand in bytes and bare JIDs. */
#ifndef NATTER_OMEMO_AXOLOTL_H
#define NATTER_OMEMO_AXOLOTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "omemo/keystore.h"

struct ax;

/* How many one-time pre-keys a bundle offers; it is filled up again to
 * this after any is used. */
#define AX_PREKEYS 100
/* The payload key (16) and the GCM tag (16) travel together to each
 * device, as Conversations sends them. */
#define AX_KEY_LEN 16
#define AX_TAG_LEN 16
#define AX_IV_LEN  12

struct ax_buf {
	uint8_t *data;
	size_t len;
};

struct ax_prekey {
	uint32_t id;
	struct ax_buf key;
};

/* A device's published bundle (ours to publish, or a contact's). */
struct ax_bundle {
	uint32_t spk_id;
	struct ax_buf spk, spk_sig, identity;
	struct ax_prekey *prekeys;
	size_t nprekeys;
};

/* Opens the device kept in dir/omemo.db, making the identity, device id
 * and keys the first time (and only then).  NULL with *err malloc'd. */
struct ax *ax_open(const char *dir, char **err);
void ax_close(struct ax *ax);
struct ks *ax_store(struct ax *ax);
uint32_t ax_device_id(const struct ax *ax);
/* Our identity key, serialised (0x05 and 32 bytes); owned by ax. */
const struct ax_buf *ax_own_identity(const struct ax *ax);

/* Our bundle as it is to be published; 0 or -1. */
int ax_own_bundle(struct ax *ax, struct ax_bundle *out);
void ax_bundle_clear(struct ax_bundle *b);
/* Pre-keys were used since the last call: the bundle changed and must be
 * published again (after ax_refill). */
bool ax_take_bundle_dirty(struct ax *ax);
/* Makes new pre-keys until AX_PREKEYS are left; 0 or -1. */
int ax_refill(struct ax *ax);

bool ax_has_session(struct ax *ax, const char *jid, uint32_t dev);
/* Starts a session with a device from its bundle (one of its pre-keys,
 * chosen at random); records its identity key.  0, or -1 with a static
 * *why (a bad signature, a malformed key). */
int ax_start_session(struct ax *ax, const char *jid, uint32_t dev, const struct ax_bundle *b,
                     const char **why);
/* Forgets the session with a device (to start afresh). */
void ax_drop_session(struct ax *ax, const char *jid, uint32_t dev);

/* Encrypts the key material for one device with its session: *out
 * malloc'd, *prekey set when the message still carries the session's
 * pre-key exchange.  0 or -1. */
int ax_encrypt_key(struct ax *ax, const char *jid, uint32_t dev, const uint8_t *key, size_t len,
                   struct ax_buf *out, bool *prekey);
/* Decrypts the key material one device sent us (prekey: it is a pre-key
 * message, which starts a session and uses up one of our pre-keys).
 * 0, or -1 with a static *why. */
int ax_decrypt_key(struct ax *ax, const char *jid, uint32_t dev, const uint8_t *msg, size_t len,
                   bool prekey, struct ax_buf *out, const char **why);

/* AES-128-GCM: encrypts text with a fresh key and IV; *keytag gets
 * key || tag (what each device gets), *iv the IV, *ct the ciphertext. */
int ax_payload_encrypt(const char *text, size_t len, struct ax_buf *keytag, struct ax_buf *iv,
                       struct ax_buf *ct);
/* The reverse; keytag is key || tag (32 bytes), or the key alone (16)
 * with the tag at the end of ct, as older clients sent it.  *text is
 * NUL-terminated.  0 or -1. */
int ax_payload_decrypt(const struct ax_buf *keytag, const uint8_t *iv, size_t ivlen,
                       const uint8_t *ct, size_t ctlen, struct ax_buf *text);

/* The fingerprint of a serialised identity key as clients show it: the
 * 32 key bytes in lowercase hex, eight groups of eight (malloc'd). */
char *ax_fingerprint(const uint8_t *key, size_t len);
/* Whether text names that key: hex digits compared, anything else
 * (spaces, colons, dashes) ignored; case-insensitive. */
bool ax_fingerprint_matches(const char *text, const uint8_t *key, size_t len);

void ax_buf_clear(struct ax_buf *b);

#endif
