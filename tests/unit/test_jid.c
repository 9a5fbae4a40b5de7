/* Unit tests for util/jid: RFC 7622 splitting, validation, normalisation. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <idn2.h>

#include "util/jid.h"

/* cmocka passes every test a state pointer; most ignore it. */
#define UNUSED __attribute__((unused))

static void assert_part(const char *got, const char *want)
{
	if (!want)
		assert_null(got);
	else {
		assert_non_null(got);
		assert_string_equal(got, want);
	}
}

static void parse_ok(const char *s, const char *local, const char *domain, const char *resource)
{
	struct jid j;
	const char *why = NULL;

	if (jid_parse(s, &j, &why) != 0)
		fail_msg("\"%s\" rejected: %s", s, why);
	assert_part(j.local, local);
	assert_part(j.domain, domain);
	assert_part(j.resource, resource);
	jid_clear(&j);
}

static void parse_bad(const char *s, const char *reason)
{
	struct jid j;
	const char *why = NULL;

	if (jid_parse(s, &j, &why) == 0)
		fail_msg("\"%s\" accepted, wanted \"%s\"", s, reason);
	assert_non_null(why);
	assert_string_equal(why, reason);
	assert_null(j.local);
	assert_null(j.domain);
	assert_null(j.resource);
}

/* malloc'd prefix + n copies of c + suffix */
static char *make(const char *prefix, char c, size_t n, const char *suffix)
{
	size_t lp = strlen(prefix), ls = strlen(suffix);
	char *s = malloc(lp + n + ls + 1);

	assert_non_null(s);
	memcpy(s, prefix, lp);
	memset(s + lp, c, n);
	memcpy(s + lp + n, suffix, ls + 1);
	return s;
}

/* --- splitting --- */

static void test_split_full(void **state UNUSED)
{
	parse_ok("romeo@example.net/orchard", "romeo", "example.net", "orchard");
}

static void test_split_bare(void **state UNUSED)
{
	parse_ok("romeo@example.net", "romeo", "example.net", NULL);
}

static void test_split_domain_only(void **state UNUSED)
{
	parse_ok("example.net", NULL, "example.net", NULL);
}

static void test_split_domain_resource(void **state UNUSED)
{
	parse_ok("example.net/res", NULL, "example.net", "res");
}

static void test_split_resource_keeps_slash_and_at(void **state UNUSED)
{
	parse_ok("a@b.example/d/e@f", "a", "b.example", "d/e@f");
	parse_ok("a@b.example//", "a", "b.example", "/");
}

static void test_split_at_only_in_resource(void **state UNUSED)
{
	/* The '@' after the first '/' belongs to the resource. */
	parse_ok("example.com/a@b", NULL, "example.com", "a@b");
	parse_ok("room.example/nick@home", NULL, "room.example", "nick@home");
}

static void test_split_slash_before_at(void **state UNUSED)
{
	/* "a/b@c": the resource starts at the first '/', so "a" is the domain. */
	parse_ok("a/b@c", NULL, "a", "b@c");
}

static void test_split_second_at_in_domain(void **state UNUSED)
{
	parse_bad("a@b@example.com", "domainpart contains a forbidden character '@'");
	parse_bad("a@b@example.com/r", "domainpart contains a forbidden character '@'");
}

static void test_resource_spaces_and_unicode(void **state UNUSED)
{
	parse_ok("room@muc.example/The Nurse", "room", "muc.example", "The Nurse");
	parse_ok("room@muc.example/\xc3\x89lise \xf0\x9f\x98\x80", "room", "muc.example",
	         "\xc3\x89lise \xf0\x9f\x98\x80");
}

/* --- empty parts --- */

static void test_empty_jid(void **state UNUSED)
{
	parse_bad("", "empty JID");
	parse_bad(NULL, "empty JID");
}

static void test_empty_localpart(void **state UNUSED)
{
	parse_bad("@example.com", "empty localpart");
	parse_bad("@example.com/r", "empty localpart");
}

static void test_empty_domainpart(void **state UNUSED)
{
	parse_bad("a@", "empty domainpart");
	parse_bad("a@/r", "empty domainpart");
	parse_bad("/r", "empty domainpart");
}

