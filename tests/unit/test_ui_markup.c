/* Unit tests for ui/markup: sanitised XHTML-IM rendered as terminal text
 * with a style per character; markup itself is never shown. */
#include "config.h"

#include <locale.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>
#include <cmocka.h>

#include "ui/markup.h"
#include "ui/window.h"

#define UNUSED __attribute__((unused))

struct out {
	wchar_t *text;
	unsigned char *attrs;
};

static struct out render(const char *xhtml)
{
	struct out o;

	assert_int_equal(markup_render(xhtml, &o.text, &o.attrs), 0);
	assert_non_null(o.text);
	assert_non_null(o.attrs);
	return o;
}

static void out_free(struct out *o)
{
	free(o->text);
	free(o->attrs);
}

static void text_is(const char *xhtml, const wchar_t *want)
{
	struct out o = render(xhtml);

	if (wcscmp(o.text, want))
		fail_msg("%s rendered as \"%ls\", expected \"%ls\"", xhtml, o.text, want);
	out_free(&o);
}

/* The style of the first occurrence of what in the rendering. */
static unsigned char style_of(const struct out *o, const wchar_t *what)
{
	wchar_t *at = wcsstr(o->text, what);

	if (!at)
		fail_msg("\"%ls\" not in \"%ls\"", what, o->text);
	return o->attrs[at - o->text];
}

static void test_inline_styles(void **state UNUSED)
{
	struct out o = render("<p>plain <strong>bold</strong> <em>it</em> <u>under</u> "
	                      "<code>x = 1</code> <b>b</b><i>i</i></p>");

	assert_true(!wcscmp(o.text, L"plain bold it under x = 1 bi"));
	assert_int_equal(style_of(&o, L"plain"), 0);
	assert_int_equal(style_of(&o, L"bold"), STY_BOLD);
	assert_int_equal(style_of(&o, L"it "), STY_ITALIC);
	assert_int_equal(style_of(&o, L"under"), STY_UNDERLINE);
	assert_int_equal(style_of(&o, L"x = 1"), STY_CODE);
	assert_int_equal(style_of(&o, L"bi"), STY_BOLD);
	assert_int_equal(o.attrs[wcslen(o.text) - 1], STY_ITALIC);
	/* The space between two styled words belongs to neither. */
	assert_int_equal(style_of(&o, L" it"), 0);
	out_free(&o);
	/* Nested styles add up. */
	o = render("<strong>a<em>b</em></strong>");
	assert_int_equal(style_of(&o, L"b"), STY_BOLD | STY_ITALIC);
	out_free(&o);
}

static void test_css_styles(void **state UNUSED)
{
	struct out o = render("<span style='font-weight: bold; color: red'>w</span>"
	                      "<span style='font-weight:700'>n</span>"
	                      "<span style='font-style: italic'>s</span>"
	                      "<span style='text-decoration: underline overline'>d</span>"
	                      "<span style='font-weight: normal'>p</span>");

	assert_true(!wcscmp(o.text, L"wnsdp"));
	assert_int_equal(o.attrs[0], STY_BOLD);
	assert_int_equal(o.attrs[1], STY_BOLD);
	assert_int_equal(o.attrs[2], STY_ITALIC);
	assert_int_equal(o.attrs[3], STY_UNDERLINE);
	assert_int_equal(o.attrs[4], 0);
	out_free(&o);
}

static void test_links(void **state UNUSED)
{
	struct out o = render("see <a href='https://example.org/x'>the page</a> now");

	assert_true(!wcscmp(o.text, L"see the page (https://example.org/x) now"));
	assert_int_equal(style_of(&o, L"the page"), STY_LINK);
	/* The address shown after it is no link itself. */
	assert_int_equal(style_of(&o, L"https"), 0);
	out_free(&o);
	/* Text that already says the address: said once. */
	text_is("<a href='https://example.org'>https://example.org</a>", L"https://example.org");
	text_is("<a>no href</a>", L"no href");
}

static void test_blocks(void **state UNUSED)
{
	text_is("<p>one</p><p>two</p>", L"one\ntwo");
	text_is("a<br/>b<br/><br/>c", L"a\nb\n\nc");
	text_is("<div>x</div><div>y</div>", L"x\ny");
	text_is("<blockquote>quoted<br/>twice</blockquote>after", L"> quoted\n> twice\nafter");
	text_is("<blockquote><blockquote>deep</blockquote></blockquote>", L"> > deep");
	text_is("<ul><li>a</li><li>b</li></ul>", L"- a\n- b");
	text_is("<ol><li>a</li><li>b</li></ol>", L"1. a\n2. b");
	/* Trailing breaks and spaces of closing blocks are not kept. */
	text_is("<p>end</p><p> </p><br/>", L"end");
}

static void test_whitespace_and_pre(void **state UNUSED)
{
	struct out o;

	text_is("  lots   of\n\n  space  ", L"lots of space");
	o = render("<pre>  two\n    lines</pre>");
	assert_true(!wcscmp(o.text, L"  two\n    lines"));
	assert_int_equal(style_of(&o, L"two"), STY_CODE);
	out_free(&o);
}

static void test_entities(void **state UNUSED)
{
	text_is("a &amp; b &lt;c&gt; &quot;d&quot; &apos;e&apos;", L"a & b <c> \"d\" 'e'");
	text_is("&#x263a; &#9731;", L"\u263a \u2603");
	/* Not a reference, or one to nothing: left as written. */
	text_is("&nbsp; &#0; &#xd800; &bogus", L"&nbsp; &#0; &#xd800; &bogus");
	/* A control character by reference is shown harmless. */
	text_is("a&#x1b;[2Jb", L"a\ufffd[2Jb");
}

static void test_unknown_and_broken_markup(void **state UNUSED)
{
	char *deep;
	size_t n = 0;
	struct out o;

	text_is("<blink>only text</blink>", L"only text");
	text_is("<img alt='a cat'/>", L"[image: a cat]");
	text_is("<img/>", L"[image]");
	text_is("a</strong>b", L"ab");
	text_is("<!-- hidden -->shown", L"shown");
	text_is("<strong>unclosed", L"unclosed");
	text_is("", L"");
	/* Deeper than natter tracks: the text still comes out. */
	deep = malloc(200 * 10 + 16);
	for (int i = 0; i < 200; i++)
		n += (size_t)sprintf(deep + n, "<b>");
	n += (size_t)sprintf(deep + n, "deep");
	for (int i = 0; i < 200; i++)
		n += (size_t)sprintf(deep + n, "</b>");
	o = render(deep);
	assert_true(!wcscmp(o.text, L"deep"));
	assert_int_equal(o.attrs[0], STY_BOLD);
	out_free(&o);
	free(deep);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_inline_styles),
	    cmocka_unit_test(test_css_styles),
	    cmocka_unit_test(test_links),
	    cmocka_unit_test(test_blocks),
	    cmocka_unit_test(test_whitespace_and_pre),
	    cmocka_unit_test(test_entities),
	    cmocka_unit_test(test_unknown_and_broken_markup),
	};

	if (!setlocale(LC_CTYPE, "C.UTF-8"))
		return 77;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
