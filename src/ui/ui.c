/* The terminal UI: lifecycle, terminal events and routing core events to
 * windows.  Drawing is deferred: everything here only marks what changed,
 * and the prepare hook draws once per loop pass. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "config/paths.h"
#include "config/settings.h"
#include "core/core.h"
#include "ui/backlog.h"
#include "ui/draw.h"
#include "ui/fcmview.h"
#include "ui/focus.h"
#include "ui/histview.h"
#include "ui/keys.h"
#include "ui/lines.h"
#include "ui/markup.h"
#include "ui/omemo.h"
#include "ui/notify.h"
#include "ui/prompt.h"
#include "ui/pubsubwin.h"
#include "ui/typing.h"
#include "ui/ui.h"
#include "ui/ui_cmds.h"
#include "ui/ui_internal.h"
#include "ui/winlist.h"
#include "ui/wstr.h"
#include "util/condition.h"
#include "util/log.h"

/* The write end of the self-pipe, for the signal handler. */
static volatile int ui_winch_fd = -1;

static void ui_on_sigwinch(int sig)
{
	int saved = errno;

	if (ui_winch_fd >= 0) {
		ssize_t r = write(ui_winch_fd, "w", 1);

		(void)r; /* a full pipe already says "resized" */
	}
	errno = saved;
}

const char *ui_own_jid(const struct ui *ui)
{
	if (ui->jid)
		return ui->jid;
	return ui->core ? core_jid(ui->core) : NULL;
}

/* "user@host/res" -> malloc'd "user@host". */
static char *ui_bare(const char *jid)
{
	return strndup(jid, strcspn(jid, "/"));
}

/* How a JID is named on screen (windows, prompts, message lines): a
 * contact by its roster name, or by its localpart when that names no other
 * contact; anyone else by the whole bare JID.  A stranger called
 * bob@evil.example can then never pass for the contact bob@localhost. */
char *ui_name_of(struct ui *ui, const char *jid)
{
	char *bare = jid ? ui_bare(jid) : NULL;
	const struct contact *ct = bare ? contacts_find(&ui->contacts, bare) : NULL;
	const char *at = bare ? strchr(bare, '@') : NULL;
	char *name = NULL;
	size_t n;

	if (!bare)
		return strdup("?");
	if (ct && ct->in_roster && ct->name && *ct->name) {
		name = strdup(ct->name);
	} else if (ct && ct->in_roster && at && at != bare) {
		n = (size_t)(at - bare);
		for (size_t i = 0; i < ui->contacts.n; i++) {
			const struct contact *o = ui->contacts.v[i];

			if (o != ct && o->in_roster && !strncasecmp(o->jid, bare, n) &&
			    o->jid[n] == '@')
				return bare; /* two contacts called bob: say which */
		}
		name = strndup(bare, n);
	} else {
		return bare;
	}
	free(bare);
	return name;
}

/* Every chat window named anew: after the roster changed. */
static void ui_rename_windows(struct ui *ui)
{
	for (size_t i = 1; i < ui->nwins; i++) {
		char *name =
		    ui->wins[i]->kind == WIN_CHAT ? ui_name_of(ui, ui->wins[i]->jid) : NULL;

		if (name && !window_set_name(ui->wins[i], name))
			ui->dirty |= DIRTY_STATUS | DIRTY_INPUT;
		free(name);
	}
}

/* The name shown for a JID in a message line: its localpart. */
char *ui_nick(const char *jid)
{
	const char *at;

	if (!jid)
		return strdup("me");
	at = strchr(jid, '@');
	if (!at || at == jid)
		return strndup(jid, strcspn(jid, "/"));
	return strndup(jid, (size_t)(at - jid));
}

static void ui_remember_jid(struct ui *ui, const char *bare)
{
	struct contact *ct = contacts_find(&ui->contacts, bare);
	size_t i;
	char *dup;

	/* Completion offers the roster anyway: only others are remembered,
	 * and a roster's worth of presence costs no scan of this list. */
	if (ct && ct->in_roster)
		return;
	for (i = 0; i < ui->nknown; i++)
		if (!strcasecmp(ui->known[i], bare))
			return;
	if (ui->nknown == UI_KNOWN_JIDS)
		return;
	dup = strdup(bare);
	if (dup)
		ui->known[ui->nknown++] = dup;
}

/* An event's time (UTC ms) as the UI keeps it; a front end that got no
 * time (0) shows the message as arriving now. */
time_t ui_event_time(int64_t ms)
{
	return ms > 0 ? (time_t)(ms / 1000) : time(NULL);
}

/* Where the reply to a command goes besides (or instead of) the console:
 * the window it was typed in, whose id is the origin token every event the
 * command causes carries back (core_input). */
static struct window *ui_origin(struct ui *ui, uint64_t origin)
{
	return origin ? winlist_by_id(ui, (unsigned)origin) : NULL;
}

/* Prints into the console and, when a command typed elsewhere caused it,
 * into that window too. */
static void ui_print_reply(struct ui *ui, uint64_t origin, bool console_too,
                           enum window_line_kind kind, const char *text)
{
	struct window *con = winlist_console(ui), *w = ui_origin(ui, origin);

	if (!w || w == con || console_too)
		winlist_print(ui, con, kind, time(NULL), false, NULL, text);
	if (w && w != con)
		winlist_print(ui, w, kind, time(NULL), false, NULL, text);
}

void ui_cmd_reply(struct ui *ui, uint64_t origin, bool error, const char *text)
{
	ui_print_reply(ui, origin, error, error ? WL_ERROR : WL_INFO, text);
}

static void ui_countdown_arm(struct ui *ui);

static void ui_countdown(struct loop *loop, void *ud)
{
	struct ui *ui = ud;

	ui->countdown = 0;
	if (ui->conn != CONN_RECONNECTING)
		return;
	/* The connecting event switches the state; until then, count on. */
	if (loop_now_ms() < ui->reconnect_at)
		ui_countdown_arm(ui);
	ui->dirty |= DIRTY_STATUS;
}

/* Wakes when the shown number of seconds changes, and only then. */
static void ui_countdown_arm(struct ui *ui)
{
	uint64_t now = loop_now_ms(), left = ui->reconnect_at > now ? ui->reconnect_at - now : 0;

	loop_timer_cancel(ui->loop, ui->countdown);
	ui->countdown =
	    loop_timer_add(ui->loop, left % 1000 ? left % 1000 : 1000, ui_countdown, ui);
}

static void ui_set_conn(struct ui *ui, enum ui_conn c)
{
	ui->conn = c;
	if (c != CONN_RECONNECTING) {
		loop_timer_cancel(ui->loop, ui->countdown);
		ui->countdown = 0;
	}
	ui->dirty |= DIRTY_STATUS;
}

static void ui_set_peer_state(struct ui *ui, struct window *w, enum window_peer_state st)
{
	if (w->peer_state == st)
		return;
	w->peer_state = st;
	if (w == winlist_current(ui))
		ui->dirty |= DIRTY_STATUS;
}

/* Offline: nobody's presence or typing is known any more. */
static void ui_forget_presence(struct ui *ui)
{
	size_t i;

	contacts_offline_all(&ui->contacts);
	for (i = 1; i < ui->nwins; i++)
		ui_set_peer_state(ui, ui->wins[i], PEER_IDLE);
	ui->dirty |= DIRTY_ROSTER;
}

