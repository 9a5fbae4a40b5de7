/* Per-window input history. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "ui/recall.h"

void recall_init(struct recall *h)
{
	memset(h, 0, sizeof(*h));
}

void recall_clear(struct recall *h)
{
	size_t i;

	for (i = 0; i < h->count; i++)
		free(h->lines[(h->head + i) % RECALL_MAX]);
	free(h->draft);
	recall_init(h);
}

static const char *history_at(const struct recall *h, size_t i)
{
	return h->lines[(h->head + i) % RECALL_MAX];
}

void recall_reset(struct recall *h)
{
	free(h->draft);
	h->draft = NULL;
	h->pos = h->count;
}

int recall_add(struct recall *h, const char *line)
{
	char *dup;

	recall_reset(h);
	if (h->count && !strcmp(history_at(h, h->count - 1), line))
		return 0;
	dup = strdup(line);
	if (!dup)
		return -1;
	if (h->count == RECALL_MAX) {
		free(h->lines[h->head]);
		h->lines[h->head] = dup;
		h->head = (h->head + 1) % RECALL_MAX;
	} else {
		h->lines[(h->head + h->count) % RECALL_MAX] = dup;
		h->count++;
	}
	h->pos = h->count;
	return 0;
}

const char *recall_step(struct recall *h, int dir, const char *current)
{
	if (h->pos > h->count)
		h->pos = h->count;
	if (dir < 0) {
		if (h->pos == 0)
			return NULL;
		if (h->pos == h->count) {
			free(h->draft);
			h->draft = strdup(current ? current : "");
			if (!h->draft)
				return NULL;
		}
		h->pos--;
		return history_at(h, h->pos);
	}
	if (h->pos >= h->count)
		return NULL;
	h->pos++;
	if (h->pos == h->count)
		return h->draft ? h->draft : "";
	return history_at(h, h->pos);
}
