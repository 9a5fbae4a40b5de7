/* The core under test: see core_harness.h. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "config/accounts.h"
#include "config/settings.h"
#include "core/core.h"
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

struct harness *harness_new(const char *bare_jid, const char *extra_settings)
{
	return harness_new_with(bare_jid, extra_settings, NULL);
}

struct harness *harness_new_with(const char *bare_jid, const char *extra_settings,
				 void (*tweak)(struct account *a))
{
	struct harness *h = calloc(1, sizeof(*h));
	char tmpl[] = "/tmp/natter-unit-XXXXXX", *rc = NULL;
	struct settings settings = {0};
	struct account acct = {0};
	struct core_options opt = {0};
	char *err = NULL;

	assert_non_null(h);
	assert_non_null(mkdtemp(tmpl));
	h->dir = strdup(tmpl);
	h->jid = strdup(bare_jid);
	assert_true(asprintf(&h->full, "%s/natter", bare_jid) > 0);
	setenv("XDG_DATA_HOME", h->dir, 1);
	setenv("XDG_CONFIG_HOME", h->dir, 1);
	assert_true(asprintf(&rc, "%s/natterrc", h->dir) > 0);
	write_file(rc, extra_settings ? extra_settings : "");
	if (settings_load(rc, &settings, &err))
		fail_msg("natterrc: %s", err);
	free(rc);
	h->now = 1000000;
	h->loop = loop_new();
	assert_non_null(h->loop);
	loop_set_clock(h->loop, clock_now, h);
	acct.name = "test";
	acct.jid = h->jid;
	acct.password = "secret";
	acct.resource = "natter";
	if (tweak)
		tweak(&acct);
	opt.loop = h->loop;
	opt.account = &acct;
	opt.settings = &settings;
	opt.frontend = (struct nt_frontend){record, h};
	h->core = core_new(&opt);
	assert_non_null(h->core);
	settings_free(&settings);
	h->xs = fake_xs();
	assert_int_equal(core_start(h->core, false), 0);
	return h;
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
	free(h->jid);
	free(h->full);
	free(h);
}

void harness_online(struct harness *h)
{
	fake_online(h->xs, h->full, false, true);
}

void harness_online_quiet(struct harness *h)
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
				      "ver='v0'/></iq>",
				      id);
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
