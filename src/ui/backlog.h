/* Scrollback from the history store.
 *
 * A chat window starts with the last page of its conversation, and PageUp
 * past its oldest line loads the page before it.  Lines shown live carry
 * no store ids (the store numbers them later), so paging back always
 * starts from the oldest stored line the window has loaded. */
#ifndef NATTER_UI_BACKLOG_H
#define NATTER_UI_BACKLOG_H

#include <stdbool.h>

#include "ui/window.h"

#define BACKLOG_PAGE 50 /* messages per load */

struct ui;

/* A chat window was just created: loads its newest page. */
void backlog_open(struct ui *ui, struct window *w);

/* PageUp reached the top: loads the page before the oldest loaded line.
 * True when lines were added. */
bool backlog_older(struct ui *ui, struct window *w);

/* Back at the bottom of a window whose newest lines gave way to older
 * ones: starts again from the newest page. */
void backlog_reload(struct ui *ui, struct window *w);

/* l, a live message just added to a window opened for it, may already be
 * in the page the window opened with (the core may store before it
 * reports): the stored copy goes.  Returns where l now lives. */
struct window_line *backlog_dedupe(struct window *w, struct window_line *l);

#endif
