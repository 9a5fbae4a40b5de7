/* JID parsing and normalisation after RFC 7622 (see jid.h). */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <idn2.h>
#include <locale.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wctype.h>

#include "util/jid.h"
#include "util/text.h"

#define JID_PART_MAX 1023

static const char no_memory[] = "out of memory";

/* Printable ASCII that may not appear in a localpart (RFC 7622 §3.3.1) or a
 * host name; NULL entries are allowed.  One static reason per character so
 * the caller can show exactly what was wrong.  (Kept dense by hand: one
 * entry a line would take forty lines.) */
/* clang-format off */
#define LOCAL_BAD(c) [c] = "localpart contains a forbidden character " #c
static const char *const local_bad[128] = {
	[' '] = "localpart contains a space",
	['\''] = "localpart contains a forbidden character \"'\"",
	LOCAL_BAD('"'), LOCAL_BAD('&'), LOCAL_BAD('/'), LOCAL_BAD(':'),
	LOCAL_BAD('<'), LOCAL_BAD('>'), LOCAL_BAD('@'),
};

#define DOMAIN_BAD(c) [c] = "domainpart contains a forbidden character " #c
static const char *const domain_bad[128] = {
	[' '] = "domainpart contains a space",
	['\''] = "domainpart contains a forbidden character \"'\"",
	['\\'] = "domainpart contains a forbidden character '\\'",
	DOMAIN_BAD('!'), DOMAIN_BAD('"'), DOMAIN_BAD('#'), DOMAIN_BAD('$'), DOMAIN_BAD('%'),
	DOMAIN_BAD('&'), DOMAIN_BAD('('), DOMAIN_BAD(')'), DOMAIN_BAD('*'), DOMAIN_BAD('+'),
	DOMAIN_BAD(','), DOMAIN_BAD('/'), DOMAIN_BAD(':'), DOMAIN_BAD(';'), DOMAIN_BAD('<'),
	DOMAIN_BAD('='), DOMAIN_BAD('>'), DOMAIN_BAD('?'), DOMAIN_BAD('@'), DOMAIN_BAD('['),
	DOMAIN_BAD(']'), DOMAIN_BAD('^'), DOMAIN_BAD('`'), DOMAIN_BAD('{'),
	DOMAIN_BAD('|'), DOMAIN_BAD('}'), DOMAIN_BAD('~'),
};
/* clang-format on */

static int fail(const char **why, const char *reason)
{
	if (why)
		*why = reason;
	return -1;
}

static char *dup_range(const char *s, size_t n)
{
	char *d = malloc(n + 1);

	if (!d)
		return NULL;
	memcpy(d, s, n);
	d[n] = '\0';
	return d;
}

static int is_control(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f);
}

/* Zs (space separators) beyond ASCII: a localpart "alice\u00a0" would look
 * exactly like "alice". */
static int is_unicode_space(uint32_t cp)
{
	return cp == 0xa0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200a) || cp == 0x2028 ||
	       cp == 0x2029 || cp == 0x202f || cp == 0x205f || cp == 0x3000;
}

static int is_bidi_control(uint32_t cp)
{
	return (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069) || cp == 0x200e ||
	       cp == 0x200f || cp == 0x061c;
}

/* s[0..n) is known to be valid UTF-8. */
static int check_local(const char *s, size_t n, const char **why)
{
	size_t i = 0, k;
	uint32_t cp = 0;

	if (n == 0)
		return fail(why, "empty localpart");
	if (n > JID_PART_MAX)
		return fail(why, "localpart longer than 1023 bytes");
	while (i < n) {
		k = text_utf8_decode(s + i, n - i, &cp);
		if (k == 0)
			return fail(why, "invalid UTF-8");
		if (is_control(cp))
			return fail(why, "localpart contains a control character");
		if (cp < 0x80 && local_bad[cp])
			return fail(why, local_bad[cp]);
		if (is_unicode_space(cp))
			return fail(why, "localpart contains a space");
		if (is_bidi_control(cp))
			return fail(why, "localpart contains a bidirectional control character");
		i += k;
	}
	return 0;
}

/* The resourcepart is free-form text (a nickname in a room), so only what
 * can never be meant is refused. */
