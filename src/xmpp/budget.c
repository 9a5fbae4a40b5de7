/* The counting (and wiping) allocator and the accounting of budget.h. */
#include "config.h"

#include <stdalign.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "xmpp/budget.h"

/* Every block carries its size, so that a free knows what to subtract, and
 * whether it was counted at all; the header keeps malloc's alignment. */
struct header {
	alignas(max_align_t) size_t size;
	bool counted;
};

/* The budget whose allocations this thread counts, if any. */
static __thread struct budget *thread_budget;

static void add(struct budget *b, int64_t n)
{
	b->live += n;
	if (b->live < b->low)
		b->low = b->live;
}

static void *mem_alloc(size_t size, void *ud)
{
	struct budget *b = ud;
	struct header *h;

	if (size > SIZE_MAX - sizeof(*h))
		return NULL;
	h = malloc(sizeof(*h) + size);
	if (!h)
		return NULL;
	h->size = size;
	h->counted = b && thread_budget == b && !b->handover;
	if (h->counted)
		add(b, (int64_t)size);
	return h + 1;
}

static void mem_free(void *p, void *ud)
{
	struct budget *b = ud;
	struct header *h;

	if (!p)
		return;
	h = (struct header *)p - 1;
	/* A counted block freed by another thread (every stanza, which the
	 * core thread frees) leaves live too high, which only moves the low
	 * mark. */
	if (h->counted && b && thread_budget == b)
		add(b, -(int64_t)h->size);
	/* libstrophe keeps the password, the SASL exchange and the text of
	 * every stanza in blocks it frees without clearing. */
	explicit_bzero(p, h->size);
	free(h);
}

static void *mem_realloc(void *p, size_t size, void *ud)
{
	struct budget *b = ud;
	struct header *h;
	size_t old;

	if (!p)
		return mem_alloc(size, ud);
	if (size > SIZE_MAX - sizeof(*h))
		return NULL;
	h = (struct header *)p - 1;
	old = h->size;
	h = realloc(h, sizeof(*h) + size);
	if (!h)
		return NULL;
	h->size = size;
	if (h->counted && b && thread_budget == b)
		add(b, (int64_t)size - (int64_t)old);
	return h + 1;
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
