/* The INI reader shared by the accounts file and natterrc: it reads whole,
 * numbered lines of any length, hands each "[section]" and "key = value"
 * line to the loader with the value as written, and keeps the first problem
 * as "path:line: reason".  What a section or key means is the loader's. */
#ifndef NATTER_CONFIG_INI_H
#define NATTER_CONFIG_INI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* ---- one line ------------------------------------------------------------ */

enum ini_line_kind { INI_LINE_BLANK, INI_LINE_SECTION, INI_LINE_KEY, INI_LINE_BAD };

struct ini_line {
	enum ini_line_kind kind;
	const char *name; /* section or key name; not NUL-terminated */
	size_t name_len;
	const char *value; /* runs to the end of the line, trailing blanks cut */
	size_t value_len;
};

/* Classifies one line (without its line ending) as inih does, except that
 * a value has no inline comments; l points into s. */
void ini_line_split(const char *s, size_t len, struct ini_line *l);

/* ---- reading a file ------------------------------------------------------- */

/* The loader's part.  Both get NUL-terminated strings that live until the
 * callback returns, and report problems with ini_fail() or ini_nomem();
 * the first one stops the reading. */
struct ini_ops {
	/* A "[name]" line; name may be empty or hold blanks. */
	void (*section)(void *user, int line, const char *name);
	/* A "key = value" line.  section is the current one ("" before the
	 * first); value may be empty. */
	void (*key)(void *user, int line, const char *section, const char *key, const char *value);
	/* The error for a line that is neither, e.g. "expected ...". */
	const char *syntax_error;
};

/* Zero it and set path before any other use; the other fields are ini.c's. */
struct ini_file {
	const char *path;
	char *err; /* the first problem */
	int err_line;
	bool nomem;
	/* while ini_read() runs */
	char *buf; /* getline's, zeroed before free: lines may hold secrets */
	size_t cap;
	int lineno;
	const struct ini_ops *ops;
	void *user;
};

/* Reads f to its end or the first problem; the caller closes f.
 * 0, or -1 when ini_failed(). */
int ini_read(struct ini_file *ini, FILE *f, const struct ini_ops *ops, void *user);

/* Records the first problem: "path:line: reason", or the bare reason for
 * line 0 (a problem of the whole file).  Later calls do nothing. */
__attribute__((format(printf, 3, 4))) void ini_fail(struct ini_file *ini, int line, const char *fmt,
                                                    ...);
void ini_nomem(struct ini_file *ini);
bool ini_failed(const struct ini_file *ini);

/* The message of the problem, for the caller to free; "out of memory"
 * after ini_nomem(), or NULL if even that cannot be allocated. */
char *ini_take_error(struct ini_file *ini);

#endif
