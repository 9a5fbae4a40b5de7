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

/* The tls_untrusted event for a refused certificate (a login's or a
 * registration's), its names cleaned: they are the server's words. */
void connection_report_untrusted(struct core *core, struct core_cause cause,
				 const struct xs_offline *o);

#endif
