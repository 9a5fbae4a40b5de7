/* The history store's speed on generated data: bursts of incoming
 * messages, size on disk, scrollback pages and /history search at a
 * million messages.  Prints figures next to the targets; never fails on
 * speed (a slow machine is not a bug). */
#include "config.h"

#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "store/store.h"

#define BURST_TOTAL    100000
#define BURST_SIZE     1000
#define BIG_TOTAL      1000000
#define BIG_BATCH      100000
#define BIG_PEER_EVERY 10 /* one message in ten is with the 100,000-message contact */
#define PAGE_ROWS      50
#define PAGE_RUNS      2000
#define SEARCH_RUNS    300
#define NPEERS         200
#define BURST_PEERS    4 /* conversations in one realistic burst */
#define VOCAB          6000
#define INDEX_CHUNK    2000 /* what the core indexes per loop pass */

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint64_t next_rand(void)
{
	/* xorshift64*: fixed seed, the same data every run */
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 2685821657736338717ULL;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void die(const char *what, char *err)
{
	fprintf(stderr, "bench/history: %s: %s\n", what, err ? err : "out of memory");
	exit(1);
}

/* ---- text that looks like chat ---- */

static const char *const common[] = {
    "the",    "I",      "you",     "to",       "a",      "and",     "it",     "is",     "that",
    "of",     "in",     "for",     "on",       "me",     "we",      "be",     "have",   "not",
    "this",   "with",   "ok",      "just",     "so",     "but",     "are",    "at",     "do",
    "can",    "was",    "yes",     "no",       "what",   "will",    "get",    "if",     "my",
    "lol",    "now",    "up",      "go",       "know",   "all",     "like",   "good",   "think",
    "see",    "time",   "when",    "tomorrow", "today",  "meeting", "lunch",  "call",   "later",
    "thanks", "sorry",  "home",    "work",     "train",  "late",    "coffee", "dinner", "weekend",
    "monday", "friday", "release", "build",    "server", "bug",     "fixed",  "patch",  "review",
    "café",   "naïve",  "привет",  "спасибо",  "日本",   "über",    "déjà",   "vu",
};

static char *vocab[VOCAB];
static double zipf_cdf[VOCAB];

static char *make_word(void)
{
	static const char *const syl[] = {"ka",  "lo", "mi", "ter", "an", "bel", "ro", "su",
	                                  "fen", "da", "vi", "nor", "pa", "qu",  "es", "tin",
	                                  "gar", "ol", "wy", "zen", "ch", "ist", "on", "ur"};
	int n = 1 + (int)(next_rand() % 3);
	char buf[32] = "";

	for (int i = 0; i < n; i++)
		strcat(buf, syl[next_rand() % (sizeof(syl) / sizeof(syl[0]))]);
	return strdup(buf);
}

/* Words by rank: the common ones first, then invented ones; word frequency
 * follows Zipf's law, as in real text. */
static void make_vocab(void)
{
	size_t nc = sizeof(common) / sizeof(common[0]);
	double sum = 0;

	for (size_t i = 0; i < VOCAB; i++) {
		vocab[i] = i < nc ? strdup(common[i]) : make_word();
		if (!vocab[i])
			die("vocabulary", NULL);
	}
	for (int i = 0; i < VOCAB; i++)
		zipf_cdf[i] = sum += 1.0 / (i + 1);
	for (int i = 0; i < VOCAB; i++)
		zipf_cdf[i] /= sum;
}

static int zipf_rank(void)
{
	double u = (double)(next_rand() >> 11) / (double)(1ULL << 53);
	int lo = 0, hi = VOCAB - 1;

	while (lo < hi) {
		int mid = (lo + hi) / 2;

		if (zipf_cdf[mid] < u)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* A line of 2 to 30 words, sometimes with punctuation. */
static void make_body(char *buf, size_t cap)
{
	int n = 2 + (int)(next_rand() % 12) + (next_rand() % 5 == 0 ? (int)(next_rand() % 17) : 0);
	size_t len = 0;

	buf[0] = '\0';
	for (int i = 0; i < n && len + 40 < cap; i++) {
		const char *w = vocab[zipf_rank()];
		uint64_t r = next_rand() % 20;

		len += (size_t)snprintf(buf + len, cap - len, "%s%s%s", i ? " " : "", w,
		                        r == 0   ? ","
		                        : r == 1 ? "!"
		                                 : "");
	}
	if (len + 2 < cap && next_rand() % 3 == 0)
		strcat(buf, "?");
}

struct gen {
	char peer[64], from[96], body[512], sid[40], oid[40], aid[40];
	int64_t ts;
	uint64_t n;
	int first, npeers; /* the contacts messages go to: first .. first + npeers - 1 */
};

/* The n-th generated message; with_big: every BIG_PEER_EVERY-th goes to
 * big@example.org. */
static struct store_msg make_msg(struct gen *g, bool with_big)
{
	bool out = next_rand() % 2;
	struct store_msg m;

	g->n++;
	if (with_big && g->n % BIG_PEER_EVERY == 0)
		snprintf(g->peer, sizeof g->peer, "big@example.org");
	else
		snprintf(g->peer, sizeof g->peer, "contact%d@example.org",
		         (g->first + (int)(next_rand() % (uint64_t)g->npeers)) % NPEERS);
	snprintf(g->from, sizeof g->from, "%s/phone", out ? "me@example.net" : g->peer);
	snprintf(g->sid, sizeof g->sid, "%016llx-%llu", (unsigned long long)next_rand(),
	         (unsigned long long)g->n);
	snprintf(g->oid, sizeof g->oid, "%016llx%016llx", (unsigned long long)next_rand(),
	         (unsigned long long)next_rand());
	snprintf(g->aid, sizeof g->aid, "%llu-%08llx", (unsigned long long)g->n,
	         (unsigned long long)(next_rand() & 0xffffffff));
	make_body(g->body, sizeof g->body);
	g->ts += 1000 + (int64_t)(next_rand() % 60000);
	m = (struct store_msg){
	    .peer = g->peer,
	    .direction = out ? STORE_OUT : STORE_IN,
	    .type = "chat",
	    .ts_ms = g->ts,
	    .from = g->from,
	    .to = out ? g->peer : "me@example.net/natter",
	    .body = g->body,
	    .stanza_id = g->sid,
	    .origin_id = g->oid,
	    .archive_id = g->aid,
	    .delivery = out ? STORE_DELIVERED : STORE_NONE,
	};
	return m;
}

/* ---- measuring ---- */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double pct(double *v, int n, double p)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return v[(int)(p * (n - 1) + 0.5)];
}

static long long file_size(const char *dir, const char *name)
{
	char path[512];
	struct stat st;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	return stat(path, &st) ? 0 : (long long)st.st_size;
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(p);
}

struct rowcount {
	long rows;
	size_t bytes;
};

static void count_row(const struct store_msg *m, void *ud)
{
	struct rowcount *c = ud;

	c->rows++;
	c->bytes += strlen(m->body);
}

static void row(const char *what, const char *figure, const char *target, bool ok)
{
	printf("  %-44s %16s   %-14s %s\n", what, figure, target, ok ? "ok" : "MISSED");
}

/* ---- the runs ---- */

/* Indexes for search in the core's chunks until caught up; the seconds
 * it took, and the longest chunk in ms. */
static double catch_up(struct store *s, double *max_chunk_ms)
{
	char *err = NULL;
	double t0 = now_ms(), t1 = t0;
	int n;

	do {
		double c = now_ms();

		n = store_index_some(s, INDEX_CHUNK, &err);
		if (n < 0)
			die("index", err);
		t1 = now_ms();
		if (max_chunk_ms && t1 - c > *max_chunk_ms)
			*max_chunk_ms = t1 - c;
	} while (n > 0);
	if (store_index_behind(s))
		die("index", "still behind after catching up");
	return (t1 - t0) / 1e3;
}

struct burst_figures {
	double rate;       /* inserts + commit: what a loop pass does with a burst */
	double index_rate; /* rows indexed for search per second, afterwards */
	double catch_up_s; /* from the last commit until the index has every row */
	double overall;    /* both together */
	double chunk_ms;   /* the longest indexing chunk */
	double bytes_per_msg;
};

/* npeers: how many conversations one burst spans; NPEERS is the worst
 * case (every burst touches every conversation's index pages), a few is
 * what a catch-up after a night offline or a busy evening looks like.
 * Search sees every row at once (the unindexed ones by a scan); the
 * index catches up afterwards, timed on its own so that neither figure
 * hides the other's cost. */
static void bench_bursts(const char *dir, int npeers, struct burst_figures *f)
{
	struct gen g = {.ts = 1600000000000, .npeers = npeers};
	char *err = NULL;
	struct store *s = store_open(dir, &err);
	double t0, t;

	if (!s)
		die("open", err);
	t0 = now_ms();
	for (int b = 0; b < BURST_TOTAL / BURST_SIZE; b++) {
		g.first = (int)(next_rand() % NPEERS);
		for (int i = 0; i < BURST_SIZE; i++) {
			struct store_msg m = make_msg(&g, false);

			if (store_add(s, &m, &err) < 0)
				die("add", err);
		}
		if (store_commit(s, &err))
			die("commit", err);
	}
	t = now_ms() - t0;
	f->rate = BURST_TOTAL / (t / 1e3);
	f->chunk_ms = 0;
	f->catch_up_s = catch_up(s, &f->chunk_ms);
	f->index_rate = BURST_TOTAL / f->catch_up_s;
	f->overall = BURST_TOTAL / (t / 1e3 + f->catch_up_s);
	store_close(s);
	f->bytes_per_msg =
	    (double)(file_size(dir, "history.db") + file_size(dir, "history.db-wal")) / BURST_TOTAL;
}

static int64_t *big_ids;
static int nbig;

static double build_big(const char *dir, struct store **sp, double *index_s)
{
	struct gen g = {.ts = 1500000000000, .npeers = NPEERS};
	char *err = NULL;
	struct store *s = store_open(dir, &err);
	double t0;

	if (!s)
		die("open", err);
	big_ids = malloc(sizeof(*big_ids) * (BIG_TOTAL / BIG_PEER_EVERY + 1));
	if (!big_ids)
		die("ids", NULL);
	t0 = now_ms();
	for (int i = 0; i < BIG_TOTAL; i++) {
		struct store_msg m = make_msg(&g, true);

		if (store_add(s, &m, &err) < 0)
			die("add", err);
		if (!strcmp(m.peer, "big@example.org"))
			big_ids[nbig++] = m.id;
		if ((i + 1) % BIG_BATCH == 0 && store_commit(s, &err))
			die("commit", err);
	}
	t0 = (now_ms() - t0) / 1e3;
	*index_s = catch_up(s, NULL);
	*sp = s;
	return t0;
}

/* A burst just committed and not indexed yet: what a search sees then. */
static void add_unindexed(struct store *s, int n)
{
	struct gen g = {.ts = 1700000000000, .npeers = NPEERS};
	char *err = NULL;

	for (int i = 0; i < n; i++) {
		struct store_msg m = make_msg(&g, false);

		if (store_add(s, &m, &err) < 0)
			die("add", err);
	}
	if (store_commit(s, &err))
		die("commit", err);
}

static void bench_pages(struct store *s, double *median, double *p99)
{
	static double v[PAGE_RUNS];
	char *err = NULL;

	for (int i = 0; i < PAGE_RUNS; i++) {
		/* the newest page half of the time (opening a window), else
		 * anywhere in the scrollback */
		int64_t before = i % 2 ? 0 : big_ids[PAGE_ROWS + next_rand() % (nbig - PAGE_ROWS)];
		struct rowcount c = {0};
		double t0 = now_ms();

		if (store_page(s, "big@example.org", before, PAGE_ROWS, count_row, &c, &err) !=
		    PAGE_ROWS)
			die("page", err);
		v[i] = now_ms() - t0;
	}
	*median = pct(v, PAGE_RUNS, 0.5);
	*p99 = pct(v, PAGE_RUNS, 0.99);
}

/* What people type: a word of any frequency, two words, a name-like rare
 * word, sometimes one that is not there at all. */
static void make_query(char *q, size_t cap, int i)
{
	switch (i % 5) {
	case 0:
		snprintf(q, cap, "%s", vocab[40 + next_rand() % 200]);
		break;
	case 1:
		snprintf(q, cap, "%s %s", vocab[48 + next_rand() % 40],
		         vocab[100 + next_rand() % 900]);
		break;
	case 2:
		snprintf(q, cap, "%s", vocab[1000 + next_rand() % (VOCAB - 1000)]);
		break;
	case 3:
		snprintf(q, cap, "%s %s", vocab[next_rand() % 20], vocab[next_rand() % 20]);
		break;
	default:
		snprintf(q, cap, "%s", i % 10 == 4 ? "xyzzyplugh" : vocab[next_rand() % VOCAB]);
	}
}

static void bench_search(struct store *s, double *median, double *p99, double *hits)
{
	static double v[SEARCH_RUNS];
	char *err = NULL, q[128];
	long total = 0;

	for (int i = 0; i < SEARCH_RUNS; i++) {
		struct rowcount c = {0};
		double t0;

		make_query(q, sizeof q, i);
		t0 = now_ms();
		if (store_search(s, q, 100, count_row, &c, &err) < 0)
			die("search", err);
		v[i] = now_ms() - t0;
		total += c.rows;
	}
	*median = pct(v, SEARCH_RUNS, 0.5);
	*p99 = pct(v, SEARCH_RUNS, 0.99);
	*hits = (double)total / SEARCH_RUNS;
}

int main(void)
{
	char tmp[] = "/tmp/natter-bench-XXXXXX", d1[64], d1b[64], d2[64], fig[64];
	double build_s, index_s, pmed, p99, smed, s99, hits, tmed, t99, thits;
	struct burst_figures many, few;
	struct store *big;

	if (!mkdtemp(tmp)) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(d1, sizeof d1, "%s/bursts", tmp);
	snprintf(d1b, sizeof d1b, "%s/bursts-few", tmp);
	snprintf(d2, sizeof d2, "%s/million", tmp);
	make_vocab();

	printf("natter history benchmark (SQLite %s), data in %s\n", sqlite3_libversion(), tmp);
	fflush(stdout);
	bench_bursts(d1, NPEERS, &many);
	bench_bursts(d1b, BURST_PEERS, &few);
	build_s = build_big(d2, &big, &index_s);
	bench_pages(big, &pmed, &p99);
	bench_search(big, &smed, &s99, &hits);
	add_unindexed(big, INDEX_CHUNK);
	bench_search(big, &tmed, &t99, &thits);
	catch_up(big, NULL);
	store_close(big);

	printf("\n  %-44s %16s   %-14s\n", "measure", "figure", "target");
	snprintf(fig, sizeof fig, "%.0f msg/s", many.rate);
	row("insert 100,000, bursts of 1,000 in 200 chats", fig, "> 50,000/s", many.rate > 50000);
	snprintf(fig, sizeof fig, "%.0f msg/s", few.rate);
	row("insert 100,000, bursts of 1,000 in 4 chats", fig, "> 50,000/s", few.rate > 50000);
	snprintf(fig, sizeof fig, "%.0f msg/s", many.index_rate);
	row("  then search indexing, 200 chats", fig, "-", true);
	snprintf(fig, sizeof fig, "%.2f s", many.catch_up_s);
	row("  index complete after the last commit", fig, "-", true);
	snprintf(fig, sizeof fig, "%.0f msg/s", many.overall);
	row("  store and index together, 200 chats", fig, "-", true);
	snprintf(fig, sizeof fig, "%.0f msg/s", few.index_rate);
	row("  then search indexing, 4 chats", fig, "-", true);
	snprintf(fig, sizeof fig, "%.2f s", few.catch_up_s);
	row("  index complete after the last commit", fig, "-", true);
	snprintf(fig, sizeof fig, "%.0f msg/s", few.overall);
	row("  store and index together, 4 chats", fig, "-", true);
	snprintf(fig, sizeof fig, "%.1f ms",
	         many.chunk_ms > few.chunk_ms ? many.chunk_ms : few.chunk_ms);
	row("longest indexing chunk (2,000 rows, one pass)", fig, "-", true);
	snprintf(fig, sizeof fig, "%.0f B", many.bytes_per_msg);
	row("size on disk per message (indexes, FTS)", fig, "-", true);
	snprintf(fig, sizeof fig, "%.3f ms", pmed);
	row("page of 50, 100,000-msg conversation, median", fig, "< 2 ms", pmed < 2);
	snprintf(fig, sizeof fig, "%.3f ms", p99);
	row("page of 50, 100,000-msg conversation, p99", fig, "-", true);
	snprintf(fig, sizeof fig, "%.2f ms", smed);
	row("/history search at 1,000,000 msgs, median", fig, "< 20 ms", smed < 20);
	snprintf(fig, sizeof fig, "%.2f ms", s99);
	row("/history search at 1,000,000 msgs, p99", fig, "-", true);
	snprintf(fig, sizeof fig, "%.2f ms", tmed);
	row("  the same, 2,000 newest not indexed, median", fig, "< 20 ms", tmed < 20);
	snprintf(fig, sizeof fig, "%.2f ms", t99);
	row("  the same, 2,000 newest not indexed, p99", fig, "-", true);
	printf("\n  (1,000,000 messages generated in %.1f s, %.0f msg/s in batches of %d,\n"
	       "   then indexed for search in %.1f s, %.0f msg/s;\n"
	       "   %.1f MB on disk; %.1f rows per search of at most 100, %.1f with the\n"
	       "   unindexed rows)\n",
	       build_s, BIG_TOTAL / build_s, BIG_BATCH, index_s, BIG_TOTAL / index_s,
	       (file_size(d2, "history.db") + file_size(d2, "history.db-wal")) / 1e6, hits, thits);

	nftw(tmp, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	for (int i = 0; i < VOCAB; i++)
		free(vocab[i]);
	free(big_ids);
	return 0;
}
