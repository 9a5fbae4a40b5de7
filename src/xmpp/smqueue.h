/* What natter sent on a XEP-0198 session that the server has not
 * acknowledged yet, kept so that nothing is lost with a connection.
 *
 * libstrophe 0.12.2 keeps the stanzas it wrote until the server
 * acknowledges them, and writes them again when the session is resumed.
 * But it loses two kinds silently:
 *  - what it had not written yet (its send queue) when the connection
 *    dropped: the queue goes with the connection, resumed or not;
 *  - everything unacknowledged when the session cannot be resumed (the
 *    server lost it, or natter must not resume: #215): the SM state is
 *    thrown away, and with it the stanzas.
 * A line typed just before a cut, or a message sent while a resumption
 * was being refused, never reached anyone.
 *
 * So natter keeps its own reference to every stanza it hands libstrophe
 * while XEP-0198 counts, with the text libstrophe was given.  libstrophe
 * logs "SENT: <text>" once an element is written whole: the oldest kept
 * stanza not yet written is marked so when the text is its own.  The
 * server's <a h='n'/> (and <resumed h='n'/>) frees what it has.  When the
 * connection is lost, what was never written goes back to the outbox at
 * once (libstrophe would not write it again); when the session is lost,
 * everything kept goes back.  A stanza the server had in fact received
 * but not yet acknowledged is then sent twice: XEP-0198 §4.3 accepts that,
 * and a message keeps its id (and origin-id) for the peer to see it is the
 * same.
 *
 * A top-level element that is not a stanza (net.c writes it with a ping,
 * which is what the server counts) is counted but never handed back: it
 * says a state its owner sends again at login. */
#ifndef NATTER_XMPP_SMQUEUE_H
#define NATTER_XMPP_SMQUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <strophe.h>

struct smq_entry;

struct smq {
	struct smq_entry *head, *tail;
	struct smq_entry *next_unwritten; /* the oldest entry not written yet */
	size_t len;
	uint32_t acked;  /* the server's last h: entries it has */
	bool overflowed; /* said once that the server does not acknowledge */
};

/* What smq_take_*() hands over, oldest first: the caller owns st. */
typedef void (*smq_fn)(void *ud, xmpp_stanza_t *st);

void smq_init(struct smq *q);
/* Frees everything kept (natter stops). */
void smq_clear(struct smq *q);

/* A new session (<enabled/>): the server counts from 0. */
void smq_session_start(struct smq *q);
/* st (NULL for a nonza) was handed to libstrophe as text (malloc'd); the
 * queue takes both.  -1 on ENOMEM: both were freed. */
int smq_sent(struct smq *q, xmpp_stanza_t *st, char *text);
/* libstrophe wrote text whole ("SENT: " in its log); an entry written
 * implies those before it were. */
void smq_written(struct smq *q, const char *text);
/* The server has h of the session's stanzas.  False, and nothing let go,
 * when that is more than natter wrote since the last count. */
bool smq_acked(struct smq *q, uint32_t h);

/* The connection is gone: what libstrophe had not written goes to fn. */
void smq_take_unwritten(struct smq *q, smq_fn fn, void *ud);
/* The session is gone: everything kept goes to fn. */
void smq_take_all(struct smq *q, smq_fn fn, void *ud);

size_t smq_len(const struct smq *q);

#endif
