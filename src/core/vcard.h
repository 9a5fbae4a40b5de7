/* XEP-0054 vcard-temp: fetch anyone's, set one's own fields. */
#ifndef NATTER_CORE_VCARD_H
#define NATTER_CORE_VCARD_H

#include "cmd/cmd.h"

int vcard_cmd_get(struct cmd_call *call);
int vcard_cmd_set(struct cmd_call *call);

#endif
