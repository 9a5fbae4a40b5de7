/* XMPP error conditions in words (condition.c). */
#ifndef NATTER_UTIL_CONDITION_H
#define NATTER_UTIL_CONDITION_H

/* What an RFC 6120 stanza error condition means, in a few words for a
 * person ("item-not-found" -> "there is no such item"); the condition
 * itself for one it does not know.  Static. */
const char *condition_words(const char *condition);

#endif
