/* Links: XEP-0066 out-of-band URLs in and out, and /open. */
#ifndef NATTER_CORE_LINKS_H
#define NATTER_CORE_LINKS_H

#include <stdbool.h>

#include "core/module.h"

#define NS_OOB "jabber:x:oob"

extern const struct core_module links_module;

/* Whether s is a link natter shows and opens: http or https, a host, no
 * space or control character, at most 4096 bytes. */
bool links_is_url(const char *s);

#endif
