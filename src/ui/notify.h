/* Telling the user about a new message beyond the screen (notify.c): the
 * command of [ui] eventcmd, and desktop notifications through notify-send
 * when [ui] notify is on. */
#ifndef NATTER_UI_NOTIFY_H
#define NATTER_UI_NOTIFY_H

#include "config/settings.h"

/* A new message from name (sanitised) of type ("chat", "groupchat", ...).
 * Runs what settings ask for, detached: it never blocks the loop, never
 * writes on the terminal, and leaves no zombie. */
void notify_message(const struct settings *s, const char *from, const char *name, const char *type,
                    const char *body);

#endif
