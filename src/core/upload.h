/* XEP-0363 HTTP File Upload. */
#ifndef NATTER_CORE_UPLOAD_H
#define NATTER_CORE_UPLOAD_H

#include "core/module.h"

#define NS_UPLOAD "urn:xmpp:http:upload:0"

/* /upload JID PATH and /upload cancel [PATH]. */
extern const struct core_module upload_module;

#endif
