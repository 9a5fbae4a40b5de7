/* One OMEMO device on libomemo-c, with OpenSSL as its crypto (axolotl.h). */
#include "config.h"

#include <ctype.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <key_helper.h>
#include <protocol.h>
#include <session_builder.h>
#include <session_cipher.h>
#include <signal_protocol.h>

#include "omemo/axolotl.h"
#include "util/log.h"

/* Device ids are positive 31-bit numbers (XEP-0384). */
#define DEVICE_ID_MAX 0x7fffffff

struct ax {
	signal_context *sc;
	signal_protocol_store_context *store;
	struct ks *ks;
	struct ks_own own;
	struct ax_buf identity; /* own.pub, seen as a buffer */
	bool bundle_dirty;
};

void ax_buf_clear(struct ax_buf *b)
{
	if (b->data)
		explicit_bzero(b->data, b->len);
	free(b->data);
	b->data = NULL;
	b->len = 0;
}

static int buf_set(struct ax_buf *b, const uint8_t *data, size_t len)
{
	b->data = malloc(len ? len : 1);
	if (!b->data)
		return -1;
	memcpy(b->data, data, len);
	b->len = len;
	return 0;
}

static int buf_from_signal(struct ax_buf *b, signal_buffer *sb)
{
	int rc = sb ? buf_set(b, signal_buffer_data(sb), signal_buffer_len(sb)) : -1;

	signal_buffer_bzero_free(sb);
	return rc;
}

/* ---- the crypto provider: OpenSSL ---- */

static int c_random(uint8_t *data, size_t len, void *ud)
{
	return RAND_bytes(data, (int)len) == 1 ? 0 : SG_ERR_UNKNOWN;
}

static int c_hmac_init(void **ctx, const uint8_t *key, size_t key_len, void *ud)
{
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	EVP_MAC_CTX *c = mac ? EVP_MAC_CTX_new(mac) : NULL;
	OSSL_PARAM params[] = {
	    OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, "SHA256", 0),
	    OSSL_PARAM_construct_end(),
	};

	EVP_MAC_free(mac); /* the context keeps its own reference */
	if (!c || EVP_MAC_init(c, key, key_len, params) != 1) {
		EVP_MAC_CTX_free(c);
		return SG_ERR_UNKNOWN;
	}
	*ctx = c;
	return 0;
}

static int c_hmac_update(void *ctx, const uint8_t *data, size_t len, void *ud)
{
	return EVP_MAC_update(ctx, data, len) == 1 ? 0 : SG_ERR_UNKNOWN;
}

static int c_hmac_final(void *ctx, signal_buffer **out, void *ud)
{
	uint8_t md[EVP_MAX_MD_SIZE];
	size_t n = 0;

	if (EVP_MAC_final(ctx, md, &n, sizeof md) != 1)
		return SG_ERR_UNKNOWN;
	*out = signal_buffer_create(md, n);
	return *out ? 0 : SG_ERR_NOMEM;
}

static void c_hmac_cleanup(void *ctx, void *ud)
{
	EVP_MAC_CTX_free(ctx);
}

static int c_sha512_init(void **ctx, void *ud)
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();

	if (!c || EVP_DigestInit_ex(c, EVP_sha512(), NULL) != 1) {
		EVP_MD_CTX_free(c);
		return SG_ERR_UNKNOWN;
	}
	*ctx = c;
	return 0;
}

static int c_sha512_update(void *ctx, const uint8_t *data, size_t len, void *ud)
{
	return EVP_DigestUpdate(ctx, data, len) == 1 ? 0 : SG_ERR_UNKNOWN;
}

static int c_sha512_final(void *ctx, signal_buffer **out, void *ud)
{
	uint8_t md[EVP_MAX_MD_SIZE];
	unsigned n = 0;

	/* The library reuses the context after final. */
	if (EVP_DigestFinal_ex(ctx, md, &n) != 1 || EVP_DigestInit_ex(ctx, EVP_sha512(), NULL) != 1)
		return SG_ERR_UNKNOWN;
	*out = signal_buffer_create(md, n);
	return *out ? 0 : SG_ERR_NOMEM;
}

static void c_sha512_cleanup(void *ctx, void *ud)
{
	EVP_MD_CTX_free(ctx);
}

