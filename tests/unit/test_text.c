/* Unit tests for util/text: the sanitiser between the network and the
 * terminal, UTF-8 validation and display width. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "util/text.h"

/* cmocka passes every test a state pointer; most ignore it. */
#define UNUSED __attribute__((unused))

#define FFFD "\xef\xbf\xbd"
#define ESC  "\x1b"
#define BEL  "\x07"
/* C1 controls in UTF-8: 8-bit CSI, OSC, ST and APC */
#define CSI8 "\xc2\x9b"
#define OSC8 "\xc2\x9d"
#define ST8  "\xc2\x9c"
#define APC8 "\xc2\x9f"
#define ALL  (TEXT_KEEP_NEWLINES | TEXT_KEEP_TABS)

/* Sanitises in[0..len) and checks the result, that it is valid UTF-8, and
 * that sanitising it again changes nothing. */
static void check_len(const char *in, size_t len, unsigned flags, const char *want)
{
	char *out = text_sanitize(in, len, flags), *again;

	assert_non_null(out);
	assert_string_equal(out, want);
	assert_true(text_utf8_valid(out, strlen(out)));
	again = text_sanitize_str(out, flags);
	assert_non_null(again);
	assert_string_equal(again, out);
	free(again);
	free(out);
}

static void check(const char *in, unsigned flags, const char *want)
{
	check_len(in, strlen(in), flags, want);
}

/* --- pass-through --- */

static void test_plain_ascii(void **state UNUSED)
{
	check("Hello, world! ~`{}[]<>&'\"", 0, "Hello, world! ~`{}[]<>&'\"");
}

static void test_multibyte_kept(void **state UNUSED)
{
	check("caf\xc3\xa9 \xe4\xb8\xad\xe6\x96\x87 \xf0\x9f\x98\x80", 0,
	      "caf\xc3\xa9 \xe4\xb8\xad\xe6\x96\x87 \xf0\x9f\x98\x80");
	/* ZWJ emoji sequences and combining marks are text, not controls. */
	check("\xf0\x9f\x91\xa8\xe2\x80\x8d\xf0\x9f\x91\xa9 e\xcc\x81", 0,
	      "\xf0\x9f\x91\xa8\xe2\x80\x8d\xf0\x9f\x91\xa9 e\xcc\x81");
}

static void test_boundaries_kept(void **state UNUSED)
{
	/* U+00A0, U+07FF, U+0800, U+D7FF, U+E000, U+FFFF, U+10000, U+10FFFF */
	static const char s[] = "\xc2\xa0\xdf\xbf\xe0\xa0\x80\xed\x9f\xbf\xee\x80\x80"
	                        "\xef\xbf\xbf\xf0\x90\x80\x80\xf4\x8f\xbf\xbf";
	check(s, 0, s);
}

static void test_null_and_empty(void **state UNUSED)
{
	char *out = text_sanitize(NULL, 42, 0);

	assert_non_null(out);
	assert_string_equal(out, "");
	free(out);
	out = text_sanitize_str(NULL, ALL);
	assert_non_null(out);
	assert_string_equal(out, "");
	free(out);
	check("", 0, "");
}

static void test_nul_removed(void **state UNUSED)
{
	check_len("a\0b\0", 4, 0, "ab");
	check_len("\0\0\0", 3, ALL, "");
}

static void test_length_respected(void **state UNUSED)
{
	check_len("abcdef", 3, 0, "abc");
	/* A sequence cut by len is truncated, not read past. */
	check_len("a\xc3\xa9", 2, 0, "a" FFFD);
}

/* --- escape sequences --- */

static void test_osc_title_bel(void **state UNUSED)
{
	check("\x1b]0;pwned\x07", 0, "");
	check("before\x1b]0;pwned" BEL "after", 0, "beforeafter");
}

static void test_osc_title_st(void **state UNUSED)
{
	check("\x1b]2;pwned\x1b\\after", 0, "after");
}

