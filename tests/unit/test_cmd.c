/* Unit tests for cmd/cmd: parsing, dispatch, usage lines and completion.
 *
 * cmd.c knows nothing of the core: a line runs in a cmd_env whose refuse
 * callback this file records, with an origin token it must hand to the
 * handler unchanged. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cmd/cmd.h"

#define UNUSED __attribute__((unused))

/* ---- the environment, recorded ---- */

#define ORIGIN 0x5eed5eedULL

static struct cmd_set *set;
static bool online;
static int env_ud;

struct report {
	int n;
	const void *ud;
	uint64_t origin;
	int has_command;
	char command[128];
	char condition[64];
	char text[512];
};

static struct report last_error;

static void refuse(const struct cmd_env *env, const char *command, const char *condition,
                   const char *text)
{
	struct report *r = &last_error;

	r->n++;
	r->ud = env->ud;
	r->origin = env->origin;
	r->has_command = command != NULL;
	snprintf(r->command, sizeof(r->command), "%s", command ? command : "");
	snprintf(r->condition, sizeof(r->condition), "%s", condition ? condition : "");
	snprintf(r->text, sizeof(r->text), "%s", text);
}

static int run(const char *line)
{
	struct cmd_env env = {ORIGIN, online, refuse, &env_ud};

	return cmd_run(set, &env, line);
}

/* ---- what the commands saw ---- */

static struct {
	int calls;
	const struct cmd_entry *entry;
	uint64_t origin;
	void *ud;
	int argc;
	char *argv[CMD_MAX_ARGS + 1];
	int argv_terminated;
	char *rest;
	int rest_set;
} seen;

static void seen_clear(void)
{
	for (int i = 0; i <= CMD_MAX_ARGS; i++)
		free(seen.argv[i]);
	free(seen.rest);
	memset(&seen, 0, sizeof(seen));
}

static int exec_record(struct cmd_call *call)
{
	seen_clear();
	seen.calls = 1;
	seen.entry = call->entry;
	seen.origin = call->origin;
	seen.ud = call->ud;
	seen.argc = call->argc;
	assert_in_range(call->argc, 0, CMD_MAX_ARGS);
	for (int i = 0; i < call->argc; i++) {
		assert_non_null(call->argv[i]);
		seen.argv[i] = strdup(call->argv[i]);
		assert_non_null(seen.argv[i]);
	}
	seen.argv_terminated = call->argv[call->argc] == NULL;
	seen.rest_set = call->rest != NULL;
	if (call->rest) {
		seen.rest = strdup(call->rest);
		assert_non_null(seen.rest);
	}
	return 0;
}

static int exec_fail(struct cmd_call *call)
{
	exec_record(call);
	return -1;
}

static int ud1, ud2;

/* clang-format off */
static const struct cmd_entry table1[] = {
	{.name = "roster", .help = "show the roster", .usage = "", .exec = exec_record},
	{.name = "roster add", .usage = "JID [NAME]", .help = "add a contact", .min_args = 1,
	 .max_args = 2, .complete = {"@jid"}, .flags = CMD_ONLINE, .exec = exec_record},
	{.name = "roster group add", .usage = "JID GROUP", .help = "put a contact in a group",
	 .min_args = 2, .max_args = 2, .complete = {"@jid", "@group"}, .exec = exec_record},
	{.name = "roster remove", .usage = "JID", .help = "remove a contact", .min_args = 1,
	 .max_args = 1, .complete = {"@jid"}, .flags = CMD_ONLINE, .exec = exec_record},
	{.name = "say", .usage = "TEXT", .help = "send TEXT", .min_args = 1, .max_args = 1,
	 .rest = true, .exec = exec_record},
	{.name = "msg", .usage = "JID [TEXT]", .help = "open a chat", .min_args = 1, .max_args = 2,
	 .rest = true, .complete = {"@jid"}, .exec = exec_record},
	{.name = "status", .usage = "SHOW [MESSAGE]", .help = "set presence", .min_args = 1,
	 .max_args = 2, .rest = true, .complete = {"online|away|dnd|xa"}, .exec = exec_record},
	{.name = "help", .usage = "[COMMAND]", .help = "list commands", .max_args = 1,
	 .complete = {"@command"}, .exec = exec_record},
	{.name = "quit", .help = "leave", .exec = exec_record},
	{.name = "fail", .help = "always fails", .max_args = 1, .exec = exec_fail},
	{.name = "many", .usage = "A B C D E F", .help = "six words", .max_args = 6,
	 .exec = exec_record},
};

