/* Unit tests for ui/wstr: UTF-8 to the wide strings the screen is drawn
 * from (made safe to draw, with column counts the terminal agrees with),
 * and back. */
#include "config.h"

#include <locale.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>
#include <cmocka.h>

#include "ui/wstr.h"

#define UNUSED __attribute__((unused))

static void decodes(const char *in, int keep_nl, const wchar_t *want)
{
	size_t len = 99;
	wchar_t *got = wstr_from_utf8(in, keep_nl, &len);

	assert_non_null(got);
	if (wcscmp(got, want))
		fail_msg("\"%s\" decoded as \"%ls\", expected \"%ls\"", in, got, want);
	assert_int_equal(len, wcslen(want));
	free(got);
}

static void test_plain_and_wide(void **state UNUSED)
{
	decodes("hello", 0, L"hello");
	decodes("caf\xc3\xa9", 0, L"caf\u00e9");
	decodes("\xe4\xb8\xad\xe6\x96\x87", 0, L"\u4e2d\u6587");
	decodes("\xf0\x9f\x98\x80", 0, L"\U0001F600");
	decodes("", 0, L"");
	decodes(NULL, 0, L"");
}

/* What would upset the terminal never reaches it. */
static void test_unsafe_is_replaced_or_dropped(void **state UNUSED)
{
	/* Invalid UTF-8: one U+FFFD per bad byte. */
	decodes("a\xff"
	        "b\xc3",
	        0, L"a\ufffdb\ufffd");
	/* Controls (C0, DEL, C1) become U+FFFD: visible, never executed. */
	decodes("a\x1b[2Jb", 0, L"a\ufffd[2Jb");
	decodes("x\x7fy\xc2\x9bz", 0, L"x\ufffdy\ufffdz");
	/* Zero-width format characters and bidi controls are left out. */
	decodes("a\xe2\x80\x8b"
	        "b\xe2\x80\xae"
	        "c\xef\xbb\xbf"
	        "d\xc2\xad"
	        "e",
	        0, L"abcde");
	/* Tabs become a space; line breaks only where asked for. */
	decodes("a\tb", 0, L"a b");
	decodes("a\nb", 0, L"a b");
	decodes("a\nb", 1, L"a\nb");
}

static void test_widths(void **state UNUSED)
{
	/* "e" and a combining acute accent: one column. */
	wchar_t *w = wstr_from_utf8("e\xcc\x81", 0, NULL);

	assert_int_equal(wstr_width(w, wcslen(w)), 1);
	free(w);
	assert_int_equal(wstr_cwidth(L'a'), 1);
	assert_int_equal(wstr_cwidth(0x4e2d), 2);
	assert_int_equal(wstr_cwidth(0x1F600), 2);
	assert_int_equal(wstr_cwidth(0x0301), 0);
	/* A zero-width joiner is not drawn and takes no cell. */
	assert_int_equal(wstr_cwidth(0x200d), 0);
	assert_false(wstr_shown(0x200d));
	assert_true(wstr_shown(L'a'));
	/* Something wcwidth() cannot measure still takes a cell, never -1. */
	assert_int_equal(wstr_cwidth(0x0007), 1);
	assert_int_equal(wstr_width(L"ab\u4e2d", 3), 4);
}

static void test_typeable(void **state UNUSED)
{
	assert_true(wstr_typeable(L'a'));
	assert_true(wstr_typeable(0x4e2d));
	assert_true(wstr_typeable(0x1F600));
	/* Joiners stay in what is typed (the family emoji stays one). */
	assert_true(wstr_typeable(0x200d));
	assert_true(wstr_typeable(0x200c));
	assert_false(wstr_typeable(0x1b));
	assert_false(wstr_typeable(0x7f));
	assert_false(wstr_typeable(0x9b));
	assert_false(wstr_typeable(0xd800));
	assert_false(wstr_typeable(0x110000));
	/* Bidi overrides and isolates would reorder what the peer reads. */
	assert_false(wstr_typeable(0x202e));
	assert_false(wstr_typeable(0x2066));
	assert_false(wstr_typeable(0xfeff));
}

static void test_to_utf8(void **state UNUSED)
{
	char *s = wstr_to_utf8(L"a\u00e9\u4e2d\U0001F600", 4);

	assert_string_equal(s, "a\xc3\xa9\xe4\xb8\xad\xf0\x9f\x98\x80");
	free(s);
	/* Only n characters, and a surrogate (no character) as U+FFFD. */
	s = wstr_to_utf8(L"abc", 2);
	assert_string_equal(s, "ab");
	free(s);
	{
		wchar_t bad[] = {L'x', (wchar_t)0xdc00, 0};

		s = wstr_to_utf8(bad, 2);
		assert_string_equal(s, "x\xef\xbf\xbd");
		free(s);
	}
	/* Round trip of what decoding kept. */
	{
		const char *in = "z\xc3\xa9\xe4\xb8\xad\n!";
		size_t n;
		wchar_t *w = wstr_from_utf8(in, 1, &n);

		s = wstr_to_utf8(w, n);
		assert_string_equal(s, in);
		free(s);
		free(w);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_plain_and_wide),
	    cmocka_unit_test(test_unsafe_is_replaced_or_dropped),
	    cmocka_unit_test(test_widths),
	    cmocka_unit_test(test_typeable),
	    cmocka_unit_test(test_to_utf8),
	};

	/* wcwidth() needs a UTF-8 locale, as natter sets from the user's. */
	if (!setlocale(LC_CTYPE, "C.UTF-8"))
		return 77;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