static void test_osc_8bit_st(void **state UNUSED)
{
	check("\x1b]0;pwned" ST8 "after", 0, "after");
}

static void test_osc_clipboard(void **state UNUSED)
{
	/* OSC 52 would write the clipboard. */
	check("x\x1b]52;c;cm0gLXJmIH4K\x07y", 0, "xy");
}

static void test_osc_hyperlink(void **state UNUSED)
{
	/* OSC 8 links show text that differs from the target: drop the link. */
	check("\x1b]8;;http://evil.example/\x1b\\bank.example\x1b]8;;\x1b\\", 0, "bank.example");
}

static void test_osc_unterminated(void **state UNUSED)
{
	/* A terminal would swallow everything after it too. */
	check("ok\x1b]0;never ends", 0, "ok");
}

static void test_osc_utf8_body(void **state UNUSED)
{
	check("\x1b]0;t\xc3\xaftle \xf0\x9f\x98\x80\x07z", 0, "z");
}

static void test_osc_interrupted_by_esc(void **state UNUSED)
{
	check("\x1b]0;x\x1b[2Jvisible", 0, "visible");
}

static void test_csi_clear(void **state UNUSED)
{
	check("\x1b[2J", 0, "");
	check("\x1b[H\x1b[2Jhi", 0, "hi");
}

static void test_csi_sgr(void **state UNUSED)
{
	check("\x1b[1;31mred\x1b[0m", 0, "red");
	check("\x1b[38;2;255;0;0mx\x1b[m", 0, "x");
}

static void test_csi_private_and_intermediates(void **state UNUSED)
{
	check("\x1b[?1049h\x1b[?25l", 0, "");
	check("\x1b[2 qx", 0, "x");   /* DECSCUSR: intermediate byte before final */
	check("\x1b[>0;1cy", 0, "y"); /* secondary DA */
}

static void test_csi_interrupted(void **state UNUSED)
{
	check("\x1b[12\x1b[2Jx", 0, "x");
	check("\x1b[1\x18x", 0, "x");
	check("\x1b[1\x1ax", 0, "x");
	check("\x1b[1\xc3\xa9x", 0, "\xc3\xa9x");
	check("\x1b[1;", 0, "");
}

static void test_csi_8bit(void **state UNUSED)
{
	check(CSI8 "2J", 0, "");
	check("a" CSI8 "31mred", 0, "ared");
}

static void test_c1_string_introducers(void **state UNUSED)
{
	check(OSC8 "0;pwned\x07z", 0, "z");    /* OSC */
	check("\xc2\x90q#0\xc2\x9cz", 0, "z"); /* DCS */
	check("\xc2\x98sos\x1b\\z", 0, "z");   /* SOS */
	check("\xc2\x9epm\x1b\\z", 0, "z");    /* PM */
	check(APC8 "apc\x1b\\z", 0, "z");      /* APC */
}

static void test_dcs_sos_pm_apc(void **state UNUSED)
{
	check("\x1bPq#0;2;0;0;0#0~~\x1b\\x", 0, "x"); /* sixel */
	check("\x1bXsos\x1b\\x", 0, "x");
	check("\x1b^pm\x1b\\x", 0, "x");
	check("\x1b_Gf=100;AAAA\x1b\\x", 0, "x"); /* kitty graphics */
	/* BEL ends only OSC. */
	check("\x1bPabc" BEL "def\x1b\\x", 0, "x");
}

static void test_two_byte_escapes(void **state UNUSED)
{
	check(ESC "7x" ESC "8", 0, "x"); /* save/restore cursor */
	check(ESC "c", 0, "");           /* full reset */
	check(ESC "Dy", 0, "y");         /* index */
	check("\x1b=\x1b>z", 0, "z");    /* keypad modes */
	check("\x1b\\w", 0, "w");        /* stray ST */
}

static void test_escape_with_intermediates(void **state UNUSED)
{
	check("\x1b(0lqk\x1b(B", 0, "lqk"); /* line drawing charset */
	check("\x1b#8", 0, "");             /* DECALN fills the screen */
	check("\x1b%G.", 0, ".");
	check("\x1b( ", 0, ""); /* intermediates without a final */
}

