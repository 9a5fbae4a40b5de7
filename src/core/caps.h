/* XEP-0115 entity capabilities: the verification string and its hash, and
 * the per-account cache of verified peer capabilities (kept in the store).
 *
 * Nothing here talks to the network; disco.c does, and the unit tests can
 * check the hash against the XEP's published examples. */
#ifndef NATTER_CORE_CAPS_H
#define NATTER_CORE_CAPS_H

#include <stdbool.h>
#include <stddef.h>
#include <strophe.h>
#include <uthash.h>

#define CAPS_NS "http://jabber.org/protocol/caps"
/* Most identities, features, forms, fields or values accepted from one
 * answer: a hostile peer must not make us sort a million strings. */
#define CAPS_MAX_ITEMS 10000

struct caps_identity {
	char *category, *type, *lang, *name; /* "" when absent, never NULL */
};

struct caps_field {
	char *var;
	char **values;
	size_t nvalues;
};

/* An XEP-0128 form, without its FORM_TYPE field. */
struct caps_form {
	char *form_type;
	struct caps_field *fields;
	size_t nfields;
};

/* What a disco#info answer says, as raw (unsanitised) strings. */
struct caps_info {
	struct caps_identity *identities;
	size_t nidentities;
	char **features;
	size_t nfeatures;
	struct caps_form *forms;
	size_t nforms;
};

/* Reads a disco#info <query/>.  Forms without a hidden FORM_TYPE are left
 * out, as XEP-0115 §5.4 says.  0, or -1 with errno ENOMEM, E2BIG when
 * the answer holds more than CAPS_MAX_ITEMS of something, or EINVAL when a
 * FORM_TYPE makes it ill-formed (values that differ, two in one form). */
int caps_info_from_query(xmpp_stanza_t *query, struct caps_info *out);
void caps_info_clear(struct caps_info *info);

/* The verification string S of XEP-0115 §5.1 (malloc'd).  Sorts info in
 * place.  NULL with errno EINVAL when info is ill-formed in a way §5.4
 * makes the whole answer unusable (duplicate identities, features or
 * FORM_TYPEs, a FORM_TYPE with differing values), or ENOMEM. */
char *caps_ver_string(struct caps_info *info);
/* base64(SHA-1(S)), malloc'd; NULL as caps_ver_string(). */
char *caps_hash(struct caps_info *info);
/* Whether info hashes to ver with algorithm hash (only "sha-1" known). */
bool caps_verify(struct caps_info *info, const char *hash, const char *ver);

/* Whether the sorted array of strings holds s. */
bool caps_sorted_has(char *const *sorted, size_t n, const char *s);

/* A feature list under a key: "node#ver" in the caps cache, a JID in the
 * memory-only cache of disco#info answers. */
struct caps_entry {
	char *key;
	char **features; /* sorted, unique */
	size_t nfeatures;
	UT_hash_handle hh;
};

/* Adds or replaces key with a copy of the given features (any order, may
 * repeat).  0, or -1 on ENOMEM (the table is unchanged). */
int caps_entry_put(struct caps_entry **table, const char *key, char *const *features, size_t n);
struct caps_entry *caps_entry_find(struct caps_entry *table, const char *key);
void caps_entry_del(struct caps_entry **table, struct caps_entry *e);
void caps_entry_free_all(struct caps_entry **table);

/* The cache as JSON text, {"node#ver": ["feature", ...], ...}: parse adds
 * the valid entries of text to *table (0, or -1 with errno EINVAL for
 * text that is no JSON object, ENOMEM); format returns malloc'd text or
 * NULL on ENOMEM. */
int caps_cache_parse(const char *text, struct caps_entry **table);
char *caps_cache_format(struct caps_entry *table);
/* One entry as JSON text, ["feature", ...]: the store keeps one per
 * "node#ver", so a new one is written without the others.  parse adds key
 * with the features of text (0, or -1 with errno EINVAL or ENOMEM); format
 * returns malloc'd text or NULL on ENOMEM. */
int caps_entry_parse(const char *key, const char *text, struct caps_entry **table);
char *caps_entry_format(const struct caps_entry *e);

#endif
