/* Unit tests for loop/loop: timers, fd watches, prepare hooks, sleeping. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "loop/loop.h"

#define UNUSED __attribute__((unused))

/* Every test that runs the loop also adds a guard timer, so a loop that
 * never stops fails the test instead of hanging; alarm() catches a loop
 * whose timers are broken altogether. */
#define GUARD_MS      3000
#define ALARM_SECONDS 20

/* What the callbacks saw, in order: one character per event. */
struct rec {
	struct loop *loop;
	char log[256];
	size_t n;
	int guard_fired;
};

static void rec_add(struct rec *r, char c)
{
	assert_true(r->n + 1 < sizeof(r->log));
	r->log[r->n++] = c;
	r->log[r->n] = '\0';
}

static int setup(void **state)
{
	struct rec *r = calloc(1, sizeof(*r));

	if (!r)
		return -1;
	r->loop = loop_new();
	if (!r->loop) {
		free(r);
		return -1;
	}
	alarm(ALARM_SECONDS);
	*state = r;
	return 0;
}

static int teardown(void **state)
{
	struct rec *r = *state;

	alarm(0);
	loop_free(r->loop);
	free(r);
	return 0;
}

static void guard_cb(struct loop *loop, void *ud)
{
	struct rec *r = ud;

	r->guard_fired = 1;
	loop_stop(loop);
}

static void run_guarded(struct rec *r)
{
	uint64_t guard = loop_timer_add(r->loop, GUARD_MS, guard_cb, r);

	assert_int_not_equal(guard, 0);
	assert_int_equal(loop_run(r->loop), 0);
	assert_false(r->guard_fired);
	loop_timer_cancel(r->loop, guard);
}

/* ---- timers ---- */

/* A timer that logs its letter; the struct lives in the test's frame. */
struct tmark {
	struct rec *r;
	char c;
	int stop;
};

static void mark_cb(struct loop *loop, void *ud)
{
	struct tmark *m = ud;

	rec_add(m->r, m->c);
	if (m->stop)
		loop_stop(loop);
}

/* A clock the test moves by hand: due times are exact whatever the
 * machine is doing, so the ordering tests never need to skip. */
static uint64_t fake_now;

static uint64_t fake_clock(void *ud)
{
	(void)ud;
	return fake_now;
}

/* Runs passes (never sleeping) until the loop stops, moving the fake clock
 * by step after each pass; bounded. */
static void run_fake(struct rec *r, uint64_t step)
{
	for (int i = 0; i < 10000 && !strchr(r->log, '!'); i++) {
		assert_int_equal(loop_run_once(r->loop, 0), 0);
		fake_now += step;
	}
}

static void stop_mark_cb(struct loop *loop, void *ud)
{
	struct tmark *m = ud;

	rec_add(m->r, m->c);
	rec_add(m->r, '!');
	(void)loop;
}

/* The wall clock (the time messages get) is the real one, unless a test
 * set its own clock, which then serves as both. */
static void test_wall_clock(void **state)
{
	struct rec *r = *state;
	int64_t before = loop_wall_now_ms(), got = loop_wall(r->loop);

	/* 2020 or later, and not behind the real clock read just before. */
	assert_true(got >= 1577836800000LL);
	assert_true(got >= before);
	loop_set_clock(r->loop, fake_clock, NULL);
	fake_now = 1700000000123ULL;
	assert_int_equal(loop_wall(r->loop), 1700000000123LL);
	assert_int_equal(loop_time(r->loop), 1700000000123ULL);
}

static void test_timers_fire_in_due_order(void **state)
{
	struct rec *r = *state;
	struct tmark d = {r, 'd', 0}, b = {r, 'b', 0}, c = {r, 'c', 0}, a = {r, 'a', 0};

	fake_now = 1000;
	loop_set_clock(r->loop, fake_clock, NULL);
	/* Added in an order unlike their due order. */
	assert_int_not_equal(loop_timer_add(r->loop, 60, stop_mark_cb, &d), 0);
	assert_int_not_equal(loop_timer_add(r->loop, 20, mark_cb, &b), 0);
	assert_int_not_equal(loop_timer_add(r->loop, 40, mark_cb, &c), 0);
	assert_int_not_equal(loop_timer_add(r->loop, 0, mark_cb, &a), 0);
	run_fake(r, 1);
	assert_string_equal(r->log, "abcd!");
}

static void test_overdue_timers_fire_in_due_order(void **state)
{
	struct rec *r = *state;
	struct tmark d = {r, 'd', 0}, b = {r, 'b', 0}, c = {r, 'c', 0}, a = {r, 'a', 0};

	fake_now = 5000;
	loop_set_clock(r->loop, fake_clock, NULL);
	/* All four are overdue by the first pass, so one pass has to pick
	 * them in due order rather than in array order. */
	loop_timer_add(r->loop, 30, stop_mark_cb, &d);
	loop_timer_add(r->loop, 10, mark_cb, &b);
	loop_timer_add(r->loop, 20, mark_cb, &c);
	loop_timer_add(r->loop, 0, mark_cb, &a);
	fake_now += 60;
	assert_int_equal(loop_run_once(r->loop, 0), 0);
	assert_string_equal(r->log, "abcd!");
}

