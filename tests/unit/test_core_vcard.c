/* Unit tests for vcard.c through the fake session: a vCard flattened to
 * its common fields (sanitised), and /vcard set changing one field while
 * keeping everything else. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core_harness.h"

#define ME  HARNESS_JID
#define BOB "bob@example.org"

#define T(f) cmocka_unit_test_setup_teardown(f, harness_setup, harness_teardown)

#define BOBS_VCARD                                                                                 \
	"<vCard xmlns='vcard-temp'><FN>Bob Builder</FN><NICKNAME>bob\xc2\x9b"                      \
	"2J</NICKNAME>"                                                                            \
	"<EMAIL><INTERNET/><PREF/><USERID>bob@work.example</USERID></EMAIL>"                       \
	"<EMAIL><HOME/><USERID>bob@home.example</USERID></EMAIL>"                                  \
	"<TEL><VOICE/><NUMBER>+1 555 0100</NUMBER></TEL><ORG><ORGNAME>Builders</ORGNAME>"          \
	"<ORGUNIT>Walls</ORGUNIT></ORG><ADR><STREET>1 Road</STREET><LOCALITY>Town</LOCALITY>"      \
	"<CTRY>UK</CTRY></ADR><N><GIVEN>Bob</GIVEN><FAMILY>Builder</FAMILY></N>"                   \
	"<PHOTO><TYPE>image/png</TYPE><BINVAL>iVBORw0KGgo=</BINVAL></PHOTO>"                       \
	"<X-CUSTOM>kept</X-CUSTOM></vCard>"

static void test_vcard_of_a_contact(void **state)
{
	struct harness *h = *state;
	json_t *ev, *f;
	char *to;

	harness_online_quiet(h);
	assert_int_equal(harness_input(h, "/vcard " BOB, 11), 0);
	to = fake_sent_attr(h->xs, 0, NULL, "to");
	assert_string_equal(to, BOB);
	free(to);
	assert_non_null(strstr(fake_sent(h->xs, 0), "<vCard xmlns=\"vcard-temp\"/>"));
	fake_answer(h->xs, 0, "<iq type='result' id='%s' from='" BOB "'>" BOBS_VCARD "</iq>");
	ev = harness_expect(h, "vcard", 0);
	assert_int_equal(harness_int(ev, "origin"), 11);
	assert_string_equal(harness_str(ev, "from"), BOB);
	f = json_object_get(ev, "fields");
	assert_string_equal(harness_str(f, "FN"), "Bob Builder");
	assert_string_equal(harness_str(f, "NICKNAME"), "bob");
	/* Two EMAILs: one field, both values. */
	assert_string_equal(harness_str(f, "EMAIL"), "bob@work.example; bob@home.example");
	assert_string_equal(harness_str(f, "TEL"), "+1 555 0100");
	assert_string_equal(harness_str(f, "ORG"), "Builders");
	assert_string_equal(harness_str(f, "ADR"), "1 Road, Town, UK");
	assert_string_equal(harness_str(f, "N"), "Bob Builder");
	/* The picture is no text: its type and size. */
	assert_string_equal(harness_str(f, "PHOTO"), "image/png, 8 bytes");
	assert_null(harness_str(f, "X-CUSTOM"));
	json_decref(ev);
}

static void test_own_vcard_and_errors(void **state)
{
	struct harness *h = *state;
	json_t *ev;

	harness_online_quiet(h);
	assert_int_equal(harness_input(h, "/vcard", 1), 0);
	/* Ours: asked of our own account, without a to. */
	assert_null(strstr(fake_sent(h->xs, 0), "to="));
	fake_answer(h->xs, 0, "<iq type='result' id='%s'><vCard xmlns='vcard-temp'/></iq>");
	ev = harness_expect(h, "vcard", 0);
	assert_string_equal(harness_str(ev, "from"), ME);
	assert_int_equal(json_object_size(json_object_get(ev, "fields")), 0);
	json_decref(ev);
	assert_int_equal(harness_input(h, "/vcard " BOB, 2), 0);
	fake_answer(h->xs, 1,
	            "<iq type='error' id='%s' from='" BOB "'><error type='cancel'><item-not-found "
	            "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>");
	ev = harness_expect(h, "error", 0);
	assert_string_equal(harness_str(ev, "condition"), "item-not-found");
	assert_int_equal(harness_int(ev, "origin"), 2);
	json_decref(ev);
	/* Unanswered: a timeout after 30 s. */
	assert_int_equal(harness_input(h, "/vcard " BOB, 3), 0);
	harness_advance(h, 30000);
	ev = harness_expect(h, "error", (size_t)harness_find(h, "error", 0) + 1);
	assert_string_equal(harness_str(ev, "condition"), "remote-server-timeout");
	assert_int_equal(harness_int(ev, "origin"), 3);
	json_decref(ev);
}