/* The disconnection no reconnection took up: said on its own. */
static void ui_flush_offline(struct ui *ui)
{
	struct window *con = winlist_console(ui);

	if (!ui->offline_reason)
		return;
	/* The refusal comes first: the way out goes last, where the eye is. */
	winlist_printf(ui, con, WL_INFO, "disconnected: %s%s", ui->offline_reason,
	               ui->tls_refused ? "; /tls trust pins the certificate above and connects"
	                               : "");
	free(ui->offline_reason);
	ui->offline_reason = NULL;
}

static void ui_ev_connection(struct ui *ui, const struct nt_event *ev)
{
	struct window *con = winlist_console(ui);
	const char *reason;
	char *dup;

	switch (ev->kind) {
	case NT_EV_CONNECTED:
		/* A new session: presence arrives afresh, the old is stale. */
		ui_forget_presence(ui);
		ui_set_conn(ui, CONN_ONLINE);
		ui_flush_offline(ui);
		ui->tls_refused = false;
		dup = ev->u.connected.jid ? strdup(ev->u.connected.jid) : NULL;
		if (dup) {
			free(ui->jid);
			ui->jid = dup;
		}
		winlist_printf(ui, con, WL_INFO, "%s as %s", ui->lost ? "reconnected" : "connected",
		               ui_own_jid(ui) ? ui_own_jid(ui) : "?");
		ui->lost = false;
		winlist_clear_queued(ui);
		break;
	case NT_EV_DISCONNECTED:
		ui_forget_presence(ui);
		ui_flush_offline(ui);
		ui->offline_was_online = ui->conn == CONN_ONLINE;
		ui->lost |= ui->offline_was_online;
		ui_set_conn(ui, CONN_OFFLINE);
		reason = ev->u.disconnected.reason ? ev->u.disconnected.reason : "connection lost";
		ui->offline_reason = strdup(reason);
		if (!ui->offline_reason)
			winlist_printf(ui, con, WL_INFO, "disconnected");
		break;
	case NT_EV_RECONNECTING: {
		const char *why = ui->offline_reason ? ui->offline_reason : "connection lost";
		unsigned secs = (ev->u.reconnecting.in_ms + 999) / 1000;

		ui_set_conn(ui, CONN_RECONNECTING);
		ui->reconnect_at = loop_now_ms() + ev->u.reconnecting.in_ms;
		ui_countdown_arm(ui);
		/* One line per attempt: what happened and what comes next. */
		if (!ev->u.reconnecting.in_ms)
			winlist_printf(ui, con, WL_INFO, "%s: %s; starting a new session now",
			               ui->offline_was_online ? "the session could not be resumed"
			                                      : "not connected",
			               why);
		else if (ui->offline_was_online)
			winlist_printf(ui, con, WL_INFO, "disconnected: %s; reconnecting in %u s",
			               why, secs);
		else
			winlist_printf(ui, con, WL_INFO, "attempt %u failed: %s; next in %u s",
			               ev->u.reconnecting.attempt - 1, why, secs);
		free(ui->offline_reason);
		ui->offline_reason = NULL;
		break;
	}
	case NT_EV_RESUMED:
		ui_set_conn(ui, CONN_ONLINE);
		ui_flush_offline(ui);
		ui->lost = false;
		winlist_printf(ui, con, WL_INFO,
		               "reconnected: the session was resumed, nothing lost");
		winlist_clear_queued(ui);
		break;
	default:
		break;
	}
}

/* Who the certificate says it is, who vouches for it and when it is
 * valid: what a careful user checks before pinning (as a browser's
 * certificate viewer shows). */
static void ui_tls_describe(struct ui *ui, struct window *w, const struct nt_event *ev)
{
	const char *from = ev->u.tls_untrusted.valid_from, *until = ev->u.tls_untrusted.valid_until;
	char now[sizeof("YYYY-MM-DDTHH:MM:SSZ")];
	time_t t = time(NULL);
	struct tm tm;
	const char *state = "";

	if (ev->u.tls_untrusted.subject)
		winlist_printf(ui, w, WL_INFO, "issued to %s", ev->u.tls_untrusted.subject);
	if (ev->u.tls_untrusted.issuer)
		winlist_printf(ui, w, WL_INFO, "issued by %s%s", ev->u.tls_untrusted.issuer,
		               ev->u.tls_untrusted.subject && !strcmp(ev->u.tls_untrusted.subject,
		                                                      ev->u.tls_untrusted.issuer)
		                   ? " (self-signed)"
		                   : "");
	if (!from && !until)
		return;
	/* ISO 8601 UTC strings compare in time order. */
	if (gmtime_r(&t, &tm) && strftime(now, sizeof(now), "%Y-%m-%dT%H:%M:%SZ", &tm)) {
		if (until && strcmp(now, until) > 0)
			state = " (EXPIRED)";
		else if (from && strcmp(now, from) < 0)
			state = " (NOT YET VALID)";
	}
	winlist_printf(ui, w, state[0] ? WL_ERROR : WL_INFO,
	               "valid from %.10s %.5s to %.10s %.5s UTC%s", from ? from : "?",
	               from ? from + 11 : "", until ? until : "?", until ? until + 11 : "", state);
}

/* The refusal, the fingerprint and what to do, last so it is what the
 * console shows at the bottom; the window being read gets it too. */
static void ui_ev_tls(struct ui *ui, const struct nt_event *ev)
{
	const char *fp = ev->u.tls_untrusted.fingerprint ? ev->u.tls_untrusted.fingerprint : "?";
	struct window *con = winlist_console(ui), *cur = winlist_current(ui);
	struct window *targets[2] = {con, cur != con ? cur : NULL};
	bool mismatch = ev->u.tls_untrusted.pin_mismatch;
	int i;

	/* A changed pin is offered to nobody on Tab: that is a decision to
	 * take with the server's admin, not one keystroke. */
	ui->tls_refused = !mismatch;
	for (i = 0; i < 2 && targets[i]; i++) {
		struct window *w = targets[i];

		winlist_printf(ui, w, WL_ERROR, "the server's certificate is not trusted%s%s",
		               ev->u.tls_untrusted.reason ? ": " : "",
		               ev->u.tls_untrusted.reason ? ev->u.tls_untrusted.reason : "");
		winlist_printf(ui, w, WL_INFO, "fingerprint %s", fp);
		ui_tls_describe(ui, w, ev);
		if (mismatch)
			winlist_printf(
			    ui, w, WL_ERROR,
			    "it differs from the pinned tls_fingerprint: the certificate "
			    "changed or the connection is intercepted; ask the server's "
			    "admin before trusting it (then /tls trust %s)",
			    fp);
		else
			winlist_printf(ui, w, WL_INFO,
			               "if you trust it, type /tls trust to pin it (saved as "
			               "tls_fingerprint in the accounts file) and connect%s",
			               w == con ? "; Tab on an empty line types it" : "");
	}
	/* Nothing connects until the user answers: show where the question is. */
	winlist_activity(ui, con, ACT_MSG);
	/* Someone reading back would miss it: the console jumps to the end. */
	con->scroll = 0;
	if (con == cur)
		ui->dirty |= DIRTY_CHAT | DIRTY_STATUS;
}

