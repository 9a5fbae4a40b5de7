/* Bookmarked rooms (bookmarks.c): XEP-0402 where the account offers it,
 * XEP-0048 otherwise; /bookmarks, /bookmark add, /bookmark remove.  After
 * every fresh login the list is fetched and its autojoin rooms joined. */
#ifndef NATTER_CORE_BOOKMARKS_H
#define NATTER_CORE_BOOKMARKS_H

#include "core/core_internal.h"

extern const struct core_module bookmarks_module;

#endif
