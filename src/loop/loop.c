/* poll()-based event loop with one-shot timers and per-pass prepare hooks. */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "loop/loop.h"

struct loop_watch {
	int fd;
	short events;
	loop_fd_fn fn;
	void *ud;
	int removed; /* set while dispatching so the slot is skipped */
};

struct loop_timer {
	uint64_t id;
	uint64_t due;
	loop_timer_fn fn;
	void *ud;
};

struct loop_prepare {
	loop_prepare_fn fn;
	void *ud;
};

struct loop {
	struct loop_watch *watches;
	size_t nwatches, capwatches;
	/* Timers are few (reconnect, keepalive, watchdogs, iq timeouts), so an
	 * unsorted array scanned per pass is simpler than a heap and as fast. */
	struct loop_timer *timers;
	size_t ntimers, captimers;
	struct loop_prepare *prepares;
	size_t nprepares;
	uint64_t next_id;
	int stopped;
	uint64_t (*clock)(void *ud);
	void *clock_ud;
	struct pollfd *pfds;
	size_t cappfds;
};

uint64_t loop_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

int64_t loop_wall_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

uint64_t loop_time(const struct loop *loop)
{
	return loop->clock ? loop->clock(loop->clock_ud) : loop_now_ms();
}

int64_t loop_wall(const struct loop *loop)
{
	return loop->clock ? (int64_t)loop->clock(loop->clock_ud) : loop_wall_now_ms();
}

void loop_set_clock(struct loop *loop, uint64_t (*now)(void *ud), void *ud)
{
	loop->clock = now;
	loop->clock_ud = ud;
}

struct loop *loop_new(void)
{
	return calloc(1, sizeof(struct loop));
}

void loop_free(struct loop *loop)
{
	if (!loop)
		return;
	free(loop->pfds);
	free(loop->watches);
	free(loop->timers);
	free(loop->prepares);
	free(loop);
}

