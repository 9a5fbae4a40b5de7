/* Small stanza-building and reading helpers over libstrophe, so feature
 * modules do not each grow their own. */
#ifndef NATTER_XMPP_STANZA_H
#define NATTER_XMPP_STANZA_H

#include <strophe.h>

/* <name xmlns=ns/> (ns may be NULL); a new reference or NULL on ENOMEM. */
xmpp_stanza_t *st_element(xmpp_ctx_t *ctx, const char *name, const char *ns);
/* Appends <name xmlns=ns/> to parent and returns it (borrowed), or NULL. */
xmpp_stanza_t *st_add_element(xmpp_stanza_t *parent, const char *name, const char *ns);
/* Appends <name>text</name>; 0 or -1 on ENOMEM. */
int st_add_text(xmpp_stanza_t *parent, const char *name, const char *text);
/* The text of the first child called name, malloc'd (free()), or NULL. */
char *st_child_text(xmpp_stanza_t *st, const char *name);
/* The condition of an error stanza (e.g. "item-not-found"), a pointer
 * into the stanza, and its <text/> (malloc'd in *text, may be NULL). */
const char *st_error_condition(xmpp_stanza_t *st, char **text);

#endif
