/* The password prompt: when the account has no password, the input line
 * asks for one without echo, hands it to the core and connects. */
#ifndef NATTER_UI_PROMPT_H
#define NATTER_UI_PROMPT_H

#include <stdbool.h>
#include <wchar.h>

struct ui;

/* Opens the prompt (at start, or on /connect while no password is known). */
void prompt_password_open(struct ui *ui);

/* One key while the prompt is open: rc and ch as wget_wch() gave them.
 * Enter hands the password over, Esc and C-c cancel. */
void prompt_key(struct ui *ui, int rc, wint_t ch);

/* Closes the prompt, wiping what was typed; says how to retry. */
void prompt_cancel(struct ui *ui);

#endif
