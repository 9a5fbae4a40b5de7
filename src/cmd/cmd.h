/* Command tables.
 *
 * Every command is declared once, as a struct cmd_entry with designated
 * initialisers, in the file of the module that runs it, beside its static
 * handler; parsing, /help, the man page's list and tab completion all read
 * the same entries.  Nothing here knows the core: a line runs in a
 * cmd_env that says how to report a refusal. */
#ifndef NATTER_CMD_CMD_H
#define NATTER_CMD_CMD_H

#include <stdbool.h>
#include <stddef.h>

#include <stdint.h>

#define CMD_MAX_ARGS 6

struct cmd_entry;
/* The tables natter knows: the core's modules add one each, and a front
 * end may add its own (the terminal UI's /win, /theme, ...). */
struct cmd_set;

struct cmd_call {
	const struct cmd_entry *entry;
	void *ud;        /* the ud its table was added with */
	uint64_t origin; /* the front end's token for where the line was typed */
	int argc;        /* positional words after the command name */
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
	 * (roster groups), "@pending" (subscription requests), "@command", or
	 * for PubSub "@service", "@node" and "@subid" (what the front end has
	 * seen of services, their nodes and our subscription ids). */
	const char *complete[CMD_MAX_ARGS];
	unsigned flags;
	int (*exec)(struct cmd_call *call);
};

struct cmd_set *cmd_set_new(void);
void cmd_set_free(struct cmd_set *set);
/* Adds a table under a title (for /help); entries and title must outlive
 * the set.  0, or -1 on ENOMEM. */
int cmd_set_add(struct cmd_set *set, const char *title, const struct cmd_entry *table, size_t n,
                void *ud);

/* Where a line runs: the caller's token, whether a session is up (for
 * CMD_ONLINE), and how a line refused before any handler ran (unknown
 * command, wrong arguments, offline) is reported. */
struct cmd_env {
	uint64_t origin;
	bool online;
	void (*refuse)(const struct cmd_env *env, const char *command, const char *condition,
	               const char *text);
	void *ud;
};

/* Runs one command line ("/name args...").  Returns 0 when the command
 * ran and succeeded, -1 otherwise (refused lines are reported through
 * env->refuse, a handler's own failures by the handler). */
int cmd_run(const struct cmd_set *set, const struct cmd_env *env, const char *line);

/* Finds the entry a line names (longest match of its words), or NULL. */
const struct cmd_entry *cmd_lookup(const struct cmd_set *set, const char *line, size_t *name_len);

/* Visits every entry in table order; title is its table's. */
void cmd_foreach(const struct cmd_set *set,
                 void (*fn)(const char *title, const struct cmd_entry *e, void *ud), void *ud);

/* What a front end knows for the completion classes; any may be NULL. */
struct cmd_known {
	const char *const *jids;
	const char *const *groups;
	const char *const *pending;
	const char *const *services, *const *nodes, *const *subids;
};

/* Candidates for completing the word that ends at the end of line.  Fills
 * a malloc'd, NULL-terminated array of malloc'd strings (free with
 * cmd_candidates_free); returns the count, or -1 on ENOMEM.  known may be
 * NULL.  Classes come first in the order the entry lists them ("@pending"
 * before "@jid": whom the command is most likely for), each sorted. */
int cmd_complete(const struct cmd_set *set, const char *line, const struct cmd_known *known,
                 char ***out);
void cmd_candidates_free(char **c);

/* "/name usage - help" for one entry, malloc'd. */
char *cmd_usage_line(const struct cmd_entry *e);

#endif