/* /vcard set fetches ours, changes one field, sends back the rest as it
 * was (fields natter does not know included). */
static void test_set_keeps_the_rest(void **state)
{
	struct harness *h = *state;
	const char *s;
	json_t *ev;

	harness_online_quiet(h);
	assert_int_equal(harness_input(h, "/vcard set fn Alice A.", 5), 0);
	fake_answer(h->xs, 0, "<iq type='result' id='%s'>" BOBS_VCARD "</iq>");
	s = fake_sent(h->xs, 1);
	assert_non_null(s);
	assert_non_null(strstr(s, "type=\"set\""));
	assert_non_null(strstr(s, "<FN>Alice A.</FN>"));
	assert_null(strstr(s, "Bob Builder</FN>"));
	assert_non_null(strstr(s, "<X-CUSTOM>kept</X-CUSTOM>"));
	assert_non_null(strstr(s, "<USERID>bob@home.example</USERID>"));
	assert_non_null(strstr(s, "<BINVAL>iVBORw0KGgo=</BINVAL>"));
	fake_answer(h->xs, 1, "<iq type='result' id='%s'/>");
	ev = harness_expect(h, "info", 0);
	assert_non_null(strstr(harness_str(ev, "text"), "FN"));
	assert_int_equal(harness_int(ev, "origin"), 5);
	json_decref(ev);
}

/* A compound field changes its first instance, keeping its type flags. */
static void test_set_compound_field(void **state)
{
	struct harness *h = *state;
	const char *s;

	harness_online_quiet(h);
	assert_int_equal(harness_input(h, "/vcard set EMAIL new@work.example", 5), 0);
	fake_answer(h->xs, 0, "<iq type='result' id='%s'>" BOBS_VCARD "</iq>");
	s = fake_sent(h->xs, 1);
	{
		/* The first EMAIL: its flags, the new address. */
		const char *from = strstr(s, "<EMAIL>"),
		           *to = from ? strstr(from, "</EMAIL>") : NULL;
		char *first = to ? strndup(from, (size_t)(to - from)) : NULL;

		assert_non_null(first);
		assert_non_null(strstr(first, "<INTERNET"));
		assert_non_null(strstr(first, "<PREF"));
		assert_non_null(strstr(first, "<USERID>new@work.example</USERID>"));
		free(first);
	}
	assert_non_null(strstr(s, "<USERID>bob@home.example</USERID>"));
	assert_null(strstr(s, "bob@work.example"));
}

/* No vCard stored yet: one is started. */
static void test_set_without_a_vcard(void **state)
{
	struct harness *h = *state;
	const char *s;

	harness_online_quiet(h);
	assert_int_equal(harness_input(h, "/vcard set TEL +44 20 7946 0000", 5), 0);
	fake_answer(h->xs, 0,
	            "<iq type='error' id='%s'><error type='cancel'><item-not-found "
	            "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>");
	s = fake_sent(h->xs, 1);
	assert_non_null(s);
	assert_non_null(strstr(s, "<TEL><VOICE/><NUMBER>+44 20 7946 0000</NUMBER></TEL>"));
	assert_int_equal(harness_find(h, "error", 0), -1);
}

static void test_set_unknown_field_refused(void **state)
{
	struct harness *h = *state;
	json_t *ev;

	harness_online_quiet(h);
	assert_int_equal(harness_input(h, "/vcard set PHOTO x", 5), -1);
	ev = harness_expect(h, "error", 0);
	assert_string_equal(harness_str(ev, "condition"), "bad-request");
	json_decref(ev);
	assert_int_equal(fake_sent_count(h->xs), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_vcard_of_a_contact),  T(test_own_vcard_and_errors),
	    T(test_set_keeps_the_rest),  T(test_set_compound_field),
	    T(test_set_without_a_vcard), T(test_set_unknown_field_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
