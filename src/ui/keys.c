/* Key bindings: emacs-style editing, history, completion, windows. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <wctype.h>

#include "cmd/cmd.h"
#include "core/core.h"
#include "ui/backlog.h"
#include "ui/draw.h"
#include "ui/focus.h"
#include "ui/keys.h"
#include "ui/lines.h"
#include "ui/prompt.h"
#include "ui/typing.h"
#include "ui/ui_internal.h"
#include "ui/winlist.h"
#include "ui/wstr.h"

#define CTRL(c)       ((c)&0x1f)
#define KEYS_ESC      0x1b
#define KEYS_PER_PASS 4096 /* keys handled before giving the network a turn */

enum {
	KEY_ALT_LEFT_OWN = KEY_MAX + 1,
	KEY_ALT_RIGHT_OWN,
	KEY_PASTE_START_OWN,
	KEY_PASTE_END_OWN,
	KEY_FOCUS_IN_OWN,
	KEY_FOCUS_OUT_OWN,
};

/* The code ncurses gives for terminfo capability cap, defining seq as
 * fallback_code when the terminal description lacks it. */
static int keys_code(const char *cap, const char *seq, int fallback_code)
{
	char *s = tigetstr(cap);
	int code;

	if (s && s != (char *)-1) {
		code = key_defined(s);
		if (code > 0)
			return code;
	}
	code = key_defined(seq);
	if (code > 0)
		return code;
	define_key(seq, fallback_code);
	return fallback_code;
}

int keys_init(struct ui *ui)
{
	/* Keys are read through a window that is never drawn: reading through
	 * a pane would make ncurses refresh it, and stdscr would repaint the
	 * whole screen blank on the first read. */
	ui->keys = newwin(1, 1, 0, 0);
	if (!ui->keys)
		return -1;
	keypad(ui->keys, TRUE);
	nodelay(ui->keys, TRUE);
	untouchwin(ui->keys);
	ui->key_alt_left = keys_code("kLFT3", "\033[1;3D", KEY_ALT_LEFT_OWN);
	ui->key_alt_right = keys_code("kRIT3", "\033[1;3C", KEY_ALT_RIGHT_OWN);
	/* Bracketed paste (ui.c turns it on): terminfo names the markers only
	 * as user capabilities, which ncurses does not read as keys. */
	ui->key_paste_start = keys_code("kPS", "\033[200~", KEY_PASTE_START_OWN);
	ui->key_paste_end = keys_code("kPE", "\033[201~", KEY_PASTE_END_OWN);
	/* Focus reports (focus.c turns them on). */
	ui->key_focus_in = keys_code("kxIN", "\033[I", KEY_FOCUS_IN_OWN);
	ui->key_focus_out = keys_code("kxOUT", "\033[O", KEY_FOCUS_OUT_OWN);
	return 0;
}

void keys_complete_reset(struct ui *ui)
{
	cmd_candidates_free(ui->comp);
	ui->comp = NULL;
	ui->ncomp = ui->comp_i = 0;
}

/* Up on an empty line in a chat: our last message there, to correct. */
static bool keys_edit_last(struct ui *ui)
{
	struct window *w = winlist_current(ui);
	struct window_line *l;
	char *text, *line = NULL;

	if (ui->input.len || !w->jid || w->hist.pos != w->hist.count || !(l = lines_last_own(w)))
		return false;
	text = wstr_to_utf8(l->text, wcslen(l->text));
	if (text && asprintf(&line, "/correct %s%s", l->action ? "/me " : "", text) >= 0)
		input_set(&ui->input, line);
	free(text);
	free(line);
	return true;
}

static void keys_history(struct ui *ui, int dir)
{
	struct window *w = winlist_current(ui);
	char *cur = input_text(&ui->input);
	const char *line = recall_step(&w->hist, dir, cur);

	if (line)
		input_set(&ui->input, line);
	free(cur);
}