static int check_resource(const char *s, size_t n, const char **why)
{
	size_t i = 0, k;
	uint32_t cp = 0;

	if (n == 0)
		return fail(why, "empty resourcepart");
	if (n > JID_PART_MAX)
		return fail(why, "resourcepart longer than 1023 bytes");
	while (i < n) {
		k = text_utf8_decode(s + i, n - i, &cp);
		if (k == 0)
			return fail(why, "invalid UTF-8");
		if (is_control(cp))
			return fail(why, "resourcepart contains a control character");
		i += k;
	}
	return 0;
}

static int all_digits_and_dots(const char *d)
{
	for (; *d; d++)
		if ((*d < '0' || *d > '9') && *d != '.')
			return 0;
	return 1;
}

/* The ASCII shape of a host name, checked before libidn2 (which, without
 * STD3 rules, lets spaces and '@' through) and again after it, because its
 * UTS #46 mapping turns e.g. U+FF20 FULLWIDTH COMMERCIAL AT into '@'.
 * Underscores are allowed: they occur in real service names. */
static int check_host_ascii(const char *d, const char **why)
{
	const unsigned char *p = (const unsigned char *)d;
	size_t i;

	for (i = 0; p[i]; i++) {
		if (p[i] >= 0x80)
			continue;
		if (is_control(p[i]))
			return fail(why, "domainpart contains a control character");
		if (domain_bad[p[i]])
			return fail(why, domain_bad[p[i]]);
		if (p[i] == '.' && (i == 0 || p[i + 1] == '.' || p[i + 1] == '\0'))
			return fail(why, "domainpart contains an empty label");
	}
	return 0;
}

/* "[v6]" -> canonical "[v6]" in *out. */
static int normalise_ipv6(const char *d, size_t n, char **out, const char **why)
{
	char inner[INET6_ADDRSTRLEN], text[INET6_ADDRSTRLEN + 2];
	struct in6_addr a;

	/* Text longer than the longest address cannot be one. */
	if (n < 3 || d[n - 1] != ']' || n - 2 >= sizeof(inner))
		return fail(why, "invalid IPv6 address");
	memcpy(inner, d + 1, n - 2);
	inner[n - 2] = '\0';
	if (inet_pton(AF_INET6, inner, &a) != 1)
		return fail(why, "invalid IPv6 address");
	text[0] = '[';
	if (!inet_ntop(AF_INET6, &a, text + 1, INET6_ADDRSTRLEN))
		return fail(why, "invalid IPv6 address");
	strcat(text, "]");
	*out = strdup(text);
	return *out ? 0 : fail(why, no_memory);
}

/* A string of digits and dots is an IPv4 address or nothing: no top-level
 * domain is numeric, and a typo like "10.0.0.256" should not be looked up. */
static int normalise_ipv4(const char *d, char **out, const char **why)
{
	char text[INET_ADDRSTRLEN];
	struct in_addr a;

	if (inet_pton(AF_INET, d, &a) != 1 || !inet_ntop(AF_INET, &a, text, sizeof(text)))
		return fail(why, "invalid IPv4 address");
	*out = strdup(text);
	return *out ? 0 : fail(why, no_memory);
}

/* UTS #46 processing to the A-label form: non-transitional first (keeps
 * "ß"), transitional for what IDNA2008 disallows but browsers still
 * resolve.  Returns an IDN2_* code. */
static int to_ace(const char *d, char **ace)
{
	int r = idn2_to_ascii_8z(d, ace, IDN2_NONTRANSITIONAL);

	if (r == IDN2_DISALLOWED)
		r = idn2_to_ascii_8z(d, ace, IDN2_TRANSITIONAL);
	return r;
}

static int idn_fail(const char **why, int r)
{
	return fail(why, r == IDN2_MALLOC ? no_memory : idn2_strerror(r));
}

/* Whether libidn2 would give back d lower-cased: an ASCII host name (after
 * check_host_ascii, only letters, digits, '-', '_' and '.') none of whose
 * labels is one UTS #46 looks into: an "xn--" label, a hyphen first, last
 * or in the third and fourth places, more than 63 bytes.  Such a name
 * needs neither libidn2 nor libunistring, which natter would otherwise
 * load and run for its own JID at start (tests/unit/test_jid.c compares
 * the two on every shape of label). */
