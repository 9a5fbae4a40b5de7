/* Small stanza-building and reading helpers over libstrophe, so feature
 * modules do not each grow their own. */
#ifndef NATTER_XMPP_STANZA_H
#define NATTER_XMPP_STANZA_H

#include <stdbool.h>
#include <strophe.h>

/* <name xmlns=ns/> (ns may be NULL); a new reference or NULL on ENOMEM. */
xmpp_stanza_t *st_element(xmpp_ctx_t *ctx, const char *name, const char *ns);
/* Appends <name xmlns=ns/> to parent and returns it (borrowed), or NULL. */
xmpp_stanza_t *st_add_element(xmpp_stanza_t *parent, const char *name, const char *ns);
/* Appends <name>text</name>; 0 or -1 on ENOMEM. */
int st_add_text(xmpp_stanza_t *parent, const char *name, const char *text);
/* The text of the first child called name, malloc'd (free()), or NULL. */
char *st_child_text(xmpp_stanza_t *st, const char *name);
/* A deep copy of st built in ctx (a new reference), or NULL on ENOMEM or
 * when st nests deeper than max_depth.  Incoming stanzas belong to the
 * network thread's context; what the core keeps or sends is built in its
 * own, so no stanza outlives the context that allocated it. */
xmpp_stanza_t *st_copy_into(xmpp_ctx_t *ctx, xmpp_stanza_t *st, int max_depth);
/* Whether st has elements nested more than max_depth deep (st itself is
 * depth 1; text does not count).  It recurses at most max_depth + 1 deep,
 * whatever the stanza, so it is safe to ask before anything that recurses
 * without a bound (libstrophe's copy and release). */
bool st_deeper_than(xmpp_stanza_t *st, int max_depth);
/* An <iq type="error"> answering iq with condition (type cancel), built in
 * ctx: a new reference, or NULL on ENOMEM or when iq has neither a sender
 * nor an id to answer. */
xmpp_stanza_t *st_iq_error(xmpp_ctx_t *ctx, xmpp_stanza_t *iq, const char *condition);
/* The condition of an error stanza (e.g. "item-not-found"), a pointer
 * into the stanza, and its <text/> (malloc'd in *text, may be NULL).  The
 * RFC 6120 defined condition wins over an application-specific one. */
const char *st_error_condition(xmpp_stanza_t *st, char **text);
/* The application-specific condition element of an error stanza (RFC 6120
 * §8.3.3, e.g. XEP-0060's <pending-subscription/>), borrowed, or NULL. */
xmpp_stanza_t *st_error_app_condition(xmpp_stanza_t *st);

#endif