static void test_many_timers_due_order(void **state)
{
	struct rec *r = *state;
	enum { N = 40, STEP = 3 };
	struct tmark m[N];
	int order[N];

	fake_now = 0;
	loop_set_clock(r->loop, fake_clock, NULL);
	/* A fixed shuffle of 0..N-1 (37 is coprime with 40). */
	for (int i = 0; i < N; i++)
		order[i] = (i * 37 + 11) % N;
	for (int i = 0; i < N; i++) {
		int k = order[i];

		m[k] = (struct tmark){r, (char)('0' + k), 0};
		assert_int_not_equal(loop_timer_add(r->loop, (uint64_t)k * STEP,
		                                    k == N - 1 ? stop_mark_cb : mark_cb, &m[k]),
		                     0);
	}
	run_fake(r, 1);
	assert_int_equal(r->n, N + 1);
	for (int k = 0; k < N; k++)
		assert_int_equal(r->log[k], '0' + k);
}

static void test_fake_clock_timer_fires_only_when_due(void **state)
{
	struct rec *r = *state;
	struct tmark a = {r, 'a', 0};

	fake_now = 100;
	loop_set_clock(r->loop, fake_clock, NULL);
	loop_timer_add(r->loop, 50, mark_cb, &a);
	fake_now = 149;
	assert_int_equal(loop_run_once(r->loop, 0), 0);
	assert_string_equal(r->log, "");
	fake_now = 150;
	assert_int_equal(loop_run_once(r->loop, 0), 0);
	assert_string_equal(r->log, "a");
	assert_int_equal(loop_time(r->loop), 150);
}

struct tstamp {
	uint64_t fired_at;
	int calls;
};

static void stamp_cb(struct loop *loop, void *ud)
{
	struct tstamp *s = ud;

	s->fired_at = loop_now_ms();
	s->calls++;
	loop_stop(loop);
}

static void test_timer_never_early(void **state)
{
	struct rec *r = *state;
	struct tstamp s = {0};
	uint64_t start = loop_now_ms();

	loop_timer_add(r->loop, 120, stamp_cb, &s);
	run_guarded(r);
	assert_int_equal(s.calls, 1);
	assert_true(s.fired_at >= start + 120);
}

static void test_timer_is_one_shot(void **state)
{
	struct rec *r = *state;
	struct tstamp s = {0};
	struct tmark end = {r, 'e', 1};

	loop_timer_add(r->loop, 0, stamp_cb, &s);
	run_guarded(r);
	assert_int_equal(s.calls, 1);
	/* Run on past several passes: the fired timer must not come back. */
	loop_timer_add(r->loop, 30, mark_cb, &end);
	run_guarded(r);
	assert_int_equal(s.calls, 1);
	assert_string_equal(r->log, "e");
}

static void test_timer_ids_distinct(void **state)
{
	struct rec *r = *state;
	struct tmark m = {r, 'x', 0};
	uint64_t ids[20];

	for (int i = 0; i < 20; i++) {
		ids[i] = loop_timer_add(r->loop, 1000, mark_cb, &m);
		assert_int_not_equal(ids[i], 0);
		for (int j = 0; j < i; j++)
			assert_int_not_equal(ids[i], ids[j]);
	}
}

static void test_cancelled_timer_never_fires(void **state)
{
	struct rec *r = *state;
	struct tmark a = {r, 'a', 0}, b = {r, 'b', 0}, c = {r, 'c', 1};
	uint64_t ida, idb;

	ida = loop_timer_add(r->loop, 10, mark_cb, &a);
	idb = loop_timer_add(r->loop, 20, mark_cb, &b);
	loop_timer_add(r->loop, 50, mark_cb, &c);
	loop_timer_cancel(r->loop, ida);
	run_guarded(r);
	assert_string_equal(r->log, "bc");
	(void)idb;
}

static void test_cancel_among_many(void **state)
{
	struct rec *r = *state;
	enum { N = 12 };
	struct tmark m[N];
	uint64_t id[N];

	for (int k = 0; k < N; k++) {
		m[k] = (struct tmark){r, (char)('a' + k), k == N - 1};
		id[k] = loop_timer_add(r->loop, (uint64_t)k * 4, mark_cb, &m[k]);
	}
	/* Cancel every odd one but keep the last (it stops the loop). */
	for (int k = 1; k < N - 1; k += 2)
		loop_timer_cancel(r->loop, id[k]);
	run_guarded(r);
	assert_string_equal(r->log, "acegikl");
}

