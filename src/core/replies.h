/* The answers every client owes (XEP-0092 version, XEP-0199 ping) and the
 * matching requests, /version and /ping (replies.c). */
#ifndef NATTER_CORE_REPLIES_H
#define NATTER_CORE_REPLIES_H

#include "core/module.h"

extern const struct core_module replies_module;

#endif
