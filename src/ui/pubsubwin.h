/* The PubSub window: the subscriptions natter knows of and the
 * notifications services send, in a window of their own (pubsubwin.c). */
#ifndef NATTER_UI_PUBSUBWIN_H
#define NATTER_UI_PUBSUBWIN_H

#include <stddef.h>

#include "core/event.h"

struct ui;

/* Services, nodes and subscription ids seen, for completion (@service,
 * @node, @subid): NULL-terminated, newest last, at most PUBSUB_KNOWN each. */
#define PUBSUB_KNOWN 64
struct pubsub_view {
	char *services[PUBSUB_KNOWN + 1];
	char *nodes[PUBSUB_KNOWN + 1];
	char *subids[PUBSUB_KNOWN + 1];
};

/* A pubsub_subscriptions, pubsub_subscription or pubsub_event event. */
void pubsubwin_event(struct ui *ui, const struct nt_event *ev);
void pubsubwin_free(struct ui *ui);

#endif
