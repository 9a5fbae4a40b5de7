/* XEP-0077 registration of a new account on a fresh stream, on the
 * network thread: its own libstrophe context and a raw-mode connection
 * that natter drives itself (STARTTLS, the certificate verdict, the
 * registration form), so nothing of the login session is disturbed. */
#ifndef NATTER_XMPP_REGISTER_H
#define NATTER_XMPP_REGISTER_H

#include <stdbool.h>
#include <strophe.h>

#include "xmpp/net.h"

struct reg;

/* Takes params (jid = the bare JID to create); the callbacks are the
 * network thread's own.  NULL on failure, with *why set. */
struct reg *reg_start(struct net_params *params, xmpp_certfail_handler certfail,
                      xmpp_sockopt_callback sockopt, const char **why);
void reg_free(struct reg *r);

xmpp_ctx_t *reg_ctx(struct reg *r);
bool reg_owns(const struct reg *r, const xmpp_conn_t *conn);
/* Where the certificate callback records a problem during this
 * registration's passes. */
char **reg_cert_error(struct reg *r);
void reg_set_sock(struct reg *r, int fd);
int reg_sock(const struct reg *r);
/* True once a result is ready; reg_result() then hands it over once. */
bool reg_done(const struct reg *r);
struct net_report *reg_result(struct reg *r);

#endif
