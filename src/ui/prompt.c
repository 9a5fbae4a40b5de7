/* Reading a password on the input line: nothing typed is drawn, kept in
 * the input history or left in memory once the core has its copy. */
#include "config.h"

#include <curses.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "ui/prompt.h"
#include "ui/ui_internal.h"
#include "ui/winlist.h"
#include "ui/wstr.h"

#define CTRL(c) ((c)&0x1f)

static void prompt_wipe(struct ui *ui)
{
	explicit_bzero(ui->pw.buf, sizeof(ui->pw.buf));
	ui->pw.len = 0;
}

static void prompt_close(struct ui *ui)
{
	prompt_wipe(ui);
	ui->pw.on = false;
	ui->dirty |= DIRTY_INPUT | DIRTY_STATUS;
}

void prompt_password_open(struct ui *ui)
{
	const char *jid = ui->core ? core_jid(ui->core) : NULL;

	prompt_wipe(ui);
	ui->pw.on = true;
	ui->dirty |= DIRTY_INPUT;
	winlist_printf(ui, winlist_console(ui), WL_INFO,
	               "%s has no password in the accounts file: type it below (it is not "
	               "shown), Enter connects, Esc cancels",
	               jid ? jid : "this account");
}

void prompt_cancel(struct ui *ui)
{
	prompt_close(ui);
	winlist_printf(ui, winlist_console(ui), WL_INFO,
	               "not connected: /connect asks for the password again");
}

static void prompt_submit(struct ui *ui)
{
	int rc;

	if (!ui->pw.len) {
		beep();
		return;
	}
	ui->pw.buf[ui->pw.len] = 0;
	rc = ui->core ? core_set_password(ui->core, ui->pw.buf) : -1;
	prompt_close(ui);
	if (rc) {
		winlist_printf(ui, winlist_console(ui), WL_ERROR,
		               "out of memory: the password was not kept; /connect to try again");
		return;
	}
	core_connect(ui->core);
}

/* Removes the last character (a whole UTF-8 sequence). */
static void prompt_backspace(struct ui *ui)
{
	while (ui->pw.len > 0 && ((unsigned char)ui->pw.buf[ui->pw.len - 1] & 0xc0) == 0x80)
		ui->pw.buf[--ui->pw.len] = 0;
	if (ui->pw.len > 0)
		ui->pw.buf[--ui->pw.len] = 0;
}

static void prompt_insert(struct ui *ui, wchar_t wc)
{
	char mb[MB_LEN_MAX];
	mbstate_t st;
	size_t n;

	memset(&st, 0, sizeof st);
	n = wcrtomb(mb, wc, &st);
	/* One byte is kept for the terminating NUL. */
	if (n == (size_t)-1 || ui->pw.len + n >= sizeof(ui->pw.buf)) {
		beep();
		return;
	}
	memcpy(ui->pw.buf + ui->pw.len, mb, n);
	ui->pw.len += n;
	explicit_bzero(mb, sizeof mb);
}

void prompt_key(struct ui *ui, int rc, wint_t ch)
{
	if (rc == KEY_CODE_YES) {
		if (ch == KEY_ENTER)
			prompt_submit(ui);
		else if (ch == KEY_BACKSPACE)
			prompt_backspace(ui);
		return;
	}
	switch (ch) {
	case '\r':
	case '\n':
		/* Newlines inside a paste are not the user pressing Enter. */
		if (!ui->pasting)
			prompt_submit(ui);
		break;
	case 0x1b:
	case CTRL('c'):
		prompt_cancel(ui);
		break;
	case CTRL('h'):
	case 127:
		prompt_backspace(ui);
		break;
	case CTRL('u'):
		prompt_wipe(ui);
		break;
	default:
		if (wstr_typeable((wchar_t)ch))
			prompt_insert(ui, (wchar_t)ch);
		break;
	}
}