/* A second table, as a front end would register it. */
static const struct cmd_entry table2[] = {
	{.name = "ping", .usage = "[JID]", .help = "ping", .max_args = 1, .complete = {"@jid"},
	 .exec = exec_record},
	{.name = "pin", .help = "pin it", .exec = exec_record},
};
/* clang-format on */

#define N1 (sizeof(table1) / sizeof(table1[0]))
#define N2 (sizeof(table2) / sizeof(table2[0]))

static const struct cmd_entry *find(const char *name)
{
	for (size_t i = 0; i < N1; i++)
		if (!strcmp(table1[i].name, name))
			return &table1[i];
	for (size_t i = 0; i < N2; i++)
		if (!strcmp(table2[i].name, name))
			return &table2[i];
	fail_msg("no entry %s in the test tables", name);
	return NULL;
}

static int setup(void **state UNUSED)
{
	seen_clear();
	memset(&last_error, 0, sizeof(last_error));
	online = true;
	set = cmd_set_new();
	if (!set || cmd_set_add(set, "One", table1, N1, &ud1) ||
	    cmd_set_add(set, "Two", table2, N2, &ud2))
		return -1;
	return 0;
}

static int teardown(void **state UNUSED)
{
	cmd_set_free(set);
	set = NULL;
	seen_clear();
	return 0;
}

/* Runs a line that must succeed and reach the named entry. */
static void run_ok(const char *line, const char *name)
{
	int rc, before = last_error.n;

	seen_clear();
	rc = run(line);
	if (last_error.n != before)
		fail_msg("\"%s\": unexpected %s: %s", line, last_error.condition, last_error.text);
	assert_int_equal(rc, 0);
	assert_int_equal(seen.calls, 1);
	assert_non_null(seen.entry);
	assert_string_equal(seen.entry->name, name);
	assert_ptr_equal(seen.entry, find(name));
	assert_int_equal(seen.origin, ORIGIN);
	assert_true(seen.argv_terminated);
}

/* Runs a line that must be refused with condition, without running. */
static void run_refused(const char *line, const char *condition)
{
	int before = last_error.n;

	seen_clear();
	assert_int_equal(run(line), -1);
	assert_int_equal(last_error.n, before + 1);
	assert_ptr_equal(last_error.ud, &env_ud);
	assert_int_equal(last_error.origin, ORIGIN);
	assert_string_equal(last_error.condition, condition);
	assert_int_equal(seen.calls, 0);
}

static void complete_is(const char *line, const char *const *list, const char *const *want);

#define WANT(...) ((const char *const[]){__VA_ARGS__, NULL})
#define NONE      ((const char *const[]){NULL})

/* ---- lookup ---- */

static void lookup_is(const char *line, const char *name, size_t len)
{
	size_t got = 999;
	const struct cmd_entry *e = cmd_lookup(set, line, &got);

	if (!name) {
		assert_null(e);
		assert_int_equal(got, 0);
		return;
	}
	if (!e)
		fail_msg("\"%s\": no entry, wanted %s", line, name);
	assert_string_equal(e->name, name);
	assert_ptr_equal(e, find(name));
	assert_int_equal(got, len);
}

static void test_lookup_longest_match(void **state UNUSED)
{
	lookup_is("/roster add x", "roster add", strlen("/roster add"));
	lookup_is("/roster add", "roster add", strlen("/roster add"));
	lookup_is("/roster", "roster", strlen("/roster"));
	lookup_is("/roster ", "roster", strlen("/roster"));
	lookup_is("/roster group add a b", "roster group add", strlen("/roster group add"));
	lookup_is("/roster remove x", "roster remove", strlen("/roster remove"));
}

static void test_lookup_partial_multiword_falls_back(void **state UNUSED)
{
	/* No "roster group" entry: the longest full match is "roster". */
	lookup_is("/roster group", "roster", strlen("/roster"));
	lookup_is("/roster group x", "roster", strlen("/roster"));
	lookup_is("/roster ad x", "roster", strlen("/roster"));
	lookup_is("/roster addx", "roster", strlen("/roster"));
}

