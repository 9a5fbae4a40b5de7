/* XEP-0071 XHTML-IM: the whitelist sanitiser for what peers send, and the
 * building of what we send.  Pure functions over libstrophe stanzas, so
 * they are unit-tested and fuzzed on their own. */
#ifndef NATTER_CORE_XHTML_H
#define NATTER_CORE_XHTML_H

#include <strophe.h>

/* From the <html xmlns='http://jabber.org/protocol/xhtml-im'> element of a
 * message: *xhtml gets the sanitised markup (only the whitelisted elements
 * and style properties; a with its href shown as text, img as its alt
 * text; every text node terminal-safe), *text its plain-text rendering.
 * Both malloc'd.  Returns 0, or -1 (nothing usable, or ENOMEM). */
int xhtml_sanitize(xmpp_stanza_t *html, char **xhtml, char **text);

/* Parses markup typed by the user ("<p>hi <strong>you</strong></p>", or a
 * bare fragment) into an <html/> element to send (new reference) and its
 * plain-text fallback (*text, malloc'd).  NULL with *why on error. */
xmpp_stanza_t *xhtml_build(xmpp_ctx_t *ctx, const char *markup, char **text, const char **why);

#endif