static void ui_ev_error(struct ui *ui, const struct nt_event *ev)
{
	/* The command only when it was typed (a login error at start-up is
	 * nobody's /connect), and the text in words: the condition names are
	 * for scripts (headless events keep them). */
	const char *cmd = ev->origin ? ev->u.error.command : NULL;
	char *s;

	if (asprintf(&s, "%s%s%s%s", cmd ? (*cmd == '/' ? "" : "/") : "", cmd ? cmd : "",
	             cmd ? ": " : "",
	             ev->u.error.text ? ev->u.error.text : condition_words(ev->u.error.condition)) <
	    0)
		return;
	ui_print_reply(ui, ev->origin, true, WL_ERROR, s);
	free(s);
	if (cmd && !strncmp(cmd, "upload", 6))
		lines_upload_failed(ui, ev->u.error.text);
}

struct window_line *ui_print_message(struct ui *ui, struct window *w, enum window_line_kind kind,
                                     time_t when, const char *nick, const struct nt_event *ev)
{
	const typeof(ev->u.message) *m = &ev->u.message;
	struct window_line *l;
	unsigned char *attrs;
	wchar_t *text;

	if (!(m->body && *m->body) && !m->xhtml)
		return NULL;
	if (!lines_message_text(m->body, m->xhtml, m->action, m->oob_url, &text, &attrs))
		return NULL;
	l = winlist_print_wide(ui, w, kind, when, m->delayed, nick, text, attrs);
	if (l) {
		l->action = m->action;
		/* Shown as corrected: what it corrects is not on screen. */
		l->edited = m->replaces != NULL;
	}
	return l;
}

/* A message from our own bare JID (another client of ours, or our side of
 * an archived conversation) belongs in the window of whom it went to. */
static bool ui_from_self(struct ui *ui, const char *from)
{
	const char *me = ui_own_jid(ui);
	size_t n;

	if (!from || !me)
		return false;
	n = strcspn(me, "/");
	return strcspn(from, "/") == n && !strncasecmp(from, me, n);
}

/* Whether a message from bare (no window yet) opens one: always for a
 * contact, for a stranger while fewer than UI_STRANGER_WINDOWS are open. */
static bool ui_opens_window(struct ui *ui, const char *bare)
{
	struct contact *ct = contacts_find(&ui->contacts, bare);

	return (ct && ct->in_roster) || ui->stranger_windows < UI_STRANGER_WINDOWS;
}

static void ui_ev_message(struct ui *ui, const struct nt_event *ev)
{
	const typeof(ev->u.message) *m = &ev->u.message;
	bool own =
	    m->outgoing || (m->carbon && !strcmp(m->carbon, "sent")) || ui_from_self(ui, m->from);
	const char *peer = own ? m->to : m->from;
	enum window_line_kind kind = own ? WL_MSG_OWN : WL_MSG_PEER;
	struct window_line *l;
	struct window *w = NULL;
	char *bare, *nick;
	time_t when = ui_event_time(m->ts_ms);
	bool fresh = false, waiting = false;

	/* Chat states and receipts have events of their own. */
	if (!m->body && !m->xhtml && !m->undecryptable)
		return;
	/* A room's, or a private one with an occupant: windows of their own. */
	if (m->room) {
		ui_rooms_message(ui, ev);
		return;
	}
	bare = peer ? ui_bare(peer) : NULL;
	if (bare) {
		w = winlist_find(ui, bare);
		fresh = !w;
		if (fresh && !own && !ui_opens_window(ui, bare)) {
			/* It waits, with who sent it, until the user opens it. */
			w = winlist_strangers(ui);
			waiting = w != NULL;
			fresh = false;
		} else if (fresh) {
			struct contact *ct = contacts_find(&ui->contacts, bare);

			w = winlist_open(ui, bare);
			if (w && !own && !(ct && ct->in_roster)) {
				w->by_stranger = true;
				ui->stranger_windows++;
			}
		}
		ui_remember_jid(ui, bare);
	}
	if (!w)
		w = winlist_console(ui);
	/* A message ends the typing it announced (XEP-0085: it implies active). */
	if (!own && !waiting && w != winlist_console(ui) && !m->delayed)
		ui_set_peer_state(ui, w, PEER_IDLE);
	/* Anyone not in the roster is shown by full JID (the strangers'
	 * window too: there it says who sent each message). */
	nick = own ? ui_nick(ui_own_jid(ui)) : ui_name_of(ui, bare);
	if (m->type && !strcmp(m->type, "error")) {
		/* A bounce is the server's word about our message, never the
		 * contact's. */
		winlist_printf(ui, w, WL_ERROR, "a message to %s was not delivered: %s",
		               bare ? bare : "?", m->body ? m->body : "error");
		free(nick);
		free(bare);
		return;
	}
	/* A correction takes the place of the message it corrects. */
	if (m->replaces && lines_correct(ui, w, kind, ev)) {
		free(nick);
		free(bare);
		return;
	}
	/* A headline's or normal message's subject says what it is about. */
	if (m->subject && *m->subject)
		winlist_printf(ui, w, WL_INFO, "%s: subject: %s", nick ? nick : "?", m->subject);
	if (m->undecryptable)
		l = winlist_print(ui, w, WL_ERROR, when, m->delayed, nick ? nick : "?",
		                  "[this OMEMO message could not be decrypted on this device]");
	else
		l = ui_print_message(ui, w, kind, when, nick ? nick : "?", ev);
	if (l)
		l->tag = ui_omemo_tag(ui, ev, bare);
	if (l && fresh)
		l = backlog_dedupe(w, l);
	/* Something new from someone else: the user's own ways to hear of it. */
	if (l && !own && !m->delayed && !m->carbon)
		notify_message(&ui->settings, bare, nick, m->type ? m->type : "chat",
		               m->body ? m->body : "");
	/* Typed while offline, it waits in the outbox: say so until it goes. */
	if (l && m->outgoing && ui->conn != CONN_ONLINE)
		l->queued = true;
	/* Receipts, markers and corrections name the message by id. */
	if (l && m->id && !l->id && !(l->id = strdup(m->id)))
		log_error("ui: out of memory: message %s cannot be marked", m->id);
	/* Markable news for the contact, once the screen shows it (focus.c). */
	if (l && kind == WL_MSG_PEER)
		w->unseen = true;
	free(nick);
	free(bare);
}

