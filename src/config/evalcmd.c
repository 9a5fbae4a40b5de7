/* See evalcmd.h. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/pidfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config/evalcmd.h"

/* Longer first lines are not a password but a command printing the wrong
 * thing; the rest of the output is read and dropped, however long. */
#define LINE_MAX_BYTES ((size_t)1 << 20)

struct evalcmd {
	pid_t pid;  /* 0 once reaped */
	int out;    /* the command's standard output, -1 at its end */
	int pidfd;  /* readable once the command exits; -1 if unavailable */
	int ep;     /* what the caller watches: out and pidfd */
	int status; /* waitpid()'s, once reaped */
	char *line; /* the first line so far */
	size_t len, cap;
	bool line_done; /* its newline was seen */
	bool too_long;
	int read_errno;
};

/* In the forked child: only async-signal-safe calls. */
static void child(const char *cmd, int out)
{
	sigset_t none;
	int null;

	/* Its own group, so that a kill reaches what the shell starts. */
	setpgid(0, 0);
	/* Signals natter blocks or ignores must not leak into the command. */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	null = open("/dev/null", O_RDONLY);
	if (null > 0) {
		dup2(null, STDIN_FILENO);
		close(null);
	}
	if (out == STDOUT_FILENO)
		fcntl(out, F_SETFD, 0);
	else if (dup2(out, STDOUT_FILENO) < 0)
		_exit(127);
	execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
	_exit(127);
}

static void clear_line(struct evalcmd *e)
{
	if (e->line)
		explicit_bzero(e->line, e->cap);
	free(e->line);
	e->line = NULL;
	e->len = e->cap = 0;
}

