/* Commands that act on the screen rather than the session. */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cmd/cmd.h"
#include "core/core.h"
#include "ui/theme.h"
#include "ui/ui_cmds.h"
#include "ui/ui_internal.h"
#include "ui/winlist.h"

/* The answer to a command of ours, formatted, where it was typed. */
static __attribute__((format(printf, 3, 4))) int reply(struct cmd_call *call, bool error,
                                                       const char *fmt, ...)
{
	char *text = NULL;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&text, fmt, ap) < 0)
		text = NULL;
	va_end(ap);
	ui_cmd_reply(call->ud, call->origin, error, text ? text : "out of memory");
	free(text);
	return error ? -1 : 0;
}

/* /win N|next|prev|JID */
static int ui_cmds_win(struct cmd_call *call)
{
	struct ui *ui = call->ud;
	const char *arg = call->argv[0];
	struct window *w;
	char *end;
	long n;

	if (!strcasecmp(arg, "next") || !strcasecmp(arg, "prev")) {
		size_t k = ui->nwins;

		winlist_select(ui, arg[0] == 'n' ? (ui->cur + 1) % k : (ui->cur + k - 1) % k, true);
		return 0;
	}
	errno = 0;
	n = strtol(arg, &end, 10);
	if (!errno && *arg && !*end) {
		if (n < 1 || (size_t)n > ui->nwins) {
			return reply(call, true, "/win: no window %ld (there are %zu)", n,
			             ui->nwins);
		}
		winlist_select(ui, (size_t)n - 1, true);
		return 0;
	}
	/* by JID or by the tab's name ("strangers" too) */
	w = winlist_find_name(ui, arg);
	if (!w) {
		return reply(call, true, "/win: no window for %s", arg);
	}
	winlist_select(ui, winlist_index(ui, w), true);
	return 0;
}

static int ui_cmds_close(struct cmd_call *call)
{
	struct ui *ui = call->ud;
	struct window *w = winlist_current(ui);
	struct room *r;

	if (ui->cur == 0)
		return reply(call, true, "/close: the console stays open; /quit leaves natter");
	/* Closing a room's window leaves the room. */
	r = w->kind == WIN_ROOM ? rooms_find(&ui->rooms, w->jid) : NULL;
	if (r && r->joined) {
		char *line = NULL;

		if (asprintf(&line, "/part %s", r->jid) >= 0)
			core_input(ui->core, line, call->origin);
		free(line);
	} else if (w->kind != WIN_ROOM && w->jid) {
		/* XEP-0085: leaving the conversation is "gone" (sent only to
		 * those who want chat states, as typing is). */
		core_chat_state(ui->core, w->jid, "gone");
	}
	return winlist_close(ui, ui->cur);
}

static int ui_cmds_clear(struct cmd_call *call)
{
	struct ui *ui = call->ud;

	window_clear(winlist_current(ui));
	ui->dirty |= DIRTY_CHAT | DIRTY_STATUS;
	return 0;
}

/* /theme list: each name once, with where the one that loads comes from. */
static int ui_cmds_theme_list(struct cmd_call *call)
{
	struct ui *ui = call->ud;
	struct theme_entry *v = NULL;
	int i, n = theme_list(&v);
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	f = n >= 0 ? open_memstream(&buf, &len) : NULL;
	if (!f) {
		if (n >= 0)
			theme_list_free(v, (size_t)n);
		return reply(call, true, "/theme list: out of memory");
	}
	fprintf(f, "%d theme%s (/theme load NAME):", n, n == 1 ? "" : "s");
	for (i = 0; i < n; i++)
		fprintf(f, "\n  %c %-16s %s",
		        ui->theme.name && !strcmp(ui->theme.name, v[i].name) ? '*' : ' ', v[i].name,
		        v[i].where);
	theme_list_free(v, (size_t)n);
	if (fclose(f) || !buf) {
		free(buf);
		return reply(call, true, "/theme list: out of memory");
	}
	reply(call, false, "%s", buf);
	free(buf);
	return 0;
}

/* /theme load NAME, and /theme NAME as before: checked here, then made the
 * setting (/set ui.theme NAME), which applies it and saves it. */
static int ui_cmds_theme(struct cmd_call *call)
{
	struct ui *ui = call->ud;
	struct theme probe = {0};
	char *err = NULL, *line = NULL;
	int rc;

	if (theme_load(&probe, call->argv[0], &err)) {
		reply(call, true, "/theme: %s", err ? err : "out of memory");
		free(err);
		return -1;
	}
	theme_clear(&probe);
	if (asprintf(&line, "/set ui.theme %s", call->argv[0]) < 0)
		return reply(call, true, "/theme: out of memory");
	rc = core_input(ui->core, line, call->origin);
	free(line);
	return rc;
}

/* /pane [show|hide|offline]: the roster pane, toggled like F2 without an
 * argument; "offline" toggles whether offline contacts are listed. */
