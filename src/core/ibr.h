/* XEP-0077 in-band registration: new accounts, password change, removal. */
#ifndef NATTER_CORE_IBR_H
#define NATTER_CORE_IBR_H

#include "cmd/cmd.h"

struct xs_offline;

int ibr_cmd_register(struct cmd_call *call);
/* The session's answer to a registration (xs_callbacks.registered). */
void ibr_registered(void *core, const char *jid, const struct xs_offline *result);
int ibr_cmd_password(struct cmd_call *call);
int ibr_cmd_unregister(struct cmd_call *call);

#endif
