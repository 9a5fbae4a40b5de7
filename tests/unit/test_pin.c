/* Unit tests for util/pin: the one rule for certificate pins, wherever
 * one is read (accounts file, /tls trust, /register, libstrophe's digest),
 * and the one form they are kept in. */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "util/pin.h"

#define UNUSED __attribute__((unused))

/* One SHA-256 digest in the canonical form and in the forms users paste. */
#define HEX_LOWER "0123456789abcdef0a1b2c3d4e5f6789fedcba98765432100f1e2d3c4b5a6978"
#define HEX_UPPER "0123456789ABCDEF0A1B2C3D4E5F6789FEDCBA98765432100F1E2D3C4B5A6978"
#define HEX_COLONS                                                                                 \
	"01:23:45:67:89:AB:CD:EF:0A:1B:2C:3D:4E:5F:67:89:FE:DC:BA:98:76:54:32:10:0F:1E:2D:3C:4B:"  \
	"5A:69:78"
#define CANON "sha256:" HEX_LOWER

static void norm_ok(const char *in, const char *want)
{
	char *got = pin_parse(in);

	if (!got)
		fail_msg("\"%s\" rejected", in);
	assert_string_equal(got, want);
	free(got);
}

static void norm_bad(const char *in)
{
	char *got = pin_parse(in);

	if (got) {
		print_error("\"%s\" accepted as \"%s\"\n", in ? in : "(null)", got);
		free(got);
		fail();
	}
}

static void test_canonical_is_fixed_point(void **state UNUSED)
{
	char *once = pin_parse(CANON), *twice;

	assert_non_null(once);
	assert_string_equal(once, CANON);
	twice = pin_parse(once);
	assert_non_null(twice);
	assert_string_equal(twice, once);
	/* A fresh allocation, not the argument handed back. */
	assert_ptr_not_equal(once, twice);
	free(once);
	free(twice);
}

