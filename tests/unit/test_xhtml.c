/* XEP-0071: the whitelist sanitiser and the building of what we send. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/xhtml.h"
#include "util/text.h"

#define HTML_OPEN                                                                                  \
	"<html xmlns='http://jabber.org/protocol/xhtml-im'>"                                       \
	"<body xmlns='http://www.w3.org/1999/xhtml'>"
#define HTML_CLOSE "</body></html>"

static xmpp_ctx_t *ctx;

static int setup(void **state)
{
	(void)state;
	xmpp_initialize();
	ctx = xmpp_ctx_new(NULL, NULL);
	return ctx ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	xmpp_ctx_free(ctx);
	xmpp_shutdown();
	return 0;
}

/* Sanitises the body markup inner; returns 0/-1 and the two renderings. */
static int sanitize(const char *inner, char **xhtml, char **text)
{
	char *doc = NULL;
	xmpp_stanza_t *html;
	int rc;

	assert_true(asprintf(&doc, "%s%s%s", HTML_OPEN, inner, HTML_CLOSE) > 0);
	html = xmpp_stanza_new_from_string(ctx, doc);
	free(doc);
	assert_non_null(html);
	rc = xhtml_sanitize(html, xhtml, text);
	xmpp_stanza_release(html);
	return rc;
}

static void check(const char *inner, const char *want_xhtml, const char *want_text)
{
	char *x = NULL, *t = NULL;

	assert_int_equal(sanitize(inner, &x, &t), 0);
	assert_string_equal(x, want_xhtml);
	assert_string_equal(t, want_text);
	free(x);
	free(t);
}

static void test_plain_paragraph(void **state)
{
	(void)state;
	check("<p style='font-weight:bold'>Salut !</p>",
	      "<p style=\"font-weight: bold\">Salut !</p>", "Salut !");
}

static void test_inline_elements_kept(void **state)
{
	(void)state;
	check("<p>a <strong>b</strong> <em>c</em> <b>d</b> <i>e</i> <u>f</u> <code>g</code> "
	      "<span>h</span></p>",
	      "<p>a <strong>b</strong> <em>c</em> <b>d</b> <i>e</i> <u>f</u> <code>g</code> "
	      "<span>h</span></p>",
	      "a b c d e f g h");
}

static void test_script_dropped_with_text(void **state)
{
	(void)state;
	check("<p>hi<script>alert('x')</script></p>", "<p>hi</p>", "hi");
	check("<script type='text/javascript'>evil()</script>ok", "ok", "ok");
	/* Whatever the case or prefix, its text never shows. */
	check("<SCRIPT>evil()</SCRIPT>ok", "ok", "ok");
}

static void test_style_element_dropped(void **state)
{
	(void)state;
	check("<style>p { color: red }</style><p>text</p>", "<p>text</p>", "text");
}

static void test_event_handlers_dropped(void **state)
{
	(void)state;
	check("<p onclick='evil()' onmouseover=\"evil()\" class='x' id='y'>click</p>",
	      "<p>click</p>", "click");
	check("<img src='x' onerror='evil()' alt='pic'/>", "pic", "pic");
}

static void test_javascript_href_dropped(void **state)
{
	(void)state;
	check("<a href='javascript:alert(1)'>click</a>", "<a>click</a>", "click");
	check("<a href='  JaVaScRiPt:alert(1)'>click</a>", "<a>click</a>", "click");
	check("<a href='java&#9;script:alert(1)'>click</a>", "<a>click</a>", "click");
	check("<a href='data:text/html;base64,PHNjcmlwdD4='>d</a>", "<a>d</a>", "d");
	check("<a href='vbscript:msgbox'>v</a>", "<a>v</a>", "v");
}

static void test_href_shown_as_text(void **state)
{
	(void)state;
	check("<a href='https://example.org/x?a=1&amp;b=2'>site</a>",
	      "<a>site</a> (https://example.org/x?a=1&amp;b=2)",
	      "site (https://example.org/x?a=1&b=2)");
	check("see <a href='xmpp:romeo@montague.lit'>me</a> now",
	      "see <a>me</a> (xmpp:romeo@montague.lit) now",
	      "see me (xmpp:romeo@montague.lit) now");
	/* A bare link already shows its address. */
	check("<a href='http://example.org/'>http://example.org/</a>", "<a>http://example.org/</a>",
	      "http://example.org/");
}

