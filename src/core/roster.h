/* The roster (RFC 6121 §2) and presence subscriptions (§3). */
#ifndef NATTER_CORE_ROSTER_H
#define NATTER_CORE_ROSTER_H

#include <stdbool.h>

#include "core/core_internal.h"

struct core;

/* The /roster commands and roster pushes; at every fresh login, before
 * our presence, the roster is fetched (XEP-0237 versioning when the server
 * offers it). */
extern const struct core_module roster_module;

/* Whether the login's roster request still waits for its answer. */
bool roster_fetching(struct core *core);

/* What a command's argument names: a contact's roster name or the
 * localpart of exactly one contact's JID ("bob", "Echo"), else a JID
 * (with '@', a '.' in the domain, or our own server's name).  A bare word
 * that is neither is refused (item-not-found) before anything is sent.
 * Malloc'd and normalised, or NULL after an error event for cause. */
char *roster_resolve(struct core *core, struct core_cause cause, const char *word);

/* Lookups for the other modules (bare JIDs, case-insensitive). */
bool roster_contains(struct core *core, const char *bare);
/* roster_contains() by a key already normalised (jid_bare_key()): no
 * parsing, for what runs on every presence. */
bool roster_has_key(struct core *core, const char *key);
const char *roster_name(struct core *core, const char *bare);
/* bare's roster item as an event shows it (sanitised) in *out: returns
 * what holds its strings (free with roster_describe_free; they live until
 * the roster changes), or NULL when bare is not in the roster. */
void *roster_describe(struct core *core, const char *bare, struct nt_roster_item *out);
void roster_describe_free(void *held);
/* Whether jid (bare or full) may see our presence: our own account, or a
 * contact subscribed to us (subscription from or both). */
bool roster_sees_us(struct core *core, const char *jid);
/* A NULL-terminated array of the roster's bare JIDs, valid until the next
 * roster change (for completion). */
const char *const *roster_jids(struct core *core);

/* Subscription requests not answered yet: kept by roster.c (they are saved
 * with the roster cache so that they survive a restart), received and
 * answered by subscription.c.  from is a normalised bare JID, status the
 * text that came with the request (may be NULL). */
int roster_request_add(struct core *core, const char *from, const char *status);
/* true when there was a request from bare. */
bool roster_request_drop(struct core *core, const char *bare);
void roster_requests_emit(struct core *core, struct core_cause cause);

#endif