static void keys_enter(struct ui *ui)
{
	char *line = input_text(&ui->input);
	bool secret = false;

	if (!line)
		return;
	if (*line) {
		const struct cmd_entry *e =
		    *line == '/' ? cmd_lookup(core_commands(ui->core), line, NULL) : NULL;

		secret = e && (e->flags & CMD_SECRET);
		if (!secret)
			recall_add(&winlist_current(ui)->hist, line);
		input_clear(&ui->input);
		winlist_current(ui)->scroll = 0;
		ui->dirty |= DIRTY_ALL;
		ui_submit(ui, line);
		typing_sent(ui);
	}
	if (secret)
		explicit_bzero(line, strlen(line));
	free(line);
}

/* What a candidate replaces the word with: cmd_complete() may give whole
 * words, command names without their '/', or just the missing tail. */
static char *keys_candidate(const char *word, const char *cand)
{
	size_t wl = strlen(word);
	char *s;

	if (!strncmp(cand, word, wl))
		return strdup(cand);
	if (word[0] == '/' && !strncmp(cand, word + 1, wl - 1)) {
		if (asprintf(&s, "/%s", cand) < 0)
			return NULL;
		return s;
	}
	if (asprintf(&s, "%s%s", word, cand) < 0)
		return NULL;
	return s;
}

static size_t keys_common_prefix(char **c, size_t n)
{
	size_t len = strlen(c[0]), i, k;

	for (i = 1; i < n; i++) {
		for (k = 0; k < len && c[i][k] == c[0][k]; k++)
			;
		len = k;
	}
	/* Never stop inside a UTF-8 sequence. */
	while (len > 0 && ((unsigned char)c[0][len] & 0xc0) == 0x80)
		len--;
	return len;
}

/* The contacts offered for "@jid": open chats first, then the roster, then
 * everyone seen. */
static const char **keys_jids(struct ui *ui)
{
	struct contacts *c = &ui->contacts;
	const char **j = calloc(ui->nwins + c->n + ui->nknown + 1, sizeof(*j));
	size_t i, k, n = 0, wins;

	if (!j)
		return NULL;
	for (i = 1; i < ui->nwins; i++)
		if (ui->wins[i]->jid)
			j[n++] = ui->wins[i]->jid;
	wins = n;
	for (i = 0; i < c->n; i++)
		if (c->v[i]->in_roster && !winlist_find(ui, c->v[i]->jid))
			j[n++] = c->v[i]->jid;
	/* The remembered ones are never roster contacts (ui.c): only the open
	 * windows can hold them already. */
	for (i = 0; i < ui->nknown; i++) {
		struct contact *ct = contacts_find(c, ui->known[i]);

		if (ct && ct->in_roster)
			continue;
		for (k = 0; k < wins && strcasecmp(j[k], ui->known[i]); k++)
			;
		if (k == wins)
			j[n++] = ui->known[i];
	}
	return j;
}

/* The roster's groups, each once, for "@group". */
static const char **keys_groups(struct ui *ui)
{
	struct contacts *c = &ui->contacts;
	size_t i, g, k, n = 0, total = 0;
	const char **v;

	for (i = 0; i < c->n; i++)
		total += c->v[i]->ngroups;
	v = calloc(total + 1, sizeof(*v));
	if (!v)
		return NULL;
	for (i = 0; i < c->n; i++) {
		for (g = 0; g < c->v[i]->ngroups; g++) {
			const char *name = c->v[i]->groups[g];

			for (k = 0; k < n && strcmp(v[k], name); k++)
				;
			if (k == n)
				v[n++] = name;
		}
	}
	return v;
}

/* Roster names starting with word: in a command they stand for the
 * contact's JID, in plain text they complete to the name itself.  Fills a
 * NULL-terminated array for cmd_candidates_free; the count, or -1. */