static const EVP_CIPHER *aes_cipher(int mode, size_t key_len)
{
	bool ctr = mode == SG_CIPHER_AES_CTR_NOPADDING;

	switch (key_len) {
	case 16:
		return ctr ? EVP_aes_128_ctr() : EVP_aes_128_cbc();
	case 24:
		return ctr ? EVP_aes_192_ctr() : EVP_aes_192_cbc();
	case 32:
		return ctr ? EVP_aes_256_ctr() : EVP_aes_256_cbc();
	default:
		return NULL;
	}
}

static int c_aes(signal_buffer **out, int mode, const uint8_t *key, size_t key_len,
                 const uint8_t *iv, size_t iv_len, const uint8_t *in, size_t in_len, int enc)
{
	const EVP_CIPHER *cipher = aes_cipher(mode, key_len);
	EVP_CIPHER_CTX *c = cipher && iv_len == 16 ? EVP_CIPHER_CTX_new() : NULL;
	uint8_t *buf = c ? malloc(in_len + EVP_MAX_BLOCK_LENGTH) : NULL;
	int n = 0, m = 0, rc = SG_ERR_UNKNOWN;

	if (buf && EVP_CipherInit_ex(c, cipher, NULL, key, iv, enc) == 1 &&
	    EVP_CIPHER_CTX_set_padding(c, mode == SG_CIPHER_AES_CBC_PKCS5) == 1 &&
	    EVP_CipherUpdate(c, buf, &n, in, (int)in_len) == 1 &&
	    EVP_CipherFinal_ex(c, buf + n, &m) == 1) {
		*out = signal_buffer_create(buf, (size_t)(n + m));
		rc = *out ? 0 : SG_ERR_NOMEM;
	}
	if (buf) {
		explicit_bzero(buf, in_len + EVP_MAX_BLOCK_LENGTH);
		free(buf);
	}
	EVP_CIPHER_CTX_free(c);
	return rc;
}

static int c_encrypt(signal_buffer **out, int mode, const uint8_t *key, size_t key_len,
                     const uint8_t *iv, size_t iv_len, const uint8_t *in, size_t in_len, void *ud)
{
	return c_aes(out, mode, key, key_len, iv, iv_len, in, in_len, 1);
}

static int c_decrypt(signal_buffer **out, int mode, const uint8_t *key, size_t key_len,
                     const uint8_t *iv, size_t iv_len, const uint8_t *in, size_t in_len, void *ud)
{
	return c_aes(out, mode, key, key_len, iv, iv_len, in, in_len, 0);
}

/* ---- the stores: keystore.h ---- */

/* libomemo-c names are not NUL-terminated. */
static char *addr_name(const signal_protocol_address *a)
{
	return strndup(a->name, a->name_len);
}

static int s_load_session(signal_buffer **record, signal_buffer **user_record,
                          const signal_protocol_address *a, void *ud)
{
	struct ax *ax = ud;
	char *jid = addr_name(a);
	uint8_t *data = NULL;
	size_t len = 0;
	int rc = jid ? ks_session_get(ax->ks, jid, (uint32_t)a->device_id, &data, &len) : -1;

	free(jid);
	if (rc == 1) {
		*record = signal_buffer_create(data, len);
		rc = *record ? 1 : SG_ERR_NOMEM;
	}
	free(data);
	return rc < 0 ? SG_ERR_UNKNOWN : rc;
}

static int s_sub_devices(signal_int_list **sessions, const char *name, size_t name_len, void *ud)
{
	struct ax *ax = ud;
	char *jid = strndup(name, name_len);
	uint32_t *ids = NULL;
	size_t n = 0;
	signal_int_list *l = signal_int_list_alloc();

	if (!jid || !l || ks_session_devices(ax->ks, jid, &ids, &n)) {
		free(jid);
		if (l)
			signal_int_list_free(l);
		return SG_ERR_UNKNOWN;
	}
	for (size_t i = 0; i < n; i++)
		signal_int_list_push_back(l, (int)ids[i]);
	free(ids);
	free(jid);
	*sessions = l;
	return (int)n;
}