static int ui_cmds_pane(struct cmd_call *call)
{
	struct ui *ui = call->ud;
	const char *arg = call->argc ? call->argv[0] : NULL;
	bool on = !ui->pane_on;

	if (arg && !strcasecmp(arg, "offline")) {
		ui->pane_offline = !ui->pane_offline;
		ui->dirty |= DIRTY_ROSTER;
		return reply(call, false, "the roster pane %s offline contacts",
		             ui->pane_offline ? "lists" : "hides");
	}
	if (arg && !strcasecmp(arg, "show")) {
		on = true;
	} else if (arg && !strcasecmp(arg, "hide")) {
		on = false;
	} else if (arg) {
		return reply(call, true, "/pane show, hide or offline");
	}
	if (!ui_pane_set(ui, on))
		reply(call, false, "the roster pane shows once the terminal is %d columns wide",
		      PANE_MIN_COLS);
	return 0;
}

/* /occupants [show|hide]: rooms' occupant lists, toggled like F3. */
static int ui_cmds_occupants(struct cmd_call *call)
{
	struct ui *ui = call->ud;
	const char *arg = call->argc ? call->argv[0] : NULL;
	bool on = !ui->occ_on;

	if (arg && !strcasecmp(arg, "show"))
		on = true;
	else if (arg && !strcasecmp(arg, "hide"))
		on = false;
	else if (arg)
		return reply(call, true, "/occupants show or hide");
	ui_occ_set(ui, on);
	return reply(call, false, "rooms' occupant lists are %s", on ? "shown" : "hidden");
}

/* /help keys: the key bindings (keys.c), which no command table holds. */
static int ui_cmds_help_keys(struct cmd_call *call)
{
	return reply(
	    call, false,
	    "Keys\n"
	    "  Enter            send the line (text to the chat, /commands to natter)\n"
	    "  Tab              complete a command, name or nick; again: the next one\n"
	    "  Up, Down         earlier lines typed in this window (C-p, C-n)\n"
	    "  Up (empty line)  in a chat: edit your last message (Enter corrects it)\n"
	    "  PageUp, PageDown scroll back (older messages come from the history)\n"
	    "  Alt-1..9, Alt-0  window 1..9, 10; Alt-Left, Alt-Right: the one before, after\n"
	    "  F2               show or hide the roster pane (/pane)\n"
	    "  F3               show or hide a room's occupant list (/occupants)\n"
	    "  C-a, C-e         start, end of the line (Home, End)\n"
	    "  C-b, C-f         one character left, right (Left, Right)\n"
	    "  C-d              delete the character under the cursor (Delete)\n"
	    "  C-h              delete the character before it (Backspace)\n"
	    "  C-w, Alt-Bksp    delete the word before the cursor\n"
	    "  C-k, C-u         delete to the end, to the start of the line\n"
	    "  C-c              empty the line\n"
	    "  C-l              redraw the screen\n"
	    "Roster pane: + online, * free for chat, ~ away, - away long (xa), ! busy "
	    "(dnd), . offline; # a room; (N) unread messages\n"
	    "In a room: Tab completes nicks (\"nick: \" at the start of a line); a "
	    "window marked ! has a message that names you\n"
	    "A paste keeps its line breaks and waits for Enter (bracketed paste).");
}

static const struct cmd_entry ui_cmds_table[] = {
    {
        .name = "help keys",
        .usage = "",
        .help = "the key bindings of the terminal UI",
        .exec = ui_cmds_help_keys,
    },
    {
        .name = "pane",
        .usage = "[show|hide|offline]",
        .help = "show or hide the roster pane (F2); offline: list offline contacts or not",
        .max_args = 1,
        .complete = {"show|hide|offline"},
        .exec = ui_cmds_pane,
    },
    {
        .name = "occupants",
        .usage = "[show|hide]",
        .help = "show or hide the occupant list beside rooms (F3)",
        .max_args = 1,
        .complete = {"show|hide"},
        .exec = ui_cmds_occupants,
    },
    {
        .name = "win",
        .usage = "N|next|prev|JID|strangers",
        .help = "switch to window N (Alt-1..9, Alt-Left/Right)",
        .min_args = 1,
        .max_args = 1,
        .complete = {"next|prev|strangers|@jid"},
        .exec = ui_cmds_win,
    },
    {
        .name = "close",
        .usage = "",
        .help = "close the current window (a room's: leave the room)",
        .exec = ui_cmds_close,
    },
    {
        .name = "clear",
        .usage = "",
        .help = "empty the current window's scrollback",
        .exec = ui_cmds_clear,
    },
    {
        .name = "theme",
        .usage = "NAME",
        .help = "switch to a colour theme (default, light, mono or your own)",
        .min_args = 1,
        .max_args = 1,
        .complete = {"list|load|default|light|mono"},
        .exec = ui_cmds_theme,
    },
    {
        .name = "theme list",
        .usage = "",
        .help = "list the themes: built in, installed and in ~/.config/natter/themes",
        .exec = ui_cmds_theme_list,
    },
    {
        .name = "theme load",
        .usage = "NAME",
        .help = "switch to a colour theme (the same as /theme NAME)",
        .min_args = 1,
        .max_args = 1,
        .complete = {"default|light|mono"},
        .exec = ui_cmds_theme,
    },
};

int ui_cmds_register(struct ui *ui, struct core *core)
{
	return core_add_commands(core, "Windows and display", ui_cmds_table,
	                         sizeof(ui_cmds_table) / sizeof(ui_cmds_table[0]), ui);
}