static int keys_names(struct ui *ui, const char *word, bool jid, char ***out)
{
	struct contacts *c = &ui->contacts;
	size_t i, n = 0, wl = strlen(word);
	char **v = calloc(c->n + 1, sizeof(*v));

	*out = v;
	if (!v)
		return -1;
	for (i = 0; i < c->n && wl; i++) {
		struct contact *ct = c->v[i];

		if (!ct->in_roster || !ct->name || strncasecmp(ct->name, word, wl))
			continue;
		v[n] = strdup(jid ? ct->jid : ct->name);
		if (!v[n])
			return -1;
		n++;
	}
	return (int)n;
}

/* Tab on an empty line in the console: what waits for the user, one per
 * Tab: pinning the certificate just refused, then the answers to the
 * subscription requests, then the invitations to rooms. */
static bool keys_complete_requests(struct ui *ui)
{
	struct contacts *c = &ui->contacts;
	struct rooms *rs = &ui->rooms;
	size_t i, n = 0, total = c->npending + ui->tls_refused + rs->ninvites;
	char **v;

	if (ui->cur != 0 || ui->input.len || !total)
		return false;
	v = calloc(total + 1, sizeof(*v));
	if (!v)
		return true;
	if (ui->tls_refused && !(v[n++] = strdup("/tls trust"))) {
		cmd_candidates_free(v);
		return true;
	}
	for (i = 0; i < c->npending; i++, n++) {
		if (asprintf(&v[n], "/sub allow %s", c->pending[i]) < 0) {
			v[n] = NULL;
			cmd_candidates_free(v);
			return true;
		}
	}
	/* The newest invitation first: it is the one just announced. */
	for (i = rs->ninvites; i-- > 0; n++) {
		const struct room_invite *inv = &rs->invites[i];

		if (asprintf(&v[n], "/join %s%s%s", inv->room, inv->password ? " password=" : "",
		             inv->password ? inv->password : "") < 0) {
			v[n] = NULL;
			cmd_candidates_free(v);
			return true;
		}
	}
	ui->comp = v;
	ui->ncomp = total;
	ui->comp_i = 0;
	ui->comp_from = 0;
	input_replace_before_cursor(&ui->input, 0, v[0]);
	return true;
}

/* In a room's window: the occupants' nicks for word, which starts at
 * from; at the start of the line, "nick: " (the way to address someone).
 * Returns whether it completed (or cycles) anything. */
static bool keys_complete_nicks(struct ui *ui, const char *word, size_t from)
{
	struct window *w = winlist_current(ui);
	struct room *r = w->kind == WIN_ROOM ? rooms_find(&ui->rooms, w->jid) : NULL;
	const char *suffix = from == 0 ? ": " : " ";
	char **v;
	size_t n, i;

	if (!r || !*word)
		return false;
	v = rooms_complete(r, word, &n);
	if (!v || !n) {
		cmd_candidates_free(v);
		return false;
	}
	for (i = 0; i < n; i++) {
		char *s = NULL;

		if (asprintf(&s, "%s%s", v[i], suffix) < 0) {
			cmd_candidates_free(v);
			return true;
		}
		free(v[i]);
		v[i] = s;
	}
	/* One: done.  Several: Tab goes through them, recent speakers first. */
	input_replace_before_cursor(&ui->input, from, v[0]);
	if (n == 1) {
		cmd_candidates_free(v);
		return true;
	}
	ui->comp = v;
	ui->ncomp = n;
	ui->comp_i = 0;
	ui->comp_from = from;
	return true;
}