static void test_cancel_zero_and_fired_harmless(void **state)
{
	struct rec *r = *state;
	struct tmark a = {r, 'a', 1}, b = {r, 'b', 1};
	uint64_t ida;

	ida = loop_timer_add(r->loop, 0, mark_cb, &a);
	run_guarded(r);
	assert_string_equal(r->log, "a");
	/* Neither may take a live timer with it. */
	loop_timer_add(r->loop, 10, mark_cb, &b);
	loop_timer_cancel(r->loop, 0);
	loop_timer_cancel(r->loop, ida);
	loop_timer_cancel(r->loop, ida);
	run_guarded(r);
	assert_string_equal(r->log, "ab");
}

/* Cancels the timer whose id it is given, then logs. */
struct canceller {
	struct rec *r;
	uint64_t victim;
	char c;
};

static void cancel_cb(struct loop *loop, void *ud)
{
	struct canceller *k = ud;

	loop_timer_cancel(loop, k->victim);
	rec_add(k->r, k->c);
}

static void test_cancel_from_callback(void **state)
{
	struct rec *r = *state;
	struct canceller k = {r, 0, 'k'};
	struct tmark v = {r, 'v', 0}, end = {r, 'e', 1};

	loop_timer_add(r->loop, 10, cancel_cb, &k);
	k.victim = loop_timer_add(r->loop, 30, mark_cb, &v);
	loop_timer_add(r->loop, 60, mark_cb, &end);
	run_guarded(r);
	assert_string_equal(r->log, "ke");
}

static void test_cancel_from_callback_same_pass(void **state)
{
	struct rec *r = *state;
	struct canceller k = {r, 0, 'k'};
	struct tmark v = {r, 'v', 0}, end = {r, 'e', 1};
	struct timespec ts = {0, 20 * 1000000L};

	/* Both are overdue when the loop first looks: the victim is due in
	 * the very pass that runs the canceller. */
	loop_timer_add(r->loop, 0, cancel_cb, &k);
	k.victim = loop_timer_add(r->loop, 2, mark_cb, &v);
	loop_timer_add(r->loop, 40, mark_cb, &end);
	nanosleep(&ts, NULL);
	run_guarded(r);
	assert_string_equal(r->log, "ke");
}

static void test_cancel_self_in_callback(void **state)
{
	struct rec *r = *state;
	struct canceller k = {r, 0, 'k'};
	struct tmark other = {r, 'o', 0}, end = {r, 'e', 1};

	k.victim = loop_timer_add(r->loop, 0, cancel_cb, &k);
	loop_timer_add(r->loop, 10, mark_cb, &other);
	loop_timer_add(r->loop, 30, mark_cb, &end);
	run_guarded(r);
	assert_string_equal(r->log, "koe");
}

/* Adds two timers from its callback: a later one and an immediate one. */
struct adder {
	struct rec *r;
	struct tmark later, now;
};

static void adder_cb(struct loop *loop, void *ud)
{
	struct adder *a = ud;

	rec_add(a->r, 'a');
	assert_int_not_equal(loop_timer_add(loop, 30, mark_cb, &a->later), 0);
	assert_int_not_equal(loop_timer_add(loop, 0, mark_cb, &a->now), 0);
}

static void test_add_timers_from_callback(void **state)
{
	struct rec *r = *state;
	struct adder a = {r, {r, 'L', 1}, {r, 'n', 0}};

	loop_timer_add(r->loop, 5, adder_cb, &a);
	run_guarded(r);
	assert_string_equal(r->log, "anL");
}

/* Re-arms itself a few times, counting the passes of a prepare hook. */
struct rearm {
	struct rec *r;
	int left;
};

static void rearm_cb(struct loop *loop, void *ud)
{
	struct rearm *a = ud;

	rec_add(a->r, 't');
	if (--a->left > 0)
		assert_int_not_equal(loop_timer_add(loop, 2, rearm_cb, a), 0);
	else
		loop_stop(loop);
}

static void test_timer_rearms_itself(void **state)
{
	struct rec *r = *state;
	struct rearm a = {r, 5};

	loop_timer_add(r->loop, 0, rearm_cb, &a);
	run_guarded(r);
	assert_string_equal(r->log, "ttttt");
}

static void test_equal_due_in_added_order(void **state)
{
	struct rec *r = *state;
	struct tmark a = {r, 'a', 0}, b = {r, 'b', 0}, c = {r, 'c', 0}, d = {r, 'd', 1};
	struct timespec ts = {0, 20 * 1000000L};
	uint64_t ta;

	/* Cancelling one moves another into its slot; order must not care. */
	ta = loop_timer_add(r->loop, 5, mark_cb, &a);
	loop_timer_add(r->loop, 5, mark_cb, &b);
	loop_timer_cancel(r->loop, ta);
	loop_timer_add(r->loop, 5, mark_cb, &c);
	loop_timer_add(r->loop, 5, mark_cb, &d);
	loop_timer_add(r->loop, 5, mark_cb, &a);
	nanosleep(&ts, NULL);
	run_guarded(r);
	assert_true(!strcmp(r->log, "bcd") || !strcmp(r->log, "bcda"));
}

