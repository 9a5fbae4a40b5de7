/* XEP-0333 Chat Markers. */
#ifndef NATTER_CORE_MARKERS_H
#define NATTER_CORE_MARKERS_H

#include "core/module.h"

#define NS_MARKERS "urn:xmpp:chat-markers:0"

/* Our chat messages are markable; markers from contacts are reported (and
 * kept in the history: delivered, displayed); /read, and
 * core_chat_displayed() for the terminal UI, send "displayed". */
extern const struct core_module markers_module;

#endif