static void test_empty_resourcepart(void **state UNUSED)
{
	parse_bad("a@b/", "empty resourcepart");
	parse_bad("b/", "empty resourcepart");
}

/* --- lengths --- */

static void test_localpart_1023_ok(void **state UNUSED)
{
	char *s = make("", 'a', 1023, "@example.com");
	struct jid j;

	assert_int_equal(jid_parse(s, &j, NULL), 0);
	assert_int_equal(strlen(j.local), 1023);
	jid_clear(&j);
	free(s);
}

static void test_localpart_1024_rejected(void **state UNUSED)
{
	char *s = make("", 'a', 1024, "@example.com");

	parse_bad(s, "localpart longer than 1023 bytes");
	free(s);
}

static void test_localpart_length_counts_bytes(void **state UNUSED)
{
	/* 512 two-byte characters: 1024 bytes, 512 characters. */
	char *s = malloc(1024 + sizeof("@example.com"));
	size_t i;

	assert_non_null(s);
	for (i = 0; i < 512; i++)
		memcpy(s + 2 * i, "\xc3\xa9", 2);
	strcpy(s + 1024, "@example.com");
	parse_bad(s, "localpart longer than 1023 bytes");
	free(s);
}

static void test_resourcepart_1023_ok(void **state UNUSED)
{
	char *s = make("a@example.com/", 'r', 1023, "");
	struct jid j;

	assert_int_equal(jid_parse(s, &j, NULL), 0);
	assert_int_equal(strlen(j.resource), 1023);
	jid_clear(&j);
	free(s);
}

static void test_resourcepart_1024_rejected(void **state UNUSED)
{
	char *s = make("a@example.com/", 'r', 1024, "");

	parse_bad(s, "resourcepart longer than 1023 bytes");
	free(s);
}

static void test_domainpart_1024_rejected(void **state UNUSED)
{
	char *s = make("a@", 'd', 1024, "");

	parse_bad(s, "domainpart longer than 1023 bytes");
	free(s);
}

static void test_domainpart_1023_reaches_idna(void **state UNUSED)
{
	/* RFC 7622 allows 1023 bytes, but a DNS name stops at 255: a 1023-byte
	 * domain passes the length rule and is refused by libidn2. */
	char *s = make("a@", 'd', 1023, "");

	parse_bad(s, idn2_strerror(IDN2_TOO_BIG_DOMAIN));
	free(s);
}

static void test_domainpart_trailing_dot_not_counted(void **state UNUSED)
{
	char *s = make("a@", 'd', 1023, ".");

	parse_bad(s, idn2_strerror(IDN2_TOO_BIG_DOMAIN));
	free(s);
}

static void test_domain_label_too_long(void **state UNUSED)
{
	char *s = make("a@", 'l', 64, ".example");

	parse_bad(s, idn2_strerror(IDN2_TOO_BIG_LABEL));
	free(s);
	s = make("a@", 'l', 63, ".example");
	parse_ok(s, "a", s + 2, NULL);
	free(s);
}

/* --- localpart characters --- */

static void test_localpart_forbidden_characters(void **state UNUSED)
{
	parse_bad("a\"b@example.com", "localpart contains a forbidden character '\"'");
	parse_bad("a&b@example.com", "localpart contains a forbidden character '&'");
	parse_bad("a'b@example.com", "localpart contains a forbidden character \"'\"");
	parse_bad("a:b@example.com", "localpart contains a forbidden character ':'");
	parse_bad("a<b@example.com", "localpart contains a forbidden character '<'");
	parse_bad("a>b@example.com", "localpart contains a forbidden character '>'");
}

static void test_localpart_space(void **state UNUSED)
{
	parse_bad("a b@example.com", "localpart contains a space");
	parse_bad(" a@example.com", "localpart contains a space");
	/* U+00A0 and U+3000 look like nothing, or like a space. */
	parse_bad("alice\xc2\xa0@example.com", "localpart contains a space");
	parse_bad("a\xe3\x80\x80@example.com", "localpart contains a space");
}

