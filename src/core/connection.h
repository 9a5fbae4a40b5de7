/* The connection's life cycle (connection.c): connecting, keepalive,
 * back-off, resumption and the orderly close.  core.h's core_connect(),
 * core_quit(), core_online() are implemented there. */
#ifndef NATTER_CORE_CONNECTION_H
#define NATTER_CORE_CONNECTION_H

#include "core/module.h"

#include "core/core_internal.h"

struct core;
struct xs_online;
struct xs_offline;

extern const struct core_module connection_module;

/* The session's reports (xs_callbacks), forwarded by core.c. */
void connection_online(struct core *core, const struct xs_online *o);
void connection_offline(struct core *core, const struct xs_offline *o);
void connection_drained(struct core *core);

/* The server is draining the session (a cloud-messaging server's
 * CONNECTION_DRAINING, seed 002): a new connection is made at once beside
 * the old one, which natter no longer writes to; what it still delivers
 * (acknowledgements of messages sent on it) is handled as usual.  fn runs
 * once the old connection has ended: closed by the server, or cut after
 * a while.  Until the new connection is up, natter is offline (what is
 * sent waits in the outbox).  One drain at a time: 0, or -1 (not online,
 * or a drain is under way: fn will not run). */
typedef void (*connection_drained_fn)(struct core *core, void *ud);
int connection_replace(struct core *core, connection_drained_fn fn, void *ud);

/* The tls_untrusted event for a refused certificate (a login's or a
 * registration's), its names cleaned: they are the server's words. */
void connection_report_untrusted(struct core *core, struct core_cause cause,
                                 const struct xs_offline *o);

#endif
