/* Keystrokes: read from the terminal and turned into editing, window
 * switching, scrolling and submitted lines. */
#ifndef NATTER_UI_KEYS_H
#define NATTER_UI_KEYS_H

#include <stdbool.h>

struct ui;

/* Sets up the key window and the codes for keys terminfo may not name. */
int keys_init(struct ui *ui);

/* Handles the keys waiting on the terminal.  True when it stopped early
 * (a huge paste) and must be called again: ncurses may hold the rest in its
 * own buffer, where poll() cannot see it. */
bool keys_read(struct ui *ui);

/* Drops tab-completion state (after the line changes some other way). */
void keys_complete_reset(struct ui *ui);

#endif
