/* An SQLite VFS over the system's own that gathers consecutive writes into
 * one write call (vfs_batch.c): the history database uses it. */
#ifndef NATTER_STORE_VFS_BATCH_H
#define NATTER_STORE_VFS_BATCH_H

#include <sqlite3.h>

/* Registers it on first use (not as the default) and returns its name for
 * sqlite3_open_v2(); NULL when it cannot be set up (SQLite's default then
 * does the same work with more calls). */
const char *vfs_batch_name(void);

#endif