static void test_huge_delay_never_fires(void **state)
{
	struct rec *r = *state;
	struct tmark z = {r, 'z', 1}, a = {r, 'a', 1};

	loop_timer_add(r->loop, UINT64_MAX - 5, mark_cb, &z);
	loop_timer_add(r->loop, 20, mark_cb, &a);
	run_guarded(r);
	assert_string_equal(r->log, "a");
}

static void test_stop_before_run(void **state)
{
	struct rec *r = *state;
	struct tmark a = {r, 'a', 1};

	loop_timer_add(r->loop, 0, mark_cb, &a);
	loop_stop(r->loop);
	assert_int_equal(loop_run(r->loop), 0);
	assert_string_equal(r->log, "");
	/* Re-armed: the next run works. */
	run_guarded(r);
	assert_string_equal(r->log, "a");
}

/* ---- stopping ---- */

static void test_stop_from_timer_ends_run(void **state)
{
	struct rec *r = *state;
	struct tmark a = {r, 'a', 1}, late = {r, 'z', 0};
	uint64_t start = loop_now_ms();

	loop_timer_add(r->loop, 10, mark_cb, &a);
	loop_timer_add(r->loop, 1000, mark_cb, &late);
	run_guarded(r);
	assert_string_equal(r->log, "a");
	/* Returned at once, not after the later timer or the guard. */
	assert_true(loop_now_ms() - start < 900);
}

static void test_stop_keeps_pending_timers(void **state)
{
	struct rec *r = *state;
	struct tmark a = {r, 'a', 1}, b = {r, 'b', 1};

	loop_timer_add(r->loop, 0, mark_cb, &a);
	loop_timer_add(r->loop, 20, mark_cb, &b);
	run_guarded(r);
	assert_string_equal(r->log, "a");
	/* The second run picks the remaining timer up. */
	run_guarded(r);
	assert_string_equal(r->log, "ab");
}

static void test_stop_skips_other_due_timers(void **state)
{
	struct rec *r = *state;
	struct tmark a = {r, 'a', 1}, b = {r, 'b', 1};
	struct timespec ts = {0, 20 * 1000000L};

	/* Both due in the first pass: after a stops the loop, b waits for the
	 * next loop_run instead of running after the stop. */
	loop_timer_add(r->loop, 0, mark_cb, &a);
	loop_timer_add(r->loop, 1, mark_cb, &b);
	nanosleep(&ts, NULL);
	run_guarded(r);
	assert_string_equal(r->log, "a");
	run_guarded(r);
	assert_string_equal(r->log, "ab");
}

static void stop_prepare(struct loop *loop, void *ud)
{
	struct rec *r = ud;

	rec_add(r, 'p');
	loop_stop(loop);
}

static void test_stop_from_prepare(void **state)
{
	struct rec *r = *state;
	struct tmark t = {r, 't', 0};

	assert_int_equal(loop_prepare_add(r->loop, stop_prepare, r), 0);
	loop_timer_add(r->loop, 0, mark_cb, &t);
	run_guarded(r);
	/* Stopped before the first sleep; the timer did not get its turn. */
	assert_string_equal(r->log, "p");
}

/* ---- file descriptors ---- */

struct fdw {
	struct rec *r;
	int fd; /* the fd the callback expects */
	int calls;
	short revents;
	int drain;     /* read one byte per call */
	int remove_at; /* loop_fd_remove(fd) on this call (0: never) */
	int stop_at;   /* loop_stop on this call (0: never) */
	int other;     /* another fd to remove on the first call (-1: none) */
};

static void fd_cb(struct loop *loop, int fd, short revents, void *ud)
{
	struct fdw *w = ud;
	char c;

	assert_int_equal(fd, w->fd);
	w->calls++;
	w->revents = revents;
	rec_add(w->r, 'f');
	if (w->drain)
		assert_int_equal(read(fd, &c, 1), 1);
	if (w->other >= 0 && w->calls == 1)
		loop_fd_remove(loop, w->other);
	if (w->remove_at && w->calls == w->remove_at)
		loop_fd_remove(loop, fd);
	if (w->stop_at && w->calls == w->stop_at)
		loop_stop(loop);
}

static void make_pipe(int p[2], int readable)
{
	assert_int_equal(pipe(p), 0);
	if (readable)
		assert_int_equal(write(p[1], "x", 1), 1);
}

static void close_pipe(int p[2])
{
	if (p[0] >= 0)
		close(p[0]);
	if (p[1] >= 0)
		close(p[1]);
}

static void test_fd_readable_fires(void **state)
{
	struct rec *r = *state;
	int p[2];
	struct fdw w = {0};

	make_pipe(p, 1);
	w = (struct fdw){.r = r, .fd = p[0], .drain = 1, .stop_at = 1, .other = -1};
	assert_int_equal(loop_fd_add(r->loop, p[0], POLLIN, fd_cb, &w), 0);
	run_guarded(r);
	assert_int_equal(w.calls, 1);
	assert_true(w.revents & POLLIN);
	close_pipe(p);
}

