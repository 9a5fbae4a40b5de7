/* Layout and rendering: the only code that writes to the terminal. */
#ifndef NATTER_UI_DRAW_H
#define NATTER_UI_DRAW_H

#include <stdbool.h>

#include "ui/window.h"

struct ui;

/* (Re)creates the panes for the terminal's current size. */
void draw_layout(struct ui *ui);

/* Whether a terminal cols wide has room for the roster pane. */
bool draw_pane_fits(int cols);

/* Deletes the panes (before endwin). */
void draw_free(struct ui *ui);

/* Draws whatever ui->dirty names, then updates the terminal once. */
void draw_screen(struct ui *ui);

/* Screen rows line l takes in the chat pane as it is now. */
int draw_line_rows(struct ui *ui, const struct window_line *l);

/* How far w can scroll back before its oldest line leaves the top. */
unsigned draw_max_scroll(struct ui *ui, struct window *w);

#endif