static void keys_complete_start(struct ui *ui)
{
	struct input *in = &ui->input;
	char *head, *word, **cands = NULL;
	const char **jids, **groups;
	struct cmd_known known;
	size_t from = in->cur, i;
	bool whole = false; /* candidates replace the word as they are */
	int n;

	if (keys_complete_requests(ui))
		return;
	while (from > 0 && !iswspace(in->buf[from - 1]))
		from--;
	head = input_text_to_cursor(in);
	word = wstr_to_utf8(in->buf + from, in->cur - from);
	/* Talking in a room: a word to complete is an occupant's nick. */
	if (head && word && head[0] != '/' && keys_complete_nicks(ui, word, from)) {
		free(head);
		free(word);
		return;
	}
	jids = keys_jids(ui);
	groups = keys_groups(ui);
	known.jids = (const char *const *)jids;
	known.groups = (const char *const *)groups;
	known.pending = (const char *const *)ui->contacts.pending;
	known.services = (const char *const *)ui->pubsub.services;
	known.nodes = (const char *const *)ui->pubsub.nodes;
	known.subids = (const char *const *)ui->pubsub.subids;
	n = head && word && jids && groups
	        ? cmd_complete(core_commands(ui->core), head, &known, &cands)
	        : -1;
	if (n == 0 && word && head) {
		cmd_candidates_free(cands);
		/* A command's argument in a room's window: a nick (/kick bo<Tab>). */
		if (keys_complete_nicks(ui, word, from)) {
			free(head);
			free((void *)jids);
			free((void *)groups);
			free(word);
			return;
		}
		n = keys_names(ui, word, head[0] == '/', &cands);
		whole = true;
	}
	free(head);
	free((void *)jids);
	free((void *)groups);
	if (n <= 0) {
		cmd_candidates_free(cands);
		free(word);
		beep();
		return;
	}
	for (i = 0; i < (size_t)n && !whole; i++) {
		char *full = keys_candidate(word, cands[i]);

		if (!full) {
			cmd_candidates_free(cands);
			free(word);
			return;
		}
		free(cands[i]);
		cands[i] = full;
	}
	if (n == 1) {
		char *s;

		if (asprintf(&s, "%s ", cands[0]) >= 0) {
			input_replace_before_cursor(in, from, s);
			free(s);
		}
		cmd_candidates_free(cands);
	} else {
		size_t lcp = keys_common_prefix(cands, (size_t)n);

		if (lcp > strlen(word) && !whole) {
			char *s = strndup(cands[0], lcp);

			if (s)
				input_replace_before_cursor(in, from, s);
			free(s);
			cmd_candidates_free(cands);
		} else {
			/* Nothing in common to add: Tab now cycles through them. */
			ui->comp = cands;
			ui->ncomp = (size_t)n;
			ui->comp_i = 0;
			ui->comp_from = from;
			input_replace_before_cursor(in, from, cands[0]);
		}
	}
	free(word);
}

static void keys_complete(struct ui *ui)
{
	if (!ui->comp) {
		keys_complete_start(ui);
		return;
	}
	ui->comp_i = (ui->comp_i + 1) % ui->ncomp;
	input_replace_before_cursor(&ui->input, ui->comp_from, ui->comp[ui->comp_i]);
}

static void keys_scroll(struct ui *ui, int dir)
{
	struct window *w = winlist_current(ui);
	unsigned page = ui->chat_rows > 2 ? (unsigned)ui->chat_rows - 1 : 1;
	unsigned max;

	if (dir < 0) {
		max = draw_max_scroll(ui, w);
		/* Past the oldest line in memory: the page before it from the store. */
		if (w->scroll + page > max && backlog_older(ui, w))
			max = draw_max_scroll(ui, w);
		w->scroll = w->scroll + page > max ? max : w->scroll + page;
	} else {
		w->scroll = w->scroll > page ? w->scroll - page : 0;
		/* Older pages pushed the newest lines out: fetch them again. */
		if (!w->scroll && w->gap)
			backlog_reload(ui, w);
	}
	ui->dirty |= DIRTY_CHAT | DIRTY_STATUS;
}

static void keys_switch_rel(struct ui *ui, int dir)
{
	size_t n = ui->nwins;

	winlist_select(ui, dir < 0 ? (ui->cur + n - 1) % n : (ui->cur + 1) % n, true);
}

