/* Group chat in the terminal UI: a window per room (its subject above,
 * its occupants beside), a window per private conversation with an
 * occupant, mentions that stand out, and what the room events say. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/core.h"
#include "ui/backlog.h"
#include "ui/lines.h"
#include "ui/notify.h"
#include "ui/omemo.h"
#include "ui/rooms.h"
#include "ui/ui_internal.h"
#include "ui/winlist.h"
#include "util/log.h"

/* The window of room (opened when needed, as a room's). */
static struct window *room_window(struct ui *ui, const char *room)
{
	struct window *w = winlist_find(ui, room);

	if (!w)
		return winlist_open(ui, room);
	/* Opened before the room was known to be one (/msg ROOM typed early). */
	if (w->kind != WIN_ROOM) {
		w->kind = WIN_ROOM;
		if (w == winlist_current(ui))
			ui->dirty |= DIRTY_LAYOUT;
	}
	return w;
}

/* Marks what the room's window shows beside its messages as changed. */
static void room_changed(struct ui *ui, struct window *w)
{
	if (w && w == winlist_current(ui))
		ui->dirty |= DIRTY_OCC;
	ui->dirty |= DIRTY_ROSTER;
}

static const char *resource(const char *jid)
{
	const char *slash = jid ? strchr(jid, '/') : NULL;

	return slash ? slash + 1 : NULL;
}

char *ui_rooms_line_nick(struct ui *ui, const struct window *w, const char *from, bool own)
{
	struct room *r;

	if (w && w->kind == WIN_ROOM)
		return strdup(resource(from) ? resource(from) : "*");
	if (w && w->kind == WIN_PRIVATE) {
		r = rooms_find(&ui->rooms, w->jid);
		if (own && r && r->nick)
			return strdup(r->nick);
		if (!own && resource(w->jid))
			return strdup(resource(w->jid));
	}
	return own ? ui_nick(ui_own_jid(ui)) : ui_name_of(ui, from);
}

/* ---- messages ---- */

void ui_rooms_message(struct ui *ui, const struct nt_event *ev)
{
	const typeof(ev->u.message) *m = &ev->u.message;
	bool own = m->outgoing, room_msg = m->type && !strcmp(m->type, "groupchat");
	const char *peer = own ? m->to : m->from;
	struct room *r = rooms_find(&ui->rooms, m->room);
	struct window *w;
	struct window_line *l;
	enum window_line_kind kind;
	time_t when = ui_event_time(m->ts_ms);
	char *nick = NULL;
	bool fresh, mention;

	if (room_msg)
		peer = m->room;
	if (!peer)
		return;
	fresh = !winlist_find(ui, peer);
	w = room_msg ? room_window(ui, peer) : winlist_open(ui, peer);
	if (!w)
		w = winlist_console(ui);
	if (room_msg)
		nick = strdup(m->nick ? m->nick : "*");
	else
		nick =
		    own ? strdup(r && r->nick ? r->nick : "me") : strdup(m->nick ? m->nick : "?");
	/* A room message naming us: marked, and it rings (winlist.c). */
	kind = m->type && !strcmp(m->type, "error") ? WL_ERROR : own ? WL_MSG_OWN : WL_MSG_PEER;
	/* A correction takes the place of the message it corrects. */
	if (m->replaces && kind != WL_ERROR && lines_correct(ui, w, kind, ev)) {
		free(nick);
		return;
	}
	mention = room_msg && !own && r && m->body && rooms_mentions(m->body, r->nick);
	ui->mark_highlight = mention;
	if (m->undecryptable)
		l = winlist_print(ui, w, WL_ERROR, when, m->delayed, nick ? nick : "?",
		                  "[this OMEMO message could not be decrypted on this device]");
	else
		l = ui_print_message(ui, w, kind, when, nick ? nick : "?", ev);
	ui->mark_highlight = false;
	/* [OMEMO], or [unencrypted] in a room that is encrypted (a private
	 * message with an occupant never is). */
	if (l)
		l->tag = ui_omemo_tag(ui, ev, room_msg ? m->room : NULL);
	if (l && fresh)
		l = backlog_dedupe(w, l);
	/* Beyond the screen, a room's chatter is not news: what names us is,
	 * and private messages are, like chats. */
	if (l && !own && !m->delayed && (!room_msg || mention || ui->room_bell))
		notify_message(&ui->settings, peer, nick, m->type ? m->type : "chat",
		               m->body ? m->body : "");
	/* Typed while offline, it waits in the outbox: say so until it goes. */
	if (l && own && ui->conn != CONN_ONLINE)
		l->queued = true;
	/* Receipts name our messages by id, corrections and retractions
	 * anyone's. */
	if (l && m->id && !l->id && !(l->id = strdup(m->id)))
		log_error("ui: out of memory: message %s cannot be marked", m->id);
	if (room_msg && r && m->nick)
		rooms_spoke(r, m->nick);
	free(nick);
}

