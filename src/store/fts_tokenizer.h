/* The tokenizer of natter's full-text index (FTS5): unicode61 with the
 * characters of scripts written without spaces indexed one by one, so
 * that searching those scripts finds substrings. */
#ifndef NATTER_STORE_FTS_TOKENIZER_H
#define NATTER_STORE_FTS_TOKENIZER_H

#include <sqlite3.h>

/* The name the schema's tokenize = '...' uses; its arguments are
 * unicode61's. */
#define FTS_TOKENIZER "natter"

/* Makes the tokenizer known to db: before the schema is read or
 * migrated, since the index cannot be opened without it.  An SQLite
 * result code. */
int fts_tokenizer_register(sqlite3 *db);
/* The registered tokenizer's methods and their user data, to tokenize
 * as the index does.  An SQLite result code. */
int fts_tokenizer_find(sqlite3 *db, void **ud, fts5_tokenizer *t);

#endif
