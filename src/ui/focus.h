/* Whether anyone looks at natter: the terminal's focus (xterm focus
 * reporting) and the time since the last key.  The server hears it
 * (XEP-0352 client state), and a contact hears when its messages were on
 * screen (XEP-0333 displayed). */
#ifndef NATTER_UI_FOCUS_H
#define NATTER_UI_FOCUS_H

#include <stdbool.h>

struct ui;

/* Asks the terminal to report focus changes (or stop asking). */
void focus_reporting(bool on);
/* Starts counting idle time, once the core is there. */
void focus_start(struct ui *ui);
/* /set inactive_after: counted from the last key, from now on. */
void focus_idle_after(struct ui *ui, int seconds);
/* A key came: somebody is there. */
void focus_key(struct ui *ui);
/* The terminal gained (in) or lost focus. */
void focus_set(struct ui *ui, bool in);
/* Before a draw: what the current chat window shows has been seen. */
void focus_prepare(struct ui *ui);
void focus_free(struct ui *ui);

#endif
