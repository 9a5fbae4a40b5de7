/* libFuzzer target for the event core: whatever a server or a peer sends
 * reaches every module as it would in natter.
 *
 * Each input runs a fresh core (all modules, a fresh store) on the fake
 * session of the unit tests, logged in and with a few requests of its own
 * under way, whose answers the input may give (see REQUESTS: their ids are
 * fixed).  The input is one stanza as XML text, or several separated by NUL
 * bytes (at most MAX_STANZAS); each is dispatched as if from the server,
 * then the loop runs one pass on a clock that moves a second; at the end
 * every pending request times out, the link drops and comes back, and
 * natter starts again on the store and caches the input left.
 * Invariants: no crash, no leak (the core is freed each time), and every
 * event is one valid JSON object whose strings are terminal-safe
 * (safe_text.h): line breaks and tabs only in the texts that may have
 * them. */
#include "config.h"

#include <ftw.h>
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <strophe.h>

#include "config/accounts.h"
#include "config/settings.h"
#include "core/core.h"
#include "fake_session.h"
#include "headless/event_json.h"
#include "loop/loop.h"
#include "safe_text.h"
#include "util/log.h"
#include "util/text.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ME          "alice@example.org"
#define MAX_STANZAS 16
#define T0          1700000000000ULL

/* Sent after the login, in this order.  With the login's own requests
 * (fake-1 roster, fake-2 the blocklist, fake-3 carbons, fake-4 the archive's
 * queryid, fake-5 its page, fake-6 and fake-7 OMEMO's device list and
 * publication, fake-8 the account's disco#info for bookmarks) their iq ids
 * are fake-9 to fake-20: the seed corpus answers them
 * (tests/fuzz/corpus/core/README). */
static const char *const REQUESTS[] = {
    "/version bob@example.org/pc",         /* fake-9 */
    "/disco info example.org",             /* fake-10 */
    "/disco items example.org",            /* fake-11 */
    "/vcard bob@example.org",              /* fake-12 */
    "/ping",                               /* fake-13 */
    "/roster add carol@example.org Carol", /* fake-14 */
    "/xhtml bob@example.org/pc <b>hi</b>", /* fake-15: does bob/pc render it? */
    "/vcard set FN Alice",                 /* fake-16: our vCard first */
    "/password n3w",                       /* fake-17 */
    "/status invisible",                   /* fake-18: does the server offer it? */
    "/ping bob@example.org/pc",            /* fake-19 */
    "/join room@muc.example.org/alice",    /* fake-20: the room's disco#info */
};

static char *dir;
static uint64_t now;

static uint64_t clock_now(void *ud)
{
	(void)ud;
	return now;
}

/* Strings that may hold line breaks and tabs: message bodies, status
 * messages, the text of info and error events, a PubSub item's XML. */
static unsigned flags_for(const char *key)
{
	static const char *const multiline[] = {"body", "text", "status", "payload"};

	for (size_t i = 0; key && i < sizeof(multiline) / sizeof(multiline[0]); i++)
		if (!strcmp(key, multiline[i]))
			return TEXT_KEEP_NEWLINES | TEXT_KEEP_TABS;
	return 0;
}

static void check_json(json_t *v, const char *key)
{
	const char *k;
	json_t *el;
	size_t i;

	switch (json_typeof(v)) {
	case JSON_STRING:
		check_safe(json_string_value(v), flags_for(key));
		break;
	case JSON_OBJECT:
		json_object_foreach(v, k, el)
		{
			check_safe(k, 0);
			check_json(el, k);
		}
		break;
	case JSON_ARRAY:
		json_array_foreach(v, i, el) check_json(el, key);
		break;
	default:
		break;
	}
}

static void emit(void *ud, const struct nt_event *ev)
{
	char *line = event_json(ev);
	json_error_t err;
	json_t *o;

	(void)ud;
	CHECK(line);
	CHECK(!strchr(line, '\n'));
	o = json_loads(line, 0, &err);
	CHECK(json_is_object(o));
	CHECK(json_is_string(json_object_get(o, "event")));
	check_json(o, NULL);
	json_decref(o);
	free(line);
}