static int plain_ascii_host(const char *d)
{
	size_t n = strlen(d), i = 0;

	if (n > 253)
		return 0;
	while (i < n) {
		size_t len = strcspn(d + i, ".");
		const char *l = d + i;

		for (size_t k = 0; k < len; k++)
			if ((unsigned char)l[k] >= 0x80)
				return 0;
		if (len == 0 || len > 63 || l[0] == '-' || l[len - 1] == '-' ||
		    (len >= 4 && l[2] == '-' && l[3] == '-'))
			return 0;
		i += len + 1;
	}
	return 1;
}

/* Host name -> lower-case U-label form in *out, via the A-label form so that
 * libidn2 validates it and applies the UTS #46 mapping (case, width,
 * compatibility forms). */
static int normalise_host(const char *d, char **out, const char **why)
{
	char *ace = NULL, *u = NULL, *ace2 = NULL;
	int r;

	if (check_host_ascii(d, why))
		return -1;
	if (plain_ascii_host(d)) {
		*out = strdup(d);
		if (!*out)
			return fail(why, no_memory);
		for (char *p = *out; *p; p++)
			if (*p >= 'A' && *p <= 'Z')
				*p += 'a' - 'A';
		return 0;
	}
	r = to_ace(d, &ace);
	if (r != IDN2_OK)
		return idn_fail(why, r);
	r = idn2_to_unicode_8z8z(ace, &u, 0);
	if (r != IDN2_OK) {
		idn2_free(ace);
		return idn_fail(why, r);
	}
	/* libidn2 decodes an "xn--" label without checking what it decodes
	 * to: "xn--bshe" is U+2476 U+2478, which UTS #46 maps to "(3)(5)".
	 * Only a U-label that maps back to the same A-label is kept. */
	r = to_ace(u, &ace2);
	if (r == IDN2_OK && strcmp(ace, ace2) != 0)
		r = IDN2_DISALLOWED;
	idn2_free(ace);
	idn2_free(ace2);
	if (r != IDN2_OK || check_host_ascii(u, why)) {
		idn2_free(u);
		return r != IDN2_OK ? idn_fail(why, r) : -1;
	}
	if (all_digits_and_dots(u)) { /* fullwidth digits map to an IPv4 address */
		r = normalise_ipv4(u, out, why);
		idn2_free(u);
		return r;
	}
	if (strlen(u) > JID_PART_MAX) {
		idn2_free(u);
		return fail(why, "domainpart longer than 1023 bytes");
	}
	/* Our own copy, so that every part is released with plain free(). */
	*out = strdup(u);
	idn2_free(u);
	return *out ? 0 : fail(why, no_memory);
}

static int normalise_domain_uncached(const char *s, size_t n, char **out, const char **why);

/* The last domains normalised, with their outcome: a roster, and the
 * presence of everyone in it, name a handful of domains thousands of
 * times, and libidn2's UTS #46 processing cost more than all the rest of
 * a presence.  The cache gives exactly what the slow path gave for the
 * same bytes, refusals included.  Direct-mapped and small, so a peer
 * inventing domains only makes it miss; shared by the threads (the
 * network thread parses JIDs too), hence the lock. */
#define DOMAIN_CACHE_SLOTS 32
#define DOMAIN_CACHE_LEN   256 /* longer domains are not kept */

static struct {
	pthread_mutex_t lock;
	struct {
		size_t n;                   /* 0: empty slot (no domain is empty) */
		char in[DOMAIN_CACHE_LEN];  /* the domain as given */
		char out[DOMAIN_CACHE_LEN]; /* normalised ("" when refused) */
		const char *why;            /* the refusal (static text) */
	} slot[DOMAIN_CACHE_SLOTS];
} domain_cache = {.lock = PTHREAD_MUTEX_INITIALIZER};

static size_t domain_slot(const char *s, size_t n)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 16777619u;
	return h % DOMAIN_CACHE_SLOTS;
}