static void ui_ev_presence(struct ui *ui, const struct nt_event *ev)
{
	const typeof(ev->u.presence) *p = &ev->u.presence;
	char *bare = p->from ? ui_bare(p->from) : NULL;
	bool gone = p->type && strcmp(p->type, "available");
	struct window *w;

	if (!bare)
		return;
	/* Our own, echoed by the server: what the status bar says we are. */
	if (ui->jid && p->from && !strcmp(p->from, ui->jid) && !gone) {
		char *show = p->show ? strdup(p->show) : NULL, *status = NULL;

		if (p->status) {
			wchar_t *wide = wstr_from_utf8(p->status, 0, NULL);

			/* One line in the bar: the status as it will be drawn. */
			status = wide ? wstr_to_utf8(wide, wcslen(wide)) : NULL;
			free(wide);
		}
		free(ui->own_show);
		free(ui->own_status);
		ui->own_show = show;
		ui->own_status = status;
		ui->dirty |= DIRTY_STATUS;
	}
	ui_remember_jid(ui, bare);
	if (contacts_presence(&ui->contacts, p->from, p->type, p->show, p->priority))
		ui->dirty |= DIRTY_ROSTER;
	w = winlist_find(ui, bare);
	if (w) {
		struct contact *ct = contacts_find(&ui->contacts, bare);

		/* Gone for good, it cannot be typing, nor say it stopped. */
		if (gone && (!ct || contact_show(ct) == SHOW_OFFLINE))
			ui_set_peer_state(ui, w, PEER_IDLE);
		winlist_printf(ui, w, WL_PRESENCE, "%s is %s%s%s", p->from,
		               gone      ? "offline"
		               : p->show ? p->show
		                         : "online",
		               p->status ? ": " : "", p->status ? p->status : "");
		/* The window's title line says how the contact is now. */
		free(w->presence);
		if (asprintf(&w->presence, "%s%s%s",
		             gone && !(ct && contact_show(ct) != SHOW_OFFLINE) ? "offline"
		             : p->show                                         ? p->show
		                                                               : "online",
		             p->status ? ": " : "", p->status ? p->status : "") < 0)
			w->presence = NULL;
		if (w == winlist_current(ui))
			ui->dirty |= DIRTY_CHAT;
	}
	free(bare);
}

/* "/roster" typed by the user: the roster it answers is shown as text. */
static void ui_print_roster(struct ui *ui, uint64_t origin)
{
	struct contacts *c = &ui->contacts;
	static const char *const shows[] = {
	    [SHOW_OFFLINE] = "offline", [SHOW_DND] = "dnd",       [SHOW_XA] = "xa",
	    [SHOW_AWAY] = "away",       [SHOW_ONLINE] = "online", [SHOW_CHAT] = "chat",
	};
	size_t i, k, n = 0;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return;
	for (i = 0; i < c->n; i++)
		n += c->v[i]->in_roster;
	fprintf(f, "%zu contact%s", n, n == 1 ? "" : "s");
	for (i = 0; i < c->n; i++) {
		struct contact *ct = c->v[i];

		if (!ct->in_roster)
			continue;
		fprintf(f, "\n  %-7s %s", shows[contact_show(ct)], ct->jid);
		if (ct->name)
			fprintf(f, " (%s)", ct->name);
		fprintf(f, "  subscription %s%s", ct->sub ? ct->sub : "none",
		        ct->ask ? ", request pending" : "");
		for (k = 0; k < ct->ngroups; k++)
			fprintf(f, "%s%s", k ? ", " : "  groups ", ct->groups[k]);
	}
	if (fclose(f) == 0 && buf)
		ui_print_reply(ui, origin, false, WL_INFO, buf);
	free(buf);
}

static void ui_ev_roster(struct ui *ui, const struct nt_event *ev)
{
	int rc;

	if (ev->kind == NT_EV_ROSTER)
		rc = contacts_replace(&ui->contacts, ev->u.roster.items, ev->u.roster.count);
	else
		rc = contacts_push(&ui->contacts, &ev->u.roster_push.item);
	if (rc)
		winlist_printf(ui, winlist_console(ui), WL_ERROR,
		               "out of memory: the roster pane misses contacts");
	ui_rename_windows(ui);
	ui->dirty |= DIRTY_ROSTER;
	/* Only /roster's answer has an origin; the one after login has none. */
	if (ev->kind == NT_EV_ROSTER && ev->origin)
		ui_print_roster(ui, ev->origin);
}

/* The console always, and the contact's window when one is open. */
static void ui_print_about(struct ui *ui, const char *bare, enum window_line_kind kind,
                           const char *text)
{
	struct window *con = winlist_console(ui), *w = bare ? winlist_find(ui, bare) : NULL;

	winlist_print(ui, con, kind, time(NULL), false, NULL, text);
	if (w)
		winlist_print(ui, w, kind, time(NULL), false, NULL, text);
}

static void ui_ev_subscription(struct ui *ui, const struct nt_event *ev)
{
	const char *from = ev->u.subscription.from, *type = ev->u.subscription.type;
	const char *st = ev->u.subscription.status;
	char *s = NULL;
	int rc = -1;

	if (!from || !type)
		return;
	if (!strcmp(type, "subscribe")) {
		if (contacts_pending_add(&ui->contacts, from))
			log_error("ui: out of memory: %s's request is not offered on Tab", from);
		/* The commands on a line of their own, so they never wrap apart. */
		rc = asprintf(&s,
		              "%s wants to see your presence%s%s%s\n"
		              "  /sub allow %s or /sub deny %s\n"
		              "  (Tab on an empty line in the console types the first)",
		              from, st ? " (\"" : "", st ? st : "", st ? "\")" : "", from, from);
	} else if (!strcmp(type, "subscribed")) {
		rc = asprintf(&s, "%s accepted: you now see their presence", from);
	} else if (!strcmp(type, "unsubscribed")) {
		rc = asprintf(&s,
		              "%s refused or cancelled your subscription: you no longer see "
		              "their presence",
		              from);
	} else if (!strcmp(type, "unsubscribe")) {
		/* A request withdrawn before it was answered is no longer pending. */
		contacts_pending_remove(&ui->contacts, from);
		rc = asprintf(&s, "%s no longer wants to see your presence", from);
	} else {
		rc = asprintf(&s, "%s: subscription %s", from, type);
	}
	ui->dirty |= DIRTY_ROSTER;
	if (rc < 0)
		return;
	ui_print_about(ui, from, WL_INFO, s);
	if (!strcmp(type, "subscribe")) {
		struct window *w = winlist_find(ui, from);

		/* A question waits for an answer: mark it like a message. */
		winlist_activity(ui, winlist_console(ui), ACT_MSG);
		if (w)
			winlist_activity(ui, w, ACT_MSG);
	}
	free(s);
}

static void ui_ev_sub_pending(struct ui *ui, const struct nt_event *ev)
{
	const struct nt_sub_request *r = ev->u.sub_pending.items;
	size_t i, n = ev->u.sub_pending.count;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	if (contacts_pending_replace(&ui->contacts, r, n))
		log_error("ui: out of memory: some requests are not offered on Tab");
	ui->dirty |= DIRTY_ROSTER;
	/* Without an origin it is the core's list after it dropped some (the
	 * info before says so), not the answer to /sub pending. */
	if (!ev->origin)
		return;
	f = open_memstream(&buf, &len);
	if (!f)
		return;
	if (!n)
		fprintf(f, "no subscription requests are waiting");
	else
		fprintf(f,
		        "%zu subscription request%s waiting (/sub allow JID or /sub deny JID):", n,
		        n == 1 ? "" : "s");
	for (i = 0; i < n; i++)
		fprintf(f, "\n  %s%s%s%s", r[i].from ? r[i].from : "?", r[i].status ? " (\"" : "",
		        r[i].status ? r[i].status : "", r[i].status ? "\")" : "");
	if (fclose(f) == 0 && buf)
		ui_print_reply(ui, ev->origin, false, WL_INFO, buf);
	free(buf);
}

