/* Unit tests for xmpp/rosterstream: natter's XML_SetElementHandler and
 * XML_SetCharacterDataHandler stand in front of expat's for every caller
 * in the process, this test included.  The parsers here are set up as
 * libstrophe sets up its own (namespace processing with the Unit
 * Separator); the last test goes through libstrophe itself. */
#include "config.h"

#include <expat.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strophe.h>
#include <cmocka.h>

#include "xmpp/rosterstream.h"

#define UNUSED __attribute__((unused))

#define STREAM_OPEN                                                                                \
	"<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>"

/* What the handlers behind the wrappers (libstrophe's, in natter) saw. */
struct seen {
	char names[2048]; /* every element started, local names, space-separated */
	char text[1024];  /* every piece of text, in order */
	int depth, max_depth;
	unsigned elements; /* top-level elements ended */
	struct rs_list *list;
};

static void append(char *dst, size_t size, const char *s, size_t len)
{
	size_t used = strlen(dst);

	if (used + len + 1 < size) {
		memcpy(dst + used, s, len);
		dst[used + len] = '\0';
	}
}

static void XMLCALL on_start(void *ud, const XML_Char *name, const XML_Char **attrs)
{
	struct seen *seen = ud;
	const char *local = strchr(name, '\x1F');

	(void)attrs;
	local = local ? local + 1 : name;
	append(seen->names, sizeof(seen->names), local, strlen(local));
	append(seen->names, sizeof(seen->names), " ", 1);
	if (++seen->depth > seen->max_depth)
		seen->max_depth = seen->depth;
}

static void XMLCALL on_end(void *ud, const XML_Char *name)
{
	struct seen *seen = ud;

	(void)name;
	if (--seen->depth == 1) {
		/* Where libstrophe runs natter's stanza handler. */
		seen->elements++;
		rs_list_free(seen->list);
		seen->list = rosterstream_take();
		/* Taken once. */
		assert_null(rosterstream_take());
	}
}

static void XMLCALL on_text(void *ud, const XML_Char *s, int len)
{
	struct seen *seen = ud;

	append(seen->text, sizeof(seen->text), s, (size_t)len);
}

static XML_Parser new_parser(struct seen *seen)
{
	XML_Parser p = XML_ParserCreateNS(NULL, '\x1F');

	assert_non_null(p);
	memset(seen, 0, sizeof(*seen));
	XML_SetUserData(p, seen);
	XML_SetElementHandler(p, on_start, on_end);
	XML_SetCharacterDataHandler(p, on_text);
	return p;
}

/* Parses STREAM_OPEN + body, in chunks of step bytes (0: at once). */
static void parse(struct seen *seen, const char *body, size_t step)
{
	XML_Parser p = new_parser(seen);
	char *doc;
	size_t len, off;

	assert_true(asprintf(&doc, "%s%s", STREAM_OPEN, body) > 0);
	len = strlen(doc);
	if (!step)
		step = len;
	for (off = 0; off < len; off += step) {
		size_t n = len - off < step ? len - off : step;

		assert_int_equal(XML_Parse(p, doc + off, (int)n, 0), XML_STATUS_OK);
	}
	free(doc);
	XML_ParserFree(p);
}

static void done(struct seen *seen)
{
	rs_list_free(seen->list);
	seen->list = NULL;
}

static const char *const ROSTER =
    "<iq type='result' id='r1'><query xmlns='jabber:iq:roster' ver='v7'>\n"
    "  <item jid='alice@example.org' name='Alice &amp; Co' subscription='both'>"
    "<group>Friends</group><group>Work</group></item>\n"
    "  <item jid='bob@example.org' subscription='none' ask='subscribe'/>\n"
    "  <item jid='carol@example.org' subscription='from'><group/><group></group>"
    "<group>Fam<x xmlns='urn:other'>not this</x>ily</group>"
    "<extra xmlns='urn:other'><group>not a group</group></extra></item>\n"
    "  <item name='no jid'/>\n"
    "</query></iq>";

static void check_roster_list(const struct rs_list *l)
{
	const struct rs_item *it;

	assert_true(rs_list_complete(l));
	assert_int_equal(rs_list_len(l), 4);
	it = rs_list_item(l, 0);
	assert_string_equal(it->jid, "alice@example.org");
	assert_string_equal(it->name, "Alice & Co");
	assert_string_equal(it->subscription, "both");
	assert_null(it->ask);
	assert_string_equal(it->groups, "Friends");
	assert_string_equal(rs_next_group(it->groups), "Work");
	assert_null(rs_next_group(rs_next_group(it->groups)));
	it = rs_list_item(l, 1);
	assert_string_equal(it->jid, "bob@example.org");
	assert_null(it->name);
	assert_string_equal(it->ask, "subscribe");
	assert_null(it->groups);
	/* Empty groups are dropped; a group's own text is kept, not that of
	 * elements inside it or of groups that are not the item's children. */
	it = rs_list_item(l, 2);
	assert_string_equal(it->groups, "Family");
	assert_null(rs_next_group(it->groups));
	it = rs_list_item(l, 3);
	assert_null(it->jid);
	assert_string_equal(it->name, "no jid");
	assert_null(rs_list_item(l, 4));
}

