/* What the terminal UI shows of OMEMO: fingerprints, the marks on
 * messages of encrypted chats, and the status bar's [OMEMO]. */
#ifndef NATTER_UI_OMEMO_H
#define NATTER_UI_OMEMO_H

#include <stdbool.h>

#include "core/event.h"

struct ui;
struct window;

/* /omemo fingerprint's answer, in the window that asked. */
void ui_omemo_fingerprints(struct ui *ui, const struct nt_event *ev);
/* The mark a message line carries in the window of bare (static text,
 * or NULL): "[OMEMO] " when it was encrypted, "[unencrypted] " when it
 * arrived in clear in a chat that is encrypted. */
const char *ui_omemo_tag(struct ui *ui, const struct nt_event *ev, const char *bare);
/* Whether the chat window w is encrypted now. */
bool ui_omemo_on(struct ui *ui, const struct window *w);

#endif
