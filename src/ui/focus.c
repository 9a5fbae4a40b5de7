/* Focus and idle time: see focus.h. */
#include "config.h"

#include <stdio.h>

#include "core/core.h"
#include "ui/focus.h"
#include "ui/ui_internal.h"
#include "ui/winlist.h"
#include "util/log.h"

void focus_reporting(bool on)
{
	/* DECSET 1004: the terminal sends ESC [ I and ESC [ O (keys.c reads
	 * them); terminals without it ignore the request. */
	fputs(on ? "\033[?1004h" : "\033[?1004l", stdout);
	fflush(stdout);
}

/* The server hears a change, and only a change. */
static void update(struct ui *ui)
{
	bool active = ui->focused && !ui->idle;

	if (active == ui->active || !ui->core)
		return;
	ui->active = active;
	if (core_client_state(ui->core, active))
		log_debug("ui: the client state was not sent");
}

static void idle_arm(struct ui *ui, uint64_t ms);

/* Keys reset nothing: the timer looks, when it fires, at how long ago the
 * last one came, so typing costs no timer churn. */
static void idle_check(struct loop *loop, void *ud)
{
	struct ui *ui = ud;
	uint64_t limit = (uint64_t)ui->inactive_after * 1000, quiet = loop_now_ms() - ui->last_key;

	(void)loop;
	ui->idle_timer = 0;
	if (quiet < limit) {
		idle_arm(ui, limit - quiet);
		return;
	}
	ui->idle = true;
	update(ui);
}

static void idle_arm(struct ui *ui, uint64_t ms)
{
	if (!ui->inactive_after || ui->idle_timer)
		return;
	ui->idle_timer = loop_timer_add(ui->loop, ms, idle_check, ui);
	if (!ui->idle_timer)
		log_error("ui: out of memory: idle time is not counted");
}

void focus_start(struct ui *ui)
{
	ui->last_key = loop_now_ms();
	idle_arm(ui, (uint64_t)ui->inactive_after * 1000);
}

void focus_idle_after(struct ui *ui, int seconds)
{
	uint64_t limit = (uint64_t)seconds * 1000, quiet = loop_now_ms() - ui->last_key;

	loop_timer_cancel(ui->loop, ui->idle_timer);
	ui->idle_timer = 0;
	ui->inactive_after = seconds;
	if (seconds && !ui->idle)
		idle_arm(ui, quiet < limit ? limit - quiet : 0);
}

void focus_key(struct ui *ui)
{
	/* The user is there: away by idleness ends (core/autoaway.c). */
	if (ui->core)
		core_user_active(ui->core);
	ui->last_key = loop_now_ms();
	if (ui->idle) {
		ui->idle = false;
		update(ui);
	}
	idle_arm(ui, (uint64_t)ui->inactive_after * 1000);
}

void focus_set(struct ui *ui, bool in)
{
	ui->focused = in;
	/* Coming back counts as a key: the user is there again. */
	if (in)
		focus_key(ui);
	else
		update(ui);
}

void focus_prepare(struct ui *ui)
{
	struct window *w = winlist_current(ui);

	/* Shown means: in the current window, scrolled to the end, on a
	 * terminal that has the focus. */
	if (!w->jid || !w->unseen || !ui->focused || w->scroll || !ui->core)
		return;
	w->unseen = false;
	if (core_chat_displayed(ui->core, w->jid))
		log_debug("ui: no displayed marker for %s", w->jid);
}

void focus_free(struct ui *ui)
{
	loop_timer_cancel(ui->loop, ui->idle_timer);
	ui->idle_timer = 0;
}