static void test_lone_esc(void **state UNUSED)
{
	check("ab\x1b", 0, "ab");
	check("\x1b\x1b\x1b", 0, "");
	check("\x1b\xc3\xa9", 0, "\xc3\xa9");
	check("\x1b\n", TEXT_KEEP_NEWLINES, "\n");
	check("\x1b\x7fz", 0, "z");
}

/* --- controls --- */

static void test_c0_removed(void **state UNUSED)
{
	check("\x01\x02\x03\x04\x05\x06\x07\x08\x0b\x0c\x0e\x0f\x10\x11\x12\x13\x14\x15"
	      "\x16\x17\x18\x19\x1a\x1c\x1d\x1e\x1fz",
	      ALL, "z");
}

static void test_backspace_cannot_rewrite(void **state UNUSED)
{
	check("rm -rf ~\x08\x08\x08\x08\x08\x08\x08\x08ls", 0, "rm -rf ~ls");
}

static void test_del_removed(void **state UNUSED)
{
	check("a\x7fz", ALL, "az");
}

static void test_c1_removed(void **state UNUSED)
{
	check("a\xc2\x80\xc2\x85\xc2\x8d\xc2\x9c\xc2\x9az", ALL, "az");
}

static void test_newlines(void **state UNUSED)
{
	check("a\nb", 0, "a b");
	check("a\tb", 0, "a b");
	check("a\nb", TEXT_KEEP_NEWLINES, "a\nb");
	check("a\r\nb\r\n", TEXT_KEEP_NEWLINES, "a\nb\n");
	check("a\r\nb", 0, "a b");
	check("a\r\r\nb", TEXT_KEEP_NEWLINES, "a\nb");
	check("a\n\n\nb", TEXT_KEEP_NEWLINES, "a\n\n\nb");
}

static void test_lone_cr_removed(void **state UNUSED)
{
	/* "\r" would let the rest of the line overwrite its start. */
	check("safe\rEVIL", 0, "safeEVIL");
	check("safe\rEVIL", ALL, "safeEVIL");
	check("a\r", ALL, "a");
}

static void xml_safe_is(const char *in, const char *want)
{
	char *got = text_xml_safe(in);

	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
}

static void test_xml_safe(void **state UNUSED)
{
	xml_safe_is("plain", "plain");
	xml_safe_is("a\x1b[31mb", "a[31mb");
	xml_safe_is("tab\tnl\ncr\r.", "tab\tnl\ncr\r.");
	xml_safe_is("\x01\x02\x7f", "\x7f"); /* DEL is legal XML */
	xml_safe_is("x\xef\xbf\xbey\xef\xbf\xbfz", "xyz");
	xml_safe_is("bad \xff byte", "bad \xef\xbf\xbd byte");
	xml_safe_is("\xe2\x80\xae rtl kept", "\xe2\x80\xae rtl kept");
	xml_safe_is("", "");
	xml_safe_is(NULL, "");
}

static void test_tabs(void **state UNUSED)
{
	check("a\tb", 0, "a b");
	check("a\tb", TEXT_KEEP_TABS, "a\tb");
	check("a\tb\n", TEXT_KEEP_TABS, "a\tb ");
	check("a\tb\n", TEXT_KEEP_NEWLINES, "a b\n");
}

/* --- bidi --- */

static void test_bidi_override(void **state UNUSED)
{
	check("invoice\xe2\x80\xaegpj.exe", 0, "invoicegpj.exe");
}