static void test_fd_not_ready_not_fired(void **state)
{
	struct rec *r = *state;
	int p[2];
	struct fdw w;
	struct tmark end = {r, 'e', 1};

	make_pipe(p, 0);
	w = (struct fdw){.r = r, .fd = p[0], .other = -1};
	loop_fd_add(r->loop, p[0], POLLIN, fd_cb, &w);
	loop_timer_add(r->loop, 40, mark_cb, &end);
	run_guarded(r);
	assert_int_equal(w.calls, 0);
	assert_string_equal(r->log, "e");
	close_pipe(p);
}

struct writer {
	int fd;
};

static void write_cb(struct loop *loop UNUSED, void *ud)
{
	struct writer *wr = ud;

	assert_int_equal(write(wr->fd, "y", 1), 1);
}

static void test_fd_becomes_readable_later(void **state)
{
	struct rec *r = *state;
	int p[2];
	struct fdw w;
	struct writer wr;

	make_pipe(p, 0);
	wr.fd = p[1];
	w = (struct fdw){.r = r, .fd = p[0], .drain = 1, .stop_at = 1, .other = -1};
	loop_fd_add(r->loop, p[0], POLLIN, fd_cb, &w);
	loop_timer_add(r->loop, 20, write_cb, &wr);
	run_guarded(r);
	assert_int_equal(w.calls, 1);
	close_pipe(p);
}

static void test_fd_hangup_reported(void **state)
{
	struct rec *r = *state;
	int p[2];
	struct fdw w;

	make_pipe(p, 0);
	close(p[1]);
	p[1] = -1;
	w = (struct fdw){.r = r, .fd = p[0], .stop_at = 1, .other = -1};
	loop_fd_add(r->loop, p[0], POLLIN, fd_cb, &w);
	run_guarded(r);
	assert_int_equal(w.calls, 1);
	assert_true(w.revents & (POLLIN | POLLHUP));
	close_pipe(p);
}

static void test_fd_remove_before_run(void **state)
{
	struct rec *r = *state;
	int p[2];
	struct fdw w;
	struct tmark end = {r, 'e', 1};

	make_pipe(p, 1);
	w = (struct fdw){.r = r, .fd = p[0], .other = -1};
	loop_fd_add(r->loop, p[0], POLLIN, fd_cb, &w);
	loop_fd_remove(r->loop, p[0]);
	loop_timer_add(r->loop, 30, mark_cb, &end);
	run_guarded(r);
	assert_int_equal(w.calls, 0);
	close_pipe(p);
}

static void test_fd_remove_between_runs(void **state)
{
	struct rec *r = *state;
	int p[2];
	struct fdw w;
	struct tmark end = {r, 'e', 1};

	make_pipe(p, 1);
	/* Left readable: without the removal it would fire every pass. */
	w = (struct fdw){.r = r, .fd = p[0], .stop_at = 1, .other = -1};
	loop_fd_add(r->loop, p[0], POLLIN, fd_cb, &w);
	run_guarded(r);
	assert_int_equal(w.calls, 1);
	loop_fd_remove(r->loop, p[0]);
	loop_timer_add(r->loop, 30, mark_cb, &end);
	run_guarded(r);
	assert_int_equal(w.calls, 1);
	close_pipe(p);
}

static void test_fd_remove_inside_own_callback(void **state)
{
	struct rec *r = *state;
	int p[2];
	struct fdw w;
	struct tmark end = {r, 'e', 1};

	make_pipe(p, 1);
	/* Never drained, so only the removal can stop the calls. */
	w = (struct fdw){.r = r, .fd = p[0], .remove_at = 3, .other = -1};
	loop_fd_add(r->loop, p[0], POLLIN, fd_cb, &w);
	loop_timer_add(r->loop, 40, mark_cb, &end);
	run_guarded(r);
	assert_int_equal(w.calls, 3);
	close_pipe(p);
}

static void test_fd_remove_other_inside_callback(void **state)
{
	struct rec *r = *state;
	int a[2], b[2];
	struct fdw wa, wb;
	struct tmark end = {r, 'e', 1};

	/* Both readable in the same pass; a's callback (added first) removes
	 * b before b's turn comes. */
	make_pipe(a, 1);
	make_pipe(b, 1);
	wa = (struct fdw){.r = r, .fd = a[0], .drain = 1, .other = b[0]};
	wb = (struct fdw){.r = r, .fd = b[0], .other = -1};
	loop_fd_add(r->loop, a[0], POLLIN, fd_cb, &wa);
	loop_fd_add(r->loop, b[0], POLLIN, fd_cb, &wb);
	loop_timer_add(r->loop, 30, mark_cb, &end);
	run_guarded(r);
	assert_int_equal(wa.calls, 1);
	assert_int_equal(wb.calls, 0);
	close_pipe(a);
	close_pipe(b);
}

