/* The event core under test: a real core (every module, a real store in a
 * temporary directory, a loop whose clock the test moves) on the fake
 * session (fake_session.h), with a front end that keeps every event as a
 * JSON line, as headless mode prints it. */
#ifndef NATTER_TESTS_CORE_HARNESS_H
#define NATTER_TESTS_CORE_HARNESS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "fake_session.h"

struct harness {
	struct loop *loop;
	struct core *core;
	struct xs *xs;
	char *jid;   /* the account's bare JID */
	char *full;  /* bound as jid/natter */
	char *dir;   /* XDG_DATA_HOME and XDG_CONFIG_HOME live here */
	char **events;
	size_t nevents;
	uint64_t now; /* the loop's clock, ms */
};

/* A started core for the account bare_jid, not connected.  extra_settings
 * may be NULL or natterrc text ("[history]\nmam_initial = 0\n"). */
struct harness *harness_new(const char *bare_jid, const char *extra_settings);
/* The same with account keys set by tweak (its strings must outlive the
 * call only: the core copies the account). */
struct account;
struct harness *harness_new_with(const char *bare_jid, const char *extra_settings,
				 void (*tweak)(struct account *a));
void harness_free(struct harness *h);

/* A fresh session comes up (bound to jid/natter). */
void harness_online(struct harness *h);
/* The same, then the login's requests (roster, carbons, archive) are
 * answered with empty results and the sent stanzas and events cleared. */
void harness_online_quiet(struct harness *h);

/* One input line, with that origin. */
int harness_input(struct harness *h, const char *line, uint64_t origin);
/* Moves the clock by ms and runs one loop pass (timers, prepare hooks:
 * commits to the store). */
void harness_advance(struct harness *h, uint64_t ms);

/* Events: the index of the first one named name at or after from, or -1;
 * its JSON (parsed: json_decref it), or NULL. */
long harness_find(struct harness *h, const char *name, size_t from);
json_t *harness_get(struct harness *h, const char *name, size_t from);
/* Fails the test when there is no such event; returns it parsed. */
json_t *harness_expect(struct harness *h, const char *name, size_t from);
size_t harness_mark(struct harness *h);
void harness_clear(struct harness *h);

#endif