static void test_localpart_controls(void **state UNUSED)
{
	parse_bad("a\tb@example.com", "localpart contains a control character");
	parse_bad("a\x01@example.com", "localpart contains a control character");
	parse_bad("a\x1b[2J@example.com", "localpart contains a control character");
	parse_bad("a\x7f@example.com", "localpart contains a control character");
	parse_bad("a\xc2\x85@example.com", "localpart contains a control character");
	parse_bad("a\xc2\x9b@example.com", "localpart contains a control character");
}

static void test_localpart_bidi(void **state UNUSED)
{
	parse_bad("gpj\xe2\x80\xae.exe@example.com",
	          "localpart contains a bidirectional control character");
	parse_bad("a\xe2\x81\xa6@example.com",
	          "localpart contains a bidirectional control character");
	parse_bad("a\xe2\x80\x8f@example.com",
	          "localpart contains a bidirectional control character");
}

static void test_localpart_allowed(void **state UNUSED)
{
	parse_ok("a.b-c_d+e!#$%*=?^`{|}~@example.com", "a.b-c_d+e!#$%*=?^`{|}~", "example.com",
	         NULL);
	parse_ok("\xd0\xb8\xd0\xb2\xd0\xb0\xd0\xbd@example.com", "\xd0\xb8\xd0\xb2\xd0\xb0\xd0\xbd",
	         "example.com", NULL);
}

static void test_localpart_keeps_case(void **state UNUSED)
{
	parse_ok("Romeo@Example.NET/Orchard", "Romeo", "example.net", "Orchard");
}

/* --- resourcepart characters --- */

static void test_resource_controls(void **state UNUSED)
{
	parse_bad("a@example.com/x\ny", "resourcepart contains a control character");
	parse_bad("a@example.com/\x1b]0;pwned\x07", "resourcepart contains a control character");
	parse_bad("a@example.com/x\xc2\x9b", "resourcepart contains a control character");
}

/* --- UTF-8 --- */

static void test_invalid_utf8(void **state UNUSED)
{
	parse_bad("a\xff@example.com", "invalid UTF-8");
	parse_bad("a@exa\xc0\xafmple.com", "invalid UTF-8");
	parse_bad("a@example.com/\xed\xa0\x80", "invalid UTF-8");
	parse_bad("a@example.com/r\xe2\x82", "invalid UTF-8");
	parse_bad("\x80@example.com", "invalid UTF-8");
	parse_bad("a@example.com/\xf4\x90\x80\x80", "invalid UTF-8");
}

/* --- domainpart --- */

static void test_domain_trailing_dot_stripped(void **state UNUSED)
{
	parse_ok("example.com.", NULL, "example.com", NULL);
	parse_ok("a@example.com./r", "a", "example.com", "r");
}

static void test_domain_lone_dot(void **state UNUSED)
{
	parse_bad(".", "empty domainpart");
	parse_bad("a@.", "empty domainpart");
	parse_bad("a@./r", "empty domainpart");
}

static void test_domain_empty_labels(void **state UNUSED)
{
	parse_bad("example.com..", "domainpart contains an empty label");
	parse_bad("example..com", "domainpart contains an empty label");
	parse_bad(".example.com", "domainpart contains an empty label");
}

static void test_domain_lower_cased(void **state UNUSED)
{
	parse_ok("a@EXAMPLE.Com", "a", "example.com", NULL);
}

static void test_domain_forbidden_ascii(void **state UNUSED)
{
	parse_bad("a@exa mple.com", "domainpart contains a space");
	parse_bad("a@example.com:5222", "domainpart contains a forbidden character ':'");
	parse_bad("a@exa!mple.com", "domainpart contains a forbidden character '!'");
	parse_bad("a@exa\\mple.com", "domainpart contains a forbidden character '\\'");
	parse_bad("a@exa\tmple.com", "domainpart contains a control character");
	parse_bad("a@exa<mple.com", "domainpart contains a forbidden character '<'");
	parse_ok("a@_xmpp.example.com", "a", "_xmpp.example.com", NULL);
}