static int s_store_session(const signal_protocol_address *a, uint8_t *record, size_t len,
                           uint8_t *user_record, size_t user_len, void *ud)
{
	struct ax *ax = ud;
	char *jid = addr_name(a);
	int rc = jid ? ks_session_put(ax->ks, jid, (uint32_t)a->device_id, record, len) : -1;

	free(jid);
	return rc ? SG_ERR_UNKNOWN : 0;
}

static int s_contains_session(const signal_protocol_address *a, void *ud)
{
	struct ax *ax = ud;
	char *jid = addr_name(a);
	uint8_t *data = NULL;
	size_t len;
	int rc = jid ? ks_session_get(ax->ks, jid, (uint32_t)a->device_id, &data, &len) : 0;

	free(data);
	free(jid);
	return rc == 1;
}

static int s_delete_session(const signal_protocol_address *a, void *ud)
{
	struct ax *ax = ud;
	char *jid = addr_name(a);
	int rc = jid ? ks_session_del(ax->ks, jid, (uint32_t)a->device_id) : -1;

	free(jid);
	return rc ? SG_ERR_UNKNOWN : 1;
}

static int s_delete_all(const char *name, size_t name_len, void *ud)
{
	struct ax *ax = ud;
	char *jid = strndup(name, name_len);
	int rc = jid ? ks_session_del_all(ax->ks, jid) : -1;

	free(jid);
	return rc < 0 ? SG_ERR_UNKNOWN : rc;
}

static int key_load(struct ax *ax, enum ks_table t, signal_buffer **record, uint32_t id)
{
	uint8_t *data = NULL;
	size_t len = 0;
	int rc = ks_key_get(ax->ks, t, id, &data, &len);

	if (rc == 1)
		*record = signal_buffer_create(data, len);
	if (data)
		explicit_bzero(data, len);
	free(data);
	if (rc < 0)
		return SG_ERR_UNKNOWN;
	if (rc == 0)
		return SG_ERR_INVALID_KEY_ID;
	return *record ? SG_SUCCESS : SG_ERR_NOMEM;
}

static int pk_load(signal_buffer **record, uint32_t id, void *ud)
{
	return key_load(ud, KS_PREKEY, record, id);
}

static int pk_store(uint32_t id, uint8_t *record, size_t len, void *ud)
{
	return ks_key_put(((struct ax *)ud)->ks, KS_PREKEY, id, record, len) ? SG_ERR_UNKNOWN : 0;
}

static int pk_contains(uint32_t id, void *ud)
{
	signal_buffer *b = NULL;
	int rc = key_load(ud, KS_PREKEY, &b, id);

	signal_buffer_bzero_free(b);
	return rc == SG_SUCCESS;
}

/* A used pre-key leaves the bundle: it must be published again. */
static int pk_remove(uint32_t id, void *ud)
{
	struct ax *ax = ud;

	ax->bundle_dirty = true;
	return ks_key_del(ax->ks, KS_PREKEY, id) ? SG_ERR_UNKNOWN : 0;
}

static int spk_load(signal_buffer **record, uint32_t id, void *ud)
{
	return key_load(ud, KS_SIGNED_PREKEY, record, id);
}

static int spk_store(uint32_t id, uint8_t *record, size_t len, void *ud)
{
	return ks_key_put(((struct ax *)ud)->ks, KS_SIGNED_PREKEY, id, record, len) ? SG_ERR_UNKNOWN
	                                                                            : 0;
}

static int spk_contains(uint32_t id, void *ud)
{
	signal_buffer *b = NULL;
	int rc = key_load(ud, KS_SIGNED_PREKEY, &b, id);

	signal_buffer_bzero_free(b);
	return rc == SG_SUCCESS;
}

static int spk_remove(uint32_t id, void *ud)
{
	return ks_key_del(((struct ax *)ud)->ks, KS_SIGNED_PREKEY, id) ? SG_ERR_UNKNOWN : 0;
}

static int id_pair(signal_buffer **pub, signal_buffer **priv, void *ud)
{
	struct ax *ax = ud;

	*pub = signal_buffer_create(ax->own.pub, ax->own.pub_len);
	*priv = signal_buffer_create(ax->own.priv, ax->own.priv_len);
	return *pub && *priv ? 0 : SG_ERR_NOMEM;
}

