/* Cloud-messaging events on screen (fcmview.c). */
#ifndef NATTER_UI_FCMVIEW_H
#define NATTER_UI_FCMVIEW_H

#include "core/event.h"

struct ui;

/* Prints an NT_EV_FCM* event as one line in the console, and in the window
 * the /fcm send that caused it was typed in. */
void fcmview_show(struct ui *ui, const struct nt_event *ev);

#endif