static void test_domain_ipv4(void **state UNUSED)
{
	parse_ok("127.0.0.1", NULL, "127.0.0.1", NULL);
	parse_ok("a@192.168.1.20/r", "a", "192.168.1.20", "r");
	parse_ok("a@10.0.0.1.", "a", "10.0.0.1", NULL);
	parse_bad("a@10.0.0.256", "invalid IPv4 address");
	parse_bad("a@10.0.0", "invalid IPv4 address");
}

static void test_domain_ipv6_brackets(void **state UNUSED)
{
	parse_ok("[::1]", NULL, "[::1]", NULL);
	parse_ok("a@[::1]/r", "a", "[::1]", "r");
	parse_ok("a@[2001:DB8::1]", "a", "[2001:db8::1]", NULL);
	/* Canonical form, so that equal addresses compare equal. */
	parse_ok("a@[0:0:0:0:0:0:0:1]", "a", "[::1]", NULL);
	parse_ok("a@[::ffff:192.0.2.1]", "a", "[::ffff:192.0.2.1]", NULL);
}

static void test_domain_ipv6_without_brackets(void **state UNUSED)
{
	parse_bad("::1", "IPv6 address must be in brackets");
	parse_bad("a@2001:db8::1/r", "IPv6 address must be in brackets");
}

static void test_domain_ipv6_malformed(void **state UNUSED)
{
	parse_bad("a@[::1", "invalid IPv6 address");
	parse_bad("a@[]", "invalid IPv6 address");
	parse_bad("a@[example.com]", "invalid IPv6 address");
	parse_bad("a@[192.0.2.1]", "invalid IPv6 address");
	parse_bad("a@[::1]x", "invalid IPv6 address");
	parse_bad("a@[::g]", "invalid IPv6 address");
}

static void test_domain_idn_unicode_form(void **state UNUSED)
{
	parse_ok("a@B\303\274cher.EXAMPLE", "a", "b\303\274cher.example", NULL);
	/* The A-label spelling names the same domain. */
	parse_ok("a@xn--bcher-kva.example", "a", "b\303\274cher.example", NULL);
}

static void test_domain_idn_nontransitional(void **state UNUSED)
{
	/* IDNA2008 keeps sharp s; IDNA2003 would have made it "fass.de". */
	parse_ok("fa\xc3\x9f.de", NULL, "fa\xc3\x9f.de", NULL);
}

static void test_domain_idn_width_mapping(void **state UNUSED)
{
	/* Fullwidth letters are mapped to their ASCII forms. */
	parse_ok("a@\xef\xbc\xa5\xef\xbc\xb8.com", "a", "ex.com", NULL);
}

static void test_domain_idn_rejected(void **state UNUSED)
{
	parse_bad("a@-example.com", idn2_strerror(IDN2_HYPHEN_STARTEND));
	parse_bad("a@xn--zz.com", idn2_strerror(IDN2_PUNYCODE_BAD_INPUT));
	parse_bad("a@evil\xe2\x80\xae.com", idn2_strerror(IDN2_DISALLOWED));
}

static void test_domain_alabel_must_decode_to_valid_ulabel(void **state UNUSED)
{
	/* Valid Punycode for U+2476 U+2478, which are not valid in a label. */
	parse_bad("a@xn--bshe", idn2_strerror(IDN2_DISALLOWED));
	parse_bad("a@xn--bshe.example", idn2_strerror(IDN2_DISALLOWED));
}

static void test_domain_mapping_cannot_smuggle_separators(void **state UNUSED)
{
	/* U+FF20 FULLWIDTH COMMERCIAL AT and U+FF0F FULLWIDTH SOLIDUS map to
	 * '@' and '/'; they must not become separators after splitting. */
	parse_bad("a@ex\xef\xbc\xa0mple.com", "domainpart contains a forbidden character '@'");
	parse_bad("a@ex\xef\xbc\x8fmple.com", "domainpart contains a forbidden character '/'");
	/* U+FF0E FULLWIDTH FULL STOP maps to '.' */
	parse_bad("a@example.com\xef\xbc\x8e", "domainpart contains an empty label");
}