static void test_img_alt(void **state)
{
	(void)state;
	check("look: <img src='http://example.org/cat.png' alt='a cat'/>", "look: a cat",
	      "look: a cat");
	/* No alt: nothing to show. */
	check("x<img src='http://example.org/cat.png'/>y", "xy", "xy");
}

static void test_style_properties_filtered(void **state)
{
	(void)state;
	check("<span style='color: red; background: url(http://evil/); font-style: italic; "
	      "position: fixed; text-decoration: underline; font-size: 99px'>s</span>",
	      "<span style=\"color: red; font-style: italic; text-decoration: underline\">s</span>",
	      "s");
	check("<span style='color: expression(alert(1))'>e</span>", "<span>e</span>", "e");
	check("<span style='color: rgb(255, 0, 0)'>r</span>",
	      "<span style=\"color: rgb(255, 0, 0)\">r</span>", "r");
	check("<span style='color: #ff0000 ; FONT-WEIGHT : bold'>r</span>",
	      "<span style=\"color: #ff0000; font-weight: bold\">r</span>", "r");
	check("<span style='color: \"red\"'>q</span>", "<span>q</span>", "q");
	check("<span style='color: red\\;'>q</span>", "<span>q</span>", "q");
}

static void test_unknown_elements(void **state)
{
	(void)state;
	/* Unknown inline elements keep their text; known ones inside stay. */
	check("<font color='red'><blink><b>hi</b></blink></font>", "<b>hi</b>", "hi");
	check("<div><div><p>one</p></div><div>two</div></div>", "<p>one</p>two", "one\ntwo");
	check("<iframe src='http://evil/'>fallback</iframe>ok", "ok", "ok");
}

static void test_foreign_namespace(void **state)
{
	(void)state;
	/* A <p> that is not XHTML is unknown: text only. */
	check("<p xmlns='urn:evil'>x</p>", "x", "x");
}

static void test_escape_sequences_in_text(void **state)
{
	char *x = NULL, *t = NULL;

	(void)state;
	/* ESC is not an XML character, so a peer can only send C1 controls
	 * and bidi overrides in a well-formed stanza. */
	assert_int_equal(sanitize("<p>a\xc2\x9b"
	                          "31mred\xe2\x80\xae"
	                          "b</p>",
	                          &x, &t),
	                 0);
	assert_string_equal(x, "<p>ared"
	                       "b</p>");
	assert_string_equal(t, "aredb");
	free(x);
	free(t);
	assert_int_equal(sanitize("<p>\xc2\x9d"
	                          "52;c;aGk=\xc2\x9c"
	                          "ok</p>",
	                          &x, &t),
	                 0);
	assert_string_equal(t, "ok");
	free(x);
	free(t);
}

static void test_escape_sequences_direct(void **state)
{
	xmpp_stanza_t *html, *body, *p, *txt;
	char *x = NULL, *t = NULL;

	(void)state;
	/* Built by hand: text nodes can hold what the parser never would. */
	html = xmpp_stanza_new(ctx);
	xmpp_stanza_set_name(html, "html");
	xmpp_stanza_set_ns(html, "http://jabber.org/protocol/xhtml-im");
	body = xmpp_stanza_new(ctx);
	xmpp_stanza_set_name(body, "body");
	xmpp_stanza_set_ns(body, "http://www.w3.org/1999/xhtml");
	p = xmpp_stanza_new(ctx);
	xmpp_stanza_set_name(p, "p");
	txt = xmpp_stanza_new(ctx);
	xmpp_stanza_set_text(txt, "x\x1b]0;title\x07y\x1b[2Jz\x01\xff");
	xmpp_stanza_add_child(p, txt);
	xmpp_stanza_add_child(body, p);
	xmpp_stanza_add_child(html, body);
	xmpp_stanza_release(txt);
	xmpp_stanza_release(p);
	xmpp_stanza_release(body);
	assert_int_equal(xhtml_sanitize(html, &x, &t), 0);
	assert_string_equal(x, "<p>xyz\xef\xbf\xbd</p>");
	assert_string_equal(t, "xyz\xef\xbf\xbd");
	free(x);
	free(t);
	xmpp_stanza_release(html);
}

static void test_markup_in_text_escaped(void **state)
{
	(void)state;
	check("<p>1 &lt; 2 &amp; &quot;x&quot;</p>", "<p>1 &lt; 2 &amp; &quot;x&quot;</p>",
	      "1 < 2 & \"x\"");
}

