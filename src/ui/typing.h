/* Chat states (XEP-0085) sent as the user types in a chat window:
 * composing when typing starts, paused after TYPING_PAUSE_MS without a
 * key, active when the line is sent or emptied.  The core decides whether
 * the peer wants them at all. */
#ifndef NATTER_UI_TYPING_H
#define NATTER_UI_TYPING_H

#define TYPING_PAUSE_MS 5000

struct ui;

/* The input line changed: what it now holds decides the state. */
void typing_update(struct ui *ui);
/* A line was submitted. */
void typing_sent(struct ui *ui);
/* The current window is about to change. */
void typing_leave(struct ui *ui);
void typing_free(struct ui *ui);

#endif
