/* Parsing, dispatch, help and completion over the registered tables. */
#include "config.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"

struct cmd_table {
	const char *title;
	const struct cmd_entry *entries;
	size_t n;
	void *ud;
};

struct cmd_set {
	struct cmd_table *tables;
	size_t ntables;
};

struct cmd_set *cmd_set_new(void)
{
	return calloc(1, sizeof(struct cmd_set));
}

void cmd_set_free(struct cmd_set *set)
{
	if (!set)
		return;
	free(set->tables);
	free(set);
}

int cmd_set_add(struct cmd_set *set, const char *title, const struct cmd_entry *table, size_t n,
                void *ud)
{
	struct cmd_table *t = realloc(set->tables, (set->ntables + 1) * sizeof(*t));

	if (!t)
		return -1;
	set->tables = t;
	set->tables[set->ntables++] = (struct cmd_table){title, table, n, ud};
	return 0;
}

void cmd_foreach(const struct cmd_set *set,
                 void (*fn)(const char *title, const struct cmd_entry *e, void *ud), void *ud)
{
	for (size_t t = 0; t < set->ntables; t++)
		for (size_t i = 0; i < set->tables[t].n; i++)
			fn(set->tables[t].title, &set->tables[t].entries[i], ud);
}

static const char *skip_space(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

/* Length of the line's prefix that spells name word by word, or 0. */
static size_t match_name(const char *line, const char *name)
{
	const char *l = line, *n = name;

	for (;;) {
		size_t wl = strcspn(n, " ");

		if (strncmp(l, n, wl) || (l[wl] && l[wl] != ' ' && l[wl] != '\t'))
			return 0;
		l += wl;
		n += wl;
		if (!*n)
			return (size_t)(l - line);
		n++;
		l = skip_space(l);
	}
}

static const struct cmd_entry *lookup(const struct cmd_set *set, const char *line, size_t *name_len,
                                      void **ud)
{
	const struct cmd_entry *best = NULL;
	size_t best_len = 0;
	int slash = *line == '/';

	line += slash;
	for (size_t t = 0; t < set->ntables; t++) {
		for (size_t i = 0; i < set->tables[t].n; i++) {
			const struct cmd_entry *e = &set->tables[t].entries[i];
			size_t len = match_name(line, e->name);

			if (len > best_len) {
				best = e;
				best_len = len;
				if (ud)
					*ud = set->tables[t].ud;
			}
		}
	}
	if (name_len)
		*name_len = best ? best_len + (size_t)slash : 0;
	return best;
}

const struct cmd_entry *cmd_lookup(const struct cmd_set *set, const char *line, size_t *name_len)
{
	return lookup(set, line, name_len, NULL);
}

char *cmd_usage_line(const struct cmd_entry *e)
{
	size_t len = strlen(e->name) + strlen(e->usage ? e->usage : "") + strlen(e->help) + 8;
	char *s = malloc(len);

	if (s)
		snprintf(s, len, "/%s%s%s - %s", e->name, e->usage && *e->usage ? " " : "",
		         e->usage ? e->usage : "", e->help);
	return s;
}

/* Cleared first: a word may be a password (/password, /register). */
static void free_words(char **argv, int argc)
{
	for (int i = 0; i < argc; i++) {
		if (argv[i])
			explicit_bzero(argv[i], strlen(argv[i]));
		free(argv[i]);
	}
}

/* Splits args into at most max words; with rest, the last one is the
 * verbatim remainder.  Returns the word count, or -1 on ENOMEM. */
static int split_args(const char *args, const struct cmd_entry *e, char **argv, const char **rest)
{
	int argc = 0;

	*rest = NULL;
	args = skip_space(args);
	while (*args && argc < CMD_MAX_ARGS) {
		size_t len;

		if (e->rest && argc == e->max_args - 1) {
			len = strlen(args);
			while (len && (args[len - 1] == ' ' || args[len - 1] == '\t'))
				len--;
			argv[argc] = strndup(args, len);
			if (!argv[argc])
				goto nomem;
			*rest = argv[argc++];
			break;
		}
		len = strcspn(args, " \t");
		argv[argc] = strndup(args, len);
		if (!argv[argc])
			goto nomem;
		argc++;
		args = skip_space(args + len);
	}
	if (*args && !e->rest)
		return argc + 1; /* too many: reported by the caller */
	return argc;
nomem:
	free_words(argv, argc);
	return -1;
}

/* Reports a refused line through the environment. */
static __attribute__((format(printf, 4, 5))) void
refuse(const struct cmd_env *env, const char *command, const char *condition, const char *fmt, ...)
{
	char *text = NULL;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&text, fmt, ap) < 0)
		text = NULL;
	va_end(ap);
	env->refuse(env, command, condition, text ? text : "out of memory");
	free(text);
}