static int id_registration(void *ud, uint32_t *id)
{
	*id = ((struct ax *)ud)->own.registration_id;
	return 0;
}

/* Records the key a device showed.  Trust is natter's decision, taken
 * above this layer (omemo.c): a new key starts undecided, and a device
 * whose key changed is a new identity, undecided again. */
static int id_save(const signal_protocol_address *a, uint8_t *key, size_t len, void *ud)
{
	struct ax *ax = ud;
	char *jid = addr_name(a);
	uint8_t *old = NULL;
	size_t old_len = 0;
	enum ks_trust trust = KS_UNDECIDED;
	int rc = -1;

	if (jid && key)
		rc = ks_identity_get(ax->ks, jid, (uint32_t)a->device_id, &old, &old_len, &trust);
	if (rc == 1 && old_len == len && !memcmp(old, key, len))
		rc = 0;
	else if (rc >= 0)
		rc = ks_identity_put(ax->ks, jid, (uint32_t)a->device_id, key, len, KS_UNDECIDED);
	free(old);
	free(jid);
	return rc ? SG_ERR_UNKNOWN : 0;
}

/* The library may talk to any device; whom we encrypt to and how a
 * decrypted message is marked is decided by the trust the caller keeps. */
static int id_trusted(const signal_protocol_address *a, uint8_t *key, size_t len, void *ud)
{
	return 1;
}

static void sc_log(int level, const char *msg, size_t len, void *ud)
{
	if (level <= SG_LOG_WARNING)
		log_warn("omemo: %.*s", (int)len, msg);
}

/* ---- the device ---- */

static int make_prekeys(struct ax *ax, unsigned count)
{
	signal_protocol_key_helper_pre_key_list_node *head = NULL, *n;
	uint32_t start = ax->own.next_prekey_id;
	int rc;

	/* Ids stay below 2^24 (the library's medium range) and wrap. */
	if (start == 0 || start + count > PRE_KEY_MEDIUM_MAX_VALUE)
		start = 1;
	rc = signal_protocol_key_helper_generate_pre_keys(&head, start, count, ax->sc);
	/* One transaction: the keys and the next id are stored together. */
	if (rc == 0)
		rc = ks_begin(ax->ks);
	for (n = head; rc == 0 && n; n = signal_protocol_key_helper_key_list_next(n))
		rc = signal_protocol_pre_key_store_key(
		    ax->store, signal_protocol_key_helper_key_list_element(n));
	signal_protocol_key_helper_key_list_free(head);
	if (rc == 0) {
		ax->own.next_prekey_id = start + count;
		rc = ks_own_set(ax->ks, &ax->own);
	}
	if (ks_commit(ax->ks, rc == 0) || rc)
		return -1;
	ax->bundle_dirty = true;
	return 0;
}

/* The first start of this account: one identity, one device id, for good. */
static int make_identity(struct ax *ax)
{
	ratchet_identity_key_pair *pair = NULL;
	session_signed_pre_key *spk = NULL;
	signal_buffer *pub = NULL, *priv = NULL;
	struct ax_buf b_pub = {0}, b_priv = {0};
	uint32_t dev = 0;
	int rc = -1;

	if (signal_protocol_key_helper_generate_identity_key_pair(&pair, ax->sc) ||
	    ec_public_key_serialize(&pub, ratchet_identity_key_pair_get_public(pair)) ||
	    ec_private_key_serialize(&priv, ratchet_identity_key_pair_get_private(pair)) ||
	    buf_from_signal(&b_pub, pub) || buf_from_signal(&b_priv, priv))
		goto out;
	pub = priv = NULL;
	while (dev == 0) {
		if (RAND_bytes((uint8_t *)&dev, sizeof dev) != 1)
			goto out;
		dev &= DEVICE_ID_MAX;
	}
	ax->own = (struct ks_own){.device_id = dev,
	                          .pub = b_pub.data,
	                          .pub_len = b_pub.len,
	                          .priv = b_priv.data,
	                          .priv_len = b_priv.len,
	                          .next_prekey_id = 1,
	                          .signed_prekey_id = 1};
	b_pub.data = b_priv.data = NULL;
	if (signal_protocol_key_helper_generate_registration_id(&ax->own.registration_id, 0,
	                                                        ax->sc) ||
	    signal_protocol_key_helper_generate_signed_pre_key(
	        &spk, pair, 1, (uint64_t)time(NULL) * 1000, ax->sc) ||
	    signal_protocol_signed_pre_key_store_key(ax->store, spk))
		goto out;
	/* The identity is written before anything can be published: a crash
	 * from here on finds it again rather than making another device. */
	if (ks_own_set(ax->ks, &ax->own))
		goto out;
	rc = make_prekeys(ax, AX_PREKEYS);
out:
	if (pair)
		SIGNAL_UNREF(pair);
	if (spk)
		SIGNAL_UNREF(spk);
	signal_buffer_bzero_free(pub);
	signal_buffer_bzero_free(priv);
	ax_buf_clear(&b_pub);
	ax_buf_clear(&b_priv);
	return rc;
}

