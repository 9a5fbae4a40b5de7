/* XMPP addresses (RFC 7622): parsing, validation and normalisation.
 *
 * A JID is "[localpart@]domainpart[/resourcepart]".  jid_parse() is the one
 * gate for addresses from the user, the configuration and the network; what
 * it accepts has a normalised domain, so two spellings of the same service
 * ("Example.COM.", "example.com") compare equal with strcmp() on the domain.
 *
 * Not done (it would need a full PRECIS implementation): NFC normalisation
 * and the complete IdentifierClass/OpaqueString repertoires for localpart
 * and resourcepart.  The checks below reject what can break routing or the
 * display; servers enforce the rest. */
#ifndef NATTER_UTIL_JID_H
#define NATTER_UTIL_JID_H

#include <stdbool.h>

/* local and resource are NULL when absent; all parts are malloc'd and owned
 * by the struct (jid_clear() frees them). */
struct jid {
	char *local;
	char *domain;
	char *resource;
};

/* Splits s as RFC 7622 §3.1-3.2 says, before any transformation: the
 * resourcepart is everything after the first '/' (it may contain '/' and
 * '@'), the localpart everything before the first '@' of what remains.
 * Then validates and normalises each part:
 * - the whole string must be UTF-8; no part may be empty or over 1023 bytes;
 * - the localpart may not contain "&'/:<>@, spaces, controls or bidi
 *   controls; it keeps its case;
 * - the resourcepart may not contain controls;
 * - the domainpart loses one trailing dot, then is an IPv4 address, an IPv6
 *   address in brackets (stored in canonical form), or a host name that
 *   libidn2 accepts (IDNA2008 with UTS #46 mapping); host names are stored
 *   lower-cased in their Unicode (U-label) form.
 * Returns 0 and fills *out (out may be NULL to only validate), or -1 with
 * *out zeroed and *why (if why is not NULL) pointing at a static English
 * reason such as "empty localpart". */
int jid_parse(const char *s, struct jid *out, const char **why);
/* Frees the parts and zeroes them; j may be NULL. */
void jid_clear(struct jid *j);

/* malloc'd "local@domain" or "domain"; NULL on ENOMEM. */
char *jid_bare(const struct jid *j);
/* malloc'd jid_bare() plus "/resource" when there is one; NULL on ENOMEM. */
char *jid_full(const struct jid *j);

/* Normalised bare JID of s; NULL when s is invalid (*why set as for
 * jid_parse()) or on ENOMEM (*why "out of memory"). */
char *jid_bare_of(const char *s, const char **why);
/* 1 when a and b both parse and have the same bare JID, comparing the
 * localpart case-insensitively; else 0. */
int jid_bare_equal(const char *a, const char *b);
/* Case-insensitive comparison key of the bare JID of s: the normalised
 * domain and the localpart lower-cased (ASCII, and Unicode simple lower-case
 * mapping from the C.UTF-8 locale where the C library has it).  Use it for
 * hash keys and database lookups.  malloc'd; NULL as for jid_bare_of(). */
char *jid_bare_key(const char *s, const char **why);
/* The same key for a JID already parsed (no second parse); NULL on ENOMEM. */
char *jid_key_of(const struct jid *j);
/* The key of s as an address that may be full: jid_bare_key() plus
 * "/resource" when it has one (resources compare exactly); *full (when not
 * NULL) says whether it had one.  malloc'd; NULL when s is NULL, invalid, or
 * on ENOMEM. */
char *jid_full_key(const char *s, bool *full);

#endif
