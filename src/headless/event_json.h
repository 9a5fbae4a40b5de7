/* An event as a JSON object (event_json.c). */
#ifndef NATTER_HEADLESS_EVENT_JSON_H
#define NATTER_HEADLESS_EVENT_JSON_H

#include "core/event.h"

/* The event as one line of JSON without the newline (malloc'd; free()),
 * or NULL on ENOMEM. */
char *event_json(const struct nt_event *ev);

#endif
