/* The answer to a roster request, read while expat parses it.
 *
 * libstrophe 0.12.2 delivers a stanza only once it is whole, as a tree of
 * small blocks: the answer of a 10,000-item roster (1 MiB of XML) is some
 * 300,000 of them, 8.5 MiB, rendered twice more to text (1.1 MB each) for
 * the debug log before any handler runs, and every child is appended by
 * walking its older siblings.  That tree was most of natter's peak memory
 * at a big login.
 *
 * natter defines expat's XML_SetElementHandler and
 * XML_SetCharacterDataHandler itself, as xmlguard.c defines XML_Parse:
 * libstrophe's handlers are wrapped.  Inside a top-level <iq type='result'>,
 * the first <query xmlns='jabber:iq:roster'> child stays in the tree, but
 * its <item/> children never reach libstrophe: their attributes and groups
 * are copied into a compact list (about 100 bytes an item) as they are
 * parsed.  When the iq ends, libstrophe runs the stanza handlers inside
 * expat's end-element callback, and net.c takes the list there
 * (rosterstream_take) to send it to the core thread with the stanza.  What
 * a handler does not take is freed as soon as the iq has been handled.
 *
 * Only the threads that ask for it stream (the network thread does), and
 * only in a client stream's namespace: xmpp_stanza_new_from_string() and
 * every other parser of the process build their trees as before.
 *
 * Nothing is trusted for it: the list goes with the stanza, and the core
 * uses it only for the answer that the session matched, by id and sender,
 * to its own roster request.  Every other element is handled as before;
 * the text directly inside the query (whitespace between items) is
 * dropped. */
#ifndef NATTER_XMPP_ROSTERSTREAM_H
#define NATTER_XMPP_ROSTERSTREAM_H

#include <stdbool.h>
#include <stddef.h>

/* One <item/>: the attributes are NULL when absent.  groups is NULL or the
 * text of each non-empty <group/>, in order, each followed by its NUL, and
 * an empty string after the last: walk it with rs_next_group(). */
struct rs_item {
	const char *jid, *name, *subscription, *ask;
	const char *groups;
};

struct rs_list;

size_t rs_list_len(const struct rs_list *l);
/* False when memory ran out while the items were read: some are missing,
 * and the answer must not replace a roster. */
bool rs_list_complete(const struct rs_list *l);
const struct rs_item *rs_list_item(const struct rs_list *l, size_t i);
/* The group after g, or NULL after the last. */
const char *rs_next_group(const char *g);
void rs_list_free(struct rs_list *l);

/* From now on, the parsers this thread runs stream roster answers. */
void rosterstream_enable(bool on);
/* On the parsing thread, inside a stanza handler: the items of the
 * top-level element being delivered, now the caller's; NULL when it
 * streamed none. */
struct rs_list *rosterstream_take(void);
/* What the list of the element this thread is parsing holds, in bytes
 * (the network thread's budget counts it with libstrophe's blocks). */
size_t rosterstream_held(void);

#endif
