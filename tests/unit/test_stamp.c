/* Unit tests for util/stamp: the one XEP-0082 parser (strict) and the one
 * format natter writes times in. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "util/stamp.h"

#define UNUSED __attribute__((unused))

/* 2024-05-01T12:30:00Z, computed independently: 19844 days after 1970. */
#define MAY1 ((int64_t)19844 * 86400 * 1000 + (12 * 3600 + 30 * 60) * 1000)

static void good(const char *s, int64_t want)
{
	int64_t got = stamp_parse(s);

	if (got != want)
		fail_msg("%s: %lld, expected %lld", s, (long long)got, (long long)want);
}

static void bad(const char *s)
{
	int64_t got = stamp_parse(s);

	if (got != -1)
		fail_msg("%s accepted as %lld", s ? s : "(null)", (long long)got);
}

static void test_forms(void **state UNUSED)
{
	good("2024-05-01T12:30:00Z", MAY1);
	good("2024-05-01T12:30:00.123Z", MAY1 + 123);
	/* any number of fraction digits; milliseconds kept, the rest cut */
	good("2024-05-01T12:30:00.1Z", MAY1 + 100);
	good("2024-05-01T12:30:00.123456789Z", MAY1 + 123);
	/* offsets: the same instant */
	good("2024-05-01T14:30:00+02:00", MAY1);
	good("2024-05-01T07:00:00-05:30", MAY1);
	good("2024-05-01T12:30:00+00:00", MAY1);
	good("2024-05-02T00:30:00+12:00", MAY1);
	good("1970-01-01T00:00:00Z", 0);
	good("1970-01-01T00:00:00.001Z", 1);
}

static void test_calendar(void **state UNUSED)
{
	good("2000-02-29T00:00:00Z", (int64_t)11016 * 86400 * 1000);
	good("2024-02-29T00:00:00Z", (int64_t)19782 * 86400 * 1000);
	bad("2023-02-29T00:00:00Z");
	bad("1900-02-29T00:00:00Z");
	bad("2024-04-31T00:00:00Z");
	bad("2024-13-01T00:00:00Z");
	bad("2024-00-01T00:00:00Z");
	bad("2024-01-00T00:00:00Z");
	bad("2024-01-01T24:00:00Z");
	bad("2024-01-01T23:60:00Z");
	bad("2024-01-01T23:59:61Z");
	/* a leap second is the last moment of its minute */
	good("2016-12-31T23:59:60Z", (int64_t)17166 * 86400 * 1000 + 86399999);
	good("9999-12-31T23:59:59Z", (int64_t)2932896 * 86400 * 1000 + 86399000);
}

/* What the old loose and sscanf-based parsers let through. */
static void test_strict(void **state UNUSED)
{
	bad(NULL);
	bad("");
	bad("0000-00-00T00:00:00Z"); /* once shown as "30 November -1" */
	bad("0000-01-01T00:00:00Z");
	bad("1969-12-31T23:59:59Z"); /* before the epoch */
	bad("1970-01-01T00:30:00+01:00");
	bad("2024-05-01T12:30:00"); /* no zone */
	bad("2024-05-01 12:30:00Z");
	bad("2024-05-01t12:30:00Z");
	bad("2024-05-01T12:30:00z");
	bad("20240501T12:30:00"); /* XEP-0091, obsolete */
	bad("2024-5-01T12:30:00Z");
	bad(" 2024-05-01T12:30:00Z");
	bad("+2024-05-01T12:30:00Z");
	bad("-2024-05-01T12:30:00Z");
	bad("2024-05-01T12:30:00Z ");
	bad("2024-05-01T12:30:00ZZ");
	bad("2024-05-01T12:30:00.Z");
	bad("2024-05-01T12:30:00.12a3Z");
	bad("2024-05-01T12:30:00+2:00");
	bad("2024-05-01T12:30:00+02");
	bad("2024-05-01T12:30:00+0200");
	bad("2024-05-01T12:30:00+24:00");
	bad("2024-05-01T12:30:00+02:60");
	bad("12024-05-01T12:30:00Z");
	bad("2024-05-01T12:30:0Z");
	bad("2024-05-01T1 :30:00Z");
}

static void test_format(void **state UNUSED)
{
	char out[STAMP_LEN];

	stamp_format(MAY1 + 7, out);
	assert_string_equal(out, "2024-05-01T12:30:00.007Z");
	stamp_format(0, out);
	assert_string_equal(out, "1970-01-01T00:00:00.000Z");
	stamp_format(-5, out);
	assert_string_equal(out, "1970-01-01T00:00:00.000Z");
	/* beyond what a stamp can say: the last moment it can */
	stamp_format(INT64_MAX, out);
	assert_string_equal(out, "9999-12-31T23:59:59.999Z");
}

/* What is written parses back to the same instant. */
static void test_round_trip(void **state UNUSED)
{
	char out[STAMP_LEN];

	for (int64_t t = 0; t < (int64_t)300 * 365 * 86400 * 1000;
	     t += 86400 * 1000 * 37LL + 4321) {
		stamp_format(t, out);
		assert_int_equal(stamp_parse(out), t);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_forms),      cmocka_unit_test(test_calendar),
	    cmocka_unit_test(test_strict),     cmocka_unit_test(test_format),
	    cmocka_unit_test(test_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