/* ---- room events ---- */

static void on_joined(struct ui *ui, const struct nt_event *ev)
{
	struct room *r = rooms_joined(&ui->rooms, ev);
	const char *room = ev->u.muc_joined.room;
	struct window *w, *asked;

	if (!r) {
		winlist_printf(ui, winlist_console(ui), WL_ERROR, "out of memory: %s is not shown",
		               room ? room : "a room");
		return;
	}
	w = room_window(ui, r->jid);
	if (!w)
		return;
	/* Joined from a window: that is where the user looks; the room's
	 * window comes forward.  Autojoin and rejoins stay in the background. */
	asked = ev->origin ? winlist_by_id(ui, (unsigned)ev->origin) : NULL;
	if (asked && asked != w)
		winlist_select(ui, winlist_index(ui, w), true);
	winlist_printf(ui, w, WL_INFO, "you are in %s as %s (%zu here)%s", r->jid,
	               r->nick ? r->nick : "?", ev->u.muc_joined.count,
	               ev->u.muc_joined.created ? "; you created it" : "");
	room_changed(ui, w);
}

/* "owner", "moderator": what changed in a presence that says no more. */
static void role_line(struct ui *ui, struct window *w,
                      const typeof(((struct nt_event *)0)->u.muc_presence) *p)
{
	winlist_printf(ui, w, WL_PRESENCE, "%s is now %s (%s)", p->occupant.nick,
	               p->occupant.role ? p->occupant.role : "?",
	               p->occupant.affiliation ? p->occupant.affiliation : "?");
}

