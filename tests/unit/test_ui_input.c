/* Unit tests for ui/input: the line editor, by whole characters (a
 * combining mark stays with its base, a wide character is one step), what
 * may be typed into it, completion's replacement and horizontal scrolling. */
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

#include "ui/input.h"
#include "ui/wstr.h"

#define UNUSED __attribute__((unused))

static int setup(void **state)
{
	struct input *in = malloc(sizeof(*in));

	input_init(in);
	*state = in;
	return 0;
}

static int teardown(void **state)
{
	input_free(*state);
	free(*state);
	return 0;
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

static void type(struct input *in, const wchar_t *w)
{
	assert_int_equal(input_insert(in, w, wcslen(w)), 0);
}

static void is(struct input *in, const char *want, size_t cur)
{
	char *got = input_text(in);

	assert_string_equal(got, want);
	free(got);
	assert_int_equal(in->cur, cur);
}

static void test_editing(void **state)
{
	struct input *in = *state;

	type(in, L"hello world");
	is(in, "hello world", 11);
	input_left(in);
	input_left(in);
	type(in, L"X");
	is(in, "hello worXld", 10);
	input_home(in);
	input_delete(in);
	is(in, "ello worXld", 0);
	input_end(in);
	input_backspace(in);
	is(in, "ello worXl", 10);
	/* At either end, nothing moves or goes. */
	input_right(in);
	input_delete(in);
	is(in, "ello worXl", 10);
	input_home(in);
	input_left(in);
	input_backspace(in);
	is(in, "ello worXl", 0);
}

static void test_kills(void **state)
{
	struct input *in = *state;
	char *s;

	type(in, L"one two  three");
	input_kill_word(in);
	is(in, "one two  ", 9);
	/* C-w takes the spaces before the cursor with the word. */
	input_kill_word(in);
	is(in, "one ", 4);
	type(in, L"2 3");
	input_left(in);
	input_left(in);
	s = input_text_to_cursor(in);
	assert_string_equal(s, "one 2");
	free(s);
	input_kill_end(in);
	is(in, "one 2", 5);
	input_left(in);
	input_kill_start(in);
	is(in, "2", 0);
	input_clear(in);
	is(in, "", 0);
}

static void test_wide_and_combining(void **state)
{
	struct input *in = *state;

	/* Two double-width characters, then e with a combining acute. */
	type(in, L"\u4e2d\u6587e\u0301!");
	assert_int_equal(in->len, 5);
	assert_int_equal(wstr_width(in->buf, in->len), 6);
	input_left(in); /* before '!' */
	input_left(in); /* before the e and its accent, as one */
	assert_int_equal(in->cur, 2);
	input_right(in);
	assert_int_equal(in->cur, 4);
	input_backspace(in); /* the accented e goes whole */
	is(in, "\xe4\xb8\xad\xe6\x96\x87!", 2);
	input_left(in);
	assert_int_equal(in->cur, 1);
	input_delete(in);
	is(in, "\xe4\xb8\xad!", 1);
}

/* Typing filters what must not go into a message; a paste keeps its line
 * breaks. */
static void test_what_may_be_typed(void **state)
{
	struct input *in = *state;
	wchar_t typed[] = {L'a', 0x1b, L'[',  L'2', L'J',   0x202e, L'b',
	                   0x7f, 0x9b, L'\n', L'c', 0x200d, L'd',   0};

	type(in, typed);
	is(in,
	   "a[2Jb\nc\xe2\x80\x8d"
	   "d",
	   9);
}

static void test_long_paste_is_cut(void **state)
{
	struct input *in = *state;
	size_t n = INPUT_MAX + 100;
	wchar_t *w = malloc(n * sizeof(*w));

	for (size_t i = 0; i < n; i++)
		w[i] = L'x';
	assert_int_equal(input_insert(in, w, n), 0);
	assert_int_equal(in->len, INPUT_MAX);
	assert_int_equal(input_insert(in, w, 1), 0);
	assert_int_equal(in->len, INPUT_MAX);
	free(w);
}

static void test_set_and_completion(void **state)
{
	struct input *in = *state;

	/* A recalled line, line breaks kept, cursor at the end. */
	assert_int_equal(input_set(in, "first\nsecond \xc3\xa9"), 0);
	is(in, "first\nsecond \xc3\xa9", 14);
	assert_int_equal(input_set(in, "/msg bo rest"), 0);
	input_home(in);
	for (int i = 0; i < 7; i++)
		input_right(in);
	/* Completion replaces the word before the cursor. */
	assert_int_equal(input_replace_before_cursor(in, 5, "bob@example.org "), 0);
	is(in, "/msg bob@example.org  rest", 21);
	/* A start after the cursor changes nothing. */
	assert_int_equal(input_replace_before_cursor(in, 30, "x"), 0);
	is(in, "/msg bob@example.org  rest", 21);
}

/* The view keeps the cursor on screen, with a little context to its left,
 * and never wastes room on a short tail. */
static void test_scrolling(void **state)
{
	struct input *in = *state;
	const int cols = 16;

	for (int i = 0; i < 40; i++)
		type(in, L"\u4e2d"); /* 80 columns */
	input_scroll_to_cursor(in, cols);
	assert_true(wstr_width(in->buf + in->view, in->cur - in->view) < cols);
	assert_true(in->view > 0);
	input_home(in);
	input_scroll_to_cursor(in, cols);
	assert_int_equal(in->view, 0);
	for (int i = 0; i < 20; i++)
		input_right(in);
	input_scroll_to_cursor(in, cols);
	assert_true(in->view <= in->cur);
	assert_true(wstr_width(in->buf + in->view, in->cur - in->view) < cols);
	/* A short line is shown from its start. */
	assert_int_equal(input_set(in, "short"), 0);
	input_scroll_to_cursor(in, cols);
	assert_int_equal(in->view, 0);
	input_scroll_to_cursor(in, 0); /* no room at all: nothing to do */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_editing),
	    T(test_kills),
	    T(test_wide_and_combining),
	    T(test_what_may_be_typed),
	    T(test_long_paste_is_cut),
	    T(test_set_and_completion),
	    T(test_scrolling),
	};

	if (!setlocale(LC_CTYPE, "C.UTF-8"))
		return 77;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