static void test_domain_fullwidth_ipv4(void **state UNUSED)
{
	parse_ok("a@\xef\xbc\x91.\xef\xbc\x92.\xef\xbc\x93.\xef\xbc\x94", "a", "1.2.3.4", NULL);
}

/* --- output --- */

static void test_bare_and_full(void **state UNUSED)
{
	struct jid j;
	char *s;

	assert_int_equal(jid_parse("Romeo@Example.net./Orchard/1", &j, NULL), 0);
	s = jid_bare(&j);
	assert_string_equal(s, "Romeo@example.net");
	free(s);
	s = jid_full(&j);
	assert_string_equal(s, "Romeo@example.net/Orchard/1");
	free(s);
	jid_clear(&j);

	assert_int_equal(jid_parse("example.net", &j, NULL), 0);
	s = jid_bare(&j);
	assert_string_equal(s, "example.net");
	free(s);
	s = jid_full(&j);
	assert_string_equal(s, "example.net");
	free(s);
	jid_clear(&j);

	assert_int_equal(jid_parse("example.net/r", &j, NULL), 0);
	s = jid_full(&j);
	assert_string_equal(s, "example.net/r");
	free(s);
	jid_clear(&j);
}

static void test_round_trip(void **state UNUSED)
{
	static const char *const samples[] = {
	    "romeo@example.net/orchard",
	    "EXAMPLE.net.",
	    "a@[0::1]/x@y/z",
	    "x@B\303\274cher.example",
	    "a@xn--bcher-kva.example",
	    "room@muc.example/The Nurse",
	    "1.2.3.4/r",
	    "fa\xc3\x9f.de",
	};
	size_t i;

	for (i = 0; i < sizeof(samples) / sizeof(samples[0]); i++) {
		struct jid a, b;
		char *full, *again;

		assert_int_equal(jid_parse(samples[i], &a, NULL), 0);
		full = jid_full(&a);
		assert_non_null(full);
		assert_int_equal(jid_parse(full, &b, NULL), 0);
		again = jid_full(&b);
		assert_string_equal(full, again);
		free(full);
		free(again);
		jid_clear(&a);
		jid_clear(&b);
	}
}

static void test_bare_of(void **state UNUSED)
{
	const char *why = NULL;
	char *s;

	s = jid_bare_of("Juliet@Capulet.LIT./balcony", &why);
	assert_string_equal(s, "Juliet@capulet.lit");
	free(s);
	assert_null(jid_bare_of("@capulet.lit", &why));
	assert_string_equal(why, "empty localpart");
	assert_null(jid_bare_of("a@b/", NULL));
}

static void test_bare_equal(void **state UNUSED)
{
	assert_true(jid_bare_equal("romeo@example.net", "romeo@example.net"));
	assert_true(jid_bare_equal("Romeo@example.net/a", "romeo@EXAMPLE.NET./b"));
	assert_true(jid_bare_equal("a@b\303\274cher.example", "A@xn--bcher-kva.example"));
	assert_true(jid_bare_equal("a@[::1]", "a@[0:0::1]"));
	assert_false(jid_bare_equal("romeo@example.net", "juliet@example.net"));
	assert_false(jid_bare_equal("romeo@example.net", "example.net"));
	assert_false(jid_bare_equal("romeo@example.net", "@example.net"));
	assert_false(jid_bare_equal(NULL, NULL));
	assert_false(jid_bare_equal("a@b/", "a@b/"));
}

static void test_bare_equal_unicode_case(void **state UNUSED)
{
	/* U+00C9 and U+00E9; U+03A3 and U+03C3. */
	assert_true(jid_bare_equal("\xc3\x89lise@example.com", "\xc3\xa9lise@example.com"));
	assert_true(jid_bare_equal("\xce\xa3@example.com", "\xcf\x83@example.com"));
	assert_false(jid_bare_equal("\xc3\xa9lise@example.com", "elise@example.com"));
}

