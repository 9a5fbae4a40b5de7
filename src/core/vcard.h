/* XEP-0054 vcard-temp (vcard.c): /vcard [JID] and /vcard set. */
#ifndef NATTER_CORE_VCARD_H
#define NATTER_CORE_VCARD_H

#include "core/module.h"

extern const struct core_module vcard_module;

#endif
