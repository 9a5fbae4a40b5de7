/* Unit tests for help.c: /help lists every table's commands under its
 * title (the modules' and a front end's alike), /help WORDS every form
 * that starts with those words. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "cmd/cmd.h"
#include "core/core.h"
#include "core_harness.h"

#define ME HARNESS_JID

#define T(f) cmocka_unit_test_setup_teardown(f, harness_setup, harness_teardown)

static json_t *help(struct harness *h, const char *line)
{
	size_t mark = harness_mark(h);

	assert_int_equal(harness_input(h, line, 1), 0);
	assert_int_equal(harness_find(h, "error", mark), -1);
	return harness_expect(h, "info", mark);
}

static void test_help_shows_every_form_of_a_command(void **state)
{
	struct harness *h = *state;
	json_t *ev;
	const char *text;

	ev = help(h, "/help roster");
	text = harness_str(ev, "text");
	assert_non_null(strstr(text, "/roster add JID [NAME]"));
	assert_non_null(strstr(text, "/roster group remove JID GROUP"));
	/* Words, not letters: /rosterx is no form of /roster. */
	assert_null(strstr(text, "/sub"));
	json_decref(ev);
	/* Spacing and a leading slash do not matter. */
	ev = help(h, "/help   /roster    group  ");
	text = harness_str(ev, "text");
	assert_non_null(strstr(text, "/roster group add JID GROUP"));
	assert_null(strstr(text, "/roster add"));
	json_decref(ev);
	json_decref(help(h, "/help sub"));
	json_decref(help(h, "/help /tls"));
	assert_int_equal(harness_input(h, "/help ros", 2), -1);
	assert_int_equal(harness_input(h, "/help nonesuch", 3), -1);
	{
		json_t *err = harness_expect(h, "error", 0);

		assert_string_equal(harness_str(err, "condition"), "item-not-found");
		assert_int_equal(harness_int(err, "origin"), 2);
		json_decref(err);
	}
}

/* Every module with commands is listed under its title. */
static void test_help_lists_titles(void **state)
{
	struct harness *h = *state;
	static const char *const titles[] = {
	    "Connection\n  /connect",
	    "History\n  /history",
	    "Service discovery\n  /disco info",
	    "Contacts\n  /roster",
	    "Subscriptions\n  /sub",
	    "Chats\n  /msg",
	    "Asking other entities\n  /version",
	    "vCards\n  /vcard",
	    "Account\n  /register",
	    "Help\n  /help",
	    "Presence\n  /status",
	};
	json_t *ev = help(h, "/help");
	const char *text = harness_str(ev, "text");

	for (size_t i = 0; i < sizeof(titles) / sizeof(titles[0]); i++)
		if (!strstr(text, titles[i]))
			fail_msg("/help lacks \"%s\":\n%s", titles[i], text);
	json_decref(ev);
}

static int ui_thing(struct cmd_call *call)
{
	(void)call;
	return 0;
}

/* A front end's own table (the terminal UI's /win, /theme) is listed and
 * completed like the core's. */
static void test_help_includes_a_front_ends_commands(void **state)
{
	struct harness *h = *state;
	static const struct cmd_entry table[] = {
	    {.name = "thing",
	     .usage = "[N]",
	     .help = "a front end's command",
	     .max_args = 1,
	     .exec = ui_thing},
	};
	json_t *ev;

	assert_int_equal(core_add_commands(h->core, "Windows", table, 1, h), 0);
	ev = help(h, "/help");
	assert_non_null(strstr(harness_str(ev, "text"), "Windows\n  /thing [N]"));
	json_decref(ev);
	ev = help(h, "/help thing");
	assert_non_null(strstr(harness_str(ev, "text"), "/thing [N]"));
	json_decref(ev);
	assert_int_equal(harness_input(h, "/thing 3", 4), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_help_shows_every_form_of_a_command),
	    T(test_help_lists_titles),
	    T(test_help_includes_a_front_ends_commands),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