/* Keys that do not change the line keep completion and history state. */
static bool keys_alt(struct ui *ui, int rc, wint_t ch)
{
	if (rc == OK && ch >= '1' && ch <= '9') {
		winlist_select(ui, (size_t)(ch - '1'), true);
	} else if (rc == OK && ch == '0') {
		winlist_select(ui, 9, true);
	} else if (rc == KEY_CODE_YES && ch == KEY_LEFT) {
		keys_switch_rel(ui, -1);
	} else if (rc == KEY_CODE_YES && ch == KEY_RIGHT) {
		keys_switch_rel(ui, 1);
	} else if ((rc == OK && (ch == 127 || ch == CTRL('h'))) ||
	           (rc == KEY_CODE_YES && ch == KEY_BACKSPACE)) {
		input_kill_word(&ui->input);
		return true;
	}
	return false;
}

/* One special key; returns whether the line changed. */
static bool keys_special(struct ui *ui, wint_t k)
{
	struct input *in = &ui->input;

	if ((int)k == ui->key_alt_left) {
		keys_switch_rel(ui, -1);
		return false;
	}
	if ((int)k == ui->key_alt_right) {
		keys_switch_rel(ui, 1);
		return false;
	}
	switch (k) {
	case KEY_LEFT:
		input_left(in);
		break;
	case KEY_RIGHT:
		input_right(in);
		break;
	case KEY_HOME:
		input_home(in);
		break;
	case KEY_END:
		input_end(in);
		break;
	case KEY_BACKSPACE:
		input_backspace(in);
		return true;
	case KEY_DC:
		input_delete(in);
		return true;
	case KEY_UP:
		if (!keys_edit_last(ui))
			keys_history(ui, -1);
		return false;
	case KEY_DOWN:
		keys_history(ui, 1);
		return false;
	case KEY_PPAGE:
		keys_scroll(ui, -1);
		break;
	case KEY_NPAGE:
		keys_scroll(ui, 1);
		break;
	case KEY_ENTER:
		keys_enter(ui);
		return true;
	case KEY_RESIZE:
		ui_relayout(ui);
		break;
	case KEY_F(2):
		if (!ui_pane_set(ui, !ui->pane_on))
			winlist_printf(ui, winlist_current(ui), WL_INFO,
			               "the roster pane shows once the terminal is %d columns wide",
			               PANE_MIN_COLS);
		break;
	case KEY_F(3):
		ui_occ_set(ui, !ui->occ_on);
		break;
	default:
		break;
	}
	return false;
}

/* One ordinary character or control key; returns whether the line changed. */
static bool keys_char(struct ui *ui, wint_t ch)
{
	struct input *in = &ui->input;
	wchar_t wc = (wchar_t)ch;

	switch (ch) {
	case CTRL('a'):
		input_home(in);
		return false;
	case CTRL('e'):
		input_end(in);
		return false;
	case CTRL('b'):
		input_left(in);
		return false;
	case CTRL('f'):
		input_right(in);
		return false;
	case CTRL('d'):
		input_delete(in);
		return true;
	case CTRL('k'):
		input_kill_end(in);
		return true;
	case CTRL('u'):
		input_kill_start(in);
		return true;
	case CTRL('w'):
		input_kill_word(in);
		return true;
	case CTRL('h'):
	case 127:
		input_backspace(in);
		return true;
	case CTRL('p'):
		keys_history(ui, -1);
		return false;
	case CTRL('n'):
		keys_history(ui, 1);
		return false;
	case CTRL('l'):
		ui->dirty |= DIRTY_LAYOUT;
		return false;
	case CTRL('c'):
		/* Raw mode: C-c is a key, not a signal.  It empties the line. */
		input_clear(in);
		return true;
	case '\r':
	case '\n':
		/* Enter outside a bracketed paste always sends: keys that arrive
		 * in one read ("/ping" Enter "/ping" Enter typed fast, or sent by
		 * tmux) are two lines, never one. */
		keys_enter(ui);
		return true;
	default:
		if (wstr_typeable(wc))
			input_insert(in, &wc, 1);
		return true;
	}
}