static void test_bidi_all(void **state UNUSED)
{
	/* LRE RLE PDF LRO RLO, LRI RLI FSI PDI, LRM RLM, ALM */
	static const char *const bidi[] = {
	    "\xe2\x80\xaa", "\xe2\x80\xab", "\xe2\x80\xac", "\xe2\x80\xad",
	    "\xe2\x80\xae", "\xe2\x81\xa6", "\xe2\x81\xa7", "\xe2\x81\xa8",
	    "\xe2\x81\xa9", "\xe2\x80\x8e", "\xe2\x80\x8f", "\xd8\x9c",
	};
	char in[16];
	size_t i;

	for (i = 0; i < sizeof(bidi) / sizeof(bidi[0]); i++) {
		snprintf(in, sizeof(in), "a%sb", bidi[i]);
		check(in, 0, "ab");
	}
}

static void test_bidi_neighbours_kept(void **state UNUSED)
{
	/* U+2029 (before U+202A), U+202F and U+2065, U+206A stay. */
	check("\xe2\x80\xa9\xe2\x80\xaf\xe2\x81\xa5\xe2\x81\xaa", 0,
	      "\xe2\x80\xa9\xe2\x80\xaf\xe2\x81\xa5\xe2\x81\xaa");
	/* Arabic and Hebrew text itself is kept. */
	check("\xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d \xd8\xb3\xd9\x84\xd8\xa7\xd9\x85", 0,
	      "\xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d \xd8\xb3\xd9\x84\xd8\xa7\xd9\x85");
}

/* --- invalid UTF-8 --- */

static void test_overlong(void **state UNUSED)
{
	check("\xc0\xaf", 0, FFFD FFFD);
	check("\xc1\xbf", 0, FFFD FFFD);
	check("\xe0\x80\xaf", 0, FFFD FFFD FFFD);
	check("\xf0\x80\x80\xaf", 0, FFFD FFFD FFFD FFFD);
	/* An overlong ESC must not turn into an escape sequence. */
	check("\xc0\x9b[2J", 0, FFFD FFFD "[2J");
}

static void test_surrogates(void **state UNUSED)
{
	check("\xed\xa0\x80", 0, FFFD FFFD FFFD);
	check("\xed\xbf\xbf", 0, FFFD FFFD FFFD);
	check("\xed\xa0\xbd\xed\xb8\x80", 0, FFFD FFFD FFFD FFFD FFFD FFFD); /* CESU-8 */
}

static void test_beyond_max(void **state UNUSED)
{
	check("\xf4\x90\x80\x80", 0, FFFD FFFD FFFD FFFD);
	check("\xf5\x80\x80\x80", 0, FFFD FFFD FFFD FFFD);
	check("\xf8\x88\x80\x80\x80", 0, FFFD FFFD FFFD FFFD FFFD);
	check("\xfe\xff", 0, FFFD FFFD);
}

static void test_truncated_at_end(void **state UNUSED)
{
	/* One U+FFFD per maximal ill-formed subpart. */
	check("a\xc3", 0, "a" FFFD);
	check("a\xe2\x82", 0, "a" FFFD);
	check("a\xf0\x9f\x98", 0, "a" FFFD);
	check("a\xf0\x9f", 0, "a" FFFD);
}

static void test_truncated_in_middle(void **state UNUSED)
{
	check("\xe2\x82z", 0, FFFD "z");
	check("\xf0\x9f\x98z", 0, FFFD "z");
	/* The byte that broke the sequence starts the next one. */
	check("\xe2\xc3\xa9", 0, FFFD "\xc3\xa9");
	check("\xe2\x1b[2Jz", 0, FFFD "z");
}

static void test_stray_bytes(void **state UNUSED)
{
	check("\x80", 0, FFFD);
	check("a\xbfz", 0, "a" FFFD "z");
	check("\xff", 0, FFFD);
	/* A raw 8-bit CSI is not UTF-8: it is replaced, its body shown. */
	check("\x9b;2J", 0, FFFD ";2J");
}

static void test_worst_case_growth(void **state UNUSED)
{
	size_t n = 4096, i;
	char *in = malloc(n), *out;

	assert_non_null(in);
	memset(in, 0xff, n);
	out = text_sanitize(in, n, 0);
	assert_non_null(out);
	assert_int_equal(strlen(out), 3 * n);
	for (i = 0; i < n; i++)
		assert_memory_equal(out + 3 * i, FFFD, 3);
	free(out);
	free(in);
}