static void test_blocks_and_lists(void **state)
{
	(void)state;
	check("<p>one</p><p>two<br/>three</p>", "<p>one</p><p>two<br/>three</p>",
	      "one\ntwo\nthree");
	check("<ul><li>a</li><li>b</li></ul>", "<ul><li>a</li><li>b</li></ul>", "- a\n- b");
	check("<ol><li>a</li><li>b</li></ol>", "<ol><li>a</li><li>b</li></ol>", "1. a\n2. b");
	check("<blockquote>quoted<br/>more</blockquote>after",
	      "<blockquote>quoted<br/>more</blockquote>after", "> quoted\n> more\nafter");
	check("<pre>a  b\nc</pre>", "<pre>a  b&#10;c</pre>", "a  b\nc");
}

static void test_whitespace_collapsed(void **state)
{
	(void)state;
	check("\n  <p>  many\n\n   spaces  </p>\n", "<p> many spaces </p>", "many spaces");
}

static void test_deep_nesting(void **state)
{
	char *inner, *x = NULL, *t = NULL;
	size_t n = 2000, len = 0;
	int rc;

	(void)state;
	inner = malloc(n * 15 + 16);
	assert_non_null(inner);
	for (size_t i = 0; i < n; i++)
		len += (size_t)sprintf(inner + len, "<span>");
	len += (size_t)sprintf(inner + len, "deep");
	for (size_t i = 0; i < n; i++)
		len += (size_t)sprintf(inner + len, "</span>");
	len += (size_t)sprintf(inner + len, "top");
	rc = sanitize(inner, &x, &t);
	free(inner);
	/* The deep part is dropped; what is near the top stays. */
	assert_int_equal(rc, 0);
	assert_string_equal(t, "top");
	assert_true(strlen(x) < 33 * 16);
	free(x);
	free(t);
}

static void test_nothing_usable(void **state)
{
	xmpp_stanza_t *html;
	char *x = (char *)1, *t = (char *)1;

	(void)state;
	assert_int_equal(sanitize("<script>only()</script>", &x, &t), -1);
	assert_null(x);
	assert_null(t);
	assert_int_equal(sanitize("", &x, &t), -1);
	html =
	    xmpp_stanza_new_from_string(ctx, "<html xmlns='http://jabber.org/protocol/xhtml-im'/>");
	assert_int_equal(xhtml_sanitize(html, &x, &t), -1);
	xmpp_stanza_release(html);
	assert_int_equal(xhtml_sanitize(NULL, &x, &t), -1);
}

static void test_first_body_used(void **state)
{
	xmpp_stanza_t *html = xmpp_stanza_new_from_string(
	    ctx, "<html xmlns='http://jabber.org/protocol/xhtml-im'>"
	         "<body xmlns='http://www.w3.org/1999/xhtml' xml:lang='en'>hello</body>"
	         "<body xmlns='http://www.w3.org/1999/xhtml' xml:lang='fr'>salut</body></html>");
	char *x = NULL, *t = NULL;

	(void)state;
	assert_int_equal(xhtml_sanitize(html, &x, &t), 0);
	assert_string_equal(t, "hello");
	free(x);
	free(t);
	xmpp_stanza_release(html);
}

static void test_output_is_terminal_safe(void **state)
{
	char *x = NULL, *t = NULL;

	(void)state;
	assert_int_equal(sanitize("<p>\xe2\x80\xae"
	                          "evil\xe2\x80\xac</p><a href='http://x/\xc2\x9b"
	                          "2J'>l</a>",
	                          &x, &t),
	                 0);
	assert_true(text_utf8_valid(x, strlen(x)));
	assert_null(strchr(x, '\n'));
	assert_null(strstr(x, "\xe2\x80\xae"));
	assert_null(strstr(t, "\xc2\x9b"));
	assert_string_equal(t, "evil\nl (http://x/)"); /* the CSI goes whole */
	free(x);
	free(t);
}

/* ---- xhtml_build ---- */