static void ui_ev_chat_state(struct ui *ui, const struct nt_event *ev)
{
	const char *st = ev->u.chat_state.state, *from = ev->u.chat_state.from;
	/* An occupant typing to us privately: its window, not the room's. */
	char *bare = !from                                ? NULL
	             : rooms_is_private(&ui->rooms, from) ? strdup(from)
	                                                  : ui_bare(from);
	struct window *w = bare ? winlist_find(ui, bare) : NULL;

	/* Typing with no conversation open is not worth a window of its own. */
	if (w && st)
		ui_set_peer_state(ui, w, !strcmp(st, "composing") ? PEER_COMPOSING : PEER_IDLE);
	free(bare);
}

/* /blocked and every change: the list, where it was asked for. */
static void ui_ev_blocklist(struct ui *ui, const struct nt_event *ev)
{
	char *buf = NULL;
	size_t len = 0, i;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return;
	if (!ev->u.blocklist.count)
		fprintf(f, "nobody is blocked");
	else
		fprintf(f, "blocked (/unblock JID):");
	for (i = 0; i < ev->u.blocklist.count; i++)
		fprintf(f, "\n  %s", ev->u.blocklist.items[i]);
	if (fclose(f) == 0 && buf)
		ui_print_reply(ui, ev->origin, false, WL_INFO, buf);
	free(buf);
}

static const char *ui_vcard_label(const char *field)
{
	static const struct {
		const char *field, *label;
	} labels[] = {
	    {"FN", "Name"},    {"NICKNAME", "Nickname"}, {"EMAIL", "Email"},
	    {"URL", "Web"},    {"BDAY", "Birthday"},     {"NOTE", "Note"},
	    {"TEL", "Phone"},  {"TITLE", "Title"},       {"ORG", "Organisation"},
	    {"DESC", "About"}, {"ROLE", "Role"},         {"ADR", "Address"},
	};
	size_t i;

	for (i = 0; i < sizeof(labels) / sizeof(labels[0]); i++)
		if (!strcasecmp(field, labels[i].field))
			return labels[i].label;
	return field;
}

/* Disco and vCard answers as indented lines, in the window that asked. */
static void ui_ev_info_block(struct ui *ui, const struct nt_event *ev)
{
	char *buf = NULL;
	size_t len = 0, i;
	FILE *f = open_memstream(&buf, &len);

	if (!f) {
		log_error("ui: out of memory: a reply is not shown");
		return;
	}
	switch (ev->kind) {
	case NT_EV_DISCO_INFO: {
		const typeof(ev->u.disco_info) *d = &ev->u.disco_info;

		fprintf(f, "%s%s%s%s is:", d->from ? d->from : "?", d->node ? " (node " : "",
		        d->node ? d->node : "", d->node ? ")" : "");
		if (!d->nidentities)
			fprintf(f, "\n  (no identity given)");
		for (i = 0; i < d->nidentities; i++) {
			const struct nt_disco_identity *id = &d->identities[i];

			fprintf(f, "\n  %s/%s%s%s", id->category ? id->category : "?",
			        id->type ? id->type : "?", id->name ? "  " : "",
			        id->name ? id->name : "");
		}
		fprintf(f, "\n%zu feature%s%s", d->nfeatures, d->nfeatures == 1 ? "" : "s",
		        d->nfeatures ? ":" : "");
		for (i = 0; i < d->nfeatures; i++)
			fprintf(f, "\n  %s", d->features[i] ? d->features[i] : "?");
		break;
	}
	case NT_EV_DISCO_ITEMS: {
		const typeof(ev->u.disco_items) *d = &ev->u.disco_items;

		fprintf(f, "%s%s%s%s lists %zu item%s%s", d->from ? d->from : "?",
		        d->node ? " (node " : "", d->node ? d->node : "", d->node ? ")" : "",
		        d->count, d->count == 1 ? "" : "s", d->count ? ":" : "");
		for (i = 0; i < d->count; i++) {
			const struct nt_disco_item *it = &d->items[i];

			fprintf(f, "\n  %s%s%s%s%s", it->jid ? it->jid : "?",
			        it->node ? "  node " : "", it->node ? it->node : "",
			        it->name ? "  " : "", it->name ? it->name : "");
		}
		break;
	}
	case NT_EV_VCARD: {
		const typeof(ev->u.vcard) *v = &ev->u.vcard;

		if (v->from)
			fprintf(f, "vCard of %s", v->from);
		else
			fprintf(f, "your vCard");
		fprintf(f, v->count ? ":" : " is empty");
		for (i = 0; i < v->count; i++)
			fprintf(f, "\n  %-12s %s",
			        ui_vcard_label(v->fields[i].name ? v->fields[i].name : "?"),
			        v->fields[i].value ? v->fields[i].value : "");
		break;
	}
	default:
		break;
	}
	if (fclose(f) == 0 && buf)
		ui_print_reply(ui, ev->origin, false, WL_INFO, buf);
	else
		log_error("ui: out of memory: a reply is not shown");
	free(buf);
}

static void ui_ev_account(struct ui *ui, const struct nt_event *ev)
{
	struct window *con = winlist_console(ui);

	switch (ev->kind) {
	case NT_EV_REGISTERED:
		winlist_printf(ui, con, WL_INFO, "account %s created on the server",
		               ev->u.registered.jid ? ev->u.registered.jid : "?");
		break;
	case NT_EV_PASSWORD_CHANGED:
		winlist_printf(ui, con, WL_INFO, "password changed on the server");
		break;
	case NT_EV_UNREGISTERED:
		winlist_printf(ui, con, WL_INFO, "account deleted from the server");
		break;
	default:
		break;
	}
}

/* /info: the contact in a few indented lines, where it was asked. */
static void ui_ev_contact(struct ui *ui, const struct nt_event *ev)
{
	const typeof(ev->u.contact) *c = &ev->u.contact;
	char *buf = NULL;
	size_t len = 0, i;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return;
	fprintf(f, "%s", c->jid);
	if (c->item) {
		const struct nt_roster_item *it = c->item;

		if (it->name)
			fprintf(f, " (%s)", it->name);
		fprintf(f, "\n  subscription %s%s", it->subscription ? it->subscription : "none",
		        it->ask ? ", your request waits for an answer" : "");
		for (i = 0; i < it->ngroups; i++)
			fprintf(f, "%s%s", i ? ", " : "\n  groups ", it->groups[i]);
	} else {
		fprintf(f, "\n  not in your roster");
	}
	if (!c->nresources)
		fprintf(f, "\n  offline (or you do not see their presence)");
	for (i = 0; i < c->nresources; i++) {
		const struct nt_contact_resource *r = &c->resources[i];

		fprintf(f, "\n  %s: %s%s%s, priority %d%s%s", r->jid, r->show ? r->show : "online",
		        r->status ? ": " : "", r->status ? r->status : "", r->priority,
		        r->client ? ", " : "", r->client ? r->client : "");
	}
	if (fclose(f) == 0 && buf)
		ui_print_reply(ui, ev->origin, false, WL_INFO, buf);
	free(buf);
}