/* --- text_utf8_valid / text_utf8_decode --- */

static void test_valid(void **state UNUSED)
{
	assert_true(text_utf8_valid("", 0));
	assert_true(text_utf8_valid(NULL, 0));
	assert_true(text_utf8_valid("abc", 3));
	assert_true(text_utf8_valid("\xc3\xa9\xe4\xb8\xad\xf0\x9f\x98\x80", 9));
	assert_true(text_utf8_valid("\xf4\x8f\xbf\xbf", 4));
	assert_true(text_utf8_valid("\xed\x9f\xbf\xee\x80\x80", 6));
	/* Controls are valid UTF-8; only NUL is refused. */
	assert_true(text_utf8_valid("\x1b[2J\x7f\xc2\x9b", 7));
}

static void test_invalid(void **state UNUSED)
{
	assert_false(text_utf8_valid("a\0b", 3));
	assert_false(text_utf8_valid("\xc0\xaf", 2));
	assert_false(text_utf8_valid("\xe0\x9f\xbf", 3));
	assert_false(text_utf8_valid("\xf0\x8f\xbf\xbf", 4));
	assert_false(text_utf8_valid("\xed\xa0\x80", 3));
	assert_false(text_utf8_valid("\xf4\x90\x80\x80", 4));
	assert_false(text_utf8_valid("\xe2\x82", 2));
	assert_false(text_utf8_valid("\xe2\x82\xac", 2)); /* len cuts the sequence */
	assert_false(text_utf8_valid("\x80", 1));
	assert_false(text_utf8_valid("\xff", 1));
	assert_false(text_utf8_valid(NULL, 1));
}

static void test_decode(void **state UNUSED)
{
	uint32_t cp = 0;

	assert_int_equal(text_utf8_decode("A", 1, &cp), 1);
	assert_int_equal(cp, 0x41);
	assert_int_equal(text_utf8_decode("\xc3\xa9", 2, &cp), 2);
	assert_int_equal(cp, 0xe9);
	assert_int_equal(text_utf8_decode("\xe2\x80\xae", 3, &cp), 3);
	assert_int_equal(cp, 0x202e);
	assert_int_equal(text_utf8_decode("\xf4\x8f\xbf\xbf", 4, &cp), 4);
	assert_int_equal(cp, 0x10ffff);
	cp = 7;
	assert_int_equal(text_utf8_decode("\xc0\xaf", 2, &cp), 0);
	assert_int_equal(text_utf8_decode("\xf0\x9f\x98\x80", 3, &cp), 0);
	assert_int_equal(text_utf8_decode("", 0, &cp), 0);
	assert_int_equal(text_utf8_decode(NULL, 4, &cp), 0);
	assert_int_equal(cp, 7);
}

/* --- text_width --- */

static int utf8_locale(void **state UNUSED)
{
	if (!setlocale(LC_CTYPE, "C.UTF-8") && !setlocale(LC_CTYPE, "en_US.UTF-8"))
		return -1;
	return 0;
}

static int c_locale(void **state UNUSED)
{
	setlocale(LC_CTYPE, "C");
	return 0;
}

static void test_width_ascii(void **state UNUSED)
{
	assert_int_equal(text_width("hello"), 5);
	assert_int_equal(text_width(""), 0);
	assert_int_equal(text_width(NULL), 0);
}

static void test_width_combining(void **state UNUSED)
{
	assert_int_equal(text_width("e\xcc\x81"), 1);
	assert_int_equal(text_width("caf\xc3\xa9"), 4);
}

static void test_width_wide(void **state UNUSED)
{
	assert_int_equal(text_width("\xe4\xb8\xad\xe6\x96\x87"), 4);
	assert_int_equal(text_width("\xf0\x9f\x98\x80"), 2);
	assert_int_equal(text_width("a\xef\xbc\xa1"), 3); /* fullwidth A */
}

