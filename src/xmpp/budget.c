/* The counting (and wiping) allocator and the accounting of budget.h. */
#include "config.h"

#include <malloc.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "xmpp/budget.h"

/* The budget whose allocations this thread counts, if any. */
static __thread struct budget *thread_budget;

static void add(struct budget *b, int64_t n)
{
	b->live += n;
	if (b->live < b->low)
		b->low = b->live;
}

/* What a free subtracts (see budget.h): it can exceed what was asked for,
 * by the same amount at allocation and at free. */
static size_t block_size(void *p)
{
	return malloc_usable_size(p);
}

static bool counting(const struct budget *b)
{
	return b && thread_budget == b && !b->handover;
}

static void *mem_alloc(size_t size, void *ud)
{
	struct budget *b = ud;
	void *p = malloc(size);

	if (p && counting(b))
		add(b, (int64_t)block_size(p));
	return p;
}

static void mem_free(void *p, void *ud)
{
	struct budget *b = ud;
	size_t size;

	if (!p)
		return;
	size = block_size(p);
	/* A counted block freed by another thread (every stanza, which the
	 * core thread frees) leaves live too high, which only moves the low
	 * mark. */
	if (b && thread_budget == b)
		add(b, -(int64_t)size);
	/* libstrophe keeps the password, the SASL exchange and the text of
	 * every stanza in blocks it frees without clearing. */
	explicit_bzero(p, size);
	free(p);
}

static void *mem_realloc(void *p, size_t size, void *ud)
{
	struct budget *b = ud;
	size_t old;
	void *q;

	if (!p)
		return mem_alloc(size, ud);
	old = block_size(p);
	q = realloc(p, size);
	if (!q)
		return NULL;
	if (b && thread_budget == b)
		add(b, (int64_t)block_size(q) - (int64_t)old);
	return q;
}

static double thread_cpu(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts))
		return 0;
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void budget_init(struct budget *b)
{
	memset(b, 0, sizeof(*b));
	b->mem.alloc = mem_alloc;
	b->mem.free = mem_free;
	b->mem.realloc = mem_realloc;
	b->mem.userdata = b;
}

xmpp_mem_t *budget_mem(struct budget *b)
{
	return &b->mem;
}

xmpp_mem_t *budget_plain_mem(void)
{
	static xmpp_mem_t plain = {mem_alloc, mem_free, mem_realloc, NULL};

	return &plain;
}

bool budget_send(xmpp_conn_t *conn, xmpp_stanza_t *st, char **sent)
{
	xmpp_ctx_t *ctx = xmpp_stanza_get_context(st);
	char *text;
	size_t len;

	if (xmpp_stanza_to_text(st, &text, &len) != XMPP_EOK)
		return false;
	if (sent && !(*sent = strdup(text))) {
		xmpp_free(ctx, text);
		return false;
	}
	/* The same path as xmpp_send() from here on (_send_raw(), counted
	 * for XEP-0198 alike), with a copy made by the connection. */
	xmpp_send_raw(conn, text, len);
	xmpp_free(ctx, text);
	return true;
}

void budget_own_thread(struct budget *b)
{
	thread_budget = b;
	b->mark = thread_cpu();
}

void budget_element_done(struct budget *b)
{
	b->low = b->live;
	b->held_max = 0;
	b->cpu = 0;
	b->mark = thread_cpu();
}

void budget_handover(struct budget *b, bool on)
{
	b->handover += on ? 1 : -1;
}

void budget_pass_start(struct budget *b)
{
	b->pass_start = thread_cpu();
}

void budget_pass_end(struct budget *b, bool parsed)
{
	/* A pass in which an element ended counts only from that end on. */
	double now = thread_cpu(), from = b->pass_start > b->mark ? b->pass_start : b->mark;
	size_t held = budget_held(b);

	if (parsed && now > from)
		b->cpu += now - from;
	if (held > b->held_max)
		b->held_max = held;
}

size_t budget_held(const struct budget *b)
{
	return b->live > b->low ? (size_t)(b->live - b->low) : 0;
}

double budget_cpu(const struct budget *b)
{
	return b->cpu;
}