static void test_result_shape(void **state UNUSED)
{
	char *got = pin_parse(HEX_UPPER);

	assert_non_null(got);
	assert_int_equal(strlen(got), strlen("sha256:") + 64);
	assert_memory_equal(got, "sha256:", 7);
	for (const char *p = got + 7; *p; p++)
		assert_true((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f'));
	free(got);
}

static void test_uppercase_with_colons(void **state UNUSED)
{
	norm_ok("sha256:" HEX_COLONS, CANON);
}

static void test_uppercase_without_colons(void **state UNUSED)
{
	norm_ok("sha256:" HEX_UPPER, CANON);
}

static void test_colons_lowercase(void **state UNUSED)
{
	norm_ok("sha256:01:23:45:67:89:ab:cd:ef:0a:1b:2c:3d:4e:5f:67:89:fe:dc:ba:98:76:54:32:10:"
	        "0f:1e:2d:3c:4b:5a:69:78",
	        CANON);
}

static void test_mixed_case_digits(void **state UNUSED)
{
	norm_ok("sha256:0123456789AbCdEf0a1B2c3D4e5F6789fEdCbA98765432100F1e2D3c4B5a6978", CANON);
}

/* libstrophe's xmpp_tlscert_get_string() gives the bare digest. */
static void test_bare_hex_lower(void **state UNUSED)
{
	norm_ok(HEX_LOWER, CANON);
}

static void test_bare_hex_upper(void **state UNUSED)
{
	norm_ok(HEX_UPPER, CANON);
}

static void test_bare_hex_colons(void **state UNUSED)
{
	norm_ok(HEX_COLONS, CANON);
}

static void test_prefix_any_case(void **state UNUSED)
{
	norm_ok("SHA256:" HEX_LOWER, CANON);
	norm_ok("Sha256:" HEX_UPPER, CANON);
	norm_ok("sHa256:" HEX_COLONS, CANON);
}

static void test_other_algorithm_rejected(void **state UNUSED)
{
	norm_bad("sha1:" HEX_LOWER);
	norm_bad("sha512:" HEX_LOWER);
	norm_bad("sha256 " HEX_LOWER);
	norm_bad("sha256" HEX_LOWER);
}

static void test_prefix_only_once(void **state UNUSED)
{
	norm_bad("sha256:sha256:" HEX_LOWER);
}

static void test_63_digits(void **state UNUSED)
{
	char s[80];

	snprintf(s, sizeof(s), "sha256:%.63s", HEX_LOWER);
	norm_bad(s);
	snprintf(s, sizeof(s), "%.63s", HEX_UPPER);
	norm_bad(s);
	/* 63 digits plus a trailing colon is still 63. */
	snprintf(s, sizeof(s), "sha256:%.63s:", HEX_LOWER);
	norm_bad(s);
}

static void test_65_digits(void **state UNUSED)
{
	norm_bad("sha256:" HEX_LOWER "0");
	norm_bad(HEX_UPPER "F");
	norm_bad(HEX_COLONS ":00");
	/* Far too long must not overrun the 71-byte result either. */
	norm_bad("sha256:" HEX_LOWER HEX_LOWER HEX_LOWER);
}

static void test_single_digit_off_each_side(void **state UNUSED)
{
	char s[80];

	/* Dropping the first digit and dropping the last both fail. */
	snprintf(s, sizeof(s), "sha256:%s", HEX_LOWER + 1);
	norm_bad(s);
	snprintf(s, sizeof(s), "%s", HEX_LOWER + 1);
	norm_bad(s);
}

static void test_non_hex_rejected(void **state UNUSED)
{
	char s[80];
	const char bad[] = {'g', 'G', 'z', ' ', '\t', '\n', '-', '.', 'x', '\x80', '\xff'};

	for (size_t i = 0; i < sizeof(bad); i++) {
		/* Replace one digit, keeping the length at 64. */
		snprintf(s, sizeof(s), "sha256:%s", HEX_LOWER);
		s[7 + 20] = bad[i];
		norm_bad(s);
		snprintf(s, sizeof(s), "%s", HEX_LOWER);
		s[63] = bad[i];
		norm_bad(s);
	}
}

static void test_surrounding_space_rejected(void **state UNUSED)
{
	norm_bad(" sha256:" HEX_LOWER);
	norm_bad("sha256: " HEX_LOWER);
	norm_bad("sha256:" HEX_LOWER " ");
	norm_bad("sha256:" HEX_LOWER "\n");
}

static void test_empty_and_null(void **state UNUSED)
{
	norm_bad(NULL);
	norm_bad("");
	norm_bad("sha256:");
	norm_bad("SHA256:");
	norm_bad(":");
	norm_bad("sha256::::");
}

/* Colons separate pairs, as openssl prints them; anywhere else they are
 * a typo that must not be silently dropped. */
static void test_colons_only_between_pairs(void **state UNUSED)
{
	char s[120];

	norm_bad("sha256:ab0:1cd:23:ef:45:ab:01:cd:23:ef:45:ab:01:cd:23:ef:45:ab:01:cd:23:"
	         "ef:45:ab:01:cd:23:ef:45:ab:01");
	/* the right number of colons, one pair split differently */
	snprintf(s, sizeof(s), "%s", HEX_COLONS);
	s[2] = s[3];
	s[3] = ':';
	norm_bad(s);
	/* a doubled colon, or one at either end */
	norm_bad("sha256::" HEX_COLONS);
	norm_bad(HEX_COLONS ":");
	norm_bad(":" HEX_COLONS);
	norm_bad("01::23:45:67:89:AB:CD:EF:0A:1B:2C:3D:4E:5F:67:89:FE:DC:BA:98:76:54:32:10:0F:1E:"
	         "2D:3C:4B:5A:69:78");
	/* colons in only some places */
	norm_bad("0123:45:67:89:AB:CD:EF:0A:1B:2C:3D:4E:5F:67:89:FE:DC:BA:98:76:54:32:10:0F:1E:"
	         "2D:3C:4B:5A:69:78:");
}

static void test_errno(void **state UNUSED)
{
	errno = 0;
	assert_null(pin_parse("sha256:nope"));
	assert_int_equal(errno, EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_canonical_is_fixed_point),
	    cmocka_unit_test(test_result_shape),
	    cmocka_unit_test(test_uppercase_with_colons),
	    cmocka_unit_test(test_uppercase_without_colons),
	    cmocka_unit_test(test_colons_lowercase),
	    cmocka_unit_test(test_mixed_case_digits),
	    cmocka_unit_test(test_bare_hex_lower),
	    cmocka_unit_test(test_bare_hex_upper),
	    cmocka_unit_test(test_bare_hex_colons),
	    cmocka_unit_test(test_prefix_any_case),
	    cmocka_unit_test(test_other_algorithm_rejected),
	    cmocka_unit_test(test_prefix_only_once),
	    cmocka_unit_test(test_63_digits),
	    cmocka_unit_test(test_65_digits),
	    cmocka_unit_test(test_single_digit_off_each_side),
	    cmocka_unit_test(test_non_hex_rejected),
	    cmocka_unit_test(test_surrounding_space_rejected),
	    cmocka_unit_test(test_empty_and_null),
	    cmocka_unit_test(test_colons_only_between_pairs),
	    cmocka_unit_test(test_errno),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
