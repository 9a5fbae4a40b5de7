/* Running a shell command for a secret without waiting for it.
 *
 * eval_password names a command (a password manager, a keyring) whose
 * first line of output is the password.  Run to completion on the core
 * thread, a command that hangs froze natter; here it runs in the
 * background: the caller watches evalcmd_fd() for POLLIN in its event
 * loop, calls evalcmd_step() each time it is readable, and takes the
 * result once that returns 1.  The caller owns the deadline:
 * evalcmd_free() before the end kills the command, and whatever it
 * started, and reaps it. */
#ifndef NATTER_CONFIG_EVALCMD_H
#define NATTER_CONFIG_EVALCMD_H

struct evalcmd;

/* Starts /bin/sh -c cmd in a process group of its own, with standard input
 * /dev/null (it may be the headless command stream) and standard output a
 * pipe.  NULL with a malloc'd *err on failure. */
struct evalcmd *evalcmd_start(const char *cmd, char **err);

/* The descriptor to watch for POLLIN until evalcmd_step() returns 1. */
int evalcmd_fd(const struct evalcmd *e);

/* Reads what is there: 0 while the command runs or writes, 1 once it has
 * exited and closed its output. */
int evalcmd_step(struct evalcmd *e);

/* After evalcmd_step() returned 1: 0 with the first line of the output in
 * *line (malloc'd, without its "\n" or "\r\n"; clear it before freeing), or
 * -1 with why in *err (malloc'd, e.g. "failed with exit status 3"; never
 * the output itself). */
int evalcmd_result(struct evalcmd *e, char **line, char **err);

/* Kills the command if it still runs, reaps it, clears and frees. */
void evalcmd_free(struct evalcmd *e);

#endif
