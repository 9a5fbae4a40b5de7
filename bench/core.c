/* The event core at scale, in-process, without a server: the whole core on
 * the unit tests' fake session (tests/unit/fake_session.c), with the
 * terminal UI's roster model (ui/contacts.c) as its front end.
 *
 *  - login with a roster of N items, then N presences (N = 1,000 and
 *    10,000: the ratio shows anything worse than linear);
 *  - a flood of 10,000 chat messages into the store, arriving 10 per
 *    5 ms loop pass (Prosody's pace on loopback): bytes and write calls
 *    of the process, commits, the database and its WAL afterwards.
 *
 * Prints figures, never fails on speed.  Under callgrind (bench/core.sh
 * runs it so when valgrind is there) each section is dumped on its own,
 * so the instruction counts hold on a busy machine. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#ifdef HAVE_VALGRIND_CALLGRIND_H
#include <valgrind/callgrind.h>
#else
#define CALLGRIND_ZERO_STATS
#define CALLGRIND_DUMP_STATS_AT(name)
#endif

#include "core/core.h"
#include "core/history.h"
#include "../tests/unit/core_harness.h"
#include "ui/contacts.h"

#define ME               "alice@localhost"
#define PEER             "bob@localhost"
#define FLOOD            10000
#define FLOOD_PER_PASS   10 /* messages that arrive in one 5 ms loop pass */
#define PASS_MS          5
#define STANZAS_PER_PASS 256 /* what session.c hands the core per pass */

/* ---- the front end: the UI's roster model, as ui.c feeds it ---- */

struct fe {
	struct contacts contacts;
	size_t events, messages;
};

static void fe_emit(void *ud, const struct nt_event *ev)
{
	struct fe *fe = ud;

	fe->events++;
	switch (ev->kind) {
	case NT_EV_ROSTER:
		contacts_replace(&fe->contacts, ev->u.roster.items, ev->u.roster.count);
		break;
	case NT_EV_ROSTER_PUSH:
		contacts_push(&fe->contacts, &ev->u.roster_push.item);
		break;
	case NT_EV_PRESENCE:
		contacts_presence(&fe->contacts, ev->u.presence.from, ev->u.presence.type,
		                  ev->u.presence.show, ev->u.presence.priority);
		break;
	case NT_EV_MESSAGE:
		fe->messages++;
		break;
	default:
		break;
	}
}

/* ---- measuring ---- */

struct io {
	unsigned long long wchar, syscw, write_bytes;
};

static void io_now(struct io *io)
{
	FILE *f = fopen("/proc/self/io", "r");
	char key[64];
	unsigned long long v;

	memset(io, 0, sizeof(*io));
	if (!f)
		return;
	while (fscanf(f, "%63[^:]: %llu\n", key, &v) == 2) {
		if (!strcmp(key, "wchar"))
			io->wchar = v;
		else if (!strcmp(key, "syscw"))
			io->syscw = v;
		else if (!strcmp(key, "write_bytes"))
			io->write_bytes = v;
	}
	fclose(f);
}

static double cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
	       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static long file_size(const char *dir, const char *name)
{
	char *path = NULL;
	struct stat st;
	long n = 0;

	if (asprintf(&path, "%s/natter/%s/%s", dir, ME, name) > 0 && !stat(path, &st))
		n = (long)st.st_size;
	free(path);
	return n;
}

/* This thread's CPU time: a step's cost, whatever else the machine does
 * (wall time on a shared machine mostly measures the others). */
static double step_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* ---- building stanzas ---- */

struct buf {
	char *s;
	size_t len, cap;
};

static void add(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void add(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
		if (n >= 0 && (size_t)n < b->cap - b->len)
			break;
		b->cap = b->cap ? 2 * b->cap + (size_t)n : 65536;
		b->s = realloc(b->s, b->cap);
		if (!b->s) {
			fprintf(stderr, "bench/core: out of memory\n");
			exit(1);
		}
	}
	b->len += (size_t)n;
}

/* Answers the login's requests: the roster with n items (as Prosody sends
 * the bench's: names, 10 groups, subscription both), the rest empty.
 * *core_ms: how long the core took over the roster (its parsing is the
 * network thread's in natter). */