static void write_file(const char *name, const char *text)
{
	char *path = NULL;
	FILE *f;

	CHECK(asprintf(&path, "%s/%s", dir, name) > 0);
	f = fopen(path, "w");
	CHECK(f);
	fputs(text, f);
	CHECK(fclose(f) == 0);
	free(path);
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* The directory goes when the run ends (it stays after a crash, with the
 * store as the crash left it). */
static void cleanup(void)
{
	nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char tmpl[] = "/tmp/natter-fuzz-core-XXXXXX", shm[] = "/dev/shm/natter-fuzz-core-XXXXXX";

	(void)argc;
	(void)argv;
	/* A failed check in the fake session aborts: a crash libFuzzer keeps. */
	setenv("CMOCKA_TEST_ABORT", "1", 1);
	dir = mkdtemp(shm);
	if (!dir)
		dir = mkdtemp(tmpl);
	CHECK(dir);
	dir = strdup(dir);
	CHECK(dir);
	atexit(cleanup);
	setenv("XDG_DATA_HOME", dir, 1);
	setenv("XDG_CONFIG_HOME", dir, 1);
	/* A small archive window: the first login's catch-up has both phases. */
	write_file("natterrc", "[history]\nmam_initial = 2\n");
	write_file("accounts", "[fuzz]\njid = " ME "\npassword = secret\n");
	log_set_stream(NULL);
	return 0;
}

/* The store starts empty for every input, so a crash reproduces from the
 * input alone. */
static void forget_store(void)
{
	static const char *const files[] = {"history.db", "history.db-wal", "history.db-shm"};

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char *path = NULL;

		CHECK(asprintf(&path, "%s/natter/" ME "/%s", dir, files[i]) > 0);
		unlink(path);
		free(path);
	}
}

static struct core *start(struct loop *loop)
{
	struct settings settings = {0};
	struct account acct = {0};
	struct core_options opt = {0};
	char *rc = NULL, *accounts = NULL, *err = NULL;
	struct core *core;

	CHECK(asprintf(&rc, "%s/natterrc", dir) > 0);
	CHECK(asprintf(&accounts, "%s/accounts", dir) > 0);
	CHECK(settings_load(rc, &settings, &err) == 0);
	acct.name = "fuzz";
	acct.jid = ME;
	acct.password = "secret";
	acct.resource = "natter";
	opt.loop = loop;
	opt.account = &acct;
	opt.accounts_path = accounts;
	opt.settings = &settings;
	opt.frontend = (struct nt_frontend){emit, NULL};
	core = core_new(&opt);
	CHECK(core);
	CHECK(core_start(core, false) == 0);
	settings_free(&settings);
	free(rc);
	free(accounts);
	return core;
}

/* For whoever writes seeds (NATTER_FUZZ_SHOW_SENT=1): what the core
 * sent, with the ids an answer must quote. */
static void show_sent(struct xs *xs, size_t from)
{
	if (!getenv("NATTER_FUZZ_SHOW_SENT"))
		return;
	for (size_t i = from; i < fake_sent_count(xs); i++)
		fprintf(stderr, "sent %zu: %s\n", i, fake_sent(xs, i));
}

/* Dispatches one stanza (NUL-terminated text) if it parses. */
static void feed(struct xs *xs, const char *text)
{
	xmpp_stanza_t *st = xmpp_stanza_new_from_string(xs_ctx(xs), text);

	if (!st)
		return;
	fake_receive_stanza(xs, st);
	xmpp_stanza_release(st);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct loop *loop = loop_new();
	struct core *core;
	struct xs *xs;
	char *copy = malloc(size + 1), *p, *end;
	int n = 0;

	CHECK(loop && copy);
	memcpy(copy, data, size);
	copy[size] = '\0';
	now = T0;
	loop_set_clock(loop, clock_now, NULL);
	forget_store();
	core = start(loop);
	xs = fake_xs();
	core_connect(core);
	fake_online(xs, ME "/natter", false, true);
	for (size_t i = 0; i < sizeof(REQUESTS) / sizeof(REQUESTS[0]); i++)
		core_input(core, REQUESTS[i], i + 1);
	core_input(core, "/msg bob@example.org a chat is open", 20);
	for (p = copy, end = copy + size; p <= end && n < MAX_STANZAS; p += strlen(p) + 1, n++) {
		size_t before = fake_sent_count(xs);

		if (*p)
			feed(xs, p);
		now += 1000;
		CHECK(loop_run_once(loop, 0) == 0);
		show_sent(xs, n ? before : 0);
	}
	/* What is still unanswered times out; the keepalive pings. */
	now += 61000;
	CHECK(loop_run_once(loop, 0) == 0);
	now += 61000;
	CHECK(loop_run_once(loop, 0) == 0);
	/* The link drops; the next attempt logs in afresh. */
	fake_offline(xs, NET_FAIL_NETWORK, NULL, "fuzz");
	now += 400000;
	CHECK(loop_run_once(loop, 0) == 0);
	fake_online(xs, ME "/natter", false, true);
	now += 1000;
	CHECK(loop_run_once(loop, 0) == 0);
	if (getenv("NATTER_FUZZ_SHOW_SENT"))
		fprintf(stderr, "%zu sent in all\n", fake_sent_count(xs));
	core_free(core);
	loop_free(loop);
	/* natter starts again on what it stored: the roster and caps caches
	 * it wrote from what the input said, the archive id to go on from. */
	loop = loop_new();
	CHECK(loop);
	loop_set_clock(loop, clock_now, NULL);
	core = start(loop);
	fake_online(fake_xs(), ME "/natter", false, true);
	now += 1000;
	CHECK(loop_run_once(loop, 0) == 0);
	core_free(core);
	loop_free(loop);
	free(copy);
	return 0;
}
