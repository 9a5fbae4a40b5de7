/* The event core under test: a real core (every module, a real store in a
 * temporary directory, a loop whose clock the test moves) on the fake
 * session (fake_session.h), with a front end that keeps every event as a
 * JSON line, as headless mode prints it.
 *
 * The loop's clock is the harness's: it starts at HARNESS_T0 and moves
 * only with harness_advance(), for the timers and for the wall-clock time
 * the core gives messages alike (loop_wall()). */
#ifndef NATTER_TESTS_CORE_HARNESS_H
#define NATTER_TESTS_CORE_HARNESS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/event.h"
#include "fake_session.h"

struct harness {
	struct loop *loop;
	struct core *core;
	struct xs *xs;
	char *jid;      /* the account's bare JID */
	char *full;     /* bound as jid/natter */
	char *dir;      /* XDG_DATA_HOME and XDG_CONFIG_HOME live here */
	char *accounts; /* the accounts file the core writes pins and passwords to */
	char **events;
	size_t nevents;
	uint64_t now; /* the loop's clock, ms since the epoch */
	/* Account keys the test set (harness_new_with), kept for restarts. */
	void (*tweak)(struct account *a);
	struct nt_frontend fe; /* a front end of the test's own, or none */
};

/* 2023-11-14T22:13:20Z: a wall-clock time, so that message times and
 * stamps compare as they would in natter. */
#define HARNESS_T0 1700000000000ULL

/* The account most tests use. */
#define HARNESS_JID "alice@example.org"

/* A started core for the account bare_jid, not connected.  extra_settings
 * may be NULL or natterrc text ("[history]\nmam_initial = 0\n"). */
struct harness *harness_new(const char *bare_jid, const char *extra_settings);
/* The same with account keys set by tweak (its strings must outlive the
 * call only: the core copies the account). */
struct account;
struct harness *harness_new_with(const char *bare_jid, const char *extra_settings,
                                 void (*tweak)(struct account *a));
/* The same with another front end (the benchmark's): events then go to fe
 * and are not recorded. */
struct harness *harness_new_fe(const char *bare_jid, const char *extra_settings,
                               struct nt_frontend fe);
void harness_free(struct harness *h);
/* cmocka fixtures: a harness for HARNESS_JID without an archive window
 * (mam_initial = 0: a login asks the archive nothing), and its end. */
int harness_setup(void **state);
int harness_teardown(void **state);
/* natter quits and starts again on the same files (store, caches,
 * accounts file): a new core, a new fake session, no events. */
void harness_restart(struct harness *h);

/* A fresh session comes up (bound to jid/natter). */
void harness_online(struct harness *h);
/* Answers the login's roster request with items (XML <item/>s, NULL: none):
 * the initial presence goes out then (it waits for the roster). */
void harness_answer_roster(struct harness *h, const char *items);
/* The same, then the login's requests (roster, carbons, archive) are
 * answered with empty results and the sent stanzas and events cleared. */
void harness_online_quiet(struct harness *h);
/* The same with these roster items (XML <item/>s). */
void harness_online_roster(struct harness *h, const char *items);

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
/* Members of an event: a string (NULL when absent), an integer (0 when
 * absent), a boolean (false when absent). */
const char *harness_str(json_t *ev, const char *key);
long long harness_int(json_t *ev, const char *key);
bool harness_bool(json_t *ev, const char *key);
/* How many events named name there are from index from on. */
size_t harness_count(struct harness *h, const char *name, size_t from);

/* Runs one loop pass and commits what the store would commit a little
 * later (history_commit_now: the clock does not move), then one SQL query
 * on the account's history.db through a connection of its own: the
 * integer in the first column of the first row (-1: no row).  What the
 * core stored, seen from outside the core. */
long long harness_query_int(struct harness *h, const char *sql);
/* The account's history.db (malloc'd), for a test's own SQLite reads. */
char *harness_db_path(struct harness *h);

/* The accounts file as the core left it (malloc'd). */
char *harness_accounts_text(struct harness *h);

#endif