static void answer_login(struct harness *h, size_t n, double *core_ms)
{
	for (size_t i = 0; i < fake_sent_count(h->xs); i++) {
		const char *s = fake_sent(h->xs, i);
		char *id;

		if (!strstr(s, "type=\"get\"") && !strstr(s, "type=\"set\""))
			continue;
		id = fake_sent_id(h->xs, i);
		if (strstr(s, "jabber:iq:roster")) {
			struct buf b = {0};

			add(&b,
			    "<iq type='result' id='%s'><query xmlns='jabber:iq:roster' ver='1'>"
			    "<item jid='" PEER "' name='Bob' subscription='both'/>",
			    id);
			for (size_t k = 0; k < n; k++)
				add(&b,
				    "<item jid='c%05zu@contacts.localhost' name='Contact %05zu' "
				    "subscription='both'><group>Group %zu</group></item>",
				    k, k, k % 10);
			add(&b, "</query></iq>");
			{
				/* as the network thread delivers it: the items read
				 * while parsed (rosterstream.h), out of the tree */
				xmpp_stanza_t *st = fake_streamed_stanza(h->xs, b.s);
				double t0 = step_ms();

				fake_receive_stanza(h->xs, st);
				if (core_ms)
					*core_ms = step_ms() - t0;
				xmpp_stanza_release(st);
			}
			free(b.s);
		} else {
			fake_receivef(h->xs, "<iq type='result' id='%s'/>", id);
		}
		free(id);
	}
	fake_clear_sent(h->xs);
}

/* ---- the sections ---- */

struct roster_fig {
	double cpu, longest_pass_ms;
	size_t shown, events;
	long rss_kb;
};

static long rss_kb(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[128];
	long kb = 0;

	while (f && fgets(line, sizeof line, f))
		if (!strncmp(line, "VmRSS:", 6))
			kb = strtol(line + 6, NULL, 10);
	if (f)
		fclose(f);
	return kb;
}

static void roster_login(size_t n, struct roster_fig *fig, const char *label)
{
	struct fe fe = {0};
	struct harness *h =
	    harness_new_fe(ME, "[history]\nmam_initial = 0\n", (struct nt_frontend){fe_emit, &fe});
	double t0, p0;
	long rss0 = rss_kb();

	CALLGRIND_ZERO_STATS;
	t0 = cpu_s();
	harness_online(h);
	/* the roster's answer is handled in one go: what a key typed meanwhile
	 * waits for, with each pass after it */
	answer_login(h, n, &fig->longest_pass_ms);
	p0 = step_ms();
	harness_advance(h, 0);
	if (step_ms() - p0 > fig->longest_pass_ms)
		fig->longest_pass_ms = step_ms() - p0;
	/* Every contact comes online from one resource with entity caps (one
	 * ver for all, as when everyone runs the same client). */
	for (size_t k = 0; k < n; k++) {
		fake_receivef(
		    h->xs,
		    "<presence from='c%05zu@contacts.localhost/phone' to='" ME "/natter'>"
		    "<show>away</show><status>out for lunch</status><priority>5</priority>"
		    "<c xmlns='http://jabber.org/protocol/caps' hash='sha-1' "
		    "node='http://example.org' ver='QgayPKawpkPSDYmwT/WM94uAlu0='/>"
		    "</presence>",
		    k);
		if (k % STANZAS_PER_PASS == STANZAS_PER_PASS - 1) {
			p0 = step_ms();
			harness_advance(h, PASS_MS);
			if (step_ms() - p0 > fig->longest_pass_ms)
				fig->longest_pass_ms = step_ms() - p0;
		}
	}
	harness_advance(h, PASS_MS);
	fig->cpu = cpu_s() - t0;
	CALLGRIND_DUMP_STATS_AT(label);
	fig->rss_kb = rss_kb() - rss0;
	fig->events = fe.events;
	fig->shown = fe.contacts.n;
	harness_free(h);
	contacts_free(&fe.contacts);
}

struct flood_fig {
	double cpu, longest_pass_ms;
	struct io io;
	struct store_stats st;
	long db, wal;
	size_t reported;
};