static void test_lookup_name_len_covers_spacing(void **state UNUSED)
{
	lookup_is("/roster   add x", "roster add", strlen("/roster   add"));
	lookup_is("/roster\tadd x", "roster add", strlen("/roster\tadd"));
	lookup_is("/say\thello", "say", strlen("/say"));
}

static void test_lookup_whole_words_only(void **state UNUSED)
{
	lookup_is("/rosterx", NULL, 0);
	lookup_is("/rost", NULL, 0);
	lookup_is("/pin", "pin", strlen("/pin"));
	lookup_is("/ping", "ping", strlen("/ping"));
	lookup_is("/ping x", "ping", strlen("/ping"));
	lookup_is("/pinger", NULL, 0);
	lookup_is("/pi", NULL, 0);
}

static void test_lookup_unknown(void **state UNUSED)
{
	lookup_is("/nope", NULL, 0);
	lookup_is("/", NULL, 0);
	lookup_is("", NULL, 0);
	assert_null(cmd_lookup(set, "/nope", NULL));
	assert_non_null(cmd_lookup(set, "/quit", NULL));
}

static void test_lookup_without_slash(void **state UNUSED)
{
	/* core's /help looks names up this way (without name_len). */
	const struct cmd_entry *e = cmd_lookup(set, "roster add", NULL);

	assert_non_null(e);
	assert_string_equal(e->name, "roster add");
	assert_ptr_equal(cmd_lookup(set, "ping", NULL), find("ping"));
}

static void test_lookup_name_len_without_slash(void **state UNUSED)
{
	size_t len = 0;

	assert_non_null(cmd_lookup(set, "roster group add x", &len));
	assert_int_equal(len, strlen("roster group add"));
	assert_non_null(cmd_lookup(set, "/roster group add x", &len));
	assert_int_equal(len, strlen("/roster group add"));
}

/* ---- running ---- */

static void test_run_dispatches_with_args(void **state UNUSED)
{
	run_ok("/roster add alice@example.org Alice", "roster add");
	assert_int_equal(seen.argc, 2);
	assert_string_equal(seen.argv[0], "alice@example.org");
	assert_string_equal(seen.argv[1], "Alice");
	assert_false(seen.rest_set);
	assert_ptr_equal(seen.ud, &ud1);
}

static void test_run_picks_parent_alone(void **state UNUSED)
{
	run_ok("/roster", "roster");
	assert_int_equal(seen.argc, 0);
	run_ok("/roster   ", "roster");
	assert_int_equal(seen.argc, 0);
}

static void test_run_three_word_name(void **state UNUSED)
{
	run_ok("/roster group add bob@example.org friends", "roster group add");
	assert_int_equal(seen.argc, 2);
	assert_string_equal(seen.argv[0], "bob@example.org");
	assert_string_equal(seen.argv[1], "friends");
}

static void test_run_ud_of_its_table(void **state UNUSED)
{
	run_ok("/ping", "ping");
	assert_ptr_equal(seen.ud, &ud2);
	run_ok("/pin", "pin");
	assert_ptr_equal(seen.ud, &ud2);
	run_ok("/quit", "quit");
	assert_ptr_equal(seen.ud, &ud1);
}

static void test_run_spacing_between_args(void **state UNUSED)
{
	run_ok("  /roster   add\talice@example.org \t  Alice  ", "roster add");
	assert_int_equal(seen.argc, 2);
	assert_string_equal(seen.argv[0], "alice@example.org");
	assert_string_equal(seen.argv[1], "Alice");
}

static void test_run_returns_exec_result(void **state UNUSED)
{
	int before = last_error.n;

	assert_int_equal(run("/fail"), -1);
	assert_int_equal(seen.calls, 1);
	/* The command's own failure is its to report, not the parser's. */
	assert_int_equal(last_error.n, before);
	assert_int_equal(run("/quit"), 0);
}

static void test_run_unknown_command(void **state UNUSED)
{
	run_refused("/nope a b", "unknown-command");
	assert_false(last_error.has_command);
	assert_non_null(strstr(last_error.text, "/nope"));
	assert_null(strstr(last_error.text, "/nope a"));
	run_refused("/rosterx", "unknown-command");
	assert_non_null(strstr(last_error.text, "/rosterx"));
	run_refused("/", "unknown-command");
}

