/* /history and /history search answers on screen (histview.c). */
#ifndef NATTER_UI_HISTVIEW_H
#define NATTER_UI_HISTVIEW_H

#include "core/event.h"

struct ui;
struct window;

/* Prints ev (NT_EV_HISTORY) into w: a header, one line per message at its
 * own time with its sender's name, search words highlighted, and a closing
 * line, so that it never runs into the live chat. */
void histview_show(struct ui *ui, struct window *w, const struct nt_event *ev);

#endif
