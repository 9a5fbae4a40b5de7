/* /history answers on screen: set apart from the live conversation, each
 * message at its own time (one timestamp, not the time of the answer),
 * named as everywhere else, with the words searched for highlighted. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <wchar.h>
#include <wctype.h>

#include "ui/histview.h"
#include "ui/ui_internal.h"
#include "ui/window.h"
#include "ui/winlist.h"
#include "ui/wstr.h"

/* Marks every case-insensitive occurrence of each word of query in text. */
static void highlight(const wchar_t *text, unsigned char *attrs, const char *query)
{
	wchar_t *q = wstr_from_utf8(query, 0, NULL), *word, *save = NULL;
	size_t tl = wcslen(text);

	for (word = q ? wcstok(q, L" \t", &save) : NULL; word; word = wcstok(NULL, L" \t", &save)) {
		size_t wl = wcslen(word);

		/* FTS5 prefix syntax: "pas*" finds "password". */
		if (wl && word[wl - 1] == L'*')
			wl--;
		for (size_t i = 0; wl && i + wl <= tl; i++) {
			size_t k = 0;

			while (k < wl && towlower((wint_t)text[i + k]) == towlower((wint_t)word[k]))
				k++;
			if (k == wl)
				for (k = 0; k < wl; k++)
					attrs[i + k] |= STY_BOLD | STY_UNDERLINE;
		}
	}
	free(q);
}

/* "12 Oct " before a message of another day than today. */
static void day_prefix(time_t when, char *buf, size_t n)
{
	struct tm tm, now_tm;
	time_t now = time(NULL);

	buf[0] = '\0';
	if (!localtime_r(&when, &tm) || !localtime_r(&now, &now_tm))
		return;
	if (tm.tm_year != now_tm.tm_year)
		strftime(buf, n, "%d %b %Y ", &tm);
	else if (tm.tm_yday != now_tm.tm_yday)
		strftime(buf, n, "%d %b ", &tm);
}

void histview_show(struct ui *ui, struct window *w, const struct nt_event *ev)
{
	const typeof(ev->u.history) *h = &ev->u.history;
	char *who = h->with ? ui_name_of(ui, h->with) : NULL;

	if (h->query)
		winlist_printf(ui, w, WL_INFO, "-- search \"%s\": %zu message%s%s --", h->query,
		               h->count, h->count == 1 ? "" : "s",
		               h->count ? ", oldest first" : "");
	else
		winlist_printf(ui, w, WL_INFO, "-- history with %s: the last %zu message%s --",
		               who ? who : "?", h->count, h->count == 1 ? "" : "s");
	for (size_t i = 0; i < h->count; i++) {
		const struct nt_history_message *m = &h->messages[i];
		bool out = m->direction && !strcmp(m->direction, "out");
		char *name = out ? ui_nick(ui_own_jid(ui)) : ui_name_of(ui, m->from);
		char day[32], *line = NULL, *peer;
		time_t when = ui_event_time(m->ts_ms);
		wchar_t *text;
		unsigned char *attrs;
		size_t n;

		day_prefix(when, day, sizeof day);
		/* A search spans conversations: ours say whom they went to. */
		peer = h->query && out && m->to ? ui_name_of(ui, m->to) : NULL;
		if (asprintf(&line, "%s%s%s%s: %s", day, name ? name : "?", peer ? " to " : "",
		             peer ? peer : "", m->body ? m->body : "") < 0)
			line = NULL;
		free(name);
		free(peer);
		text = line ? wstr_from_utf8(line, 1, &n) : NULL;
		free(line);
		attrs = text ? calloc(n + 1, 1) : NULL;
		if (!attrs) {
			free(text);
			continue;
		}
		if (h->query)
			highlight(text, attrs, h->query);
		winlist_print_wide(ui, w, out ? WL_MSG_OWN : WL_MSG_PEER, when, false, NULL, text,
		                   attrs);
	}
	winlist_printf(ui, w, WL_INFO, "-- end of %s --", h->query ? "search" : "history");
	free(who);
}