static void test_run_unknown_long_name_capped(void **state UNUSED)
{
	char line[200], want[80];

	line[0] = '/';
	memset(line + 1, 'x', 150);
	line[151] = '\0';
	run_refused(line, "unknown-command");
	/* At most 64 characters of the name are echoed back. */
	memset(want, 'x', 64);
	want[64] = '\0';
	assert_non_null(strstr(last_error.text, want));
	want[64] = 'x';
	want[65] = '\0';
	assert_null(strstr(last_error.text, want));
}

static void test_run_needs_slash(void **state UNUSED)
{
	run_refused("roster", "bad-request");
	assert_false(last_error.has_command);
	run_refused("", "bad-request");
	run_refused("   ", "bad-request");
	run_refused("hello /quit", "bad-request");
	/* Leading blanks before the slash are fine. */
	run_ok(" \t/quit", "quit");
}

static void test_run_too_few_args(void **state UNUSED)
{
	run_refused("/roster add", "bad-request");
	assert_true(last_error.has_command);
	assert_string_equal(last_error.command, "roster add");
	assert_string_equal(last_error.text, "usage: /roster add JID [NAME] - add a contact");
	run_refused("/roster group add bob@example.org", "bad-request");
	assert_string_equal(last_error.command, "roster group add");
	run_refused("/say", "bad-request");
	assert_string_equal(last_error.text, "usage: /say TEXT - send TEXT");
	run_refused("/say    ", "bad-request");
}

static void test_run_too_many_args(void **state UNUSED)
{
	run_refused("/roster add a b c", "bad-request");
	assert_string_equal(last_error.command, "roster add");
	assert_string_equal(last_error.text, "usage: /roster add JID [NAME] - add a contact");
	run_refused("/quit now", "bad-request");
	assert_string_equal(last_error.text, "usage: /quit - leave");
	run_refused("/roster x", "bad-request");
	assert_string_equal(last_error.command, "roster");
	run_refused("/roster remove a b", "bad-request");
}

static void test_run_arg_count_boundaries(void **state UNUSED)
{
	run_ok("/many", "many");
	assert_int_equal(seen.argc, 0);
	run_ok("/many a b c d e f", "many");
	assert_int_equal(seen.argc, 6);
	assert_string_equal(seen.argv[0], "a");
	assert_string_equal(seen.argv[5], "f");
	seen_clear();
	/* Beyond CMD_MAX_ARGS words: refused, and nothing leaks (ASan). */
	run_refused("/many a b c d e f g", "bad-request");
	run_refused("/many a b c d e f g h i j k l", "bad-request");
	run_refused("/quit a b c d e f g h", "bad-request");
}

static void test_run_rest_verbatim(void **state UNUSED)
{
	const char *text = "hello   big\t world";

	run_ok("/say hello   big\t world", "say");
	assert_int_equal(seen.argc, 1);
	assert_string_equal(seen.argv[0], text);
	assert_true(seen.rest_set);
	assert_int_equal(strncmp(seen.rest, text, strlen(text)), 0);
}

static void test_run_rest_trims_blanks(void **state UNUSED)
{
	run_ok("/say    hello  world \t  ", "say");
	assert_int_equal(seen.argc, 1);
	assert_string_equal(seen.argv[0], "hello  world");
	/* rest and the last word are the same text. */
	assert_true(seen.rest_set);
	assert_string_equal(seen.rest, "hello  world");
}

static void test_run_rest_swallows_words(void **state UNUSED)
{
	run_ok("/say a b c d e f g h i j", "say");
	assert_int_equal(seen.argc, 1);
	assert_string_equal(seen.argv[0], "a b c d e f g h i j");
}

static void test_run_rest_after_words(void **state UNUSED)
{
	run_ok("/msg bob@example.org  hi   there  ", "msg");
	assert_int_equal(seen.argc, 2);
	assert_string_equal(seen.argv[0], "bob@example.org");
	assert_string_equal(seen.argv[1], "hi   there");
	assert_true(seen.rest_set);
	assert_int_equal(strncmp(seen.rest, "hi   there", 10), 0);

	run_ok("/status away  gone   fishing", "status");
	assert_int_equal(seen.argc, 2);
	assert_string_equal(seen.argv[0], "away");
	assert_string_equal(seen.argv[1], "gone   fishing");
}