static void test_stop_from_fd_callback(void **state)
{
	struct rec *r = *state;
	int a[2], b[2];
	struct fdw wa, wb;

	/* Both readable in one pass; a (added first) stops the loop, so b
	 * waits for the next loop_run. */
	make_pipe(a, 1);
	make_pipe(b, 1);
	wa = (struct fdw){.r = r, .fd = a[0], .drain = 1, .stop_at = 1, .other = -1};
	wb = (struct fdw){.r = r, .fd = b[0], .drain = 1, .stop_at = 1, .other = -1};
	loop_fd_add(r->loop, a[0], POLLIN, fd_cb, &wa);
	loop_fd_add(r->loop, b[0], POLLIN, fd_cb, &wb);
	run_guarded(r);
	assert_int_equal(wa.calls, 1);
	assert_int_equal(wb.calls, 0);
	run_guarded(r);
	assert_int_equal(wa.calls, 1);
	assert_int_equal(wb.calls, 1);
	close_pipe(a);
	close_pipe(b);
}

static void test_fd_two_watches_both_fire(void **state)
{
	struct rec *r = *state;
	int a[2], b[2];
	struct fdw wa, wb;
	struct tmark end = {r, 'e', 1};

	make_pipe(a, 1);
	make_pipe(b, 1);
	wa = (struct fdw){.r = r, .fd = a[0], .drain = 1, .other = -1};
	wb = (struct fdw){.r = r, .fd = b[0], .drain = 1, .other = -1};
	loop_fd_add(r->loop, a[0], POLLIN, fd_cb, &wa);
	loop_fd_add(r->loop, b[0], POLLIN, fd_cb, &wb);
	loop_timer_add(r->loop, 30, mark_cb, &end);
	run_guarded(r);
	assert_int_equal(wa.calls, 1);
	assert_int_equal(wb.calls, 1);
	close_pipe(a);
	close_pipe(b);
}

static void test_fd_many_watches(void **state)
{
	struct rec *r = *state;
	enum { N = 20 };
	int p[N][2];
	struct fdw w[N];
	struct tmark end = {r, 'e', 1};

	/* More than the first allocation holds; every other one readable. */
	for (int i = 0; i < N; i++) {
		make_pipe(p[i], i % 2 == 0);
		w[i] = (struct fdw){.r = r, .fd = p[i][0], .drain = 1, .other = -1};
		assert_int_equal(loop_fd_add(r->loop, p[i][0], POLLIN, fd_cb, &w[i]), 0);
	}
	loop_timer_add(r->loop, 30, mark_cb, &end);
	run_guarded(r);
	for (int i = 0; i < N; i++) {
		assert_int_equal(w[i].calls, i % 2 == 0);
		close_pipe(p[i]);
	}
}

static void test_fd_remove_unwatched_harmless(void **state)
{
	struct rec *r = *state;
	int p[2];
	struct fdw w;

	make_pipe(p, 1);
	w = (struct fdw){.r = r, .fd = p[0], .drain = 1, .stop_at = 1, .other = -1};
	loop_fd_remove(r->loop, 12345);
	loop_fd_add(r->loop, p[0], POLLIN, fd_cb, &w);
	loop_fd_remove(r->loop, p[1]);
	run_guarded(r);
	assert_int_equal(w.calls, 1);
	close_pipe(p);
}

static void test_fd_replace_watch(void **state)
{
	struct rec *r = *state;
	int p[2];
	struct fdw first, second;

	make_pipe(p, 1);
	first = (struct fdw){.r = r, .fd = p[0], .drain = 1, .stop_at = 1, .other = -1};
	second = (struct fdw){.r = r, .fd = p[0], .drain = 1, .stop_at = 1, .other = -1};
	loop_fd_add(r->loop, p[0], POLLIN, fd_cb, &first);
	/* Same fd again: replaces, not a second watch. */
	loop_fd_add(r->loop, p[0], POLLIN, fd_cb, &second);
	run_guarded(r);
	assert_int_equal(first.calls, 0);
	assert_int_equal(second.calls, 1);
	close_pipe(p);
}

static void test_fd_replace_events(void **state)
{
	struct rec *r = *state;
	int p[2];
	struct fdw w;
	struct tmark end = {r, 'e', 1};

	/* The write end is always writable and never readable: switching
	 * its watch from POLLOUT to POLLIN must silence it. */
	make_pipe(p, 0);
	w = (struct fdw){.r = r, .fd = p[1], .stop_at = 1, .other = -1};
	loop_fd_add(r->loop, p[1], POLLOUT, fd_cb, &w);
	run_guarded(r);
	assert_int_equal(w.calls, 1);
	assert_true(w.revents & POLLOUT);
	loop_fd_add(r->loop, p[1], POLLIN, fd_cb, &w);
	loop_timer_add(r->loop, 30, mark_cb, &end);
	run_guarded(r);
	assert_int_equal(w.calls, 1);
	close_pipe(p);
}

