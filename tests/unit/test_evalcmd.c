/* Unit tests for config/evalcmd: eval_password's command in the background. */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "config/evalcmd.h"

#define UNUSED __attribute__((unused))

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* What the caller's event loop does: watch the descriptor, step, and give
 * up at the deadline.  -2 on timeout; otherwise evalcmd_result()'s. */
static int run(const char *cmd, double timeout, char **line, char **err)
{
	struct evalcmd *e = evalcmd_start(cmd, err);
	double deadline = now() + timeout;
	int rc;

	*line = NULL;
	if (!e)
		return -3;
	while (!evalcmd_step(e)) {
		struct pollfd p = {evalcmd_fd(e), POLLIN, 0};
		double left = deadline - now();

		if (left <= 0) {
			evalcmd_free(e);
			return -2;
		}
		poll(&p, 1, (int)(left * 1000) + 1);
	}
	rc = evalcmd_result(e, line, err);
	evalcmd_free(e);
	return rc;
}

/* No child of ours is left, running or zombie. */
static void assert_no_child(void)
{
	assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
	assert_int_equal(errno, ECHILD);
}

static void expect_line(const char *cmd, const char *want)
{
	char *line, *err = NULL;

	assert_int_equal(run(cmd, 10, &line, &err), 0);
	assert_null(err);
	assert_string_equal(line, want);
	free(line);
	assert_no_child();
}

static void expect_error(const char *cmd, const char *needle)
{
	char *line, *err = NULL;

	assert_int_equal(run(cmd, 10, &line, &err), -1);
	assert_null(line);
	assert_non_null(err);
	if (!strstr(err, needle))
		fail_msg("'%s' does not contain '%s'", err, needle);
	assert_null(strstr(err, "leaked-secret"));
	free(err);
	assert_no_child();
}

static void test_prints(void UNUSED **state)
{
	expect_line("printf 'first line\\nsecond line\\n'", "first line");
	expect_line("printf 'crlf\\r\\n'", "crlf");
	/* no final newline; much output after the first line is drained */
	expect_line("printf 'pw\\n'; head -c 1000000 /dev/zero | tr '\\0' x; exit 0", "pw");
	/* stdin is not the caller's */
	expect_line("cat; echo fromcat", "fromcat");
}

static void test_long_first_line(void UNUSED **state)
{
	char *line, *err = NULL;

	assert_int_equal(run("head -c 100000 /dev/zero | tr '\\0' y", 10, &line, &err), 0);
	assert_int_equal(strlen(line), 100000);
	free(line);
	expect_error("head -c 2000000 /dev/zero | tr '\\0' y", "longer than");
}

static void test_fails(void UNUSED **state)
{
	expect_error("echo leaked-secret; exit 3", "exit status 3");
	expect_error("echo leaked-secret; kill -9 $$", "signal 9");
	expect_error("true", "empty");
	expect_error("/nonexistent/natter-command 2>/dev/null", "127");
	expect_error("printf 'a\\0b\\n'", "NUL");
}

static void test_does_not_block(void UNUSED **state)
{
	char *err = NULL;
	struct evalcmd *e = evalcmd_start("sleep 0.3; echo late", &err);
	double t0 = now();

	assert_non_null(e);
	assert_int_equal(evalcmd_step(e), 0);
	assert_true(now() - t0 < 0.1);
	evalcmd_free(e);
	assert_no_child();
}

/* A command that hangs is killed at the caller's deadline, with what it
 * started (its process group), and nothing is left behind. */
static void test_hang_is_killed(void UNUSED **state)
{
	char pidfile[] = "/tmp/natter-test-evalcmd-XXXXXX", cmd[256], stat[64];
	char *line, *err = NULL;
	int fd = mkstemp(pidfile), child = 0, alive = 1;
	double t0 = now();
	FILE *f;

	assert_true(fd >= 0);
	close(fd);
	snprintf(cmd, sizeof cmd, "sleep 30 & echo $! > %s; wait", pidfile);
	assert_int_equal(run(cmd, 0.5, &line, &err), -2);
	assert_true(now() - t0 < 3);
	assert_no_child();
	f = fopen(pidfile, "r");
	assert_non_null(f);
	assert_int_equal(fscanf(f, "%d", &child), 1);
	fclose(f);
	unlink(pidfile);
	/* The background sleep went with the group (gone, or a zombie of
	 * init's for a moment). */
	for (int i = 0; i < 100 && alive; i++) {
		char st = 0;

		snprintf(stat, sizeof stat, "/proc/%d/stat", child);
		f = fopen(stat, "r");
		if (!f) {
			alive = 0;
			break;
		}
		if (fscanf(f, "%*d %*s %c", &st) == 1 && st == 'Z')
			alive = 0;
		fclose(f);
		if (alive)
			usleep(10000);
	}
	assert_false(alive);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_prints),         cmocka_unit_test(test_long_first_line),
	    cmocka_unit_test(test_fails),          cmocka_unit_test(test_does_not_block),
	    cmocka_unit_test(test_hang_is_killed),
	};

	/* As in natter, where a dead peer must not kill the process. */
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