static void test_bare_key(void **state UNUSED)
{
	const char *why = NULL;
	char *k;

	k = jid_bare_key("Romeo@Example.NET/Orchard", &why);
	assert_string_equal(k, "romeo@example.net");
	free(k);
	k = jid_bare_key("Example.NET/x", &why);
	assert_string_equal(k, "example.net");
	free(k);
	k = jid_bare_key("\xc3\x89LISE@example.com", &why);
	assert_string_equal(k, "\xc3\xa9lise@example.com");
	free(k);
	assert_null(jid_bare_key("a b@example.com", &why));
	assert_string_equal(why, "localpart contains a space");
}

static void test_full_key(void **state UNUSED)
{
	bool full = false;
	char *k;

	k = jid_full_key("Romeo@Example.NET/Orchard", &full);
	assert_string_equal(k, "romeo@example.net/Orchard");
	assert_true(full);
	free(k);
	k = jid_full_key("Example.NET.", &full);
	assert_string_equal(k, "example.net");
	assert_false(full);
	free(k);
	assert_null(jid_full_key("a b@example.com/r", NULL));
	assert_null(jid_full_key(NULL, NULL));
}

static void test_parse_validate_only(void **state UNUSED)
{
	assert_int_equal(jid_parse("a@example.com/r", NULL, NULL), 0);
	assert_int_equal(jid_parse("a@", NULL, NULL), -1);
}

static void test_clear_is_idempotent(void **state UNUSED)
{
	struct jid j;

	assert_int_equal(jid_parse("a@example.com/r", &j, NULL), 0);
	jid_clear(&j);
	assert_null(j.local);
	assert_null(j.domain);
	assert_null(j.resource);
	jid_clear(&j);
	jid_clear(NULL);
}

/* What libidn2 makes of an ASCII host name (the slow path: to the A-label
 * form and back), or NULL when it refuses it. */
static char *idn2_reference(const char *d)
{
	char *ace = NULL, *u = NULL, *out = NULL;

	if (idn2_to_ascii_8z(d, &ace, IDN2_NONTRANSITIONAL) == IDN2_OK &&
	    idn2_to_unicode_8z8z(ace, &u, 0) == IDN2_OK)
		out = strdup(u);
	idn2_free(ace);
	idn2_free(u);
	return out;
}

static void compare_with_idn2(const char *label)
{
	char *d = NULL, *s = NULL, *want;
	struct jid j;
	int rc;

	assert_true(asprintf(&d, "%s.Example", label) > 0);
	assert_true(asprintf(&s, "u@%s", d) > 0);
	want = idn2_reference(d);
	rc = jid_parse(s, &j, NULL);
	if (!want && rc == 0)
		fail_msg("%s: natter accepts %s, libidn2 refuses it", label, j.domain);
	if (want && rc)
		fail_msg("%s: libidn2 accepts it as %s, natter refuses it", label, want);
	if (want)
		assert_string_equal(j.domain, want);
	jid_clear(&j);
	free(want);
	free(d);
	free(s);
}

/* ASCII host names skip libidn2 when it would only lower-case them: every
 * label of up to five characters from a, B, 0, '-' and '_', and the long
 * and "xn--" ones, must come out exactly as libidn2 has them. */
static void test_ascii_domains_as_libidn2_has_them(void **state UNUSED)
{
	static const char alphabet[] = "aB0-_";
	static const char *const extra[] = {
	    "xn--abc",
	    "XN--bcher-kva",
	    "xn--bcher-kva",
	    "ab--cd",
	    "x--y",
	    "a-b-c",
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	    "sub.ex-ample",
	    "-x.y",
	    "x.y-",
	    "Localhost",
	    NULL};
	char label[8];

	for (int len = 1; len <= 5; len++) {
		int total = 1;

		for (int i = 0; i < len; i++)
			total *= 5;
		for (int n = 0; n < total; n++) {
			int v = n;

			for (int i = 0; i < len; i++, v /= 5)
				label[i] = alphabet[v % 5];
			label[len] = '\0';
			compare_with_idn2(label);
		}
	}
	for (int i = 0; extra[i]; i++)
		compare_with_idn2(extra[i]);
}

/* The domain cache must not take an empty domain for one of its empty
 * slots: "alice@" is refused the first time (a fresh process) and after. */