static void test_run_rest_absent(void **state UNUSED)
{
	/* Fewer words than max_args: there is no rest. */
	run_ok("/msg bob@example.org", "msg");
	assert_int_equal(seen.argc, 1);
	assert_false(seen.rest_set);
	run_ok("/msg bob@example.org    ", "msg");
	assert_int_equal(seen.argc, 1);
	assert_false(seen.rest_set);
}

static void test_run_online_refused_offline(void **state UNUSED)
{
	online = false;
	run_refused("/roster add alice@example.org", "not-connected");
	assert_string_equal(last_error.command, "roster add");
	assert_non_null(strstr(last_error.text, "/roster add"));
	run_refused("/roster remove alice@example.org", "not-connected");
	/* Commands without CMD_ONLINE still run. */
	run_ok("/roster", "roster");
	seen_clear();
	run_ok("/say hi", "say");
	seen_clear();
	online = true;
	run_ok("/roster add alice@example.org", "roster add");
}

/* ---- registration, iteration, usage ---- */

static void count_entry(const char *title, const struct cmd_entry *e, void *ud)
{
	(void)title;
	const struct cmd_entry ***p = ud;

	*(*p)++ = e;
}

static void test_foreach_table_order(void **state UNUSED)
{
	const struct cmd_entry *got[N1 + N2 + 1], **p = got;

	cmd_foreach(set, count_entry, &p);
	assert_int_equal(p - got, N1 + N2);
	for (size_t i = 0; i < N1; i++)
		assert_ptr_equal(got[i], &table1[i]);
	for (size_t i = 0; i < N2; i++)
		assert_ptr_equal(got[N1 + i], &table2[i]);
}

static void test_duplicate_name_first_table_wins(void **state UNUSED)
{
	static const struct cmd_entry dup[] = {
	    {.name = "quit", .help = "another quit", .exec = exec_record},
	};
	static int ud3;

	assert_int_equal(cmd_set_add(set, "Three", dup, 1, &ud3), 0);
	assert_ptr_equal(cmd_lookup(set, "/quit", NULL), find("quit"));
	run_ok("/quit", "quit");
	assert_ptr_equal(seen.ud, &ud1);
	complete_is("/qu", NULL, WANT("quit"));
}

/* Two sets know nothing of each other: the tables are per set, not
 * global. */
static void test_sets_are_separate(void **state UNUSED)
{
	struct cmd_set *other = cmd_set_new(), *mine = set;
	const struct cmd_entry *got[1], **p = got;

	assert_non_null(other);
	set = other;
	assert_null(cmd_lookup(set, "/quit", NULL));
	cmd_foreach(set, count_entry, &p);
	assert_ptr_equal(p, got);
	run_refused("/quit", "unknown-command");
	assert_int_equal(cmd_set_add(set, "Two", table2, N2, &ud2), 0);
	assert_null(cmd_lookup(set, "/quit", NULL));
	run_ok("/ping", "ping");
	cmd_set_free(other);
	set = mine;
	run_ok("/quit", "quit");
}

static const char *last_title;

static void titles(const char *title, const struct cmd_entry *e, void *ud)
{
	size_t *changes = ud;

	(void)e;
	if (!last_title || strcmp(last_title, title))
		(*changes)++;
	last_title = title;
}

static void test_foreach_gives_table_titles(void **state UNUSED)
{
	size_t changes = 0;

	last_title = NULL;
	cmd_foreach(set, titles, &changes);
	assert_int_equal(changes, 2);
	assert_string_equal(last_title, "Two");
}

static void usage_is(const char *name, const char *want)
{
	char *s = cmd_usage_line(find(name));

	assert_non_null(s);
	assert_string_equal(s, want);
	free(s);
}

static void test_usage_line(void **state UNUSED)
{
	usage_is("roster add", "/roster add JID [NAME] - add a contact");
	usage_is("roster group add", "/roster group add JID GROUP - put a contact in a group");
	usage_is("help", "/help [COMMAND] - list commands");
	/* No usage (NULL or empty): no stray blank. */
	usage_is("quit", "/quit - leave");
	usage_is("roster", "/roster - show the roster");
}