static void test_items_are_read_and_kept_out_of_the_tree(void UNUSED **state)
{
	struct seen seen;

	rosterstream_enable(true);
	parse(&seen, ROSTER, 0);
	check_roster_list(seen.list);
	/* libstrophe saw the stream, the iq and the query, nothing inside. */
	assert_string_equal(seen.names, "stream iq query ");
	assert_int_equal(seen.max_depth, 3);
	assert_string_equal(seen.text, "");
	assert_int_equal(seen.elements, 1);
	assert_int_equal(rosterstream_held(), 0);
	done(&seen);
}

static void test_byte_by_byte_gives_the_same(void UNUSED **state)
{
	struct seen seen;

	rosterstream_enable(true);
	parse(&seen, ROSTER, 1);
	check_roster_list(seen.list);
	assert_string_equal(seen.names, "stream iq query ");
	done(&seen);
}

static void test_other_elements_go_through_whole(void UNUSED **state)
{
	struct seen seen;

	rosterstream_enable(true);
	/* A push (type set), a message, an error answer, an iq result in
	 * another namespace's query: all untouched. */
	parse(&seen,
	      "<iq type='set' id='p'><query xmlns='jabber:iq:roster'><item jid='a@b'>"
	      "<group>G</group></item></query></iq>"
	      "<message><query xmlns='jabber:iq:roster'><item jid='c@d'/></query><body>hi</body>"
	      "</message>"
	      "<iq type='error' id='e'><query xmlns='jabber:iq:roster'><item jid='e@f'/></query>"
	      "</iq>"
	      "<iq type='result' id='d'><query xmlns='http://jabber.org/protocol/disco#items'>"
	      "<item jid='g@h'/></query></iq>",
	      0);
	assert_string_equal(seen.names, "stream iq query item group message query item body "
	                                "iq query item iq query item ");
	assert_string_equal(seen.text, "Ghi");
	assert_int_equal(seen.elements, 4);
	assert_null(seen.list);
	done(&seen);
}

static void test_only_the_first_roster_query_streams(void UNUSED **state)
{
	struct seen seen;

	rosterstream_enable(true);
	parse(&seen,
	      "<iq type='result' id='r'><query xmlns='jabber:iq:roster'><item jid='a@b'/></query>"
	      "<query xmlns='jabber:iq:roster'><item jid='c@d'/></query></iq>",
	      0);
	assert_string_equal(seen.names, "stream iq query query item ");
	assert_int_equal(rs_list_len(seen.list), 1);
	assert_string_equal(rs_list_item(seen.list, 0)->jid, "a@b");
	done(&seen);
}

static void test_an_empty_answer_gives_an_empty_list(void UNUSED **state)
{
	struct seen seen;

	rosterstream_enable(true);
	parse(&seen, "<iq type='result' id='r'><query xmlns='jabber:iq:roster' ver='x'/></iq>", 0);
	assert_non_null(seen.list);
	assert_true(rs_list_complete(seen.list));
	assert_int_equal(rs_list_len(seen.list), 0);
	done(&seen);
}

static void test_a_thread_that_did_not_ask_streams_nothing(void UNUSED **state)
{
	struct seen seen;

	rosterstream_enable(false);
	parse(&seen, ROSTER, 0);
	assert_null(seen.list);
	assert_non_null(strstr(
	    seen.names, "query item group group item item group group group x extra group item "));
	rosterstream_enable(true);
	done(&seen);
}

static void test_other_stream_namespaces_stream_nothing(void UNUSED **state)
{
	struct seen seen;
	XML_Parser p = new_parser(&seen);
	const char *doc = "<stream><iq type='result'><query xmlns='jabber:iq:roster'>"
	                  "<item jid='a@b'/></query></iq>";

	rosterstream_enable(true);
	assert_int_equal(XML_Parse(p, doc, (int)strlen(doc), 0), XML_STATUS_OK);
	XML_ParserFree(p);
	assert_null(seen.list);
	assert_string_equal(seen.names, "stream iq query item ");
	done(&seen);
}

