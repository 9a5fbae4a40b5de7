/* The PubSub window: one window, "pubsub", for every service's
 * subscriptions and notifications, opened with the first of them.
 * Notifications count as messages there (activity, unread, bell);
 * subscription states as information.  The answer to a /pubsub command
 * typed in another window is shown there too. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ui/pubsubwin.h"
#include "ui/ui_internal.h"
#include "ui/winlist.h"
#include "util/log.h"

#define PUBSUB_WINDOW "pubsub"
#define PAYLOAD_SHOWN 400 /* characters of an item's payload on screen */

/* The PubSub window, opened when first needed (NULL on ENOMEM). */
static struct window *pubsubwin_window(struct ui *ui)
{
	struct window *w;

	for (size_t i = 1; i < ui->nwins; i++)
		if (ui->wins[i]->pubsub)
			return ui->wins[i];
	w = winlist_open_other(ui, PUBSUB_WINDOW);
	if (w)
		w->pubsub = true;
	else
		log_error("ui: out of memory: no pubsub window");
	return w;
}

/* Adds s to a NULL-terminated list of at most PUBSUB_KNOWN, newest last. */
static void remember(char **list, const char *s)
{
	size_t n = 0;
	char *copy;

	if (!s || !*s)
		return;
	for (; list[n]; n++) {
		if (!strcmp(list[n], s)) {
			/* Seen again: it moves to the end. */
			copy = list[n];
			memmove(list + n, list + n + 1, (PUBSUB_KNOWN - n) * sizeof(*list));
			for (n = 0; list[n]; n++)
				;
			list[n] = copy;
			return;
		}
	}
	if (!(copy = strdup(s)))
		return;
	if (n == PUBSUB_KNOWN) {
		free(list[0]);
		memmove(list, list + 1, PUBSUB_KNOWN * sizeof(*list));
		n--;
	}
	list[n] = copy;
	list[n + 1] = NULL;
}

static void forget_all(char **list)
{
	for (size_t i = 0; list[i]; i++) {
		free(list[i]);
		list[i] = NULL;
	}
}

void pubsubwin_free(struct ui *ui)
{
	forget_all(ui->pubsub.services);
	forget_all(ui->pubsub.nodes);
	forget_all(ui->pubsub.subids);
}

/* A line in the PubSub window and, for a command typed elsewhere, there. */
static void pubsubwin_print(struct ui *ui, uint64_t origin, enum window_line_kind kind,
                            const char *nick, const char *text)
{
	struct window *w = pubsubwin_window(ui),
	              *o = origin ? winlist_by_id(ui, (unsigned)origin) : NULL;

	if (w)
		winlist_print(ui, w, kind, time(NULL), false, nick, text);
	if (o && o != w)
		winlist_print(ui, o, kind, time(NULL), false, nick, text);
	if (!w && !o)
		winlist_print(ui, winlist_console(ui), kind, time(NULL), false, nick, text);
}

static void show_subscriptions(struct ui *ui, const struct nt_event *ev)
{
	const typeof(ev->u.pubsub_subscriptions) *l = &ev->u.pubsub_subscriptions;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	remember(ui->pubsub.services, l->service);
	remember(ui->pubsub.nodes, l->node);
	if (!f)
		return;
	if (!l->count)
		fprintf(f, "%s lists no subscriptions of yours%s%s", l->service,
		        l->node ? " to " : "", l->node ? l->node : "");
	else
		fprintf(f, "%s lists %zu subscription%s%s%s%s:", l->service, l->count,
		        l->count == 1 ? "" : "s", l->node ? " to " : "", l->node ? l->node : "",
		        l->truncated ? " (and more natter does not show)" : "");
	for (size_t i = 0; i < l->count; i++) {
		const struct nt_pubsub_sub *s = &l->subs[i];

		remember(ui->pubsub.nodes, s->node);
		remember(ui->pubsub.subids, s->subid);
		fprintf(f, "\n  %-12s %s  %s%s%s%s%s", s->subscription ? s->subscription : "?",
		        s->node ? s->node : "(no node)", s->jid ? s->jid : "?",
		        s->subid ? "  subid " : "", s->subid ? s->subid : "",
		        s->expire ? "  until " : "", s->expire ? s->expire : "");
	}
	if (fclose(f) == 0 && buf)
		pubsubwin_print(ui, ev->origin, WL_INFO, NULL, buf);
	free(buf);
}