static void keys_newline(struct ui *ui)
{
	wchar_t nl = L'\n';

	input_insert(&ui->input, &nl, 1);
}

/* A key between the paste markers: text only, line breaks kept in the line
 * (Enter sends them as one message), nothing run or completed. */
static bool keys_paste(struct ui *ui, int rc, wint_t ch)
{
	wchar_t sp = L' ', wc = (wchar_t)ch;

	if (rc == KEY_CODE_YES) {
		if (ch != KEY_ENTER)
			return false;
		keys_newline(ui);
	} else if (ch == '\r' || ch == '\n') {
		keys_newline(ui);
	} else if (ch == '\t') {
		input_insert(&ui->input, &sp, 1);
	} else if (wstr_typeable(wc)) {
		input_insert(&ui->input, &wc, 1);
	} else {
		return false;
	}
	return true;
}

/* Characters that did not fit in the line are never lost silently. */
static void keys_report_dropped(struct ui *ui)
{
	if (!ui->input.dropped)
		return;
	winlist_printf(ui, winlist_current(ui), WL_ERROR,
	               "%zu characters did not fit in the input line (it holds %d) and were "
	               "left out; nothing was sent",
	               ui->input.dropped, INPUT_MAX);
	ui->input.dropped = 0;
}

/* The paste markers; true when the key was one. */
static bool keys_paste_marker(struct ui *ui, int rc, wint_t ch)
{
	if (rc != KEY_CODE_YES)
		return false;
	if ((int)ch == ui->key_paste_start) {
		ui->pasting = true;
	} else if ((int)ch == ui->key_paste_end) {
		ui->pasting = false;
		keys_report_dropped(ui);
	} else {
		return false;
	}
	ui->esc = false;
	return true;
}

static void keys_one(struct ui *ui, int rc, wint_t ch)
{
	unsigned id = winlist_current(ui)->id; /* the window may close under us */
	struct window *w;
	bool edited;

	if (rc == KEY_CODE_YES && ((int)ch == ui->key_focus_in || (int)ch == ui->key_focus_out)) {
		focus_set(ui, (int)ch == ui->key_focus_in);
		return;
	}
	focus_key(ui);
	if (keys_paste_marker(ui, rc, ch))
		return;
	if (ui->pw.on) {
		ui->esc = false;
		prompt_key(ui, rc, ch);
		ui->dirty |= DIRTY_INPUT;
		return;
	}
	if (ui->pasting) {
		edited = keys_paste(ui, rc, ch);
	} else if (ui->esc) {
		ui->esc = false;
		edited = keys_alt(ui, rc, ch);
	} else if (rc == OK && ch == KEYS_ESC) {
		ui->esc = true;
		return;
	} else if (rc == OK && ch == '\t') {
		keys_complete(ui);
		ui->dirty |= DIRTY_INPUT;
		return;
	} else if (rc == KEY_CODE_YES) {
		edited = keys_special(ui, ch);
	} else {
		edited = keys_char(ui, ch);
	}
	keys_complete_reset(ui);
	w = winlist_by_id(ui, id);
	if (edited && w)
		recall_reset(&w->hist);
	if (edited)
		typing_update(ui);
	ui->dirty |= DIRTY_INPUT;
}

bool keys_read(struct ui *ui)
{
	int i;

	for (i = 0; i < KEYS_PER_PASS; i++) {
		wint_t ch;
		int rc = wget_wch(ui->keys, &ch);

		if (rc == ERR) {
			/* ESC with nothing after it in the same read was the Escape key. */
			ui->esc = false;
			/* Once per burst: a paste without markers overflows key by key. */
			if (!ui->pasting)
				keys_report_dropped(ui);
			return false;
		}
		keys_one(ui, rc, ch);
	}
	return true;
}