static void test_a_cut_or_reset_in_an_item_loses_nothing_else(void UNUSED **state)
{
	struct seen seen;
	XML_Parser p = new_parser(&seen);
	const char *part = STREAM_OPEN "<iq type='result' id='r'><query xmlns='jabber:iq:roster'>"
	                               "<item jid='a@b'><group>Half";
	const char *next = STREAM_OPEN "<message><body>after</body></message>";

	rosterstream_enable(true);
	assert_int_equal(XML_Parse(p, part, (int)strlen(part), 0), XML_STATUS_OK);
	assert_true(rosterstream_held() > 0);
	/* A new stream: libstrophe resets its parser and sets its handlers
	 * again; what was read of the old one goes. */
	assert_true(XML_ParserReset(p, NULL));
	memset(&seen, 0, sizeof(seen));
	XML_SetUserData(p, &seen);
	XML_SetElementHandler(p, on_start, on_end);
	XML_SetCharacterDataHandler(p, on_text);
	assert_int_equal(rosterstream_held(), 0);
	assert_int_equal(XML_Parse(p, next, (int)strlen(next), 0), XML_STATUS_OK);
	assert_string_equal(seen.names, "stream message body ");
	assert_string_equal(seen.text, "after");
	assert_null(seen.list);
	/* Freed in the middle of another answer: nothing leaks (ASan). */
	part = "<iq type='result' id='r2'><query xmlns='jabber:iq:roster'><item jid='c@d'>";
	assert_int_equal(XML_Parse(p, part, (int)strlen(part), 0), XML_STATUS_OK);
	XML_ParserFree(p);
	assert_int_equal(rosterstream_held(), 0);
	done(&seen);
}

static void test_malformed_xml_in_an_item_is_a_parse_error(void UNUSED **state)
{
	struct seen seen;
	XML_Parser p = new_parser(&seen);
	const char *doc = STREAM_OPEN "<iq type='result' id='r'><query xmlns='jabber:iq:roster'>"
	                              "<item jid='a@b'><group>x</grop></item>";

	rosterstream_enable(true);
	assert_int_equal(XML_Parse(p, doc, (int)strlen(doc), 0), XML_STATUS_ERROR);
	XML_ParserFree(p);
	assert_null(seen.list);
	done(&seen);
}

static void test_many_items_are_counted_while_read(void UNUSED **state)
{
	struct seen seen;
	XML_Parser p = new_parser(&seen);
	char item[128];
	const char *head = STREAM_OPEN "<iq type='result' id='r'><query xmlns='jabber:iq:roster'>";
	size_t held = 0;

	rosterstream_enable(true);
	assert_int_equal(XML_Parse(p, head, (int)strlen(head), 0), XML_STATUS_OK);
	for (unsigned i = 0; i < 20000; i++) {
		int n = snprintf(item, sizeof(item),
		                 "<item jid='contact%u@example.org' subscription='both'>"
		                 "<group>G%u</group></item>",
		                 i, i % 7);

		assert_int_equal(XML_Parse(p, item, n, 0), XML_STATUS_OK);
		if (i % 5000 == 4999) {
			assert_true(rosterstream_held() > held);
			held = rosterstream_held();
		}
	}
	/* Compact: well under 150 bytes an item, all counted. */
	assert_true(held > 15000 * 40);
	assert_true(rosterstream_held() < 20000 * 150);
	assert_int_equal(XML_Parse(p, "</query></iq>", 13, 0), XML_STATUS_OK);
	assert_int_equal(rosterstream_held(), 0);
	assert_int_equal(rs_list_len(seen.list), 20000);
	assert_string_equal(rs_list_item(seen.list, 19999)->jid, "contact19999@example.org");
	assert_string_equal(rs_list_item(seen.list, 19999)->groups, "G0");
	XML_ParserFree(p);
	done(&seen);
}

/* libstrophe's own parser, through xmpp_stanza_new_from_string(): its
 * "<stream>" wrapper has no namespace, so nothing streams even on a thread
 * that asked. */
static void test_stanzas_made_from_text_keep_their_items(void UNUSED **state)
{
	xmpp_ctx_t *ctx = xmpp_ctx_new(NULL, NULL);
	xmpp_stanza_t *st;
	xmpp_stanza_t *q;

	rosterstream_enable(true);
	assert_non_null(ctx);
	st = xmpp_stanza_new_from_string(ctx,
	                                 "<iq type='result' id='r'><query "
	                                 "xmlns='jabber:iq:roster'><item jid='a@b'/></query></iq>");
	assert_non_null(st);
	q = xmpp_stanza_get_child_by_ns(st, "jabber:iq:roster");
	assert_non_null(q);
	assert_non_null(xmpp_stanza_get_child_by_name(q, "item"));
	assert_null(rosterstream_take());
	xmpp_stanza_release(st);
	xmpp_ctx_free(ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_items_are_read_and_kept_out_of_the_tree),
	    cmocka_unit_test(test_byte_by_byte_gives_the_same),
	    cmocka_unit_test(test_other_elements_go_through_whole),
	    cmocka_unit_test(test_only_the_first_roster_query_streams),
	    cmocka_unit_test(test_an_empty_answer_gives_an_empty_list),
	    cmocka_unit_test(test_a_thread_that_did_not_ask_streams_nothing),
	    cmocka_unit_test(test_other_stream_namespaces_stream_nothing),
	    cmocka_unit_test(test_a_cut_or_reset_in_an_item_loses_nothing_else),
	    cmocka_unit_test(test_malformed_xml_in_an_item_is_a_parse_error),
	    cmocka_unit_test(test_many_items_are_counted_while_read),
	    cmocka_unit_test(test_stanzas_made_from_text_keep_their_items),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