static void flood(struct flood_fig *fig)
{
	struct fe fe = {0};
	struct harness *h =
	    harness_new_fe(ME, "[history]\nmam_initial = 0\n", (struct nt_frontend){fe_emit, &fe});
	struct io a, b;
	double t0;

	harness_online(h);
	answer_login(h, 100, NULL);
	harness_advance(h, PASS_MS);
	history_stats(h->core, &fig->st);
	{
		struct store_stats before = fig->st;

		CALLGRIND_ZERO_STATS;
		io_now(&a);
		t0 = cpu_s();
		for (int i = 0; i < FLOOD; i++) {
			fake_receivef(h->xs,
			              "<message from='" PEER "/flood' to='" ME
			              "/natter' type='chat' "
			              "id='flood-%d'><body>message %d of the flood, "
			              "padded to eighty characters like the bench's ........</body>"
			              "<stanza-id xmlns='urn:xmpp:sid:0' by='" ME "' "
			              "id='a%08d-5c1d-4a8b-9e7f-%012d'/></message>",
			              i, i, i, i);
			if (i % FLOOD_PER_PASS == FLOOD_PER_PASS - 1) {
				/* the pass that commits is what a key typed meanwhile
				 * waits for */
				double p0 = step_ms();

				harness_advance(h, PASS_MS);
				if (step_ms() - p0 > fig->longest_pass_ms)
					fig->longest_pass_ms = step_ms() - p0;
			}
		}
		/* The stream goes quiet: whatever waits is committed, indexed
		 * and checkpointed in the next seconds, a pass at a time (a key
		 * typed then waits for one of them too). */
		for (int i = 0; i < 50; i++) {
			double p0 = step_ms();

			harness_advance(h, 100);
			if (step_ms() - p0 > fig->longest_pass_ms)
				fig->longest_pass_ms = step_ms() - p0;
		}
		fig->cpu = cpu_s() - t0;
		io_now(&b);
		CALLGRIND_DUMP_STATS_AT("flood-10000");
		history_stats(h->core, &fig->st);
		fig->st.commits -= before.commits;
		fig->st.checkpoints -= before.checkpoints;
		fig->st.index_passes -= before.index_passes;
	}
	fig->io.wchar = b.wchar - a.wchar;
	fig->io.syscw = b.syscw - a.syscw;
	fig->io.write_bytes = b.write_bytes - a.write_bytes;
	fig->db = file_size(h->dir, "history.db");
	fig->wal = file_size(h->dir, "history.db-wal");
	fig->reported = fe.messages;
	harness_free(h);
	contacts_free(&fe.contacts);
}

static void row(const char *what, const char *fig, const char *target)
{
	printf("  %-52s %18s   %s\n", what, fig, target);
}

int main(void)
{
	struct roster_fig r1, r10;
	struct flood_fig f;
	char s[64];

	/* The harness's temporary directories and the store's log lines. */
	setenv("TMPDIR", "/tmp", 0);
	printf("natter core benchmark (fake session, UI roster model)\n");
	fflush(stdout);
	roster_login(1000, &r1, "roster-1000");
	roster_login(10000, &r10, "roster-10000");
	flood(&f);

	printf("\n  %-52s %18s   %s\n", "measure", "figure", "target");
	snprintf(s, sizeof s, "%.3f s", r1.cpu);
	row("login: roster of 1,000 + 1,000 presences, CPU", s, "-");
	snprintf(s, sizeof s, "%.3f s", r10.cpu);
	row("login: roster of 10,000 + 10,000 presences, CPU", s, "< 1 s");
	snprintf(s, sizeof s, "%.1f x", r1.cpu > 0 ? r10.cpu / r1.cpu : 0);
	row("  10x the contacts cost", s, "~10 x (linear)");
	snprintf(s, sizeof s, "%.1f ms", r10.longest_pass_ms);
	row("  longest step, CPU (the roster's answer, or a pass)", s, "< 15 ms");
	snprintf(s, sizeof s, "%zu / %ld MB", r10.shown, r10.rss_kb / 1024);
	row("  contacts in the UI model / memory grown", s, "10,001 / -");
	snprintf(s, sizeof s, "%.3f s", f.cpu);
	row("flood of 10,000 messages into the store, CPU", s, "-");
	snprintf(s, sizeof s, "%.1f ms", f.longest_pass_ms);
	row("  longest loop pass, CPU (what a key waits for)", s, "< 15 ms");
	snprintf(s, sizeof s, "%.1f MB", f.io.wchar / 1e6);
	row("  bytes written (write calls' bytes)", s, "<= 10 MB");
	snprintf(s, sizeof s, "%llu", f.io.syscw);
	row("  write calls", s, "<= 2,000");
	snprintf(s, sizeof s, "%llu", (unsigned long long)f.st.commits);
	row("  commits", s, "tens, not thousands");
	snprintf(s, sizeof s, "%llu", (unsigned long long)f.st.checkpoints);
	row("  WAL checkpoints", s, "-");
	snprintf(s, sizeof s, "%.1f + %.1f MB", f.db / 1e6, f.wal / 1e6);
	row("  database + WAL afterwards", s, "<= 5 MB");
	snprintf(s, sizeof s, "%zu", f.reported);
	row("  messages reported", s, "10,000");
	printf("\n(instructions per section: bench/core.sh runs this under callgrind)\n");
	return 0;
}
