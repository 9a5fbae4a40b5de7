/* Input history: the lines typed in one window, browsed with Up/Down. */
#ifndef NATTER_UI_HISTORY_H
#define NATTER_UI_HISTORY_H

#include <stddef.h>

#define HISTORY_MAX 200

struct history {
	char *lines[HISTORY_MAX]; /* ring of UTF-8 lines, oldest first from head */
	size_t head, count;
	size_t pos;  /* while browsing: count - lines back; == count when not */
	char *draft; /* the unsent line Up replaced, given back past the newest */
};

void history_init(struct history *h);
void history_clear(struct history *h);

/* Records a sent line (a repeat of the newest is not kept twice) and ends
 * browsing.  -1 on ENOMEM. */
int history_add(struct history *h, const char *line);

/* Steps back (dir < 0) or forward.  current is the line being edited; it
 * is kept as the draft when browsing starts.  Returns the line to show
 * (owned by h), or NULL when there is nowhere to go. */
const char *history_step(struct history *h, int dir, const char *current);

/* Forgets the browsing position (after an edit or a send). */
void history_reset(struct history *h);

#endif