/* Equal strings, NULL equal to NULL only. */
static bool same(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

static bool has_code(const int *codes, size_t n, int code)
{
	for (size_t i = 0; i < n; i++)
		if (codes[i] == code)
			return true;
	return false;
}

static void on_presence(struct ui *ui, const struct nt_event *ev)
{
	const typeof(ev->u.muc_presence) *p = &ev->u.muc_presence;
	struct room *r = rooms_find(&ui->rooms, p->room);
	struct window *w = r ? winlist_find(ui, r->jid) : NULL;
	const struct room_occ *before = NULL;
	enum room_role old_role = ROLE_NONE;
	char *old_aff = NULL, *old_show = NULL;
	bool known = false, gone = p->type && !strcmp(p->type, "unavailable");
	const char *nick = p->occupant.nick ? p->occupant.nick : "?";

	if (!r)
		return;
	for (size_t i = 0; i < r->nocc; i++)
		if (p->occupant.nick && !strcmp(r->occ[i].nick, p->occupant.nick))
			before = &r->occ[i];
	if (before) {
		known = true;
		old_role = before->role;
		old_aff = before->affiliation ? strdup(before->affiliation) : NULL;
		old_show = before->show ? strdup(before->show) : NULL;
	}
	/* The occupant that renamed itself arrives under its new nick. */
	if (!gone && !known && r->renamed && !strcmp(r->renamed, nick)) {
		free(r->renamed);
		r->renamed = NULL;
		known = true;
		old_role = ROLE_COUNT; /* no role change to report */
	}
	if (!rooms_presence(&ui->rooms, ev))
		log_error("ui: out of memory: %s's occupant list is incomplete", r->jid);
	if (!w)
		goto out;
	if (gone && p->new_nick) {
		winlist_printf(ui, w, WL_PRESENCE, "%s is now known as %s", nick, p->new_nick);
		free(r->renamed);
		r->renamed = strdup(p->new_nick);
	} else if (gone && has_code(p->codes, p->ncodes, 307)) {
		winlist_printf(ui, w, WL_INFO, "%s was kicked%s%s%s%s", nick,
		               p->actor ? " by " : "", p->actor ? p->actor : "",
		               p->reason ? ": " : "", p->reason ? p->reason : "");
	} else if (gone && has_code(p->codes, p->ncodes, 301)) {
		winlist_printf(ui, w, WL_INFO, "%s was banned%s%s%s%s", nick,
		               p->actor ? " by " : "", p->actor ? p->actor : "",
		               p->reason ? ": " : "", p->reason ? p->reason : "");
	} else if (gone) {
		if (ui->show_joins)
			winlist_printf(ui, w, WL_PRESENCE, "<- %s left%s%s", nick,
			               p->occupant.status ? ": " : "",
			               p->occupant.status ? p->occupant.status : "");
	} else if (!known) {
		if (ui->show_joins)
			winlist_printf(ui, w, WL_PRESENCE, "-> %s joined%s%s%s", nick,
			               p->occupant.jid ? " (" : "",
			               p->occupant.jid ? p->occupant.jid : "",
			               p->occupant.jid ? ")" : "");
	} else if (old_role != ROLE_COUNT && (strcmp(p->occupant.role ? p->occupant.role : "none",
	                                             rooms_role_name(old_role)) ||
	                                      !same(p->occupant.affiliation, old_aff))) {
		role_line(ui, w, p);
	} else if (ui->show_joins && !same(p->occupant.show, old_show)) {
		winlist_printf(ui, w, WL_PRESENCE, "%s is %s%s%s", nick,
		               p->occupant.show ? p->occupant.show : "back",
		               p->occupant.status ? ": " : "",
		               p->occupant.status ? p->occupant.status : "");
	}
	room_changed(ui, w);
out:
	free(old_aff);
	free(old_show);
}

static void on_subject(struct ui *ui, const struct nt_event *ev)
{
	struct room *r = rooms_subject(&ui->rooms, ev);
	struct window *w = r ? winlist_find(ui, r->jid) : NULL;
	const char *s = ev->u.muc_subject.subject;

	if (!w)
		return;
	if (ev->u.muc_subject.nick)
		winlist_printf(ui, w, WL_INFO, "%s set the subject: %s", ev->u.muc_subject.nick,
		               s && *s ? s : "(none)");
	else if (s && *s)
		winlist_printf(ui, w, WL_INFO, "subject: %s", s);
	room_changed(ui, w);
}

static void on_left(struct ui *ui, const struct nt_event *ev)
{
	const typeof(ev->u.muc_left) *l = &ev->u.muc_left;
	struct room *r = rooms_left(&ui->rooms, ev);
	struct window *w = r ? winlist_find(ui, r->jid) : NULL;
	const char *room = l->room ? l->room : "?", *why = l->reason;
	char *s = NULL;
	int rc;

	if (l->destroyed)
		rc = asprintf(&s, "%s was destroyed%s%s%s%s", room, why ? ": " : "", why ? why : "",
		              l->alternate ? "; it moved to " : "",
		              l->alternate ? l->alternate : "");
	else if (has_code(l->codes, l->ncodes, 307))
		rc = asprintf(&s, "you were kicked from %s%s%s%s%s", room, l->actor ? " by " : "",
		              l->actor ? l->actor : "", why ? ": " : "", why ? why : "");
	else if (has_code(l->codes, l->ncodes, 301))
		rc = asprintf(&s, "you were banned from %s%s%s%s%s", room, l->actor ? " by " : "",
		              l->actor ? l->actor : "", why ? ": " : "", why ? why : "");
	else if (l->rejoining)
		rc = asprintf(&s, "out of %s (%s): joining it again", room, why ? why : "?");
	else
		rc = asprintf(&s, "you left %s%s%s", room,
		              why && strcmp(why, "you left") ? ": " : "",
		              why && strcmp(why, "you left") ? why : "");
	if (rc < 0)
		return;
	winlist_print(ui, w ? w : winlist_console(ui), l->rejoining ? WL_INFO : WL_ERROR,
	              time(NULL), false, NULL, s);
	/* Thrown out of a room is news wherever the user looks. */
	if (w && w != winlist_current(ui) && !l->rejoining && ev->origin == 0)
		winlist_activity(ui, w, ACT_MSG);
	room_changed(ui, w);
	free(s);
}

static void on_invite(struct ui *ui, const struct nt_event *ev)
{
	const typeof(ev->u.muc_invite) *i = &ev->u.muc_invite;
	struct window *con = winlist_console(ui);
	char *s = NULL;

	if (!i->room)
		return;
	if (rooms_invite_add(&ui->rooms, i->room, i->password))
		log_error("ui: out of memory: the invitation to %s is not offered on Tab", i->room);
	/* The command on a line of its own, so it never wraps apart. */
	if (asprintf(&s,
	             "%s invites you to %s%s%s%s\n"
	             "  /join %s%s%s (Tab on an empty line in the console types it)",
	             i->from ? i->from : "someone", i->room, i->reason ? " (\"" : "",
	             i->reason ? i->reason : "", i->reason ? "\")" : "", i->room,
	             i->password ? " password=" : "", i->password ? i->password : "") < 0)
		return;
	winlist_print(ui, con, WL_INFO, time(NULL), false, NULL, s);
	winlist_activity(ui, con, ACT_MSG);
	if (ui->bell)
		ui->bell_pending = true;
	free(s);
}

/* /who's answer, grouped by role, in the window that asked. */
static void on_occupants(struct ui *ui, const struct nt_event *ev)
{
	static const char *const roles[] = {"moderator", "participant", "visitor", "none"};
	const typeof(ev->u.muc_occupants) *o = &ev->u.muc_occupants;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return;
	fprintf(f, "%zu in %s", o->count, o->room ? o->room : "?");
	for (size_t k = 0; k < sizeof(roles) / sizeof(roles[0]); k++) {
		bool first = true;

		for (size_t i = 0; i < o->count; i++) {
			const struct nt_occupant *x = &o->occupants[i];

			if (!x->role || strcmp(x->role, roles[k]))
				continue;
			fprintf(f, "%s%s%s%s%s%s", first ? "\n  " : ", ", first ? roles[k] : "",
			        first ? "s: " : "", x->nick ? x->nick : "?", x->show ? " (" : "",
			        x->show ? x->show : "");
			if (x->show)
				fputc(')', f);
			first = false;
		}
	}
	if (fclose(f) == 0 && buf)
		ui_cmd_reply(ui, ev->origin, false, buf);
	free(buf);
}

static void on_bookmarks(struct ui *ui, const struct nt_event *ev)
{
	const typeof(ev->u.bookmarks) *b = &ev->u.bookmarks;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	/* The list after login is for autojoin, not for reading. */
	if (!ev->origin)
		return;
	f = open_memstream(&buf, &len);
	if (!f)
		return;
	fprintf(f, "%zu bookmark%s", b->count, b->count == 1 ? "" : "s");
	for (size_t i = 0; i < b->count; i++)
		fprintf(f, "\n  %s%s%s%s%s%s%s", b->items[i].room ? b->items[i].room : "?",
		        b->items[i].name ? " \"" : "", b->items[i].name ? b->items[i].name : "",
		        b->items[i].name ? "\"" : "", b->items[i].nick ? " as " : "",
		        b->items[i].nick ? b->items[i].nick : "",
		        b->items[i].autojoin ? " (autojoin)" : "");
	if (fclose(f) == 0 && buf)
		ui_cmd_reply(ui, ev->origin, false, buf);
	free(buf);
}

static void on_config(struct ui *ui, const struct nt_event *ev)
{
	const typeof(ev->u.muc_config) *c = &ev->u.muc_config;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return;
	fprintf(f, "configuration of %s (/roomconfig %s VAR=VALUE ...):", c->room ? c->room : "?",
	        c->room ? c->room : "ROOM");
	for (size_t i = 0; i < c->count; i++) {
		const struct nt_form_field *x = &c->fields[i];

		if (!x->var || (x->type && !strcmp(x->type, "hidden")))
			continue;
		fprintf(f, "\n  %s%s%s%s = ", x->var, x->label ? " (" : "",
		        x->label ? x->label : "", x->label ? ")" : "");
		for (size_t k = 0; k < x->nvalues; k++)
			fprintf(f, "%s%s", k ? "," : "", x->values[k]);
		for (size_t k = 0; k < x->noptions; k++)
			fprintf(f, "%s%s", k ? "|" : "  [", x->options[k]);
		if (x->noptions)
			fputc(']', f);
	}
	if (fclose(f) == 0 && buf)
		ui_cmd_reply(ui, ev->origin, false, buf);
	free(buf);
}

void ui_rooms_event(struct ui *ui, const struct nt_event *ev)
{
	switch (ev->kind) {
	case NT_EV_MUC_JOINED:
		on_joined(ui, ev);
		break;
	case NT_EV_MUC_PRESENCE:
		on_presence(ui, ev);
		break;
	case NT_EV_MUC_SUBJECT:
		on_subject(ui, ev);
		break;
	case NT_EV_MUC_LEFT:
		on_left(ui, ev);
		break;
	case NT_EV_MUC_INVITE:
		on_invite(ui, ev);
		break;
	case NT_EV_MUC_OCCUPANTS:
		on_occupants(ui, ev);
		break;
	case NT_EV_BOOKMARKS:
		on_bookmarks(ui, ev);
		break;
	case NT_EV_MUC_CONFIG:
		on_config(ui, ev);
		break;
	default:
		break;
	}
}