static void test_usage_line_long(void **state UNUSED)
{
	char name[300], usage[300], help[300], want[1000];
	struct cmd_entry e = {.name = name, .usage = usage, .help = help};
	char *s;

	memset(name, 'n', 299);
	name[299] = '\0';
	memset(usage, 'u', 299);
	usage[299] = '\0';
	memset(help, 'h', 299);
	help[299] = '\0';
	snprintf(want, sizeof(want), "/%s %s - %s", name, usage, help);
	s = cmd_usage_line(&e);
	assert_non_null(s);
	assert_string_equal(s, want);
	free(s);
}

/* ---- completion ---- */

static const char *const groups[] = {"Friends", "Work", "Family", NULL};

static const char *const jids[] = {"alice@example.org", "bob@example.org", "alan@example.net",
                                   "alice@example.org", NULL};

/* want: the expected candidates, sorted, NULL-terminated. */
static void complete_is(const char *line, const char *const *list, const char *const *want)
{
	struct cmd_known known = {.jids = list, .groups = groups};
	char **got = (char **)0x1;
	int n = cmd_complete(set, line, &known, &got), k = 0;

	while (want[k])
		k++;
	if (n != k) {
		print_error("\"%s\": %d candidates, wanted %d:\n", line, n, k);
		for (int i = 0; got && got[i]; i++)
			print_error("  got \"%s\"\n", got[i]);
		cmd_candidates_free(got);
		fail();
	}
	if (!k) {
		if (got)
			assert_null(got[0]);
		cmd_candidates_free(got);
		return;
	}
	assert_non_null(got);
	for (int i = 0; i < k; i++) {
		assert_non_null(got[i]);
		assert_string_equal(got[i], want[i]);
	}
	assert_null(got[k]);
	cmd_candidates_free(got);
}

static void test_complete_command_name(void **state UNUSED)
{
	/* Three entries start with "roster": offered once. */
	complete_is("/ro", jids, WANT("roster"));
	complete_is("/r", jids, WANT("roster"));
	complete_is("/roster", jids, WANT("roster"));
	complete_is("/s", jids, WANT("say", "status"));
	complete_is("/pi", jids, WANT("pin", "ping"));
	complete_is("/zz", jids, NONE);
}

static void test_complete_all_names_sorted(void **state UNUSED)
{
	complete_is(
	    "/", NULL,
	    WANT("fail", "help", "many", "msg", "pin", "ping", "quit", "roster", "say", "status"));
}

static void test_complete_sub_word(void **state UNUSED)
{
	complete_is("/roster a", jids, WANT("add"));
	complete_is("/roster r", jids, WANT("remove"));
	complete_is("/roster g", jids, WANT("group"));
	complete_is("/roster add", jids, WANT("add"));
	complete_is("/roster z", jids, NONE);
	/* After an argument word the sub-commands are no longer offered. */
	complete_is("/roster alice@example.org a", jids, NONE);
	complete_is("/roster x ", jids, NONE);
}

static void test_complete_sub_commands_after_space(void **state UNUSED)
{
	complete_is("/roster ", jids, WANT("add", "group", "remove"));
}

static void test_complete_groups(void **state UNUSED)
{
	complete_is("/roster group add bob@example.org F", jids, WANT("Family", "Friends"));
	complete_is("/roster group add bob@example.org ", jids, WANT("Family", "Friends", "Work"));
	complete_is("/roster group add W", jids, NONE);
}

static void test_complete_third_word(void **state UNUSED)
{
	complete_is("/roster group ", jids, WANT("add"));
	complete_is("/roster group a", jids, WANT("add"));
	complete_is("/roster group add ", jids,
	            WANT("alan@example.net", "alice@example.org", "bob@example.org"));
}

static void test_complete_no_sub_commands_for_leaf(void **state UNUSED)
{
	/* "/quit " has neither sub-commands nor argument completion. */
	complete_is("/quit ", jids, NONE);
	complete_is("/pin ", jids, NONE);
}