static int grow(void **arr, size_t *cap, size_t need, size_t size)
{
	size_t ncap;
	void *p;

	if (need <= *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 8;
	while (ncap < need)
		ncap *= 2;
	p = realloc(*arr, ncap * size);
	if (!p)
		return -1;
	*arr = p;
	*cap = ncap;
	return 0;
}

int loop_fd_add(struct loop *loop, int fd, short events, loop_fd_fn fn, void *ud)
{
	size_t i;

	for (i = 0; i < loop->nwatches; i++) {
		if (loop->watches[i].fd == fd && !loop->watches[i].removed) {
			loop->watches[i].events = events;
			loop->watches[i].fn = fn;
			loop->watches[i].ud = ud;
			return 0;
		}
	}
	if (grow((void **)&loop->watches, &loop->capwatches, loop->nwatches + 1,
	         sizeof(*loop->watches)))
		return -1;
	loop->watches[loop->nwatches++] = (struct loop_watch){fd, events, fn, ud, 0};
	return 0;
}

void loop_fd_remove(struct loop *loop, int fd)
{
	size_t i;

	for (i = 0; i < loop->nwatches; i++)
		if (loop->watches[i].fd == fd)
			loop->watches[i].removed = 1;
}

static void compact_watches(struct loop *loop)
{
	size_t i, j = 0;

	for (i = 0; i < loop->nwatches; i++)
		if (!loop->watches[i].removed)
			loop->watches[j++] = loop->watches[i];
	loop->nwatches = j;
}

uint64_t loop_timer_add(struct loop *loop, uint64_t ms, loop_timer_fn fn, void *ud)
{
	if (grow((void **)&loop->timers, &loop->captimers, loop->ntimers + 1,
	         sizeof(*loop->timers)))
		return 0;
	uint64_t now = loop_time(loop);

	loop->timers[loop->ntimers] = (struct loop_timer){
	    ++loop->next_id, ms > UINT64_MAX - now ? UINT64_MAX : now + ms, fn, ud};
	loop->ntimers++;
	return loop->next_id;
}

void loop_timer_cancel(struct loop *loop, uint64_t id)
{
	size_t i;

	if (!id)
		return;
	for (i = 0; i < loop->ntimers; i++) {
		if (loop->timers[i].id == id) {
			loop->timers[i] = loop->timers[--loop->ntimers];
			return;
		}
	}
}

int loop_prepare_add(struct loop *loop, loop_prepare_fn fn, void *ud)
{
	struct loop_prepare *p;

	p = realloc(loop->prepares, (loop->nprepares + 1) * sizeof(*p));
	if (!p)
		return -1;
	loop->prepares = p;
	p[loop->nprepares++] = (struct loop_prepare){fn, ud};
	return 0;
}

void loop_prepare_remove(struct loop *loop, loop_prepare_fn fn, void *ud)
{
	for (size_t i = 0; i < loop->nprepares; i++) {
		if (loop->prepares[i].fn == fn && loop->prepares[i].ud == ud) {
			memmove(loop->prepares + i, loop->prepares + i + 1,
			        (loop->nprepares - i - 1) * sizeof(*loop->prepares));
			loop->nprepares--;
			return;
		}
	}
}

void loop_stop(struct loop *loop)
{
	loop->stopped = 1;
}

/* Fires every due timer; one fired timer may add or cancel others, so the
 * search restarts after each call.  A timer added meanwhile waits for the
 * next pass even when it is due: work split into steps with 0-ms timers
 * lets the loop read input between the steps. */
static void run_timers(struct loop *loop)
{
	uint64_t now = loop_time(loop), last = loop->next_id;

	for (;;) {
		size_t i, best = loop->ntimers;
		struct loop_timer t;

		for (i = 0; i < loop->ntimers; i++)
			if (loop->timers[i].due <= now && loop->timers[i].id <= last &&
			    (best == loop->ntimers ||
			     loop->timers[i].due < loop->timers[best].due ||
			     (loop->timers[i].due == loop->timers[best].due &&
			      loop->timers[i].id < loop->timers[best].id)))
				best = i;
		if (best == loop->ntimers || loop->stopped)
			return;
		t = loop->timers[best];
		loop->timers[best] = loop->timers[--loop->ntimers];
		t.fn(loop, t.ud);
	}
}

static int next_timeout(const struct loop *loop)
{
	uint64_t now = loop_time(loop), first = UINT64_MAX;
	size_t i;

	for (i = 0; i < loop->ntimers; i++)
		if (loop->timers[i].due < first)
			first = loop->timers[i].due;
	if (first == UINT64_MAX)
		return -1;
	if (first <= now)
		return 0;
	return first - now > 86400000u ? 86400000 : (int)(first - now);
}

/* One pass; returns -1 only when poll() failed for good. */
static int pass(struct loop *loop, int max_wait_ms)
{
	size_t i, n;
	int rc, wait;

	for (i = 0; i < loop->nprepares && !loop->stopped; i++)
		loop->prepares[i].fn(loop, loop->prepares[i].ud);
	if (loop->stopped)
		return 0;
	compact_watches(loop);
	if (grow((void **)&loop->pfds, &loop->cappfds, loop->nwatches, sizeof(*loop->pfds)))
		return -1;
	n = loop->nwatches;
	for (i = 0; i < n; i++)
		loop->pfds[i] = (struct pollfd){loop->watches[i].fd, loop->watches[i].events, 0};
	wait = next_timeout(loop);
	if (max_wait_ms >= 0 && (wait < 0 || wait > max_wait_ms))
		wait = max_wait_ms;
	rc = poll(loop->pfds, n, wait);
	if (rc < 0 && errno != EINTR)
		return -1;
	run_timers(loop);
	for (i = 0; rc > 0 && i < n && !loop->stopped; i++) {
		struct loop_watch *w = &loop->watches[i];

		if (!loop->pfds[i].revents || w->removed || w->fd != loop->pfds[i].fd)
			continue;
		w->fn(loop, w->fd, loop->pfds[i].revents, w->ud);
	}
	return 0;
}

int loop_run_once(struct loop *loop, int max_wait_ms)
{
	return pass(loop, max_wait_ms);
}

int loop_run(struct loop *loop)
{
	int rc = 0;

	/* A loop_stop() before loop_run() counts: the loop then returns at
	 * once.  Leaving re-arms it, so the loop can be run again. */
	while (!loop->stopped && !(rc = pass(loop, -1)))
		;
	loop->stopped = 0;
	return rc;
}
