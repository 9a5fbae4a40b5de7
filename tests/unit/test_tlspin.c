/* Unit tests for xmpp/tlspin: what natter shows of a refused certificate.
 * (Pins themselves are util/pin's: test_pin.c.) */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "xmpp/tlspin.h"

/* The validity dates libstrophe hands on are OpenSSL's rendering. */
static void assert_iso(const char *in, const char *want)
{
	char *got = tlspin_iso_date(in);

	if (want) {
		assert_non_null(got);
		assert_string_equal(got, want);
	} else {
		assert_null(got);
	}
	free(got);
}

static void test_iso_dates(void **state)
{
	(void)state;
	assert_iso("Nov 21 13:58:35 2026 GMT", "2026-11-21T13:58:35Z");
	/* OpenSSL pads one-digit days with a space. */
	assert_iso("Jan  1 00:00:00 2027 GMT", "2027-01-01T00:00:00Z");
	assert_iso("Dec 31 23:59:60 2030 GMT", "2030-12-31T23:59:60Z");
}

static void test_iso_dates_refused(void **state)
{
	(void)state;
	assert_iso(NULL, NULL);
	assert_iso("", NULL);
	assert_iso("Nov 21 13:58:35 2026", NULL);
	assert_iso("Nov 21 13:58:35 2026 GMT and more", NULL);
	assert_iso("Nov 21 13:58:35 2026 UTC", NULL);
	assert_iso("Foo 21 13:58:35 2026 GMT", NULL);
	/* Not a month at a three-letter boundary of the table. */
	assert_iso("ebM 21 13:58:35 2026 GMT", NULL);
	assert_iso("Nov 32 13:58:35 2026 GMT", NULL);
	assert_iso("Nov 21 24:58:35 2026 GMT", NULL);
	assert_iso("Nov 21 13:58:35 -1 GMT", NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_iso_dates),
	    cmocka_unit_test(test_iso_dates_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
