/* /help: every command of every table (the modules' and the front end's),
 * grouped under its table's title; /help WORDS shows every form whose name
 * starts with those words ("/help roster" lists /roster add, /roster
 * name, ...). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core_internal.h"
#include "core/help.h"

struct help {
	FILE *f;
	const char *words; /* NULL: everything */
	const char *last_title;
	size_t found;
};

/* Whether name's words start with words' (word by word, not by letter:
 * "ro" is no prefix of "roster", "roster" is one of "roster add"). */
static bool words_prefix(const char *words, const char *name)
{
	size_t n = strlen(words);

	return !strncmp(name, words, n) && (name[n] == '\0' || name[n] == ' ');
}

static void one(const char *title, const struct cmd_entry *e, void *ud)
{
	struct help *h = ud;
	char *line;

	if (h->words && !words_prefix(h->words, e->name))
		return;
	if (!h->words && title && (!h->last_title || strcmp(title, h->last_title))) {
		fprintf(h->f, "%s%s\n", h->found ? "\n" : "", title);
		h->last_title = title;
	}
	line = cmd_usage_line(e);
	fprintf(h->f, "%s%s\n", h->words ? "" : "  ", line ? line : e->name);
	free(line);
	h->found++;
}

/* The words of a /help argument: "/roster   add" -> "roster add". */
static char *normalise(const char *arg)
{
	char *out = malloc(strlen(arg) + 1), *o = out;

	if (!out)
		return NULL;
	if (*arg == '/')
		arg++;
	while (*arg) {
		size_t n = strcspn(arg, " \t");

		if (n) {
			if (o != out)
				*o++ = ' ';
			memcpy(o, arg, n);
			o += n;
		}
		arg += n;
		arg += strspn(arg, " \t");
	}
	*o = '\0';
	return out;
}

static int cmd_help(struct cmd_call *call)
{
	struct core *core = CALL_CORE(call);
	struct help h = {0};
	char *text = NULL, *words = NULL;
	size_t len = 0;

	if (call->argc && !(words = normalise(call->argv[0]))) {
		core_error(core, CAUSE(call), "internal-server-error", "out of memory");
		return -1;
	}
	h.words = words && *words ? words : NULL;
	h.f = open_memstream(&text, &len);
	if (!h.f) {
		free(words);
		core_error(core, CAUSE(call), "internal-server-error", "out of memory");
		return -1;
	}
	cmd_foreach(core_commands(core), one, &h);
	fclose(h.f);
	if (!h.found) {
		core_error(core, CAUSE(call), "item-not-found", "no command /%s (/help lists them)",
		           words);
		free(words);
		free(text);
		return -1;
	}
	if (len && text[len - 1] == '\n')
		text[len - 1] = '\0';
	core_info(core, CAUSE(call), "%s", text);
	free(text);
	free(words);
	return 0;
}

static const struct cmd_entry commands[] = {
    {.name = "help",
     .usage = "[COMMAND]",
     .help = "list commands, or show every form of one (/help roster)",
     .max_args = 1,
     .rest = true,
     .complete = {"@command"},
     .exec = cmd_help},
};

const struct core_module help_module = {
    .name = "help",
    .title = "Help",
    .commands = commands,
    .ncommands = COUNT(commands),
};