static void test_empty_domain_refused_first_and_again(void **state UNUSED)
{
	const char *why = NULL;

	for (int i = 0; i < 2; i++) {
		assert_int_equal(jid_parse("alice@", NULL, &why), -1);
		assert_int_equal(jid_parse("alice@/res", NULL, &why), -1);
	}
	assert_string_equal(why, "empty domainpart");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    /* first: the domain cache is empty only before any other test */
	    cmocka_unit_test(test_empty_domain_refused_first_and_again),
	    cmocka_unit_test(test_split_full),
	    cmocka_unit_test(test_split_bare),
	    cmocka_unit_test(test_split_domain_only),
	    cmocka_unit_test(test_split_domain_resource),
	    cmocka_unit_test(test_split_resource_keeps_slash_and_at),
	    cmocka_unit_test(test_split_at_only_in_resource),
	    cmocka_unit_test(test_split_slash_before_at),
	    cmocka_unit_test(test_split_second_at_in_domain),
	    cmocka_unit_test(test_resource_spaces_and_unicode),
	    cmocka_unit_test(test_empty_jid),
	    cmocka_unit_test(test_empty_localpart),
	    cmocka_unit_test(test_empty_domainpart),
	    cmocka_unit_test(test_empty_resourcepart),
	    cmocka_unit_test(test_localpart_1023_ok),
	    cmocka_unit_test(test_localpart_1024_rejected),
	    cmocka_unit_test(test_localpart_length_counts_bytes),
	    cmocka_unit_test(test_resourcepart_1023_ok),
	    cmocka_unit_test(test_resourcepart_1024_rejected),
	    cmocka_unit_test(test_domainpart_1024_rejected),
	    cmocka_unit_test(test_domainpart_1023_reaches_idna),
	    cmocka_unit_test(test_domainpart_trailing_dot_not_counted),
	    cmocka_unit_test(test_domain_label_too_long),
	    cmocka_unit_test(test_localpart_forbidden_characters),
	    cmocka_unit_test(test_localpart_space),
	    cmocka_unit_test(test_localpart_controls),
	    cmocka_unit_test(test_localpart_bidi),
	    cmocka_unit_test(test_localpart_allowed),
	    cmocka_unit_test(test_localpart_keeps_case),
	    cmocka_unit_test(test_resource_controls),
	    cmocka_unit_test(test_invalid_utf8),
	    cmocka_unit_test(test_domain_trailing_dot_stripped),
	    cmocka_unit_test(test_domain_lone_dot),
	    cmocka_unit_test(test_domain_empty_labels),
	    cmocka_unit_test(test_domain_lower_cased),
	    cmocka_unit_test(test_domain_forbidden_ascii),
	    cmocka_unit_test(test_domain_ipv4),
	    cmocka_unit_test(test_domain_ipv6_brackets),
	    cmocka_unit_test(test_domain_ipv6_without_brackets),
	    cmocka_unit_test(test_domain_ipv6_malformed),
	    cmocka_unit_test(test_domain_idn_unicode_form),
	    cmocka_unit_test(test_domain_idn_nontransitional),
	    cmocka_unit_test(test_domain_idn_width_mapping),
	    cmocka_unit_test(test_domain_idn_rejected),
	    cmocka_unit_test(test_domain_alabel_must_decode_to_valid_ulabel),
	    cmocka_unit_test(test_domain_mapping_cannot_smuggle_separators),
	    cmocka_unit_test(test_domain_fullwidth_ipv4),
	    cmocka_unit_test(test_bare_and_full),
	    cmocka_unit_test(test_round_trip),
	    cmocka_unit_test(test_bare_of),
	    cmocka_unit_test(test_bare_equal),
	    cmocka_unit_test(test_bare_equal_unicode_case),
	    cmocka_unit_test(test_bare_key),
	    cmocka_unit_test(test_full_key),
	    cmocka_unit_test(test_parse_validate_only),
	    cmocka_unit_test(test_clear_is_idempotent),
	    cmocka_unit_test(test_ascii_domains_as_libidn2_has_them),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
