/* The core under test: see core_harness.h. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include <sqlite3.h>

#include "config/accounts.h"
#include "config/settings.h"
#include "core/core.h"
#include "core/history.h"
#include "core_harness.h"
#include "headless/event_json.h"

static uint64_t clock_now(void *ud)
{
	return ((struct harness *)ud)->now;
}

static void record(void *ud, const struct nt_event *ev)
{
	struct harness *h = ud;
	char *line = event_json(ev), **grown;

	assert_non_null(line);
	grown = realloc(h->events, (h->nevents + 1) * sizeof(*grown));
	assert_non_null(grown);
	h->events = grown;
	h->events[h->nevents++] = line;
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

/* A core and its loop over what h->dir holds (natterrc, accounts, the
 * store), the clock where h->now is. */
static void start(struct harness *h)
{
	struct settings settings = {0};
	struct account acct = {0};
	struct core_options opt = {0};
	char *rc = NULL, *err = NULL;

	assert_true(asprintf(&rc, "%s/natterrc", h->dir) > 0);
	if (settings_load(rc, &settings, &err))
		fail_msg("natterrc: %s", err);
	free(rc);
	h->loop = loop_new();
	assert_non_null(h->loop);
	loop_set_clock(h->loop, clock_now, h);
	acct.name = "test";
	acct.jid = h->jid;
	acct.password = "secret";
	acct.resource = "natter";
	if (h->tweak)
		h->tweak(&acct);
	opt.loop = h->loop;
	opt.account = &acct;
	opt.accounts_path = h->accounts;
	opt.settings = &settings;
	/* The benchmark's own front end, or the recorder (which needs h). */
	opt.frontend = h->fe.emit ? h->fe : (struct nt_frontend){record, h};
	h->core = core_new(&opt);
	assert_non_null(h->core);
	settings_free(&settings);
	h->xs = fake_xs();
	assert_int_equal(core_start(h->core, false), 0);
}

static struct harness *harness_make(const char *bare_jid, const char *extra_settings,
                                    void (*tweak)(struct account *a), struct nt_frontend fe)
{
	struct harness *h = calloc(1, sizeof(*h));
	char tmpl[] = "/tmp/natter-unit-XXXXXX", *rc = NULL, *acct = NULL;

	assert_non_null(h);
	assert_non_null(mkdtemp(tmpl));
	h->dir = strdup(tmpl);
	h->jid = strdup(bare_jid);
	assert_true(asprintf(&h->full, "%s/natter", bare_jid) > 0);
	setenv("XDG_DATA_HOME", h->dir, 1);
	setenv("XDG_CONFIG_HOME", h->dir, 1);
	assert_true(asprintf(&rc, "%s/natterrc", h->dir) > 0);
	write_file(rc, extra_settings ? extra_settings : "");
	free(rc);
	assert_true(asprintf(&h->accounts, "%s/accounts", h->dir) > 0);
	assert_true(asprintf(&acct, "[test]\njid = %s\npassword = secret\n", bare_jid) > 0);
	write_file(h->accounts, acct);
	assert_int_equal(chmod(h->accounts, 0600), 0);
	free(acct);
	h->now = HARNESS_T0;
	h->tweak = tweak;
	h->fe = fe;
	start(h);
	return h;
}

struct harness *harness_new(const char *bare_jid, const char *extra_settings)
{
	return harness_make(bare_jid, extra_settings, NULL, (struct nt_frontend){NULL, NULL});
}

struct harness *harness_new_with(const char *bare_jid, const char *extra_settings,
                                 void (*tweak)(struct account *a))
{
	return harness_make(bare_jid, extra_settings, tweak, (struct nt_frontend){NULL, NULL});
}

struct harness *harness_new_fe(const char *bare_jid, const char *extra_settings,
                               struct nt_frontend fe)
{
	return harness_make(bare_jid, extra_settings, NULL, fe);
}

int harness_setup(void **state)
{
	*state = harness_new(HARNESS_JID, "[history]\nmam_initial = 0\n");
	return 0;
}

int harness_teardown(void **state)
{
	harness_free(*state);
	return 0;
}

void harness_restart(struct harness *h)
{
	core_free(h->core);
	loop_free(h->loop);
	harness_clear(h);
	start(h);
}

void harness_clear(struct harness *h)
{
	for (size_t i = 0; i < h->nevents; i++)
		free(h->events[i]);
	free(h->events);
	h->events = NULL;
	h->nevents = 0;
}

void harness_free(struct harness *h)
{
	char *cmd = NULL;

	if (!h)
		return;
	core_free(h->core);
	loop_free(h->loop);
	harness_clear(h);
	/* Only what mkdtemp made: the path is ours. */
	if (asprintf(&cmd, "rm -rf '%s'", h->dir) > 0 && system(cmd) != 0)
		print_error("could not remove %s\n", h->dir);
	free(cmd);
	free(h->dir);
	free(h->accounts);
	free(h->jid);
	free(h->full);
	free(h);
}

