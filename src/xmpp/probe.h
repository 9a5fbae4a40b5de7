/* A reachability probe before a stream-resumption attempt.
 *
 * libstrophe 0.12 moves the resumption id aside at every connection
 * attempt: after one failed attempt the next has nothing left to resume
 * with, so a network outage longer than one retry would always cost the
 * session.  natter therefore checks that the server answers a stream
 * header before it lets libstrophe try, as long as a session is waiting
 * to be resumed. */
#ifndef NATTER_XMPP_PROBE_H
#define NATTER_XMPP_PROBE_H

#include <stdbool.h>

/* Connects to host:port, and unless tls is true (direct TLS) sends a
 * stream header for domain and waits for the server's; all within
 * timeout_ms.  Returns 0 when the server answered, else -1 with *why set
 * to a static reason. */
int probe_server(const char *host, unsigned short port, const char *domain, bool tls,
                 int timeout_ms, const char **why);

#endif