int cmd_run(const struct cmd_set *set, const struct cmd_env *env, const char *line)
{
	char *argv[CMD_MAX_ARGS + 1] = {0};
	const struct cmd_entry *e;
	struct cmd_call call;
	size_t name_len;
	void *ud = NULL;
	int argc, rc;

	line = skip_space(line);
	if (*line != '/') {
		refuse(env, NULL, "bad-request", "a command starts with '/'");
		return -1;
	}
	e = lookup(set, line, &name_len, &ud);
	if (!e) {
		size_t wl = strcspn(line + 1, " \t");

		refuse(env, NULL, "unknown-command", "unknown command '/%.*s' (try /help)",
		       (int)(wl > 64 ? 64 : wl), line + 1);
		return -1;
	}
	argc = split_args(line + name_len, e, argv, &call.rest);
	if (argc < 0) {
		refuse(env, e->name, "internal-server-error", "out of memory");
		return -1;
	}
	if (argc < e->min_args || argc > e->max_args) {
		char *usage = cmd_usage_line(e);

		refuse(env, e->name, "bad-request", "usage: %s", usage ? usage : e->name);
		free(usage);
		free_words(argv, CMD_MAX_ARGS);
		return -1;
	}
	if ((e->flags & CMD_ONLINE) && !env->online) {
		refuse(env, e->name, "not-connected", "/%s needs a connection (try /connect)",
		       e->name);
		free_words(argv, CMD_MAX_ARGS);
		return -1;
	}
	call.entry = e;
	call.ud = ud;
	call.origin = env->origin;
	call.argc = argc;
	call.argv = argv;
	if (!e->rest || argc < e->max_args)
		call.rest = NULL;
	rc = e->exec(&call);
	free_words(argv, CMD_MAX_ARGS);
	return rc;
}

/* ---- completion ---- */

struct cands {
	char **v;
	size_t n, cap;
	size_t sorted; /* v[0..sorted) is in its final order */
	int failed;
};

