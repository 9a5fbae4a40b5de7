/* Message history: the core's side of the store (src/store/store.h).
 *
 * Opens the account's history.db at start-up, records every message the
 * core sees, commits by size and age and when the stream goes quiet,
 * checkpoints when all is quiet, and answers /history. */
#ifndef NATTER_CORE_HISTORY_H
#define NATTER_CORE_HISTORY_H

#include "core/module.h"
#include "store/store.h"

struct core;

/* Opens the store at start; a failure is reported (error event) and
 * natter goes on without history.  /history and /history search. */
extern const struct core_module history_module;

/* Records m (peer, direction, ts_ms, ... filled by the caller).  Returns 1
 * when new, 0 when it was already stored (a duplicate: the caller shows
 * nothing), -1 when there is no store or it failed (shown anyway). */
int history_record(struct core *core, struct store_msg *m);
/* Marks our message to peer with that id: 1 when there is one, 0 when we
 * never sent it (a receipt for it is no receipt), -1 without a store. */
int history_delivery(struct core *core, const char *peer, const char *stanza_id,
                     enum store_delivery state);
/* store_find(), store_correct(), store_retract(), store_last_own() on the
 * account's store; -1 (logged) when there is none or it failed. */
int history_find(struct core *core, const char *peer, enum store_direction dir, const char *id,
                 struct store_ref *out);
int history_correct(struct core *core, int64_t target, struct store_msg *m);
int history_retract(struct core *core, int64_t target, struct store_msg *m);
int history_last_own(struct core *core, const char *peer, struct store_own *out);
/* Where catching up with a room starts (store_room_last): the room's
 * newest stanza-id stored (*sid, malloc'd or NULL) and its newest time
 * (*ts_ms, 0 when nothing of the room is stored).  0, or -1 (no store). */
int history_room_last(struct core *core, const char *room, char **sid, int64_t *ts_ms);
/* The archive id stored last (where the MAM catch-up goes on), malloc'd,
 * or NULL. */
char *history_last_archive_id(struct core *core);

/* Small caches (roster, entity capabilities) in the same store, written
 * with the next commit.  get: 1 found (*value malloc'd), 0 absent, -1 no
 * store or error. */
int history_kv_get(struct core *core, const char *key, char **value);
int history_kv_set(struct core *core, const char *key, const char *value);
/* Collections of entries under one key prefix, changed one entry at a
 * time (store_kv_each): 0 or -1; the count or -1. */
int history_kv_del(struct core *core, const char *key);
int history_kv_each(struct core *core, const char *prefix, store_kv_fn fn, void *ud);

/* Commits what waits now, whatever the policy says: for what reads the
 * file from outside at once (the tests).  0, or -1 (reported as usual). */
int history_commit_now(struct core *core);
/* What the store did (commits, ...): zeros without a store. */
void history_stats(struct core *core, struct store_stats *out);

#endif