static int normalise_domain(const char *s, size_t n, char **out, const char **why)
{
	size_t k = domain_slot(s, n);
	const char *reason = NULL;
	int r, hit = 0;

	/* An empty slot has n == 0: an empty domain never goes near it. */
	if (n == 0 || n >= DOMAIN_CACHE_LEN)
		return normalise_domain_uncached(s, n, out, why);
	pthread_mutex_lock(&domain_cache.lock);
	if (domain_cache.slot[k].n == n && !memcmp(domain_cache.slot[k].in, s, n)) {
		hit = 1;
		reason = domain_cache.slot[k].why;
		*out = reason ? NULL : strdup(domain_cache.slot[k].out);
	}
	pthread_mutex_unlock(&domain_cache.lock);
	if (hit) {
		if (reason)
			return fail(why, reason);
		return *out ? 0 : fail(why, no_memory);
	}
	r = normalise_domain_uncached(s, n, out, &reason);
	if (r && !reason)
		reason = "invalid domainpart";
	/* Out of memory says nothing about the domain: not kept. */
	if ((r == 0 && strlen(*out) >= DOMAIN_CACHE_LEN) || (r && reason == no_memory))
		return r ? fail(why, reason) : 0;
	pthread_mutex_lock(&domain_cache.lock);
	domain_cache.slot[k].n = n;
	memcpy(domain_cache.slot[k].in, s, n);
	domain_cache.slot[k].why = r ? reason : NULL;
	strcpy(domain_cache.slot[k].out, r ? "" : *out);
	pthread_mutex_unlock(&domain_cache.lock);
	return r ? fail(why, reason) : 0;
}

static int normalise_domain_uncached(const char *s, size_t n, char **out, const char **why)
{
	struct in6_addr a;
	char *d;
	int r;

	/* RFC 7622 §3.2: a final label separator is stripped before anything
	 * else; "example.com." names "example.com". */
	if (n > 0 && s[n - 1] == '.')
		n--;
	if (n == 0)
		return fail(why, "empty domainpart");
	if (n > JID_PART_MAX)
		return fail(why, "domainpart longer than 1023 bytes");
	if (memchr(s, '@', n))
		return fail(why, domain_bad['@']);
	if (s[0] == '[')
		return normalise_ipv6(s, n, out, why);
	d = dup_range(s, n);
	if (!d)
		return fail(why, no_memory);
	if (inet_pton(AF_INET6, d, &a) == 1)
		r = fail(why, "IPv6 address must be in brackets");
	else if (all_digits_and_dots(d))
		r = normalise_ipv4(d, out, why);
	else
		r = normalise_host(d, out, why);
	free(d);
	return r;
}

int jid_parse(const char *s, struct jid *out, const char **why)
{
	const char *slash, *at, *end, *dom;
	struct jid j = {0};
	size_t len;

	if (out)
		memset(out, 0, sizeof(*out));
	if (!s || !*s)
		return fail(why, "empty JID");
	len = strlen(s);
	if (!text_utf8_valid(s, len))
		return fail(why, "invalid UTF-8");
	/* RFC 7622 §3.1: find the separators before any transformation, which
	 * could produce new ones. */
	slash = memchr(s, '/', len);
	end = slash ? slash : s + len;
	at = memchr(s, '@', (size_t)(end - s));
	dom = at ? at + 1 : s;
	if (at && check_local(s, (size_t)(at - s), why))
		return -1;
	if (slash && check_resource(slash + 1, (size_t)(s + len - slash - 1), why))
		return -1;
	if (normalise_domain(dom, (size_t)(end - dom), &j.domain, why))
		return -1;
	if (at && !(j.local = dup_range(s, (size_t)(at - s))))
		goto nomem;
	if (slash && !(j.resource = strdup(slash + 1)))
		goto nomem;
	if (out)
		*out = j;
	else
		jid_clear(&j);
	return 0;
nomem:
	jid_clear(&j);
	return fail(why, no_memory);
}

void jid_clear(struct jid *j)
{
	if (!j)
		return;
	free(j->local);
	free(j->domain);
	free(j->resource);
	j->local = j->domain = j->resource = NULL;
}

/* a "sep" b, with sep and b left out when b is NULL. */
static char *join(const char *a, char sep, const char *b)
{
	size_t la = strlen(a), lb = b ? strlen(b) : 0;
	char *r = malloc(la + lb + 2);

	if (!r)
		return NULL;
	memcpy(r, a, la);
	if (b) {
		r[la++] = sep;
		memcpy(r + la, b, lb);
	}
	r[la + lb] = '\0';
	return r;
}

