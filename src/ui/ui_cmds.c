/* Commands that act on the screen rather than the session. */
#include "config.h"

#include <errno.h>
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
			core_error(call->core, "win", "bad-request",
			           "no window %ld (there are %zu)", n, ui->nwins);
			return -1;
		}
		winlist_select(ui, (size_t)n - 1, true);
		return 0;
	}
	w = winlist_find(ui, arg);
	if (!w) {
		core_error(call->core, "win", "item-not-found", "no window for %s", arg);
		return -1;
	}
	winlist_select(ui, winlist_index(ui, w), true);
	return 0;
}

static int ui_cmds_close(struct cmd_call *call)
{
	struct ui *ui = call->ud;

	if (ui->cur == 0) {
		core_error(call->core, "close", "not-allowed",
		           "the console stays open; /quit leaves natter");
		return -1;
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
		core_error(call->core, "theme list", "internal-server-error", "out of memory");
		return -1;
	}
	fprintf(f, "%d theme%s (/theme load NAME):", n, n == 1 ? "" : "s");
	for (i = 0; i < n; i++)
		fprintf(f, "\n  %c %-16s %s", ui->theme.name && !strcmp(ui->theme.name, v[i].name)
		                                   ? '*' : ' ',
		        v[i].name, v[i].where);
	theme_list_free(v, (size_t)n);
	if (fclose(f) || !buf) {
		free(buf);
		core_error(call->core, "theme list", "internal-server-error", "out of memory");
		return -1;
	}
	core_info(call->core, "theme list", "%s", buf);
	free(buf);
	return 0;
}

/* /theme load NAME, and /theme NAME as before. */
static int ui_cmds_theme(struct cmd_call *call)
{
	struct ui *ui = call->ud;
	char *err = NULL;

	if (theme_load(&ui->theme, call->argv[0], &err)) {
		core_error(call->core, "theme", "item-not-found", "%s",
		           err ? err : "out of memory");
		free(err);
		return -1;
	}
	theme_apply(&ui->theme);
	ui->dirty |= DIRTY_LAYOUT;
	core_info(call->core, "theme", "theme %s", ui->theme.name);
	return 0;
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
		core_info(call->core, "pane", "the roster pane %s offline contacts",
		          ui->pane_offline ? "lists" : "hides");
		return 0;
	}
	if (arg && !strcasecmp(arg, "show")) {
		on = true;
	} else if (arg && !strcasecmp(arg, "hide")) {
		on = false;
	} else if (arg) {
		core_error(call->core, "pane", "bad-request", "/pane show, hide or offline");
		return -1;
	}
	if (!ui_pane_set(ui, on))
		core_info(call->core, "pane",
		          "the roster pane shows once the terminal is %d columns wide",
		          PANE_MIN_COLS);
	return 0;
}

static const struct cmd_entry ui_cmds_table[] = {
    {
        .name = "pane",
        .usage = "[show|hide|offline]",
        .help = "show or hide the roster pane (F2); offline: list offline contacts or not",
        .max_args = 1,
        .complete = {"show|hide|offline"},
        .exec = ui_cmds_pane,
    },
    {
        .name = "win",
        .usage = "N|next|prev|JID",
        .help = "switch to window N (Alt-1..9, Alt-Left/Right)",
        .min_args = 1,
        .max_args = 1,
        .complete = {"next|prev|@jid"},
        .exec = ui_cmds_win,
    },
    {
        .name = "close",
        .usage = "",
        .help = "close the current chat window",
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

int ui_cmds_register(struct ui *ui)
{
	return cmd_register(ui_cmds_table, sizeof(ui_cmds_table) / sizeof(ui_cmds_table[0]), ui);
}
