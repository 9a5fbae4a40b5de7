/* XEP-0352 Client State Indication. */
#ifndef NATTER_CORE_CSI_H
#define NATTER_CORE_CSI_H

#include "core/module.h"

#define NS_CSI "urn:xmpp:csi:0"

/* Tells the server whether anyone looks (core_client_state, /csi). */
extern const struct core_module csi_module;

#endif