struct ax *ax_open(const char *dir, char **err)
{
	static const signal_crypto_provider crypto = {
	    .random_func = c_random,
	    .hmac_sha256_init_func = c_hmac_init,
	    .hmac_sha256_update_func = c_hmac_update,
	    .hmac_sha256_final_func = c_hmac_final,
	    .hmac_sha256_cleanup_func = c_hmac_cleanup,
	    .sha512_digest_init_func = c_sha512_init,
	    .sha512_digest_update_func = c_sha512_update,
	    .sha512_digest_final_func = c_sha512_final,
	    .sha512_digest_cleanup_func = c_sha512_cleanup,
	    .encrypt_func = c_encrypt,
	    .decrypt_func = c_decrypt,
	};
	struct ax *ax = calloc(1, sizeof(*ax));
	int have;

	*err = NULL;
	if (!ax || !(ax->ks = ks_open(dir, err)))
		goto fail;
	{
		signal_protocol_session_store ss = {s_load_session,
		                                    s_sub_devices,
		                                    s_store_session,
		                                    s_contains_session,
		                                    s_delete_session,
		                                    s_delete_all,
		                                    NULL,
		                                    ax};
		signal_protocol_pre_key_store ps = {pk_load,   pk_store, pk_contains,
		                                    pk_remove, NULL,     ax};
		signal_protocol_signed_pre_key_store sps = {spk_load,   spk_store, spk_contains,
		                                            spk_remove, NULL,      ax};
		signal_protocol_identity_key_store is = {
		    id_pair, id_registration, id_save, id_trusted, NULL, ax};

		if (signal_context_create(&ax->sc, ax) ||
		    signal_context_set_crypto_provider(ax->sc, &crypto) ||
		    signal_context_set_log_function(ax->sc, sc_log) ||
		    signal_protocol_store_context_create(&ax->store, ax->sc) ||
		    signal_protocol_store_context_set_session_store(ax->store, &ss) ||
		    signal_protocol_store_context_set_pre_key_store(ax->store, &ps) ||
		    signal_protocol_store_context_set_signed_pre_key_store(ax->store, &sps) ||
		    signal_protocol_store_context_set_identity_key_store(ax->store, &is))
			goto fail;
	}
	have = ks_own_get(ax->ks, &ax->own);
	if (have < 0 || (have == 0 && make_identity(ax))) {
		if (asprintf(err, "the OMEMO identity could not be %s", have ? "read" : "made") < 0)
			*err = NULL;
		goto fail;
	}
	ax->identity = (struct ax_buf){ax->own.pub, ax->own.pub_len};
	return ax;
fail:
	if (!*err && asprintf(err, "out of memory") < 0)
		*err = NULL;
	ax_close(ax);
	return NULL;
}

void ax_close(struct ax *ax)
{
	if (!ax)
		return;
	if (ax->store)
		signal_protocol_store_context_destroy(ax->store);
	if (ax->sc)
		signal_context_destroy(ax->sc);
	ks_own_clear(&ax->own);
	ks_close(ax->ks);
	free(ax);
}

struct ks *ax_store(struct ax *ax)
{
	return ax->ks;
}

uint32_t ax_device_id(const struct ax *ax)
{
	return ax->own.device_id;
}

const struct ax_buf *ax_own_identity(const struct ax *ax)
{
	return &ax->identity;
}