/* /set changed a setting: the UI's own take effect at once. */
static void ui_ev_setting(struct ui *ui, const struct nt_event *ev)
{
	char *err = NULL, *key = NULL;

	/* The same parse as the core's: the event carries what was typed. */
	if (asprintf(&key, "%s.%s", ev->u.setting.section, ev->u.setting.name) < 0 ||
	    settings_set(&ui->settings, key, ev->u.setting.value, NULL, NULL, &err)) {
		free(err);
		err = NULL;
	}
	free(key);
	if (!strcmp(ev->u.setting.section, "rooms")) {
		ui->show_joins = ui->settings.show_joins;
		ui->room_bell = ui->settings.room_bell;
		return;
	}
	if (strcmp(ev->u.setting.section, "ui"))
		return;
	ui->dirty |= DIRTY_CHAT;
	if (!strcmp(ev->u.setting.name, "bell")) {
		ui->bell = ui->settings.bell;
	} else if (!strcmp(ev->u.setting.name, "roster_offline")) {
		ui->pane_offline = ui->settings.roster_offline;
		ui->dirty |= DIRTY_ROSTER;
	} else if (!strcmp(ev->u.setting.name, "occupants")) {
		ui_occ_set(ui, ui->settings.occupants);
	} else if (!strcmp(ev->u.setting.name, "theme")) {
		if (theme_load(&ui->theme, ev->u.setting.value, &err)) {
			winlist_printf(ui, winlist_console(ui), WL_ERROR, "theme: %s",
			               err ? err : "out of memory");
			free(err);
			return;
		}
		theme_apply(&ui->theme);
		ui->dirty |= DIRTY_LAYOUT;
	} else if (!strcmp(ev->u.setting.name, "inactive_after")) {
		focus_idle_after(ui, atoi(ev->u.setting.value));
	}
}

static void ui_emit(void *ud, const struct nt_event *ev)
{
	struct ui *ui = ud;
	char *s = NULL;

	switch (ev->kind) {
	case NT_EV_CONNECTING:
		ui_set_conn(ui, CONN_CONNECTING);
		break;
	case NT_EV_SETTING:
		ui_ev_setting(ui, ev);
		break;
	case NT_EV_CONTACT:
		ui_ev_contact(ui, ev);
		break;
	case NT_EV_PUBSUB_SUBSCRIPTIONS:
	case NT_EV_PUBSUB_SUBSCRIPTION:
	case NT_EV_PUBSUB_EVENT:
		pubsubwin_event(ui, ev);
		break;
	case NT_EV_CONNECTED:
	case NT_EV_DISCONNECTED:
	case NT_EV_RECONNECTING:
	case NT_EV_RESUMED:
		ui_ev_connection(ui, ev);
		break;
	case NT_EV_TLS_UNTRUSTED:
		ui_ev_tls(ui, ev);
		break;
	case NT_EV_ERROR:
		ui_ev_error(ui, ev);
		break;
	case NT_EV_INFO:
		ui_print_reply(ui, ev->origin, false, WL_INFO,
		               ev->u.info.text ? ev->u.info.text : "");
		break;
	case NT_EV_MESSAGE:
		ui_ev_message(ui, ev);
		break;
	case NT_EV_PRESENCE:
		ui_ev_presence(ui, ev);
		break;
	case NT_EV_VERSION:
		if (asprintf(&s, "%s runs %s %s%s%s%s",
		             ev->u.version.from ? ev->u.version.from : "?",
		             ev->u.version.name ? ev->u.version.name : "?",
		             ev->u.version.version ? ev->u.version.version : "",
		             ev->u.version.os ? " (" : "", ev->u.version.os ? ev->u.version.os : "",
		             ev->u.version.os ? ")" : "") < 0)
			s = NULL;
		if (s)
			ui_print_reply(ui, ev->origin, false, WL_INFO, s);
		break;
	case NT_EV_PONG:
		if (asprintf(&s, "pong from %s in %ld ms",
		             ev->u.pong.from ? ev->u.pong.from : "the server",
		             ev->u.pong.rtt_ms) < 0)
			s = NULL;
		if (s)
			ui_print_reply(ui, ev->origin, false, WL_INFO, s);
		break;
	case NT_EV_RAW_SENT:
		ui_print_reply(ui, ev->origin, false, WL_INFO, "stanza sent");
		break;
	case NT_EV_ROSTER:
	case NT_EV_ROSTER_PUSH:
		ui_ev_roster(ui, ev);
		break;
	case NT_EV_SUBSCRIPTION:
		ui_ev_subscription(ui, ev);
		break;
	case NT_EV_SUB_PENDING:
		ui_ev_sub_pending(ui, ev);
		break;
	case NT_EV_CHAT_STATE:
		ui_ev_chat_state(ui, ev);
		break;
	case NT_EV_RECEIPT:
		lines_receipt(ui, ev);
		break;
	case NT_EV_MARKER:
		lines_marker(ui, ev);
		break;
	case NT_EV_RETRACTED:
		lines_retracted(ui, ev);
		break;
	case NT_EV_UPLOAD_PROGRESS:
	case NT_EV_UPLOAD:
		lines_upload(ui, ev);
		break;
	case NT_EV_BLOCKLIST:
		ui_ev_blocklist(ui, ev);
		break;
	case NT_EV_DISCO_INFO:
	case NT_EV_DISCO_ITEMS:
	case NT_EV_VCARD:
		ui_ev_info_block(ui, ev);
		break;
	case NT_EV_REGISTERED:
	case NT_EV_PASSWORD_CHANGED:
	case NT_EV_UNREGISTERED:
		ui_ev_account(ui, ev);
		break;
	case NT_EV_MUC_JOINED:
	case NT_EV_MUC_PRESENCE:
	case NT_EV_MUC_SUBJECT:
	case NT_EV_MUC_LEFT:
	case NT_EV_MUC_INVITE:
	case NT_EV_MUC_OCCUPANTS:
	case NT_EV_BOOKMARKS:
	case NT_EV_MUC_CONFIG:
		ui_rooms_event(ui, ev);
		break;
	case NT_EV_OMEMO_FINGERPRINTS:
		ui_omemo_fingerprints(ui, ev);
		break;
	case NT_EV_FCM:
	case NT_EV_FCM_ACK_SENT:
	case NT_EV_FCM_SENT:
	case NT_EV_FCM_WAITING:
		fcmview_show(ui, ev);
		break;
	case NT_EV_HISTORY: {
		struct window *w = ui_origin(ui, ev->origin);

		histview_show(ui, w ? w : winlist_console(ui), ev);
		break;
	}
	}
	free(s);
}

/* Whether line is "/name ..." (words separated by any spaces); *arg gets
 * what follows the name, leading spaces skipped. */
static bool ui_is_command(const char *line, const char *name, const char **arg)
{
	const char *p = line;

	if (*p++ != '/')
		return false;
	while (*name) {
		size_t n = strcspn(name, " ");

		if (strncasecmp(p, name, n) || (p[n] && p[n] != ' '))
			return false;
		p += n;
		name += n;
		while (*p == ' ')
			p++;
		while (*name == ' ')
			name++;
	}
	*arg = p;
	return true;
}

