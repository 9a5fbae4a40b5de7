/* The terminal UI: an ncurses front end on the event core.
 *
 * It renders what the core reports and turns keystrokes into command lines;
 * it never builds stanzas or touches the store. */
#ifndef NATTER_UI_UI_H
#define NATTER_UI_UI_H

#include "config/settings.h"
#include "core/event.h"
#include "loop/loop.h"

struct core;
struct ui;

/* Takes over the terminal (initscr, raw input) and registers standard input
 * and SIGWINCH with the loop; the theme and bell come from settings.  NULL
 * with a message on stderr on failure. */
struct ui *ui_new(struct loop *loop, const struct settings *settings);
/* The frontend to hand to core_new(); valid while ui lives. */
struct nt_frontend ui_frontend(struct ui *ui);
/* Gives the UI the core it sends command lines to (after core_new). */
void ui_attach(struct ui *ui, struct core *core);
/* Restores the terminal. */
void ui_free(struct ui *ui);

#endif