static void test_build_valid(void **state)
{
	const char *why = NULL;
	char *text = NULL, *out = NULL;
	size_t len;
	xmpp_stanza_t *html = xhtml_build(ctx, "<p>hi <strong>you</strong></p>", &text, &why);
	xmpp_stanza_t *body;

	(void)state;
	assert_non_null(html);
	assert_null(why);
	assert_string_equal(text, "hi you");
	assert_string_equal(xmpp_stanza_get_name(html), "html");
	assert_string_equal(xmpp_stanza_get_ns(html), "http://jabber.org/protocol/xhtml-im");
	body = xmpp_stanza_get_child_by_name(html, "body");
	assert_non_null(body);
	assert_string_equal(xmpp_stanza_get_ns(body), "http://www.w3.org/1999/xhtml");
	assert_int_equal(xmpp_stanza_to_text(html, &out, &len), XMPP_EOK);
	assert_non_null(strstr(out, "<p>hi <strong>you</strong></p>"));
	xmpp_free(ctx, out);
	free(text);
	xmpp_stanza_release(html);
}

static void test_build_bare_text(void **state)
{
	const char *why = NULL;
	char *text = NULL;
	xmpp_stanza_t *html = xhtml_build(ctx, "just words & more", &text, &why);

	(void)state;
	assert_null(html);
	assert_non_null(why); /* a bare & is not XML */
	html = xhtml_build(ctx, "just words &amp; more", &text, &why);
	assert_non_null(html);
	assert_string_equal(text, "just words & more");
	free(text);
	xmpp_stanza_release(html);
}

static void test_build_plain_fallback(void **state)
{
	const char *why = NULL;
	char *text = NULL;
	xmpp_stanza_t *html = xhtml_build(
	    ctx,
	    "<p>see <a href='https://example.org/'>this</a></p><p><img alt='smile' src='x'/>"
	    "<br/>bye</p>",
	    &text, &why);

	(void)state;
	assert_non_null(html);
	assert_string_equal(text, "see this (https://example.org/)\nsmile\nbye");
	free(text);
	xmpp_stanza_release(html);
}

static void test_build_malformed(void **state)
{
	static const char *const bad[] = {
	    "<p>unclosed", "<p>a</b>",       "<p attr=noquotes>x</p>",
	    "&nbsp;",      "</body><body>x", "</body></html><html>x",
	    "<",
	};
	const char *why;
	char *text;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why = NULL;
		text = (char *)1;
		assert_null(xhtml_build(ctx, bad[i], &text, &why));
		assert_non_null(why);
		assert_null(text);
	}
}

static void test_build_no_text(void **state)
{
	const char *why = NULL;
	char *text = NULL;

	(void)state;
	assert_null(xhtml_build(ctx, "<br/>", &text, &why));
	assert_non_null(why);
	assert_null(xhtml_build(ctx, "", &text, &why));
	assert_non_null(why);
}

static void test_build_control_characters(void **state)
{
	const char *why = NULL;
	char *text = NULL;
	xmpp_stanza_t *html = xhtml_build(ctx,
	                                  "<p>a\x01"
	                                  "b\x1b[31m</p>",
	                                  &text, &why);

	(void)state;
	/* XML cannot carry them: dropped before parsing. */
	assert_non_null(html);
	assert_string_equal(text, "ab[31m");
	free(text);
	xmpp_stanza_release(html);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_plain_paragraph),
	    cmocka_unit_test(test_inline_elements_kept),
	    cmocka_unit_test(test_script_dropped_with_text),
	    cmocka_unit_test(test_style_element_dropped),
	    cmocka_unit_test(test_event_handlers_dropped),
	    cmocka_unit_test(test_javascript_href_dropped),
	    cmocka_unit_test(test_href_shown_as_text),
	    cmocka_unit_test(test_img_alt),
	    cmocka_unit_test(test_style_properties_filtered),
	    cmocka_unit_test(test_unknown_elements),
	    cmocka_unit_test(test_foreign_namespace),
	    cmocka_unit_test(test_escape_sequences_in_text),
	    cmocka_unit_test(test_escape_sequences_direct),
	    cmocka_unit_test(test_markup_in_text_escaped),
	    cmocka_unit_test(test_blocks_and_lists),
	    cmocka_unit_test(test_whitespace_collapsed),
	    cmocka_unit_test(test_deep_nesting),
	    cmocka_unit_test(test_nothing_usable),
	    cmocka_unit_test(test_first_body_used),
	    cmocka_unit_test(test_output_is_terminal_safe),
	    cmocka_unit_test(test_build_valid),
	    cmocka_unit_test(test_build_bare_text),
	    cmocka_unit_test(test_build_plain_fallback),
	    cmocka_unit_test(test_build_malformed),
	    cmocka_unit_test(test_build_no_text),
	    cmocka_unit_test(test_build_control_characters),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
