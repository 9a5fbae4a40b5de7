/* Auto-away: see autoaway.h.  The policy (when) is here; what is sent is
 * presence.c's (presence_auto). */
#include "config.h"

#include <stdlib.h>

#include "core/autoaway.h"
#include "core/core_internal.h"
#include "core/presence.h"
#include "loop/loop.h"
#include "util/log.h"

enum level { HERE, AWAY, XA };

struct autoaway {
	struct core *core;
	uint64_t last;     /* loop time of the last key or command */
	int64_t last_wall; /* the same on the wall clock: XEP-0319's "since" */
	uint64_t timer;
	uint64_t armed_due; /* next_due() when the timer was set */
	enum level level;
};

static struct autoaway *aa(struct core *core)
{
	return core_state(core, &autoaway_module);
}

static uint64_t minutes(int m)
{
	return (uint64_t)m * 60 * 1000;
}

/* How long after the last activity the next level is due; 0: never. */
static uint64_t next_due(const struct autoaway *a)
{
	const struct settings *s = core_settings(a->core);
	uint64_t due = 0;

	if (a->level < AWAY && s->auto_away)
		due = minutes(s->auto_away);
	if (a->level < XA && s->auto_xa && (!due || minutes(s->auto_xa) < due))
		due = minutes(s->auto_xa);
	return due;
}

static void check(struct loop *loop, void *ud);

/* Activity resets nothing: the timer looks, when it fires, at how long
 * ago the last one was, so keys cost no timer churn. */
static void arm(struct autoaway *a)
{
	struct loop *loop = core_loop(a->core);
	uint64_t due = next_due(a), quiet = loop_time(loop) - a->last;

	/* /set may have changed the minutes since the timer was set */
	if (a->timer && due != a->armed_due) {
		loop_timer_cancel(loop, a->timer);
		a->timer = 0;
	}
	if (!due || a->timer)
		return;
	a->armed_due = due;
	a->timer = loop_timer_add(loop, due > quiet ? due - quiet : 0, check, a);
	if (!a->timer)
		log_error("out of memory: auto-away is off until the next key");
}

static void check(struct loop *loop, void *ud)
{
	struct autoaway *a = ud;
	const struct settings *s = core_settings(a->core);
	uint64_t quiet = loop_time(loop) - a->last;
	enum level want = a->level;
	int after = 0;

	a->timer = 0;
	if (s->auto_away && quiet >= minutes(s->auto_away) && want < AWAY) {
		want = AWAY;
		after = s->auto_away;
	}
	if (s->auto_xa && quiet >= minutes(s->auto_xa) && want < XA) {
		want = XA;
		after = s->auto_xa;
	}
	/* Never over a show the user chose (dnd, away, xa) or invisibility. */
	if (want > a->level && presence_auto_allowed(a->core)) {
		if (presence_auto(a->core, want == XA ? "xa" : "away", s->auto_away_message,
		                  a->last_wall)) {
			log_error("out of memory: presence stays as it is while idle");
		} else {
			a->level = want;
			core_info(a->core, NO_CAUSE, "idle for %d minute%s: you are now %s", after,
			          after == 1 ? "" : "s", want == XA ? "xa" : "away");
		}
	} else if (want > a->level) {
		/* The user's own show stands; look again at the next level. */
		a->level = want;
	}
	arm(a);
}

void core_user_active(struct core *core)
{
	struct autoaway *a = aa(core);
	bool was_auto;

	if (!a)
		return;
	a->last = loop_time(core_loop(core));
	a->last_wall = loop_wall(core_loop(core));
	was_auto = a->level != HERE;
	if (was_auto) {
		a->level = HERE;
		/* Back only from what idleness set: a /status typed meanwhile
		 * has already ended it. */
		if (presence_auto_active(core)) {
			if (presence_auto(core, NULL, NULL, 0))
				log_error("out of memory: still away");
			else
				core_info(core, NO_CAUSE,
				          "welcome back: your presence is as you set it");
		}
	}
	arm(a);
}

static int autoaway_init(struct core *core)
{
	struct autoaway *a = calloc(1, sizeof(*a));

	if (!a)
		return -1;
	a->core = core;
	core_set_state(core, &autoaway_module, a);
	a->last = loop_time(core_loop(core));
	a->last_wall = loop_wall(core_loop(core));
	arm(a);
	return 0;
}

static void autoaway_free(struct core *core)
{
	struct autoaway *a = aa(core);

	if (!a)
		return;
	loop_timer_cancel(core_loop(core), a->timer);
	core_set_state(core, &autoaway_module, NULL);
	free(a);
}

static const char *const features[] = {"urn:xmpp:idle:1", NULL};

const struct core_module autoaway_module = {
    .name = "autoaway",
    .init = autoaway_init,
    .free = autoaway_free,
    .features = features,
};
