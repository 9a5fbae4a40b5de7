/* The input line: a UTF-8 line editor over wide characters.
 *
 * The cursor moves by whole characters: a combining mark stays with the
 * character before it, and a double-width character is one step. */
#ifndef NATTER_UI_INPUT_H
#define NATTER_UI_INPUT_H

#include <stddef.h>
#include <wchar.h>

#define INPUT_MAX 16384 /* characters; what a longer paste brings is left out, and said so */

struct input {
	wchar_t *buf;
	size_t len, cap;
	size_t cur;     /* cursor, 0..len */
	size_t view;    /* first character shown when the line is wider than the screen */
	size_t dropped; /* characters that did not fit since the caller last looked */
};

void input_init(struct input *in);
void input_free(struct input *in);

/* Editing; each returns -1 only on ENOMEM (insert) and 0 otherwise. */
int input_insert(struct input *in, const wchar_t *w, size_t n);
void input_left(struct input *in);
void input_right(struct input *in);
void input_home(struct input *in);
void input_end(struct input *in);
void input_backspace(struct input *in);
void input_delete(struct input *in);
void input_kill_end(struct input *in);   /* C-k */
void input_kill_start(struct input *in); /* C-u */
void input_kill_word(struct input *in);  /* C-w: the word before the cursor */
void input_clear(struct input *in);

/* Replaces the whole line with UTF-8 text, cursor at the end. */
int input_set(struct input *in, const char *utf8);
/* The line (all of it, or up to the cursor) as malloc'd UTF-8. */
char *input_text(const struct input *in);
char *input_text_to_cursor(const struct input *in);

/* Replaces buf[from..cursor) with UTF-8 text (tab completion). */
int input_replace_before_cursor(struct input *in, size_t from, const char *utf8);

/* Moves the view so the cursor is visible in a field cols wide. */
void input_scroll_to_cursor(struct input *in, int cols);

#endif
