/* The event loop: one poll() over file descriptors and timers.
 *
 * natter sleeps in the kernel until a descriptor is ready or the earliest
 * timer is due; nothing wakes it on a fixed tick.  Prepare hooks run once per
 * pass just before the loop sleeps, which is where deferred work (redraws,
 * batched commits) happens. */
#ifndef NATTER_LOOP_LOOP_H
#define NATTER_LOOP_LOOP_H

#include <poll.h>
#include <stdint.h>

struct loop;

typedef void (*loop_fd_fn)(struct loop *loop, int fd, short revents, void *ud);
typedef void (*loop_timer_fn)(struct loop *loop, void *ud);
typedef void (*loop_prepare_fn)(struct loop *loop, void *ud);

struct loop *loop_new(void);
void loop_free(struct loop *loop);

/* Watches fd for events (POLLIN/POLLOUT); replaces an earlier watch of fd. */
int loop_fd_add(struct loop *loop, int fd, short events, loop_fd_fn fn, void *ud);
void loop_fd_remove(struct loop *loop, int fd);

/* One-shot timer in ms from now; returns a non-zero id, or 0 on ENOMEM. */
uint64_t loop_timer_add(struct loop *loop, uint64_t ms, loop_timer_fn fn, void *ud);
/* Cancelling id 0 or a timer that already fired is harmless. */
void loop_timer_cancel(struct loop *loop, uint64_t id);

int loop_prepare_add(struct loop *loop, loop_prepare_fn fn, void *ud);
/* Removes the hook added with fn and ud (nothing when there is none). */
void loop_prepare_remove(struct loop *loop, loop_prepare_fn fn, void *ud);

/* Runs until loop_stop(); returns 0, or -1 if poll() failed for good. */
int loop_run(struct loop *loop);
void loop_stop(struct loop *loop);
/* One pass: prepare hooks, poll() for at most max_wait_ms (-1: until
 * something is due), due timers, ready descriptors.  For tests and for
 * callers that drive the loop themselves; 0, or -1 if poll() failed. */
int loop_run_once(struct loop *loop, int max_wait_ms);

/* Monotonic milliseconds. */
uint64_t loop_now_ms(void);
/* Wall-clock milliseconds since the epoch (CLOCK_REALTIME). */
int64_t loop_wall_now_ms(void);
/* The loop's clock: loop_now_ms() unless a test set its own, so that
 * timer tests do not depend on how busy the machine is. */
uint64_t loop_time(const struct loop *loop);
/* The loop's wall clock, for the times of messages: loop_wall_now_ms()
 * unless a test set its own clock, which then serves as both (a test
 * clock reads as milliseconds since the epoch and never goes back). */
int64_t loop_wall(const struct loop *loop);
void loop_set_clock(struct loop *loop, uint64_t (*now)(void *ud), void *ud);

#endif