static void test_width_controls_and_invalid(void **state UNUSED)
{
	assert_int_equal(text_width("a\x1b[2Jb"), 5); /* ESC takes no column */
	assert_int_equal(text_width("a\xffz"), 3);    /* drawn as U+FFFD */
}

static void test_width_without_utf8_locale(void **state UNUSED)
{
	/* Counts code points. */
	assert_int_equal(text_width("\xe4\xb8\xad\xe6\x96\x87"), 2);
	assert_int_equal(text_width("e\xcc\x81"), 2);
}

int main(void)
{
	const struct CMUnitTest sanitize[] = {
	    cmocka_unit_test(test_plain_ascii),
	    cmocka_unit_test(test_multibyte_kept),
	    cmocka_unit_test(test_boundaries_kept),
	    cmocka_unit_test(test_null_and_empty),
	    cmocka_unit_test(test_nul_removed),
	    cmocka_unit_test(test_length_respected),
	    cmocka_unit_test(test_osc_title_bel),
	    cmocka_unit_test(test_osc_title_st),
	    cmocka_unit_test(test_osc_8bit_st),
	    cmocka_unit_test(test_osc_clipboard),
	    cmocka_unit_test(test_osc_hyperlink),
	    cmocka_unit_test(test_osc_unterminated),
	    cmocka_unit_test(test_osc_utf8_body),
	    cmocka_unit_test(test_osc_interrupted_by_esc),
	    cmocka_unit_test(test_csi_clear),
	    cmocka_unit_test(test_csi_sgr),
	    cmocka_unit_test(test_csi_private_and_intermediates),
	    cmocka_unit_test(test_csi_interrupted),
	    cmocka_unit_test(test_csi_8bit),
	    cmocka_unit_test(test_c1_string_introducers),
	    cmocka_unit_test(test_dcs_sos_pm_apc),
	    cmocka_unit_test(test_two_byte_escapes),
	    cmocka_unit_test(test_escape_with_intermediates),
	    cmocka_unit_test(test_lone_esc),
	    cmocka_unit_test(test_c0_removed),
	    cmocka_unit_test(test_backspace_cannot_rewrite),
	    cmocka_unit_test(test_del_removed),
	    cmocka_unit_test(test_c1_removed),
	    cmocka_unit_test(test_newlines),
	    cmocka_unit_test(test_lone_cr_removed),
	    cmocka_unit_test(test_tabs),
	    cmocka_unit_test(test_xml_safe),
	    cmocka_unit_test(test_bidi_override),
	    cmocka_unit_test(test_bidi_all),
	    cmocka_unit_test(test_bidi_neighbours_kept),
	    cmocka_unit_test(test_overlong),
	    cmocka_unit_test(test_surrogates),
	    cmocka_unit_test(test_beyond_max),
	    cmocka_unit_test(test_truncated_at_end),
	    cmocka_unit_test(test_truncated_in_middle),
	    cmocka_unit_test(test_stray_bytes),
	    cmocka_unit_test(test_worst_case_growth),
	    cmocka_unit_test(test_valid),
	    cmocka_unit_test(test_invalid),
	    cmocka_unit_test(test_decode),
	};
	const struct CMUnitTest width_utf8[] = {
	    cmocka_unit_test(test_width_ascii),
	    cmocka_unit_test(test_width_combining),
	    cmocka_unit_test(test_width_wide),
	    cmocka_unit_test(test_width_controls_and_invalid),
	};
	const struct CMUnitTest width_c[] = {
	    cmocka_unit_test(test_width_ascii),
	    cmocka_unit_test(test_width_without_utf8_locale),
	};
	int failed = 0;

	failed += cmocka_run_group_tests_name("sanitize", sanitize, NULL, NULL);
	failed += cmocka_run_group_tests_name("width in a UTF-8 locale", width_utf8, utf8_locale,
	                                      c_locale);
	failed += cmocka_run_group_tests_name("width in the C locale", width_c, c_locale, NULL);
	return failed ? 1 : 0;
}