/* On its first call, hands the fd over to another watch. */
struct swapper {
	struct fdw *self, *next;
	int readd; /* 1: remove then add; 0: just add over the old watch */
};

static void swap_cb(struct loop *loop, int fd, short revents, void *ud)
{
	struct swapper *s = ud;

	s->self->calls++;
	(void)revents;
	if (s->readd)
		loop_fd_remove(loop, fd);
	assert_int_equal(loop_fd_add(loop, fd, POLLIN, fd_cb, s->next), 0);
}

static void test_fd_replace_inside_callback(void **state)
{
	struct rec *r = *state;
	int p[2];
	struct fdw self, next;
	struct swapper s = {&self, &next, 0};

	make_pipe(p, 1);
	self = (struct fdw){.r = r, .fd = p[0], .other = -1};
	next = (struct fdw){.r = r, .fd = p[0], .drain = 1, .stop_at = 1, .other = -1};
	loop_fd_add(r->loop, p[0], POLLIN, swap_cb, &s);
	run_guarded(r);
	assert_int_equal(self.calls, 1);
	assert_int_equal(next.calls, 1);
	close_pipe(p);
}

static void test_fd_remove_and_readd_inside_callback(void **state)
{
	struct rec *r = *state;
	int p[2];
	struct fdw self, next;
	struct swapper s = {&self, &next, 1};

	make_pipe(p, 1);
	self = (struct fdw){.r = r, .fd = p[0], .other = -1};
	next = (struct fdw){.r = r, .fd = p[0], .drain = 1, .stop_at = 1, .other = -1};
	loop_fd_add(r->loop, p[0], POLLIN, swap_cb, &s);
	run_guarded(r);
	assert_int_equal(self.calls, 1);
	assert_int_equal(next.calls, 1);
	close_pipe(p);
}

/* ---- prepare hooks ---- */

struct counter {
	struct rec *r;
	int n;
	char c;
};

static void count_prepare(struct loop *loop UNUSED, void *ud)
{
	struct counter *k = ud;

	k->n++;
	if (k->c)
		rec_add(k->r, k->c);
}

/* Each timer checks that exactly one prepare pass preceded it. */
struct chain {
	struct rec *r;
	struct counter *prep;
	int fired, total;
};

static void chain_cb(struct loop *loop, void *ud)
{
	struct chain *c = ud;

	c->fired++;
	rec_add(c->r, 't');
	/* A timer added here cannot be due in this pass, so every firing is
	 * a pass of its own, preceded by one round of prepare hooks. */
	assert_int_equal(c->prep->n, c->fired);
	if (c->fired == c->total)
		loop_stop(loop);
	else
		assert_int_not_equal(loop_timer_add(loop, 3, chain_cb, c), 0);
}

static void test_prepare_once_per_pass(void **state)
{
	struct rec *r = *state;
	struct counter k = {r, 0, 'p'};
	struct chain c = {r, &k, 0, 4};

	assert_int_equal(loop_prepare_add(r->loop, count_prepare, &k), 0);
	loop_timer_add(r->loop, 0, chain_cb, &c);
	run_guarded(r);
	assert_int_equal(c.fired, 4);
	assert_string_equal(r->log, "ptptptpt");
}

static void test_prepare_hooks_in_order(void **state)
{
	struct rec *r = *state;
	struct counter a = {r, 0, 'a'}, b = {r, 0, 'b'};
	struct tmark t = {r, 't', 1};

	loop_prepare_add(r->loop, count_prepare, &a);
	loop_prepare_add(r->loop, count_prepare, &b);
	loop_timer_add(r->loop, 10, mark_cb, &t);
	run_guarded(r);
	assert_string_equal(r->log, "abt");
}

/* Makes the pipe readable from a prepare hook, once. */
struct poke {
	int fd, n;
};

static void poke_prepare(struct loop *loop UNUSED, void *ud)
{
	struct poke *k = ud;

	if (k->n++ == 0)
		assert_int_equal(write(k->fd, "z", 1), 1);
}

static void test_prepare_runs_before_sleep(void **state)
{
	struct rec *r = *state;
	int p[2];
	struct poke k;
	struct fdw w;

	/* Only the prepare hook can make the fd readable; if it ran after
	 * poll() the first pass would sleep until the guard. */
	make_pipe(p, 0);
	k = (struct poke){p[1], 0};
	w = (struct fdw){.r = r, .fd = p[0], .drain = 1, .stop_at = 1, .other = -1};
	loop_prepare_add(r->loop, poke_prepare, &k);
	loop_fd_add(r->loop, p[0], POLLIN, fd_cb, &w);
	run_guarded(r);
	assert_int_equal(w.calls, 1);
	assert_int_equal(k.n, 1);
	close_pipe(p);
}

/* ---- sleeping ---- */

