/* The account's eval_password, run in the background for a connection
 * attempt: a command that hangs must not freeze natter (the terminal, the
 * headless commands, /quit).  The attempt that needs the password starts
 * the command and returns; the command's output continues it. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "config/evalcmd.h"
#include "core/core_internal.h"

/* Long enough for a password manager that asks for its own passphrase. */
#define EVAL_PASSWORD_TIMEOUT_S 60

#define STR_(x) #x
#define STR(x)  STR_(x)

struct evalpw {
	struct evalcmd *cmd;
	int fd;
	uint64_t timer;
	void (*again)(struct core *core);
};

static void finish(struct core *core, char *line, const char *why)
{
	struct evalpw *e = core->evalpw;

	loop_fd_remove(core->loop, e->fd);
	loop_timer_cancel(core->loop, e->timer);
	evalcmd_free(e->cmd);
	core->evalpw = NULL;
	if (line) {
		core->account.password = line;
		/* /disconnect or /quit may have come meanwhile. */
		if (core->want_online && !core->quitting)
			e->again(core);
	} else {
		core_error(core, "connect", "not-authorized", "eval_password for account '%s' %s",
		           core->account.name, why ? why : "failed (out of memory)");
		core->state = CORE_OFFLINE;
		core->want_online = false;
	}
	free(e);
}

static void on_output(struct loop *loop, int fd, short revents, void *ud)
{
	struct core *core = ud;
	char *line = NULL, *err = NULL;

	if (!evalcmd_step(core->evalpw->cmd))
		return;
	evalcmd_result(core->evalpw->cmd, &line, &err);
	finish(core, line, err);
	free(err);
}

static void on_timeout(struct loop *loop, void *ud)
{
	struct core *core = ud;

	core->evalpw->timer = 0;
	finish(core, NULL, "did not finish in " STR(EVAL_PASSWORD_TIMEOUT_S) " s");
}

int evalpw_wait(struct core *core, void (*again)(struct core *core))
{
	struct evalpw *e;
	char *err = NULL;

	if (core->account.password || !core->account.eval_password)
		return 0;
	if (core->evalpw)
		return 1;
	e = calloc(1, sizeof(*e));
	if (!e || !(e->cmd = evalcmd_start(core->account.eval_password, &err))) {
		core_error(core, "connect", "not-authorized", "eval_password for account '%s': %s",
		           core->account.name, err ? err : "out of memory");
		free(err);
		free(e);
		core->state = CORE_OFFLINE;
		core->want_online = false;
		return 1;
	}
	e->fd = evalcmd_fd(e->cmd);
	e->again = again;
	core->evalpw = e;
	e->timer = loop_timer_add(core->loop, EVAL_PASSWORD_TIMEOUT_S * 1000u, on_timeout, core);
	if (!e->timer || loop_fd_add(core->loop, e->fd, POLLIN, on_output, core))
		finish(core, NULL, "could not be watched (out of memory)");
	return 1;
}

void evalpw_free(struct core *core)
{
	struct evalpw *e = core->evalpw;

	if (!e)
		return;
	loop_fd_remove(core->loop, e->fd);
	loop_timer_cancel(core->loop, e->timer);
	evalcmd_free(e->cmd);
	free(e);
	core->evalpw = NULL;
}
