/* The roster (RFC 6121 §2) and presence subscriptions (§3). */
#ifndef NATTER_CORE_ROSTER_H
#define NATTER_CORE_ROSTER_H

#include <stdbool.h>

#include "cmd/cmd.h"

struct core;

int roster_init(struct core *core);
void roster_free(struct core *core);
/* After a fresh login, before initial presence: fetch the roster (with
 * XEP-0237 versioning when the server offers it). */
void roster_login(struct core *core, bool versioning);

/* Lookups for the other modules (bare JIDs, case-insensitive). */
bool roster_contains(struct core *core, const char *bare);
const char *roster_name(struct core *core, const char *bare);
/* A NULL-terminated array of the roster's bare JIDs, valid until the next
 * roster change (for completion). */
const char *const *roster_jids(struct core *core);

int roster_cmd_list(struct cmd_call *call);
int roster_cmd_add(struct cmd_call *call);
int roster_cmd_remove(struct cmd_call *call);
int roster_cmd_name(struct cmd_call *call);
int roster_cmd_group_add(struct cmd_call *call);
int roster_cmd_group_remove(struct cmd_call *call);

/* Subscription requests not answered yet: kept by roster.c (they are saved
 * with the roster cache so that they survive a restart), received and
 * answered by subscription.c.  from is a normalised bare JID, status the
 * text that came with the request (may be NULL). */
int sub_init(struct core *core); /* subscription.c: registers its handler */
int roster_request_add(struct core *core, const char *from, const char *status);
/* true when there was a request from bare. */
bool roster_request_drop(struct core *core, const char *bare);
void roster_requests_emit(struct core *core);

int sub_cmd_request(struct cmd_call *call);
int sub_cmd_allow(struct cmd_call *call);
int sub_cmd_deny(struct cmd_call *call);
int sub_cmd_cancel(struct cmd_call *call);
int sub_cmd_pending(struct cmd_call *call);

#endif
