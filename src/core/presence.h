/* Presence: our own (show, status, priority, invisibility) and every
 * contact's, per resource (RFC 6121 §4), with RFC 6121 §5.1 resource
 * locking for chats addressed to a bare JID. */
#ifndef NATTER_CORE_PRESENCE_H
#define NATTER_CORE_PRESENCE_H

#include <stdbool.h>
#include <stdint.h>

#include "core/module.h"

struct core;

/* /status, /priority; at every fresh login, forgets contacts' presence and
 * sends ours. */
extern const struct core_module presence_module;

/* Unavailable presence, before closing the stream. */
void presence_goodbye(struct core *core);
/* The login's roster request was answered (or failed): the initial
 * presence, which waits for it, goes out. */
void presence_roster_done(struct core *core);

/* Whether idleness may set our presence: we are online or "chat", or
 * already away by idleness, and not invisible. */
bool presence_auto_allowed(struct core *core);
/* Whether our presence is away by idleness now. */
bool presence_auto_active(struct core *core);
/* Away ("away" or "xa") by idleness since the wall-clock ms since, with
 * status (NULL or empty: the user's own status text) and a XEP-0319 idle
 * time; show NULL: back to what the user chose.  Sent at once when
 * online; /status ends it.  0, or -1 when out of memory. */
int presence_auto(struct core *core, const char *show, const char *status, int64_t since);

/* Where a chat message for bare should go: the locked full JID, or bare
 * itself.  Returns a pointer valid until the next presence change. */
const char *presence_route(struct core *core, const char *bare);
/* A message arrived from full: lock the chat to that resource. */
void presence_lock(struct core *core, const char *full);
/* Visits each available resource of bare (sanitised strings, valid during
 * the call); returns how many. */
typedef void (*presence_resource_fn)(const char *full, const char *show, const char *status,
                                     int priority, void *ud);
size_t presence_resources(struct core *core, const char *bare, presence_resource_fn fn, void *ud);
/* The contact's highest-priority available resource (full JID) or NULL. */
const char *presence_best(struct core *core, const char *bare);

#endif