static void add_cand(struct cands *c, const char *s, size_t len)
{
	for (size_t i = 0; i < c->n; i++)
		if (strlen(c->v[i]) == len && !strncmp(c->v[i], s, len))
			return;
	if (c->n + 2 > c->cap) {
		size_t ncap = c->cap ? c->cap * 2 : 16;
		char **v = realloc(c->v, ncap * sizeof(*v));

		if (!v) {
			c->failed = 1;
			return;
		}
		c->v = v;
		c->cap = ncap;
	}
	if (!(c->v[c->n] = strndup(s, len))) {
		c->failed = 1;
		return;
	}
	c->n++;
	c->v[c->n] = NULL;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorts what was added since the last group: each group of candidates
 * (command words, then each completion class in the entry's order) is
 * sorted on its own and keeps its place. */
static void end_group(struct cands *c)
{
	if (c->n > c->sorted)
		qsort(c->v + c->sorted, c->n - c->sorted, sizeof(*c->v), cmp_str);
	c->sorted = c->n;
}

/* 1 when the first n words of typed and name are the same. */
static int same_words(const char *typed, const char *name, size_t n)
{
	for (size_t k = 0; k < n; k++) {
		size_t tl, nl;

		typed = skip_space(typed);
		tl = strcspn(typed, " \t");
		nl = strcspn(name, " ");
		if (tl != nl || strncmp(typed, name, tl) || !name[nl])
			return 0;
		typed += tl;
		name += nl + 1;
	}
	return 1;
}

/* Candidates for word number `word` (0-based) of a command name whose
 * earlier words are those typed. */
static void complete_name(const struct cmd_set *set, struct cands *c, const char *typed,
                          size_t word, const char *partial)
{
	for (size_t t = 0; t < set->ntables; t++) {
		for (size_t i = 0; i < set->tables[t].n; i++) {
			const char *w = set->tables[t].entries[i].name;

			if (!same_words(typed, w, word))
				continue;
			for (size_t k = 0; k < word; k++)
				w = strchr(w, ' ') + 1;
			if (!strncmp(w, partial, strlen(partial)))
				add_cand(c, w, strcspn(w, " "));
		}
	}
	end_group(c);
}

static size_t count_words(const char *s)
{
	size_t n = 0;

	for (const char *p = s; *p; p++)
		if (*p != ' ' && *p != '\t' && (p == s || p[-1] == ' ' || p[-1] == '\t'))
			n++;
	return n;
}

static void complete_list(struct cands *c, const char *const *list, const char *partial)
{
	size_t plen = strlen(partial);

	for (; list && *list; list++)
		if (!strncmp(*list, partial, plen))
			add_cand(c, *list, strlen(*list));
	end_group(c);
}

static bool is_class(const char *spec, size_t len, const char *name)
{
	return len == strlen(name) && !strncmp(spec, name, len);
}

static void complete_arg(const struct cmd_set *set, struct cands *c, const char *spec,
                         const struct cmd_known *known, const char *partial)
{
	size_t plen = strlen(partial);

	if (!spec)
		return;
	/* Alternatives, any of which may be a class: "next|prev|@jid". */
	while (*spec) {
		size_t len = strcspn(spec, "|");

		if (*spec == '@')
			end_group(c);
		if (is_class(spec, len, "@jid")) {
			complete_list(c, known ? known->jids : NULL, partial);
		} else if (is_class(spec, len, "@group")) {
			complete_list(c, known ? known->groups : NULL, partial);
		} else if (is_class(spec, len, "@pending")) {
			complete_list(c, known ? known->pending : NULL, partial);
		} else if (is_class(spec, len, "@service")) {
			complete_list(c, known ? known->services : NULL, partial);
		} else if (is_class(spec, len, "@node")) {
			complete_list(c, known ? known->nodes : NULL, partial);
		} else if (is_class(spec, len, "@subid")) {
			complete_list(c, known ? known->subids : NULL, partial);
		} else if (is_class(spec, len, "@command")) {
			complete_name(set, c, "", 0, partial);
		} else if (len >= plen && !strncmp(spec, partial, plen)) {
			add_cand(c, spec, len);
		}
		spec += len;
		if (*spec == '|')
			spec++;
	}
	end_group(c);
}

int cmd_complete(const struct cmd_set *set, const char *line, const struct cmd_known *known,
                 char ***out)
{
	struct cands c = {0};
	const char *partial, *body;
	const struct cmd_entry *e;
	size_t name_len, words;
	char *typed;

	*out = NULL;
	if (*line != '/')
		return 0;
	body = line + 1;
	partial = strrchr(body, ' ');
	partial = partial ? partial + 1 : body;
	typed = strndup(body, (size_t)(partial - body));
	if (!typed)
		return -1;
	/* The next word of a longer command name ("/roster group a"). */
	complete_name(set, &c, typed, count_words(typed), partial);
	free(typed);
	/* An argument of the command typed so far. */
	e = lookup(set, line, &name_len, NULL);
	if (e && line + name_len <= partial) {
		typed = strndup(line + name_len, (size_t)(partial - line - name_len));
		if (!typed) {
			cmd_candidates_free(c.v);
			return -1;
		}
		words = count_words(typed);
		free(typed);
		if (words < CMD_MAX_ARGS)
			complete_arg(set, &c, e->complete[words], known, partial);
	}
	if (c.failed) {
		cmd_candidates_free(c.v);
		return -1;
	}
	*out = c.v;
	return (int)c.n;
}

void cmd_candidates_free(char **c)
{
	if (!c)
		return;
	for (char **p = c; *p; p++)
		free(*p);
	free(c);
}