static void test_complete_alternatives(void **state UNUSED)
{
	complete_is("/status ", jids, WANT("away", "dnd", "online", "xa"));
	complete_is("/status a", jids, WANT("away"));
	complete_is("/status on", jids, WANT("online"));
	complete_is("/status x", jids, WANT("xa"));
	complete_is("/status xa", jids, WANT("xa"));
	complete_is("/status q", jids, NONE);
	/* Longer than every alternative: nothing, and no read past a '|'. */
	complete_is("/status onlinex", jids, NONE);
	complete_is("/status away|d", jids, NONE);
	/* Only the first argument has a spec. */
	complete_is("/status away ", jids, NONE);
}

static void test_complete_jids(void **state UNUSED)
{
	complete_is("/roster add ", jids,
	            WANT("alan@example.net", "alice@example.org", "bob@example.org"));
	complete_is("/roster add al", jids, WANT("alan@example.net", "alice@example.org"));
	complete_is("/roster add ali", jids, WANT("alice@example.org"));
	complete_is("/roster add b", jids, WANT("bob@example.org"));
	complete_is("/roster add c", jids, NONE);
	complete_is("/msg b", jids, WANT("bob@example.org"));
	complete_is("/ping a", jids, WANT("alan@example.net", "alice@example.org"));
	complete_is("/roster group add b", jids, WANT("bob@example.org"));
}

static void test_complete_jids_second_arg_none(void **state UNUSED)
{
	complete_is("/roster add alice@example.org ", jids, NONE);
	complete_is("/roster add alice@example.org a", jids, NONE);
}

static void test_complete_jids_without_list(void **state UNUSED)
{
	complete_is("/roster add ", NULL, NONE);
	complete_is("/roster add a", NULL, NONE);
}

static void test_complete_command_spec(void **state UNUSED)
{
	complete_is(
	    "/help ", jids,
	    WANT("fail", "help", "many", "msg", "pin", "ping", "quit", "roster", "say", "status"));
	complete_is("/help ro", jids, WANT("roster"));
	complete_is("/help p", jids, WANT("pin", "ping"));
	complete_is("/help zz", jids, NONE);
}

static void test_complete_not_a_command(void **state UNUSED)
{
	char **got = (char **)0x1;

	assert_int_equal(cmd_complete(set, "hello", NULL, &got), 0);
	assert_null(got);
	got = (char **)0x1;
	assert_int_equal(cmd_complete(set, "", NULL, &got), 0);
	assert_null(got);
}

static void test_complete_unknown_command_args(void **state UNUSED)
{
	complete_is("/nope ", jids, NONE);
	complete_is("/nope a", jids, NONE);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_lookup_longest_match),
	    T(test_lookup_partial_multiword_falls_back),
	    T(test_lookup_name_len_covers_spacing),
	    T(test_lookup_whole_words_only),
	    T(test_lookup_unknown),
	    T(test_lookup_without_slash),
	    T(test_lookup_name_len_without_slash),
	    T(test_run_dispatches_with_args),
	    T(test_run_picks_parent_alone),
	    T(test_run_three_word_name),
	    T(test_run_ud_of_its_table),
	    T(test_run_spacing_between_args),
	    T(test_run_returns_exec_result),
	    T(test_run_unknown_command),
	    T(test_run_unknown_long_name_capped),
	    T(test_run_needs_slash),
	    T(test_run_too_few_args),
	    T(test_run_too_many_args),
	    T(test_run_arg_count_boundaries),
	    T(test_run_rest_verbatim),
	    T(test_run_rest_trims_blanks),
	    T(test_run_rest_swallows_words),
	    T(test_run_rest_after_words),
	    T(test_run_rest_absent),
	    T(test_run_online_refused_offline),
	    T(test_foreach_table_order),
	    T(test_duplicate_name_first_table_wins),
	    T(test_sets_are_separate),
	    T(test_foreach_gives_table_titles),
	    T(test_usage_line),
	    T(test_usage_line_long),
	    T(test_complete_command_name),
	    T(test_complete_all_names_sorted),
	    T(test_complete_sub_word),
	    T(test_complete_sub_commands_after_space),
	    T(test_complete_third_word),
	    T(test_complete_groups),
	    T(test_complete_no_sub_commands_for_leaf),
	    T(test_complete_alternatives),
	    T(test_complete_jids),
	    T(test_complete_jids_second_arg_none),
	    T(test_complete_jids_without_list),
	    T(test_complete_command_spec),
	    T(test_complete_not_a_command),
	    T(test_complete_unknown_command_args),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
