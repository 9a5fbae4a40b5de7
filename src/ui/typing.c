/* Our side of XEP-0085: one state per transition, never one per key. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/core.h"
#include "ui/typing.h"
#include "ui/ui_internal.h"
#include "ui/winlist.h"
#include "util/log.h"

static void typing_set(struct ui *ui, enum ui_typing st)
{
	static const char *const names[] = {
	    [TYPING_NONE] = "active", [TYPING_COMPOSING] = "composing", [TYPING_PAUSED] = "paused"};

	ui->typing = st;
	if (ui->core && ui->typing_jid && core_chat_state(ui->core, ui->typing_jid, names[st]))
		log_debug("ui: chat state %s to %s not sent", names[st], ui->typing_jid);
}

static void typing_stop_timer(struct ui *ui)
{
	loop_timer_cancel(ui->loop, ui->typing_timer);
	ui->typing_timer = 0;
}

static void typing_timer_arm(struct ui *ui, uint64_t ms);

/* Keys reset nothing here: the timer checks, when it fires, how long ago
 * the last one came, so a fast typist costs no timer churn. */
static void typing_on_timer(struct loop *loop, void *ud)
{
	struct ui *ui = ud;
	uint64_t idle = loop_now_ms() - ui->typed_at;

	ui->typing_timer = 0;
	if (ui->typing != TYPING_COMPOSING)
		return;
	if (idle < TYPING_PAUSE_MS) {
		typing_timer_arm(ui, TYPING_PAUSE_MS - idle);
		return;
	}
	typing_set(ui, TYPING_PAUSED);
}

static void typing_timer_arm(struct ui *ui, uint64_t ms)
{
	ui->typing_timer = loop_timer_add(ui->loop, ms, typing_on_timer, ui);
	if (!ui->typing_timer)
		log_error("ui: out of memory: \"paused\" will not be sent");
}

/* Back to no state towards the peer; says "active" when asked to. */
static void typing_end(struct ui *ui, bool say_active)
{
	typing_stop_timer(ui);
	if (ui->typing != TYPING_NONE && say_active)
		typing_set(ui, TYPING_NONE);
	ui->typing = TYPING_NONE;
	free(ui->typing_jid);
	ui->typing_jid = NULL;
}

/* Text for the peer, not a command, is on the line. */
static bool typing_composing(struct ui *ui)
{
	return ui->input.len > 0 && ui->input.buf[0] != L'/';
}

void typing_update(struct ui *ui)
{
	struct window *w = winlist_current(ui);

	if (ui->typing_jid && (!w->jid || strcasecmp(ui->typing_jid, w->jid)))
		typing_leave(ui); /* its window closed under the draft */
	if (!w->jid || ui->pw.on)
		return;
	if (!typing_composing(ui)) {
		typing_end(ui, true);
		return;
	}
	ui->typed_at = loop_now_ms();
	if (ui->typing == TYPING_COMPOSING)
		return;
	if (!ui->typing_jid) {
		ui->typing_jid = strdup(w->jid);
		if (!ui->typing_jid)
			return;
	}
	typing_set(ui, TYPING_COMPOSING);
	if (!ui->typing_timer)
		typing_timer_arm(ui, TYPING_PAUSE_MS);
}

void typing_sent(struct ui *ui)
{
	typing_end(ui, true);
}

void typing_leave(struct ui *ui)
{
	/* The draft stays on the line but no longer goes to this peer. */
	if (ui->typing == TYPING_COMPOSING)
		typing_set(ui, TYPING_PAUSED);
	typing_end(ui, false);
}

void typing_free(struct ui *ui)
{
	typing_end(ui, false);
}