char *jid_bare(const struct jid *j)
{
	return j->local ? join(j->local, '@', j->domain) : strdup(j->domain);
}

char *jid_full(const struct jid *j)
{
	char *bare, *full;

	if (!j->resource)
		return jid_bare(j);
	bare = jid_bare(j);
	if (!bare)
		return NULL;
	full = join(bare, '/', j->resource);
	free(bare);
	return full;
}

char *jid_bare_of(const char *s, const char **why)
{
	struct jid j;
	char *bare;

	if (jid_parse(s, &j, why))
		return NULL;
	bare = jid_bare(&j);
	jid_clear(&j);
	if (!bare)
		fail(why, no_memory);
	return bare;
}

/* Case mapping must not follow the user's locale (a Turkish LC_CTYPE maps
 * 'I' to dotless 'ı'), or keys written to the store under one locale would
 * miss under another; C.UTF-8 has the plain Unicode mappings. */
static locale_t fold_locale;
static pthread_once_t fold_once = PTHREAD_ONCE_INIT;

static void fold_init(void)
{
	fold_locale = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
}

static size_t utf8_put(char *o, uint32_t cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xc0 | (cp >> 6));
		o[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xe0 | (cp >> 12));
		o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | (cp >> 18));
	o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	o[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	o[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

static uint32_t fold(uint32_t cp)
{
	wint_t l;

	if (cp < 0x80)
		return cp >= 'A' && cp <= 'Z' ? cp + ('a' - 'A') : cp;
	if (!fold_locale)
		return cp;
	l = towlower_l((wint_t)cp, fold_locale);
	/* Never let the mapping produce something that is not a scalar value. */
	if (l > 0x10ffff || (l >= 0xd800 && l <= 0xdfff) || l == 0)
		return cp;
	return (uint32_t)l;
}

/* Lower-cased copy of the valid UTF-8 string s followed by "@" tail. */
static char *fold_join(const char *s, const char *tail)
{
	size_t n = strlen(s), lt = strlen(tail), i = 0, o = 0, k;
	uint32_t cp = 0;
	char *r;

	/* A code point never takes more than four bytes, nor less than one. */
	if (n > (SIZE_MAX - lt - 2) / 4) {
		errno = ENOMEM;
		return NULL;
	}
	r = malloc(n * 4 + lt + 2);
	if (!r)
		return NULL;
	pthread_once(&fold_once, fold_init);
	while (i < n) {
		k = text_utf8_decode(s + i, n - i, &cp);
		if (k == 0) { /* cannot happen after jid_parse(); copy as is */
			r[o++] = s[i++];
			continue;
		}
		o += utf8_put(r + o, fold(cp));
		i += k;
	}
	r[o++] = '@';
	memcpy(r + o, tail, lt + 1);
	return r;
}

char *jid_key_of(const struct jid *j)
{
	/* The domain is already lower-case: libidn2 mapped it. */
	return j->local ? fold_join(j->local, j->domain) : strdup(j->domain);
}

char *jid_bare_key(const char *s, const char **why)
{
	struct jid j;
	char *key;

	if (jid_parse(s, &j, why))
		return NULL;
	key = jid_key_of(&j);
	jid_clear(&j);
	if (!key)
		fail(why, no_memory);
	return key;
}

char *jid_full_key(const char *s, bool *full)
{
	struct jid j;
	char *bare, *key = NULL;

	if (!s || jid_parse(s, &j, NULL))
		return NULL;
	bare = jid_key_of(&j);
	if (bare && j.resource) {
		if (asprintf(&key, "%s/%s", bare, j.resource) < 0)
			key = NULL;
		free(bare);
	} else {
		key = bare;
	}
	if (full)
		*full = j.resource != NULL;
	jid_clear(&j);
	return key;
}

int jid_bare_equal(const char *a, const char *b)
{
	char *ka = jid_bare_key(a, NULL), *kb = jid_bare_key(b, NULL);
	int eq = ka && kb && strcmp(ka, kb) == 0;

	free(ka);
	free(kb);
	return eq;
}
