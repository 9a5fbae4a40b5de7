/* The account's eval_password, run in the background for a connection
 * attempt: a command that hangs (a password manager asking for its own
 * passphrase somewhere else) must not freeze natter: the terminal, the
 * headless commands and /quit all go on while it runs. */
#ifndef NATTER_CORE_EVALPW_H
#define NATTER_CORE_EVALPW_H

#include "loop/loop.h"

struct evalpw;

/* Called once, unless cancelled first: with the password (malloc'd, the
 * callee's; clear it before freeing) or NULL and why it failed.  The
 * evalpw is gone when this runs. */
typedef void (*evalpw_fn)(void *ud, char *password, const char *why);

/* Starts cmd and watches it on loop, with a deadline.  NULL with a
 * malloc'd *err when it could not start (done never runs then). */
struct evalpw *evalpw_start(struct loop *loop, const char *cmd, evalpw_fn done, void *ud,
                            char **err);

/* Kills the command and forgets it; done never runs.  NULL is fine. */
void evalpw_cancel(struct evalpw *e);

#endif