bool ax_take_bundle_dirty(struct ax *ax)
{
	bool d = ax->bundle_dirty;

	ax->bundle_dirty = false;
	return d;
}

int ax_refill(struct ax *ax)
{
	uint32_t *ids = NULL;
	size_t n = 0;

	if (ks_key_ids(ax->ks, KS_PREKEY, &ids, &n))
		return -1;
	free(ids);
	return n < AX_PREKEYS ? make_prekeys(ax, (unsigned)(AX_PREKEYS - n)) : 0;
}

void ax_bundle_clear(struct ax_bundle *b)
{
	ax_buf_clear(&b->spk);
	ax_buf_clear(&b->spk_sig);
	ax_buf_clear(&b->identity);
	for (size_t i = 0; i < b->nprekeys; i++)
		ax_buf_clear(&b->prekeys[i].key);
	free(b->prekeys);
	memset(b, 0, sizeof(*b));
}

int ax_own_bundle(struct ax *ax, struct ax_bundle *out)
{
	session_signed_pre_key *spk = NULL;
	uint32_t *ids = NULL;
	size_t n = 0;
	signal_buffer *sb = NULL;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (signal_protocol_signed_pre_key_load_key(ax->store, &spk, ax->own.signed_prekey_id) ||
	    ec_public_key_serialize(
	        &sb, ec_key_pair_get_public(session_signed_pre_key_get_key_pair(spk))) ||
	    buf_from_signal(&out->spk, sb) ||
	    buf_set(&out->spk_sig, session_signed_pre_key_get_signature(spk),
	            session_signed_pre_key_get_signature_len(spk)) ||
	    buf_set(&out->identity, ax->own.pub, ax->own.pub_len) ||
	    ks_key_ids(ax->ks, KS_PREKEY, &ids, &n))
		goto out;
	out->spk_id = ax->own.signed_prekey_id;
	out->prekeys = calloc(n ? n : 1, sizeof(*out->prekeys));
	if (!out->prekeys)
		goto out;
	for (size_t i = 0; i < n; i++) {
		session_pre_key *pk = NULL;
		signal_buffer *pb = NULL;

		if (signal_protocol_pre_key_load_key(ax->store, &pk, ids[i]))
			continue;
		if (!ec_public_key_serialize(
		        &pb, ec_key_pair_get_public(session_pre_key_get_key_pair(pk))) &&
		    !buf_from_signal(&out->prekeys[out->nprekeys].key, pb))
			out->prekeys[out->nprekeys++].id = ids[i];
		SIGNAL_UNREF(pk);
	}
	rc = out->nprekeys ? 0 : -1;
out:
	if (spk)
		SIGNAL_UNREF(spk);
	free(ids);
	if (rc)
		ax_bundle_clear(out);
	return rc;
}

static signal_protocol_address address(const char *jid, uint32_t dev)
{
	return (signal_protocol_address){jid, strlen(jid), (int32_t)dev};
}

bool ax_has_session(struct ax *ax, const char *jid, uint32_t dev)
{
	signal_protocol_address a = address(jid, dev);

	return signal_protocol_session_contains_session(ax->store, &a) == 1;
}

void ax_drop_session(struct ax *ax, const char *jid, uint32_t dev)
{
	signal_protocol_address a = address(jid, dev);

	signal_protocol_session_delete_session(ax->store, &a);
}

int ax_start_session(struct ax *ax, const char *jid, uint32_t dev, const struct ax_bundle *b,
                     const char **why)
{
	signal_protocol_address a = address(jid, dev);
	ec_public_key *ik = NULL, *spk = NULL, *pk = NULL;
	session_pre_key_bundle *bundle = NULL;
	session_builder *builder = NULL;
	const struct ax_prekey *chosen;
	uint32_t pick = 0;
	int rc = -1;

	*why = "the bundle holds a malformed key";
	if (!b->nprekeys) {
		*why = "the bundle offers no pre-key";
		return -1;
	}
	if (RAND_bytes((uint8_t *)&pick, sizeof pick) != 1)
		return -1;
	chosen = &b->prekeys[pick % b->nprekeys];
	if (curve_decode_point(&ik, b->identity.data, b->identity.len, ax->sc) ||
	    curve_decode_point(&spk, b->spk.data, b->spk.len, ax->sc) ||
	    curve_decode_point(&pk, chosen->key.data, chosen->key.len, ax->sc) ||
	    session_pre_key_bundle_create(&bundle, 0, (int)dev, chosen->id, pk, b->spk_id, spk,
	                                  b->spk_sig.data, b->spk_sig.len, ik) ||
	    session_builder_create(&builder, ax->store, &a, ax->sc))
		goto out;
	if (session_builder_process_pre_key_bundle(builder, bundle)) {
		*why = "the bundle's signature does not verify";
		goto out;
	}
	rc = 0;
out:
	session_builder_free(builder);
	if (bundle)
		SIGNAL_UNREF(bundle);
	if (ik)
		SIGNAL_UNREF(ik);
	if (spk)
		SIGNAL_UNREF(spk);
	if (pk)
		SIGNAL_UNREF(pk);
	return rc;
}

