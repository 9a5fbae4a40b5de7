/* The command table.
 *
 * Every command is declared once, as a struct cmd_entry with designated
 * initialisers; parsing, /help, the man page's list and tab completion all
 * read the same entries.  The core registers its table at start-up and a
 * front end may register one more (the terminal UI's /win, /theme, ...), so
 * a command still lives in exactly one table. */
#ifndef NATTER_CMD_CMD_H
#define NATTER_CMD_CMD_H

#include <stdbool.h>
#include <stddef.h>

#define CMD_MAX_ARGS 6

struct core;
struct cmd_entry;

struct cmd_call {
	struct core *core;
	const struct cmd_entry *entry;
	void *ud;      /* the ud the entry's table was registered with */
	int argc;      /* positional words after the command name */
	char **argv;
	const char *rest; /* trailing free text when entry->rest, else NULL */
};

enum cmd_flags {
	CMD_ONLINE = 1 << 0, /* needs a logged-in session */
	CMD_SECRET = 1 << 1, /* its arguments hold a password: kept in no input history */
};

struct cmd_entry {
	const char *name;  /* "roster add": words separated by single spaces */
	const char *usage; /* arguments as shown in help: "JID [NAME]" */
	const char *help;  /* one line */
	int min_args, max_args;
	bool rest; /* the text after max_args-1 words is one argument (kept verbatim) */
	/* Completion for each argument: NULL, or alternatives "a|b|c" where an
	 * alternative may be a class: "@jid" (known addresses), "@group"
	 * (roster groups) or "@command". */
	const char *complete[CMD_MAX_ARGS];
	unsigned flags;
	int (*exec)(struct cmd_call *call);
};

/* Adds a table; entries must outlive natter.  Returns 0 or -1 (ENOMEM). */
int cmd_register(const struct cmd_entry *table, size_t n, void *ud);
void cmd_unregister_all(void);

/* Runs one command line ("/name args...").  Parsing errors, unknown
 * commands and refused calls are reported as error events through the
 * core; returns 0 when the command ran and succeeded, -1 otherwise. */
int cmd_run(struct core *core, const char *line);

/* Finds the entry a line names (longest match of its words), or NULL. */
const struct cmd_entry *cmd_lookup(const char *line, size_t *name_len);

/* Visits every entry in table order. */
void cmd_foreach(void (*fn)(const struct cmd_entry *e, void *ud), void *ud);

/* What a front end knows for the "@jid" and "@group" classes; either list
 * may be NULL. */
struct cmd_known {
	const char *const *jids;
	const char *const *groups;
};

/* Candidates for completing the word that ends at the end of line.  Fills
 * a malloc'd, NULL-terminated array of malloc'd strings (free with
 * cmd_candidates_free); returns the count, or -1 on ENOMEM.  known may be
 * NULL. */
int cmd_complete(const char *line, const struct cmd_known *known, char ***out);
void cmd_candidates_free(char **c);

/* "/name usage - help" for one entry, malloc'd. */
char *cmd_usage_line(const struct cmd_entry *e);

#endif
