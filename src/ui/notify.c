/* Notifications of new messages: eventcmd and notify-send, run detached. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ui/notify.h"
#include "util/log.h"

/* Runs argv (argv[0] looked up in PATH) with env added, in a grandchild
 * whose parent exits at once: init reaps it, the loop never waits for it,
 * and its output goes to /dev/null, never onto the screen. */
static void spawn(char *const argv[], const char *const env[][2])
{
	pid_t pid = fork();
	int status;

	if (pid < 0) {
		log_warn("notification not run: fork: %m");
		return;
	}
	if (pid == 0) {
		int null;

		if (fork() != 0)
			_exit(0);
		setsid();
		signal(SIGPIPE, SIG_DFL);
		null = open("/dev/null", O_RDWR);
		if (null >= 0) {
			dup2(null, 0);
			dup2(null, 1);
			dup2(null, 2);
		}
		for (size_t i = 0; env && env[i][0]; i++)
			setenv(env[i][0], env[i][1] ? env[i][1] : "", 1);
		execvp(argv[0], argv);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
}

void notify_message(const struct settings *s, const char *from, const char *name, const char *type,
                    const char *body)
{
	if (s->eventcmd && *s->eventcmd) {
		/* The message goes in the environment, never into the command
		 * line: a body cannot inject shell syntax. */
		const char *env[][2] = {{"NATTER_FROM", from},
		                        {"NATTER_NAME", name},
		                        {"NATTER_TYPE", type},
		                        {"NATTER_BODY", body},
		                        {NULL, NULL}};
		char *argv[] = {"/bin/sh", "-c", s->eventcmd, NULL};

		spawn(argv, env);
	}
	if (s->notify) {
		/* "--": a body starting with '-' is text, not an option. */
		char *argv[] = {"notify-send",
		                "--app-name=natter",
		                "--",
		                (char *)(name ? name : from),
		                (char *)(body ? body : ""),
		                NULL};

		spawn(argv, NULL);
	}
}