static uint64_t cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void test_idle_loop_sleeps(void **state)
{
	struct rec *r = *state;
	struct counter k = {r, 0, 0};
	struct tmark t = {r, 't', 1};
	int p[2];
	struct fdw w;
	uint64_t cpu0, wall0, cpu, wall;

	/* An fd that never becomes ready, a prepare hook and one far timer. */
	make_pipe(p, 0);
	w = (struct fdw){.r = r, .fd = p[0], .other = -1};
	loop_fd_add(r->loop, p[0], POLLIN, fd_cb, &w);
	loop_prepare_add(r->loop, count_prepare, &k);
	cpu0 = cpu_ns();
	wall0 = loop_now_ms();
	loop_timer_add(r->loop, 300, mark_cb, &t);
	run_guarded(r);
	cpu = cpu_ns() - cpu0;
	wall = loop_now_ms() - wall0;
	assert_string_equal(r->log, "t");
	assert_int_equal(w.calls, 0);
	assert_true(wall >= 300);
	/* A busy loop would burn ~300 ms of CPU. */
	if (cpu >= 50 * 1000000u)
		fail_msg("idle loop used %llu ms of CPU over %llu ms",
		         (unsigned long long)(cpu / 1000000u), (unsigned long long)wall);
	/* And it slept in one go: a pass or two, not one per millisecond. */
	assert_in_range(k.n, 1, 3);
	close_pipe(p);
}

static void test_now_ms_monotonic(void **state UNUSED)
{
	struct timespec ts = {0, 25 * 1000000L};
	uint64_t a, b, c;

	a = loop_now_ms();
	b = loop_now_ms();
	assert_true(b >= a);
	nanosleep(&ts, NULL);
	c = loop_now_ms();
	assert_true(c >= b + 25);
	assert_true(c < b + 10000);
}

/* A step of split-up work: logs, then schedules the next step at once. */
struct stepper {
	struct rec *r;
	int left;
};

static void step_cb(struct loop *loop, void *ud)
{
	struct stepper *s = ud;

	rec_add(s->r, 's');
	if (--s->left > 0)
		loop_timer_add(loop, 0, step_cb, s);
}

static void pass_prepare(struct loop *loop, void *ud)
{
	(void)loop;
	rec_add(ud, 'p');
}

/* A 0-ms timer added by a timer fires in the next pass, not this one: the
 * loop polls (input first) between the steps of work split that way. */
static void test_timer_added_by_timer_waits_a_pass(void **state)
{
	struct rec *r = *state;
	struct stepper s = {r, 3};

	assert_int_equal(loop_prepare_add(r->loop, pass_prepare, r), 0);
	loop_timer_add(r->loop, 0, step_cb, &s);
	for (int i = 0; i < 4; i++)
		assert_int_equal(loop_run_once(r->loop, 0), 0);
	assert_string_equal(r->log, "pspspsp");
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_wall_clock),
	    T(test_timers_fire_in_due_order),
	    T(test_timer_added_by_timer_waits_a_pass),
	    T(test_overdue_timers_fire_in_due_order),
	    T(test_many_timers_due_order),
	    T(test_fake_clock_timer_fires_only_when_due),
	    T(test_timer_never_early),
	    T(test_timer_is_one_shot),
	    T(test_timer_ids_distinct),
	    T(test_cancelled_timer_never_fires),
	    T(test_cancel_among_many),
	    T(test_cancel_zero_and_fired_harmless),
	    T(test_cancel_from_callback),
	    T(test_cancel_from_callback_same_pass),
	    T(test_cancel_self_in_callback),
	    T(test_add_timers_from_callback),
	    T(test_timer_rearms_itself),
	    T(test_equal_due_in_added_order),
	    T(test_huge_delay_never_fires),
	    T(test_stop_before_run),
	    T(test_stop_from_timer_ends_run),
	    T(test_stop_keeps_pending_timers),
	    T(test_stop_skips_other_due_timers),
	    T(test_stop_from_prepare),
	    T(test_fd_readable_fires),
	    T(test_fd_not_ready_not_fired),
	    T(test_fd_becomes_readable_later),
	    T(test_fd_hangup_reported),
	    T(test_fd_remove_before_run),
	    T(test_fd_remove_between_runs),
	    T(test_fd_remove_inside_own_callback),
	    T(test_fd_remove_other_inside_callback),
	    T(test_stop_from_fd_callback),
	    T(test_fd_two_watches_both_fire),
	    T(test_fd_many_watches),
	    T(test_fd_remove_unwatched_harmless),
	    T(test_fd_replace_watch),
	    T(test_fd_replace_events),
	    T(test_fd_replace_inside_callback),
	    T(test_fd_remove_and_readd_inside_callback),
	    T(test_prepare_once_per_pass),
	    T(test_prepare_hooks_in_order),
	    T(test_prepare_runs_before_sleep),
	    T(test_idle_loop_sleeps),
	    T(test_now_ms_monotonic),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
