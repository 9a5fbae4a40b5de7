/* Unit tests for xmpp/xmlguard: natter's XML_Parse stands in front of
 * expat's for every caller in the process, this test included. */
#include "config.h"

#include <expat.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "xmpp/xmlguard.h"

#define UNUSED __attribute__((unused))

struct seen {
	char text[256];
	int elements;
};

static void XMLCALL on_start(void *ud, const XML_Char *name, const XML_Char **attrs)
{
	(void)name;
	(void)attrs;
	((struct seen *)ud)->elements++;
}

static void XMLCALL on_text(void *ud, const XML_Char *s, int len)
{
	struct seen *seen = ud;
	size_t used = strlen(seen->text);

	if (len > 0 && used + (size_t)len < sizeof(seen->text))
		strncat(seen->text, s, (size_t)len);
}

static enum XML_Status parse(const char *doc, struct seen *seen)
{
	XML_Parser p = XML_ParserCreate(NULL);
	enum XML_Status rc;

	assert_non_null(p);
	memset(seen, 0, sizeof(*seen));
	XML_SetUserData(p, seen);
	XML_SetStartElementHandler(p, on_start);
	XML_SetCharacterDataHandler(p, on_text);
	rc = XML_Parse(p, doc, (int)strlen(doc), 0);
	XML_ParserFree(p);
	return rc;
}

static void test_plain_document_parses_and_is_counted(void UNUSED **state)
{
	const char *doc = "<stream><message><body>hello</body></message>";
	uint64_t before = xmlguard_parsed();
	struct seen seen;

	assert_int_equal(parse(doc, &seen), XML_STATUS_OK);
	assert_int_equal(seen.elements, 3);
	assert_string_equal(seen.text, "hello");
	assert_int_equal(xmlguard_parsed() - before, strlen(doc));
	assert_false(xmlguard_take_doctype());
}

static void test_doctype_stops_before_any_entity(void UNUSED **state)
{
	struct seen seen;

	assert_int_equal(parse("<!DOCTYPE stream [<!ENTITY who 'mallory'>]>"
	                       "<stream><body>&who;</body>",
	                       &seen),
	                 XML_STATUS_ERROR);
	assert_true(xmlguard_take_doctype());
	/* Taken once. */
	assert_false(xmlguard_take_doctype());
	assert_int_equal(seen.elements, 0);
	assert_null(strstr(seen.text, "mallory"));
}

static void test_billion_laughs_never_starts(void UNUSED **state)
{
	struct seen seen;

	assert_int_equal(parse("<!DOCTYPE s [<!ENTITY a 'aaaaaaaaaa'>"
	                       "<!ENTITY b '&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;'>"
	                       "<!ENTITY c '&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;'>]><s>&c;</s>",
	                       &seen),
	                 XML_STATUS_ERROR);
	assert_true(xmlguard_take_doctype());
	assert_string_equal(seen.text, "");
}

static void test_last_error_names_the_problem(void UNUSED **state)
{
	struct seen seen;

	assert_int_equal(parse("<a><b>x</c></a>", &seen), XML_STATUS_ERROR);
	assert_string_equal(xmlguard_last_error(), "mismatched tag");
	assert_false(xmlguard_take_doctype());
	assert_int_equal(parse("<a>\x1b</a>", &seen), XML_STATUS_ERROR);
	assert_string_equal(xmlguard_last_error(), "not well-formed (invalid token)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_plain_document_parses_and_is_counted),
	    cmocka_unit_test(test_doctype_stops_before_any_entity),
	    cmocka_unit_test(test_billion_laughs_never_starts),
	    cmocka_unit_test(test_last_error_names_the_problem),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
