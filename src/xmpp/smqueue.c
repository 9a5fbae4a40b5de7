/* What the server has not acknowledged yet: see smqueue.h. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "util/log.h"
#include "xmpp/smqueue.h"

/* A server that never acknowledges must not make natter keep everything:
 * past this many, the oldest written ones are let go (as libstrophe alone
 * would lose them), and natter says so once. */
#define SMQ_MAX 2000

struct smq_entry {
	struct smq_entry *next;
	xmpp_stanza_t *st; /* NULL: a nonza, never handed back */
	char *text;        /* what libstrophe was given; freed once written */
	bool written;
};

void smq_init(struct smq *q)
{
	memset(q, 0, sizeof(*q));
}

static void entry_free(struct smq_entry *e)
{
	if (e->st)
		xmpp_stanza_release(e->st);
	free(e->text);
	free(e);
}

static struct smq_entry *pop_front(struct smq *q)
{
	struct smq_entry *e = q->head;

	if (!e)
		return NULL;
	q->head = e->next;
	if (!q->head)
		q->tail = NULL;
	if (q->next_unwritten == e)
		q->next_unwritten = e->next;
	q->len--;
	return e;
}

void smq_clear(struct smq *q)
{
	struct smq_entry *e;

	while ((e = pop_front(q)))
		entry_free(e);
	smq_init(q);
}

void smq_session_start(struct smq *q)
{
	q->acked = 0;
	q->overflowed = false;
}

int smq_sent(struct smq *q, xmpp_stanza_t *st, char *text)
{
	struct smq_entry *e = calloc(1, sizeof(*e));

	if (!e || !text) {
		free(e);
		free(text);
		if (st)
			xmpp_stanza_release(st);
		log_error("out of memory: a stanza is not kept until the server has it");
		return -1;
	}
	e->st = st;
	e->text = text;
	if (q->tail)
		q->tail->next = e;
	else
		q->head = e;
	q->tail = e;
	if (!q->next_unwritten)
		q->next_unwritten = e;
	q->len++;
	while (q->len > SMQ_MAX && q->head->written) {
		if (!q->overflowed)
			log_warn(
			    "the server acknowledges none of the last %d stanzas: the oldest are "
			    "no longer kept for a lost connection",
			    SMQ_MAX);
		q->overflowed = true;
		/* Counted as acknowledged, so that the server's next h
		 * still lines up with what is kept. */
		entry_free(pop_front(q));
		q->acked++;
	}
	return 0;
}

void smq_written(struct smq *q, const char *text)
{
	struct smq_entry *e;

	/* libstrophe writes in order, and its own elements (<r/>, <a/>)
	 * come in between.  Normally the oldest unwritten entry matches; one
	 * further on means the lines of those before it were missed (a log
	 * line libstrophe could not allocate), and they were written too. */
	for (e = q->next_unwritten; e && strcmp(e->text, text); e = e->next)
		;
	if (!e)
		return;
	for (struct smq_entry *w = q->next_unwritten; w != e->next; w = w->next) {
		w->written = true;
		free(w->text);
		w->text = NULL;
	}
	q->next_unwritten = e->next;
}

bool smq_acked(struct smq *q, uint32_t h)
{
	uint32_t fresh = h - q->acked; /* the counter wraps at 2^32 */
	uint32_t written = 0;

	for (struct smq_entry *e = q->head; e && e->written && written < fresh; e = e->next)
		written++;
	/* More than natter wrote since the last count (or a count that went
	 * backwards): a confused or lying server.  Nothing is let go. */
	if (written < fresh)
		return false;
	for (; fresh; fresh--) {
		entry_free(pop_front(q));
		q->acked++;
	}
	return true;
}

static void hand(struct smq_entry *e, smq_fn fn, void *ud)
{
	if (e->st) {
		fn(ud, e->st);
		e->st = NULL;
	}
	entry_free(e);
}

void smq_take_unwritten(struct smq *q, smq_fn fn, void *ud)
{
	struct smq_entry *e = q->next_unwritten, **pp;

	if (!e)
		return;
	/* Cut the list before e: everything from e on goes. */
	for (pp = &q->head; *pp != e; pp = &(*pp)->next)
		;
	*pp = NULL;
	q->tail = NULL;
	for (struct smq_entry *t = q->head; t; t = t->next)
		q->tail = t;
	q->next_unwritten = NULL;
	while (e) {
		struct smq_entry *next = e->next;

		q->len--;
		hand(e, fn, ud);
		e = next;
	}
}

void smq_take_all(struct smq *q, smq_fn fn, void *ud)
{
	struct smq_entry *e;

	while ((e = pop_front(q)))
		hand(e, fn, ud);
	q->acked = 0;
}

size_t smq_len(const struct smq *q)
{
	return q->len;
}