void ui_occ_set(struct ui *ui, bool on)
{
	ui->occ_on = on;
	ui->dirty |= DIRTY_LAYOUT;
}

bool ui_pane_set(struct ui *ui, bool on)
{
	ui->pane_on = on;
	ui->dirty |= DIRTY_LAYOUT;
	return !on || draw_pane_fits(COLS);
}

void ui_submit(struct ui *ui, const char *line)
{
	struct window *cur = winlist_current(ui), *w;
	const char *cc, *arg;
	int rc;

	if (!ui->core) {
		winlist_printf(ui, winlist_console(ui), WL_ERROR, "natter is still starting");
		return;
	}
	/* Still no password to connect with: ask for it again. */
	if (ui_is_command(line, "connect", &arg) && !*arg && core_needs_password(ui->core)) {
		prompt_password_open(ui);
		return;
	}
	if (cur == winlist_console(ui) && line[0] != '/') {
		if (ui->nwins > 1)
			winlist_printf(ui, cur, WL_ERROR,
			               "the console is not a chat: Alt-2 to Alt-%zu switch to the "
			               "chats open, /msg NAME opens another",
			               ui->nwins > 9 ? (size_t)9 : ui->nwins);
		else
			winlist_printf(ui, cur, WL_ERROR,
			               "the console is not a chat: /msg NAME opens one");
		return;
	}
	/* In a chat, /correct TEXT corrects our last message there. */
	if (cur->jid && ui_is_command(line, "correct", &arg) && *arg) {
		char *full = NULL;

		if (asprintf(&full, "/correct %s %s", cur->jid, arg) < 0) {
			winlist_printf(ui, cur, WL_ERROR, "out of memory");
			return;
		}
		core_input(ui->core, full, cur->id);
		free(full);
		return;
	}
	/* A room we left keeps its window, but nobody would read what is
	 * typed there (the room refuses it). */
	if (cur->kind == WIN_ROOM && line[0] != '/') {
		struct room *r = rooms_find(&ui->rooms, cur->jid);

		if (!r || !r->joined) {
			winlist_printf(ui, cur, WL_ERROR, "you are not in %s: /join %s", cur->jid,
			               cur->jid);
			return;
		}
	}
	rc = core_input(ui->core, line, cur->id);
	/* Answered: the request leaves the Tab cycle and the pane. */
	if (rc == 0 &&
	    (ui_is_command(line, "sub allow", &arg) || ui_is_command(line, "sub deny", &arg)) &&
	    *arg) {
		char *jid = strndup(arg, strcspn(arg, " "));

		if (jid)
			contacts_pending_remove(&ui->contacts, jid);
		free(jid);
		ui->dirty |= DIRTY_ROSTER;
	}
	/* /omemo on|off may have changed what the status bar says. */
	ui->dirty |= DIRTY_STATUS;
	/* /msg and friends move the core's current chat: the screen follows. */
	cc = core_current_chat(ui->core);
	cur = winlist_current(ui);
	if (cc && (!cur->jid || strcasecmp(cc, cur->jid))) {
		w = winlist_open(ui, cc);
		if (w)
			winlist_select(ui, winlist_index(ui, w), false);
	}
}

void ui_relayout(struct ui *ui)
{
	if (ui->keys)
		untouchwin(ui->keys);
	ui->dirty |= DIRTY_LAYOUT;
	log_debug("ui: terminal is %dx%d", COLS, LINES);
}

void ui_resized(struct ui *ui)
{
	struct winsize ws;

	/* resizeterm() queues a KEY_RESIZE, which only re-lays out: calling it
	 * again from there would queue another, for ever. */
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 && ws.ws_col > 0 &&
	    (ws.ws_row != LINES || ws.ws_col != COLS))
		resizeterm(ws.ws_row, ws.ws_col);
	ui_relayout(ui);
}

static void ui_on_winch(struct loop *loop, int fd, short revents, void *ud)
{
	char buf[64];

	while (read(fd, buf, sizeof buf) > 0)
		;
	((struct ui *)ud)->keyed = true;
	ui_resized(ud);
}

static void ui_keys_more(struct loop *loop, void *ud)
{
	struct ui *ui = ud;

	ui->keys_timer = 0;
	ui->keyed = true;
	if (keys_read(ui))
		ui->keys_timer = loop_timer_add(loop, 0, ui_keys_more, ui);
}

static void ui_on_stdin(struct loop *loop, int fd, short revents, void *ud)
{
	struct ui *ui = ud;

	if (!(revents & POLLIN)) {
		/* The terminal went away: nobody is left to read the screen. */
		loop_fd_remove(loop, fd);
		if (ui->core && !core_quitting(ui->core))
			core_quit(ui->core);
		else
			loop_stop(loop);
		return;
	}
	ui->keyed = true;
	if (!ui->keys_timer && keys_read(ui))
		ui->keys_timer = loop_timer_add(loop, 0, ui_keys_more, ui);
}

static void ui_draw_due(struct loop *loop, void *ud)
{
	(void)loop;
	((struct ui *)ud)->draw_timer = 0;
}

/* Draws before the loop sleeps: at once after a key (or a resize), but
 * for what the network changed at most every UI_DRAW_MS, so a flood of
 * messages or presences costs a few screens a second, not one per batch. */
static void ui_prepare(struct loop *loop, void *ud)
{
	struct ui *ui = ud;
	uint64_t now = loop_time(loop);

	/* No reconnection followed in this pass: the disconnection stands. */
	ui_flush_offline(ui);
	focus_prepare(ui);
	if (!ui->dirty && !ui->bell_pending)
		return;
	if (!ui->keyed && ui->drawn_at && now < ui->drawn_at + UI_DRAW_MS) {
		if (!ui->draw_timer)
			ui->draw_timer =
			    loop_timer_add(loop, ui->drawn_at + UI_DRAW_MS - now, ui_draw_due, ui);
		return;
	}
	loop_timer_cancel(loop, ui->draw_timer);
	ui->draw_timer = 0;
	ui->keyed = false;
	ui->drawn_at = now;
	draw_screen(ui);
}

/* $XDG_STATE_HOME/natter/natter.log, private: the log must not draw on
 * the screen, and may name contacts. */
static FILE *ui_open_log(void)
{
	const char *state = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
	char *dir = NULL, *path = NULL;
	FILE *f = NULL;
	int fd, rc;

	if (state && *state)
		rc = asprintf(&dir, "%s/natter", state);
	else if (home && *home)
		rc = asprintf(&dir, "%s/.local/state/natter", home);
	else
		return NULL;
	if (rc < 0)
		return NULL;
	if (paths_mkdir_private(dir) == 0 && asprintf(&path, "%s/natter.log", dir) >= 0) {
		fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (fd >= 0) {
			f = fdopen(fd, "a");
			if (f)
				setvbuf(f, NULL, _IOLBF, 0);
			else
				close(fd);
		}
	}
	free(path);
	free(dir);
	return f;
}

/* Theme and bell from the settings main loaded; a theme that does not
 * load falls back to the built-in default, with the reason shown. */