void harness_online(struct harness *h)
{
	fake_online(h->xs, h->full, false, true);
}

void harness_answer_roster(struct harness *h, const char *items)
{
	for (size_t i = 0; i < fake_sent_count(h->xs); i++) {
		const char *s = fake_sent(h->xs, i);
		char *id;

		if (!strstr(s, "type=\"get\"") || !strstr(s, "jabber:iq:roster"))
			continue;
		id = fake_sent_id(h->xs, i);
		fake_receivef(h->xs,
		              "<iq type='result' id='%s'><query xmlns='jabber:iq:roster' "
		              "ver='v0'>%s</query></iq>",
		              id, items ? items : "");
		free(id);
		return;
	}
	fail_msg("no roster request to answer");
}

void harness_online_roster(struct harness *h, const char *items)
{
	size_t i;
	char *id;

	harness_online(h);
	/* Answer what a login asks: the roster, carbons, the archive. */
	for (i = 0; i < fake_sent_count(h->xs); i++) {
		const char *s = fake_sent(h->xs, i);

		if (!strstr(s, "type=\"get\"") && !strstr(s, "type=\"set\""))
			continue;
		id = fake_sent_id(h->xs, i);
		if (strstr(s, "jabber:iq:roster"))
			fake_receivef(h->xs,
			              "<iq type='result' id='%s'><query xmlns='jabber:iq:roster' "
			              "ver='v0'>%s</query></iq>",
			              id, items ? items : "");
		else if (strstr(s, "urn:xmpp:mam:2"))
			fake_receivef(h->xs,
			              "<iq type='result' id='%s'><fin xmlns='urn:xmpp:mam:2' "
			              "complete='true'/></iq>",
			              id);
		else
			fake_receivef(h->xs, "<iq type='result' id='%s'/>", id);
		free(id);
	}
	fake_clear_sent(h->xs);
	harness_clear(h);
}

void harness_online_quiet(struct harness *h)
{
	harness_online_roster(h, NULL);
}

int harness_input(struct harness *h, const char *line, uint64_t origin)
{
	return core_input(h->core, line, origin);
}

void harness_advance(struct harness *h, uint64_t ms)
{
	h->now += ms;
	assert_int_equal(loop_run_once(h->loop, 0), 0);
}

long harness_find(struct harness *h, const char *name, size_t from)
{
	char *key = NULL;
	long found = -1;

	assert_true(asprintf(&key, "{\"event\":\"%s\",", name) > 0);
	for (size_t i = from; i < h->nevents && found < 0; i++)
		if (!strncmp(h->events[i], key, strlen(key)))
			found = (long)i;
	free(key);
	return found;
}

json_t *harness_get(struct harness *h, const char *name, size_t from)
{
	long i = harness_find(h, name, from);
	json_error_t err;

	if (i < 0)
		return NULL;
	return json_loads(h->events[i], 0, &err);
}

json_t *harness_expect(struct harness *h, const char *name, size_t from)
{
	json_t *ev = harness_get(h, name, from);

	if (!ev) {
		for (size_t i = 0; i < h->nevents; i++)
			print_error("  event %zu: %s\n", i, h->events[i]);
		fail_msg("no %s event (from %zu)", name, from);
	}
	return ev;
}

size_t harness_mark(struct harness *h)
{
	return h->nevents;
}

const char *harness_str(json_t *ev, const char *key)
{
	return json_string_value(json_object_get(ev, key));
}

long long harness_int(json_t *ev, const char *key)
{
	return (long long)json_integer_value(json_object_get(ev, key));
}

bool harness_bool(json_t *ev, const char *key)
{
	return json_is_true(json_object_get(ev, key));
}

size_t harness_count(struct harness *h, const char *name, size_t from)
{
	size_t n = 0;
	long i;

	while ((i = harness_find(h, name, from)) >= 0) {
		n++;
		from = (size_t)i + 1;
	}
	return n;
}

char *harness_accounts_text(struct harness *h)
{
	FILE *f = fopen(h->accounts, "r");
	char *text = NULL;
	size_t len = 0;

	assert_non_null(f);
	assert_true(getdelim(&text, &len, '\0', f) > 0);
	fclose(f);
	return text;
}

long long harness_query_int(struct harness *h, const char *sql)
{
	char *path = NULL;
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	long long v = -1;

	/* The pass, then what the store's policy would commit a little later
	 * (history.c), without moving the clock. */
	harness_advance(h, 0);
	history_commit_now(h->core);
	path = harness_db_path(h);
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	free(path);
	return v;
}

char *harness_db_path(struct harness *h)
{
	char *path = NULL;

	assert_true(asprintf(&path, "%s/natter/%s/history.db", h->dir, h->jid) > 0);
	return path;
}