static void show_subscription(struct ui *ui, const struct nt_event *ev)
{
	const typeof(ev->u.pubsub_subscription) *s = &ev->u.pubsub_subscription;
	const char *st = s->subscription ? s->subscription : "?";
	char *text = NULL, *extra = NULL;
	int rc;

	remember(ui->pubsub.services, s->service);
	remember(ui->pubsub.nodes, s->node);
	remember(ui->pubsub.subids, s->subid);
	if (asprintf(&extra, "%s%s%s%s%s", s->subid ? " (subid " : "", s->subid ? s->subid : "",
	             s->subid ? ")" : "", s->expire ? " until " : "",
	             s->expire ? s->expire : "") < 0)
		return;
	if (!strcmp(st, "subscribed"))
		rc = asprintf(&text, "%s %s on %s%s",
		              s->reused ? "renewed: subscribed to" : "subscribed to", s->node,
		              s->service, extra);
	else if (!strcmp(st, "pending"))
		rc = asprintf(&text, "%s to %s on %s is pending: the node's owner decides%s",
		              s->reused ? "your subscription" : "the subscription", s->node,
		              s->service, extra);
	else if (!strcmp(st, "unconfigured"))
		rc = asprintf(&text, "the subscription to %s on %s waits for its options%s",
		              s->node, s->service, extra);
	else
		rc = asprintf(&text, "not subscribed to %s on %s%s", s->node, s->service, extra);
	free(extra);
	if (rc < 0)
		return;
	pubsubwin_print(ui, ev->origin, WL_INFO, NULL, text);
	free(text);
}

static void show_event(struct ui *ui, const struct nt_event *ev)
{
	const typeof(ev->u.pubsub_event) *e = &ev->u.pubsub_event;
	const char *node = e->node ? e->node : "?";
	char *text = NULL, *nick = NULL;

	remember(ui->pubsub.services, e->service);
	remember(ui->pubsub.nodes, e->node);
	remember(ui->pubsub.subids, e->subid);
	if (e->other_resource) {
		if (asprintf(&text,
		             "a notification from %s (%s) was sent to %s, not to this "
		             "resource: not processed",
		             e->service, node, e->to ? e->to : "?") >= 0)
			pubsubwin_print(ui, 0, WL_INFO, NULL, text);
		free(text);
		return;
	}
	if (e->purged || e->deleted) {
		if (asprintf(&text, "%s on %s was %s", node, e->service,
		             e->purged ? "purged: its items are gone" : "deleted") >= 0)
			pubsubwin_print(ui, 0, WL_INFO, NULL, text);
		free(text);
		return;
	}
	/* The node speaks, like a contact: "<node> id: payload". */
	if (asprintf(&nick, "%s%s%s", node, e->collection ? " in " : "",
	             e->collection ? e->collection : "") < 0)
		return;
	for (size_t i = 0; i < e->count; i++) {
		const struct nt_pubsub_item *it = &e->items[i];
		const char *p = it->payload ? it->payload : "";
		int shown = (int)strnlen(p, PAYLOAD_SHOWN);

		int rc;

		/* Cut between characters, not inside one. */
		while (shown > 0 && ((unsigned char)p[shown] & 0xc0) == 0x80)
			shown--;
		if (it->retracted)
			rc = asprintf(&text, "%s retracted", it->id ? it->id : "an item");
		else
			rc = asprintf(&text, "%s%s%.*s%s", it->id ? it->id : "", it->id ? ": " : "",
			              shown, p, p[shown] ? "\u2026" : "");
		if (rc < 0)
			text = NULL;
		if (text)
			pubsubwin_print(ui, 0, WL_MSG_PEER, nick, text);
		free(text);
		text = NULL;
	}
	if (!e->count)
		pubsubwin_print(ui, 0, WL_INFO, NULL, "a notification without items");
	if (e->truncated)
		pubsubwin_print(ui, 0, WL_INFO, NULL,
		                "(natter showed only part of this notification)");
	free(nick);
}

void pubsubwin_event(struct ui *ui, const struct nt_event *ev)
{
	switch (ev->kind) {
	case NT_EV_PUBSUB_SUBSCRIPTIONS:
		show_subscriptions(ui, ev);
		break;
	case NT_EV_PUBSUB_SUBSCRIPTION:
		show_subscription(ui, ev);
		break;
	case NT_EV_PUBSUB_EVENT:
		show_event(ui, ev);
		break;
	default:
		break;
	}
}