static void ui_apply_settings(struct ui *ui, const struct settings *s, char **theme_err)
{
	char *err = NULL;

	if (settings_copy(&ui->settings, s))
		log_error("ui: out of memory: the settings are the defaults");
	ui->bell = s->bell;
	ui->inactive_after = s->inactive_after;
	ui->pane_offline = s->roster_offline;
	ui->occ_on = s->occupants;
	ui->show_joins = s->show_joins;
	ui->room_bell = s->room_bell;
	if (theme_load(&ui->theme, s->theme ? s->theme : "default", theme_err) &&
	    theme_load(&ui->theme, NULL, &err) == 0)
		free(err);
}

static int ui_setup_winch(struct ui *ui)
{
	struct sigaction sa;

	if (pipe2(ui->winch_pipe, O_CLOEXEC | O_NONBLOCK))
		return -1;
	ui_winch_fd = ui->winch_pipe[1];
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = ui_on_sigwinch;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	/* Installed before newterm(): ncurses then leaves SIGWINCH to us. */
	return sigaction(SIGWINCH, &sa, NULL);
}

/* Bracketed paste: the terminal marks pasted text, so line breaks in it
 * are not taken for Enter.  Terminals without it ignore the request. */
static void ui_paste_mode(bool on)
{
	fputs(on ? "\033[?2004h" : "\033[?2004l", stdout);
	fflush(stdout);
}

static int ui_setup_terminal(struct ui *ui)
{
	const char *term = getenv("TERM");

	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		fprintf(stderr, "natter: the terminal UI needs a terminal (try --headless)\n");
		return -1;
	}
	set_escdelay(25);
	ui->screen = newterm(NULL, stdout, stdin);
	if (!ui->screen) {
		fprintf(stderr, "natter: cannot use terminal type '%s'\n", term ? term : "");
		return -1;
	}
	raw();
	noecho();
	nonl();
	curs_set(1);
	ui_paste_mode(true);
	focus_reporting(true);
	return keys_init(ui);
}

struct ui *ui_new(struct loop *loop, const struct settings *settings)
{
	struct ui *ui = calloc(1, sizeof(*ui));
	char *theme_err = NULL;

	if (!ui) {
		fprintf(stderr, "natter: out of memory\n");
		return NULL;
	}
	ui->loop = loop;
	ui->bell = true;
	ui->pane_on = true;
	ui->focused = ui->active = true;
	ui->occ_on = true;
	ui->show_joins = true;
	ui->winch_pipe[0] = ui->winch_pipe[1] = -1;
	input_init(&ui->input);
	/* Wide characters and wcwidth() need the user's character set. */
	setlocale(LC_CTYPE, "");
	ui->wins = calloc(1, sizeof(*ui->wins));
	if (ui->wins)
		ui->wins[0] = window_new(++ui->next_id, NULL);
	if (!ui->wins || !ui->wins[0]) {
		fprintf(stderr, "natter: out of memory\n");
		goto fail;
	}
	ui->nwins = 1;
	ui_apply_settings(ui, settings, &theme_err);
	if (ui_setup_winch(ui)) {
		fprintf(stderr, "natter: cannot watch for terminal resizes: %s\n", strerror(errno));
		goto fail;
	}
	if (ui_setup_terminal(ui))
		goto fail;
	ui->log = ui_open_log();
	log_set_stream(ui->log);
	theme_apply(&ui->theme);
	log_debug("ui: terminal %s, %dx%d, %d colours, theme %s%s", termname(), COLS, LINES, COLORS,
	          ui->theme.name, getenv("NO_COLOR") ? " (NO_COLOR set)" : "");
	if (loop_fd_add(loop, STDIN_FILENO, POLLIN, ui_on_stdin, ui) ||
	    loop_fd_add(loop, ui->winch_pipe[0], POLLIN, ui_on_winch, ui) ||
	    loop_prepare_add(loop, ui_prepare, ui)) {
		ui_free(ui);
		fprintf(stderr, "natter: out of memory\n");
		return NULL;
	}
	ui->dirty = DIRTY_LAYOUT;
#ifdef PACKAGE_VERSION
	winlist_printf(ui, ui->wins[0], WL_INFO, "natter %s: /help lists the commands",
	               PACKAGE_VERSION);
#endif
	if (theme_err)
		winlist_printf(ui, ui->wins[0], WL_ERROR, "theme: %s", theme_err);
	free(theme_err);
	/* natterrc's lines natter left out, each with its file and line. */
	for (size_t i = 0; i < settings->nwarnings; i++)
		winlist_printf(ui, ui->wins[0], WL_ERROR, "%s", settings->warnings[i]);
	return ui;
fail:
	free(theme_err);
	ui_free(ui);
	return NULL;
}

struct nt_frontend ui_frontend(struct ui *ui)
{
	return (struct nt_frontend){.emit = ui_emit, .ud = ui};
}

void ui_attach(struct ui *ui, struct core *core)
{
	ui->core = core;
	/* main.c then starts the core without connecting. */
	if (core_needs_password(core))
		prompt_password_open(ui);
	if (ui_cmds_register(ui, core))
		winlist_printf(ui, winlist_console(ui), WL_ERROR,
		               "out of memory: /win, /close, /clear, /theme and /pane are missing");
	focus_start(ui);
	ui->dirty |= DIRTY_STATUS;
	/* The first screen goes up now, before the core opens the history and
	 * starts the network thread: nothing on it needs them. */
	draw_screen(ui);
	ui->drawn_at = loop_time(ui->loop);
}

void ui_free(struct ui *ui)
{
	size_t i;

	if (!ui)
		return;
	if (ui->screen) {
		loop_fd_remove(ui->loop, STDIN_FILENO);
		draw_free(ui);
		if (ui->keys)
			delwin(ui->keys);
		endwin();
		ui_paste_mode(false);
		focus_reporting(false);
		delscreen(ui->screen);
		if (ui->log)
			log_set_stream(stderr);
	}
	if (ui->log)
		fclose(ui->log);
	if (ui->winch_pipe[0] >= 0) {
		signal(SIGWINCH, SIG_DFL);
		ui_winch_fd = -1;
		loop_fd_remove(ui->loop, ui->winch_pipe[0]);
		close(ui->winch_pipe[0]);
		close(ui->winch_pipe[1]);
	}
	loop_timer_cancel(ui->loop, ui->countdown);
	loop_timer_cancel(ui->loop, ui->keys_timer);
	loop_timer_cancel(ui->loop, ui->draw_timer);
	typing_free(ui);
	focus_free(ui);
	explicit_bzero(ui->pw.buf, sizeof(ui->pw.buf));
	keys_complete_reset(ui);
	pubsubwin_free(ui);
	HASH_CLEAR(hh, ui->by_jid);
	for (i = 0; i < ui->nwins; i++)
		window_free(ui->wins[i]);
	free(ui->wins);
	for (i = 0; i < ui->nknown; i++)
		free(ui->known[i]);
	contacts_free(&ui->contacts);
	rooms_free(&ui->rooms);
	input_free(&ui->input);
	theme_clear(&ui->theme);
	free(ui->jid);
	free(ui->offline_reason);
	free(ui->own_show);
	free(ui->own_status);
	settings_free(&ui->settings);
	free(ui);
}
