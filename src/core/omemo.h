/* OMEMO end-to-end encryption (XEP-0384 in the legacy namespace
 * eu.siacs.conversations.axolotl that deployed clients speak): our device
 * list and bundle on PEP, contacts' devices followed through PEP, chats
 * encrypted through the chat module's e2e seam (core/chat.h), trust, and
 * /omemo.  The Signal protocol itself is src/omemo/ (libomemo-c). */
#ifndef NATTER_CORE_OMEMO_H
#define NATTER_CORE_OMEMO_H

#include "core/module.h"

extern const struct core_module omemo_module;

#endif
