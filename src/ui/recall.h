/* Input history: the lines typed in one window, browsed with Up/Down. */
#ifndef NATTER_UI_RECALL_H
#define NATTER_UI_RECALL_H

#include <stddef.h>

#define RECALL_MAX 200

struct recall {
	char *lines[RECALL_MAX]; /* ring of UTF-8 lines, oldest first from head */
	size_t head, count;
	size_t pos;  /* while browsing: count - lines back; == count when not */
	char *draft; /* the unsent line Up replaced, given back past the newest */
};

void recall_init(struct recall *h);
void recall_clear(struct recall *h);

/* Records a sent line (a repeat of the newest is not kept twice) and ends
 * browsing.  -1 on ENOMEM. */
int recall_add(struct recall *h, const char *line);

/* Steps back (dir < 0) or forward.  current is the line being edited; it
 * is kept as the draft when browsing starts.  Returns the line to show
 * (owned by h), or NULL when there is nowhere to go. */
const char *recall_step(struct recall *h, int dir, const char *current);

/* Forgets the browsing position (after an edit or a send). */
void recall_reset(struct recall *h);

#endif