static char *error_text(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static char *error_text(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int rc;

	va_start(ap, fmt);
	rc = vasprintf(&s, fmt, ap);
	va_end(ap);
	return rc < 0 ? NULL : s;
}

struct evalcmd *evalcmd_start(const char *cmd, char **err)
{
	struct evalcmd *e = calloc(1, sizeof(*e));
	struct epoll_event ev = {.events = EPOLLIN};
	int fd[2] = {-1, -1};

	*err = NULL;
	if (!e) {
		*err = error_text("out of memory");
		return NULL;
	}
	e->out = e->pidfd = e->ep = -1;
	if (pipe2(fd, O_CLOEXEC) < 0)
		goto fail;
	e->pid = fork();
	if (e->pid < 0) {
		e->pid = 0;
		goto fail;
	}
	if (e->pid == 0)
		child(cmd, fd[1]);
	/* Set here too, so that a kill right away finds the group. */
	setpgid(e->pid, e->pid);
	close(fd[1]);
	fd[1] = -1;
	e->out = fd[0];
	if (fcntl(e->out, F_SETFL, O_NONBLOCK) < 0)
		goto fail;
	e->ep = epoll_create1(EPOLL_CLOEXEC);
	if (e->ep < 0 || epoll_ctl(e->ep, EPOLL_CTL_ADD, e->out, &ev) < 0)
		goto fail;
	/* Without a pidfd (Linux < 5.3) the exit is awaited after the output
	 * ends, which it does when the command exits. */
	e->pidfd = pidfd_open(e->pid, 0);
	if (e->pidfd >= 0 && epoll_ctl(e->ep, EPOLL_CTL_ADD, e->pidfd, &ev) < 0)
		goto fail;
	return e;
fail:
	*err = error_text("cannot run it: %s", strerror(errno));
	if (fd[1] >= 0)
		close(fd[1]);
	if (e->out < 0 && fd[0] >= 0)
		close(fd[0]);
	evalcmd_free(e);
	return NULL;
}

int evalcmd_fd(const struct evalcmd *e)
{
	return e->ep;
}

/* Keeps the first line of chunk, drops the rest. */
static void keep(struct evalcmd *e, const char *chunk, size_t n)
{
	const char *nl;
	size_t take, cap;
	char *p;

	if (e->line_done || e->too_long || e->read_errno)
		return;
	nl = memchr(chunk, '\n', n);
	take = nl ? (size_t)(nl - chunk) : n;
	e->line_done = nl != NULL;
	if (e->len + take > LINE_MAX_BYTES) {
		e->too_long = true;
		clear_line(e);
		return;
	}
	if (e->len + take + 1 > e->cap) {
		size_t len = e->len;

		cap = 2 * (len + take + 1);
		/* Not realloc(): the old block would keep a copy of the secret. */
		p = malloc(cap);
		if (!p) {
			e->read_errno = ENOMEM;
			clear_line(e);
			return;
		}
		if (e->line)
			memcpy(p, e->line, len);
		clear_line(e);
		e->line = p;
		e->cap = cap;
		e->len = len;
	}
	memcpy(e->line + e->len, chunk, take);
	e->len += take;
	e->line[e->len] = '\0';
}

static void read_output(struct evalcmd *e)
{
	char chunk[4096];
	ssize_t n;

	for (;;) {
		n = read(e->out, chunk, sizeof chunk);
		if (n > 0) {
			keep(e, chunk, (size_t)n);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n < 0)
			e->read_errno = errno;
		/* The end of the output (or an error, which ends it too). */
		epoll_ctl(e->ep, EPOLL_CTL_DEL, e->out, NULL);
		close(e->out);
		e->out = -1;
		break;
	}
	explicit_bzero(chunk, sizeof chunk);
}

static void reap(struct evalcmd *e, int flags)
{
	pid_t rc;

	do
		rc = waitpid(e->pid, &e->status, flags);
	while (rc < 0 && errno == EINTR);
	if (rc == e->pid || (rc < 0 && errno == ECHILD)) {
		e->pid = 0;
		if (e->pidfd >= 0) {
			/* An exited process stays readable: stop watching it. */
			epoll_ctl(e->ep, EPOLL_CTL_DEL, e->pidfd, NULL);
			close(e->pidfd);
			e->pidfd = -1;
		}
	}
}

int evalcmd_step(struct evalcmd *e)
{
	if (e->out >= 0)
		read_output(e);
	if (e->pid && e->pidfd >= 0)
		reap(e, WNOHANG);
	else if (e->pid && e->out < 0)
		reap(e, 0);
	return e->out < 0 && !e->pid;
}

int evalcmd_result(struct evalcmd *e, char **line, char **err)
{
	*line = NULL;
	*err = NULL;
	if (WIFSIGNALED(e->status)) {
		*err = error_text("was killed by signal %d", WTERMSIG(e->status));
	} else if (WEXITSTATUS(e->status) != 0) {
		*err = error_text("failed with exit status %d%s", WEXITSTATUS(e->status),
		                  WEXITSTATUS(e->status) == 127 ? " (command not found?)" : "");
	} else if (e->read_errno) {
		*err = error_text("could not be read: %s", strerror(e->read_errno));
	} else if (e->too_long) {
		*err = error_text("printed a first line longer than %zu bytes", LINE_MAX_BYTES);
	} else {
		while (e->len && e->line[e->len - 1] == '\r')
			e->line[--e->len] = '\0';
		if (e->len && !memchr(e->line, '\0', e->len)) {
			*line = e->line;
			e->line = NULL;
			e->len = e->cap = 0;
			return 0;
		}
		*err = error_text("printed %s", e->len ? "a NUL byte" : "an empty first line");
	}
	return -1;
}

void evalcmd_free(struct evalcmd *e)
{
	if (!e)
		return;
	if (e->pid) {
		kill(-e->pid, SIGKILL);
		kill(e->pid, SIGKILL);
		reap(e, 0);
	}
	if (e->out >= 0)
		close(e->out);
	if (e->pidfd >= 0)
		close(e->pidfd);
	if (e->ep >= 0)
		close(e->ep);
	clear_line(e);
	free(e);
}
