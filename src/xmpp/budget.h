/* What the network thread spends on the incoming stanza it is parsing.
 *
 * libstrophe 0.12.2 reads a stanza of any size into memory before natter
 * sees it, and its parser is quadratic in places (each child element is
 * appended by walking all its older siblings; text is joined with strncat),
 * so a hostile server can make the network thread hold gigabytes, or spin
 * for minutes, on one stanza.  natter cannot change how libstrophe parses,
 * but it can watch between two xmpp_run_once() passes (each reads at most
 * 4 KiB) and cut the connection.
 *
 * The budget counts two things since the last complete top-level element:
 *  - the bytes the network thread holds: the network thread's libstrophe
 *    context allocates through a counting allocator (budget_mem), and
 *    what that thread allocates minus what it frees, above the lowest
 *    point since the last element ended, is what the element in progress
 *    holds.  A stanza handed to the core thread (by reference: net.c)
 *    stays counted, which only moves the low mark once its element has
 *    ended; copies made for another thread can be left out
 *    (budget_handover); what other threads allocate or free in this
 *    context is never counted;
 *  - the CPU time of the passes in which the parser was fed bytes.
 * The owner decides the limits and what to do (see net.c).
 *
 * A block carries no header: its size is malloc_usable_size()'s, and
 * whether it was counted is not recorded (16 bytes a block, 3 MB of a
 * 10,000-item roster's tree, were).  So a block the owning thread frees
 * lowers live even if that thread did not count it: a stanza another
 * thread built must be sent with budget_send(), which hands libstrophe a
 * copy the connection counts; otherwise the text libstrophe renders for it
 * would be subtracted without having been added, and the element in
 * progress would seem smaller by what natter sent meanwhile.
 *
 * The allocator also clears every block it frees (not the old block that a
 * realloc() moved, which would make the growth of a long text quadratic):
 * libstrophe frees its copies of the password, the SASL exchange and the
 * stanzas' text without clearing them. */
#ifndef NATTER_XMPP_BUDGET_H
#define NATTER_XMPP_BUDGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <strophe.h>

struct budget {
	xmpp_mem_t mem;
	/* Written and read only by the owning thread. */
	int64_t live;      /* counted bytes allocated minus freed */
	int64_t low;       /* the lowest value of live since the last element */
	size_t held_max;   /* the most budget_held() showed since then */
	double cpu;        /* seconds spent parsing since the last element */
	double pass_start; /* thread CPU time when the current pass began */
	double mark;       /* thread CPU time when the last element ended */
	int handover;      /* > 0: allocations are copies for another thread */
};

/* Sets up b; its allocator is budget_mem(b), for xmpp_ctx_new(). */
void budget_init(struct budget *b);
xmpp_mem_t *budget_mem(struct budget *b);
/* An allocator that counts nothing but whose blocks budget_mem() can free,
 * for every other context whose stanzas are sent on the budgeted one's
 * connection: libstrophe 0.12.2 renders a sent stanza with the stanza's
 * allocator and frees the text with the connection's. */
xmpp_mem_t *budget_plain_mem(void);
/* xmpp_send() for a stanza of another context (see above); false if it
 * could not be rendered (out of memory), and then nothing was sent.  With
 * sent, a malloc'd copy of the text libstrophe was given goes there. */
bool budget_send(xmpp_conn_t *conn, xmpp_stanza_t *st, char **sent);
/* The calling thread becomes the one whose allocations count (one thread
 * per budget; call it first thing on that thread). */
void budget_own_thread(struct budget *b);

/* A top-level element ended (or a new stream began): what it held is no
 * longer "in progress". */
void budget_element_done(struct budget *b);
/* Between on and off, allocations are not counted: copies made for the
 * core thread, which frees them there. */
void budget_handover(struct budget *b, bool on);

/* Around each xmpp_run_once(); parsed tells whether the parser was fed
 * bytes in that pass (time spent only writing is not the stanza's). */
void budget_pass_start(struct budget *b);
void budget_pass_end(struct budget *b, bool parsed);

/* What the element in progress holds, and the CPU time it has taken. */
size_t budget_held(const struct budget *b);
double budget_cpu(const struct budget *b);

#endif
