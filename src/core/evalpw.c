/* eval_password on the event loop: config/evalcmd.h runs the command, this
 * watches its output and its deadline, and hands the first line on. */
#include "config.h"

#include <poll.h>
#include <stdlib.h>

#include "config/evalcmd.h"
#include "core/evalpw.h"

/* Long enough for a password manager that asks for its own passphrase. */
#define EVAL_PASSWORD_TIMEOUT_S 60

#define STR_(x) #x
#define STR(x)  STR_(x)

struct evalpw {
	struct loop *loop;
	struct evalcmd *cmd;
	int fd;
	uint64_t timer;
	evalpw_fn done;
	void *ud;
};

static void finish(struct evalpw *e, char *line, const char *why)
{
	evalpw_fn done = e->done;
	void *ud = e->ud;

	evalpw_cancel(e);
	done(ud, line, why);
}

static void on_output(struct loop *loop, int fd, short revents, void *ud)
{
	struct evalpw *e = ud;
	char *line = NULL, *err = NULL;

	(void)loop;
	(void)fd;
	(void)revents;
	if (!evalcmd_step(e->cmd))
		return;
	evalcmd_result(e->cmd, &line, &err);
	finish(e, line, line ? NULL : err ? err : "failed (out of memory)");
	free(err);
}

static void on_timeout(struct loop *loop, void *ud)
{
	struct evalpw *e = ud;

	(void)loop;
	e->timer = 0;
	finish(e, NULL, "did not finish in " STR(EVAL_PASSWORD_TIMEOUT_S) " s");
}

struct evalpw *evalpw_start(struct loop *loop, const char *cmd, evalpw_fn done, void *ud,
                            char **err)
{
	struct evalpw *e = calloc(1, sizeof(*e));

	*err = NULL;
	if (!e)
		return NULL;
	e->loop = loop;
	e->done = done;
	e->ud = ud;
	e->fd = -1;
	if (!(e->cmd = evalcmd_start(cmd, err))) {
		free(e);
		return NULL;
	}
	e->timer = loop_timer_add(loop, EVAL_PASSWORD_TIMEOUT_S * 1000u, on_timeout, e);
	if (!e->timer || loop_fd_add(loop, evalcmd_fd(e->cmd), POLLIN, on_output, e)) {
		loop_timer_cancel(loop, e->timer);
		evalcmd_free(e->cmd);
		free(e);
		return NULL;
	}
	e->fd = evalcmd_fd(e->cmd);
	return e;
}

void evalpw_cancel(struct evalpw *e)
{
	if (!e)
		return;
	if (e->fd >= 0)
		loop_fd_remove(e->loop, e->fd);
	loop_timer_cancel(e->loop, e->timer);
	evalcmd_free(e->cmd);
	free(e);
}