int ax_encrypt_key(struct ax *ax, const char *jid, uint32_t dev, const uint8_t *key, size_t len,
                   struct ax_buf *out, bool *prekey)
{
	signal_protocol_address a = address(jid, dev);
	session_cipher *cipher = NULL;
	ciphertext_message *msg = NULL;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (!session_cipher_create(&cipher, ax->store, &a, ax->sc) &&
	    !session_cipher_encrypt(cipher, key, len, &msg)) {
		signal_buffer *s = ciphertext_message_get_serialized(msg);

		*prekey = ciphertext_message_get_type(msg) == CIPHERTEXT_PREKEY_TYPE;
		rc = s ? buf_set(out, signal_buffer_data(s), signal_buffer_len(s)) : -1;
	}
	if (msg)
		SIGNAL_UNREF(msg);
	session_cipher_free(cipher);
	return rc;
}

static const char *decrypt_error(int rc)
{
	switch (rc) {
	case SG_ERR_NO_SESSION:
		return "no session with that device";
	case SG_ERR_DUPLICATE_MESSAGE:
		return "a message already decrypted";
	case SG_ERR_INVALID_KEY_ID:
		return "it used a pre-key we no longer have";
	case SG_ERR_INVALID_MAC:
	case SG_ERR_INVALID_MESSAGE:
	case SG_ERR_INVALID_PROTO_BUF:
	case SG_ERR_INVALID_KEY:
		return "bad data (the session may be out of step)";
	case SG_ERR_LEGACY_MESSAGE:
	case SG_ERR_INVALID_VERSION:
		return "an unsupported message version";
	default:
		return "it could not be decrypted";
	}
}

int ax_decrypt_key(struct ax *ax, const char *jid, uint32_t dev, const uint8_t *msg, size_t len,
                   bool prekey, struct ax_buf *out, const char **why)
{
	signal_protocol_address a = address(jid, dev);
	session_cipher *cipher = NULL;
	signal_buffer *plain = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = session_cipher_create(&cipher, ax->store, &a, ax->sc);
	if (rc == 0 && prekey) {
		pre_key_signal_message *m = NULL;

		rc = pre_key_signal_message_deserialize(&m, msg, len, ax->sc);
		if (rc == 0)
			rc = session_cipher_decrypt_pre_key_signal_message(cipher, m, NULL, &plain);
		if (m)
			SIGNAL_UNREF(m);
	} else if (rc == 0) {
		signal_message *m = NULL;

		rc = signal_message_deserialize(&m, msg, len, ax->sc);
		if (rc == 0)
			rc = session_cipher_decrypt_signal_message(cipher, m, NULL, &plain);
		if (m)
			SIGNAL_UNREF(m);
	}
	session_cipher_free(cipher);
	if (rc || !plain) {
		*why = decrypt_error(rc);
		signal_buffer_bzero_free(plain);
		return -1;
	}
	return buf_from_signal(out, plain);
}

/* ---- the payload: AES-128-GCM ---- */

int ax_payload_encrypt(const char *text, size_t len, struct ax_buf *keytag, struct ax_buf *iv,
                       struct ax_buf *ct)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int n = 0, m = 0, rc = -1;

	memset(keytag, 0, sizeof(*keytag));
	memset(iv, 0, sizeof(*iv));
	memset(ct, 0, sizeof(*ct));
	keytag->data = malloc(AX_KEY_LEN + AX_TAG_LEN);
	iv->data = malloc(AX_IV_LEN);
	ct->data = malloc(len ? len : 1);
	if (!c || !keytag->data || !iv->data || !ct->data ||
	    RAND_bytes(keytag->data, AX_KEY_LEN) != 1 || RAND_bytes(iv->data, AX_IV_LEN) != 1 ||
	    EVP_EncryptInit_ex(c, EVP_aes_128_gcm(), NULL, NULL, NULL) != 1 ||
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, AX_IV_LEN, NULL) != 1 ||
	    EVP_EncryptInit_ex(c, NULL, NULL, keytag->data, iv->data) != 1 ||
	    EVP_EncryptUpdate(c, ct->data, &n, (const uint8_t *)text, (int)len) != 1 ||
	    EVP_EncryptFinal_ex(c, ct->data + n, &m) != 1 ||
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, AX_TAG_LEN, keytag->data + AX_KEY_LEN) !=
	        1)
		goto out;
	keytag->len = AX_KEY_LEN + AX_TAG_LEN;
	iv->len = AX_IV_LEN;
	ct->len = (size_t)(n + m);
	rc = 0;
out:
	EVP_CIPHER_CTX_free(c);
	if (rc) {
		ax_buf_clear(keytag);
		ax_buf_clear(iv);
		ax_buf_clear(ct);
	}
	return rc;
}

int ax_payload_decrypt(const struct ax_buf *keytag, const uint8_t *iv, size_t ivlen,
                       const uint8_t *ct, size_t ctlen, struct ax_buf *text)
{
	EVP_CIPHER_CTX *c;
	const uint8_t *tag;
	int n = 0, m = 0, rc = -1;

	memset(text, 0, sizeof(*text));
	if (keytag->len == AX_KEY_LEN + AX_TAG_LEN) {
		tag = keytag->data + AX_KEY_LEN;
	} else if (keytag->len == AX_KEY_LEN && ctlen >= AX_TAG_LEN) {
		ctlen -= AX_TAG_LEN;
		tag = ct + ctlen;
	} else {
		return -1;
	}
	if (!ivlen || ivlen > 64)
		return -1;
	c = EVP_CIPHER_CTX_new();
	text->data = malloc(ctlen + 1);
	if (c && text->data && EVP_DecryptInit_ex(c, EVP_aes_128_gcm(), NULL, NULL, NULL) == 1 &&
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, (int)ivlen, NULL) == 1 &&
	    EVP_DecryptInit_ex(c, NULL, NULL, keytag->data, iv) == 1 &&
	    EVP_DecryptUpdate(c, text->data, &n, ct, (int)ctlen) == 1 &&
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, AX_TAG_LEN, (void *)tag) == 1 &&
	    EVP_DecryptFinal_ex(c, text->data + n, &m) == 1) {
		text->len = (size_t)(n + m);
		text->data[text->len] = '\0';
		rc = 0;
	}
	EVP_CIPHER_CTX_free(c);
	if (rc)
		ax_buf_clear(text);
	return rc;
}

/* ---- fingerprints ---- */

/* The 32 key bytes: a serialised key starts with its type byte (0x05). */
static void key_bytes(const uint8_t **key, size_t *len)
{
	if (*len == 33) {
		(*key)++;
		(*len)--;
	}
}

char *ax_fingerprint(const uint8_t *key, size_t len)
{
	char *out, *p;

	key_bytes(&key, &len);
	out = malloc(len * 2 + len / 4 + 1);
	if (!out)
		return NULL;
	p = out;
	for (size_t i = 0; i < len; i++) {
		if (i && i % 4 == 0)
			*p++ = ' ';
		p += sprintf(p, "%02x", key[i]);
	}
	*p = '\0';
	return out;
}

bool ax_fingerprint_matches(const char *text, const uint8_t *key, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t i = 0;

	key_bytes(&key, &len);
	for (const char *p = text; *p; p++) {
		int c = tolower((unsigned char)*p);

		if (!isxdigit(c))
			continue;
		if (i >= len * 2 || c != hex[(key[i / 2] >> (i % 2 ? 0 : 4)) & 0xf])
			return false;
		i++;
	}
	return i == len * 2;
}
