/* Tests for natterrc (settings.c) and the XDG paths (paths.c). */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "config/ini.h"
#include "config/paths.h"
#include "config/settings.h"

struct fixture {
	char dir[64];
	char path[128];
};

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	if (!fx)
		return -1;
	strcpy(fx->dir, "/tmp/natter-test-settings-XXXXXX");
	if (!mkdtemp(fx->dir)) {
		free(fx);
		return -1;
	}
	snprintf(fx->path, sizeof(fx->path), "%s/natterrc", fx->dir);
	*state = fx;
	return 0;
}

static void remove_tree(const char *dir)
{
	struct dirent *e;
	struct stat st;
	char p[512];
	DIR *d = opendir(dir);

	while (d && (e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
			remove_tree(p);
		else
			unlink(p);
	}
	if (d)
		closedir(d);
	rmdir(dir);
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	remove_tree(fx->dir);
	free(fx);
	return 0;
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

#define assert_contains(hay, needle)                                                               \
	do {                                                                                       \
		if (!(hay) || !strstr((hay), (needle)))                                            \
			fail_msg("'%s' does not contain '%s'", (hay) ? (hay) : "(null)",           \
			         (needle));                                                        \
	} while (0)

static void assert_defaults(const struct settings *s)
{
	assert_int_equal(s->connect_timeout, 20);
	assert_int_equal(s->reconnect_min, 1);
	assert_int_equal(s->reconnect_max, 300);
	assert_int_equal(s->ping_interval, 60);
	assert_int_equal(s->ping_timeout, 20);
	assert_int_equal(s->close_timeout, 3);
	assert_false(s->reveal_os);
	assert_string_equal(s->theme, "default");
	assert_true(s->bell);
	assert_null(s->default_account);
}

static void load_ok(struct fixture *fx, const char *text, struct settings *s)
{
	char *err = NULL;

	write_file(fx->path, text);
	if (settings_load(fx->path, s, &err) != 0)
		fail_msg("unexpected error: %s", err);
	assert_null(err);
}

/* text must load, leaving out what line says with a warning naming the file,
 * line and needle; what the line tried to set stays the default. */
static void load_warns(struct fixture *fx, const char *text, int line, const char *needle)
{
	struct settings s;
	char *err = NULL, where[200];
	bool found = false;

	if (text)
		write_file(fx->path, text);
	if (settings_load(fx->path, &s, &err) != 0)
		fail_msg("a bad line stopped the load: %s", err);
	snprintf(where, sizeof(where), "%s:%d:", fx->path, line);
	for (size_t i = 0; i < s.nwarnings; i++)
		found |= strstr(s.warnings[i], where) && strstr(s.warnings[i], needle);
	if (!found)
		fail_msg("no warning with \"%s\" and \"%s\" (%zu warnings%s%s)", where, needle,
		         s.nwarnings, s.nwarnings ? ": " : "", s.nwarnings ? s.warnings[0] : "");
	settings_free(&s);
}

static void test_missing_file(void **state)
{
	struct fixture *fx = *state;
	struct settings s;
	char *err = NULL;

	assert_int_equal(settings_load(fx->path, &s, &err), 0);
	assert_null(err);
	assert_defaults(&s);
	settings_free(&s);
	assert_null(s.theme);
}

static void test_empty_file(void **state)
{
	struct fixture *fx = *state;
	struct settings s;

	load_ok(fx, "; nothing here\n\n[ui]\n", &s);
	assert_defaults(&s);
	settings_free(&s);
}

static void test_overrides(void **state)
{
	struct fixture *fx = *state;
	struct settings s;

	load_ok(fx,
	        "[general]\naccount = work ;not a comment\n"
	        "[connection]\nconnect_timeout = 5\nreconnect_min = 2\nreconnect_max = 60\n"
	        "ping_interval = 30\nping_timeout = 10\nclose_timeout = 0\n"
	        "[privacy]\nreveal_os = true\n"
	        "[ui]\ntheme = dark\nbell = false\n",
	        &s);
	assert_int_equal(s.connect_timeout, 5);
	assert_int_equal(s.reconnect_min, 2);
	assert_int_equal(s.reconnect_max, 60);
	assert_int_equal(s.ping_interval, 30);
	assert_int_equal(s.ping_timeout, 10);
	assert_int_equal(s.close_timeout, 0);
	assert_true(s.reveal_os);
	assert_string_equal(s.theme, "dark");
	assert_false(s.bell);
	assert_string_equal(s.default_account, "work ;not a comment");
	settings_free(&s);
}

struct bound {
	const char *name;
	int min, max;
};

static void test_bounds(void **state)
{
	static const struct bound bounds[] = {
	    {"connect_timeout", 1, 3600}, {"reconnect_min", 1, 3600}, {"reconnect_max", 1, 86400},
	    {"ping_interval", 5, 3600},   {"ping_timeout", 1, 600},   {"close_timeout", 0, 60},
	};
	struct fixture *fx = *state;
	struct settings s;
	char text[200];
	size_t i;
	int v;

	for (i = 0; i < sizeof(bounds) / sizeof(bounds[0]); i++) {
		/* reconnect_min may not pass reconnect_max: keep both in range */
		v = bounds[i].min;
		snprintf(text, sizeof(text), "[connection]\nreconnect_max = 3600\n%s = %d\n",
		         bounds[i].name, v);
		if (!strcmp(bounds[i].name, "reconnect_max"))
			snprintf(text, sizeof(text), "[connection]\n\n%s = %d\n", bounds[i].name,
			         v);
		load_ok(fx, text, &s);
		settings_free(&s);
		v = bounds[i].max;
		snprintf(text, sizeof(text), "[connection]\nreconnect_max = 86400\n%s = %d\n",
		         bounds[i].name, v);
		if (!strcmp(bounds[i].name, "reconnect_max"))
			snprintf(text, sizeof(text), "[connection]\n\n%s = %d\n", bounds[i].name,
			         v);
		load_ok(fx, text, &s);
		settings_free(&s);
		snprintf(text, sizeof(text), "[connection]\n\n%s = %d\n", bounds[i].name,
		         bounds[i].min - 1);
		load_warns(fx, text, 3, bounds[i].name);
		snprintf(text, sizeof(text), "[connection]\n\n%s = %d\n", bounds[i].name,
		         bounds[i].max + 1);
		load_warns(fx, text, 3, bounds[i].name);
	}
	load_warns(fx, "[connection]\nping_timeout = 10s\n", 2, "ping_timeout");
	load_warns(fx, "[connection]\nping_timeout =\n", 2, "ping_timeout");
	load_warns(fx, "[connection]\nping_timeout = 99999999999999999999\n", 2, "ping_timeout");
	load_warns(fx, "[ui]\nbell = maybe\n", 2, "bell");
	load_warns(fx, "[ui]\ntheme =\n", 2, "theme");
	load_warns(fx, "[connection]\nreconnect_min = 60\nreconnect_max = 30\n", 3,
	           "reconnect_min");
}

/* A typo never stops natter: the bad line is said and the rest is used. */
static void test_bad_lines_leave_the_rest(void **state)
{
	struct fixture *fx = *state;
	struct settings s;

	load_ok(fx,
	        "[ui]\nbell = maybe\ncolour = red\ntheme = light\n[sound]\nx = 1\n"
	        "[connection]\nping_timeout = 7\nping_timeout = 8\n",
	        &s);
	assert_true(s.bell);
	assert_string_equal(s.theme, "light");
	assert_int_equal(s.ping_timeout, 8);
	assert_int_equal(s.nwarnings, 5);
	settings_free(&s);
	assert_int_equal(s.nwarnings, 0);
}

static void test_booleans_in_words(void **state)
{
	static const char *const yes[] = {"yes", "on", "true", "1", "Yes", "ON"};
	static const char *const no[] = {"no", "off", "false", "0", "No", "OFF"};
	struct fixture *fx = *state;
	struct settings s;
	char text[64];

	for (size_t i = 0; i < 6; i++) {
		snprintf(text, sizeof text, "[privacy]\nreveal_os = %s\n", yes[i]);
		load_ok(fx, text, &s);
		assert_true(s.reveal_os);
		assert_int_equal(s.nwarnings, 0);
		settings_free(&s);
		snprintf(text, sizeof text, "[ui]\nbell = %s\n", no[i]);
		load_ok(fx, text, &s);
		assert_false(s.bell);
		settings_free(&s);
	}
}

static void test_set_and_describe(void **state)
{
	struct fixture *fx = *state;
	const char *section, *name;
	struct settings s;
	char *err = NULL, *text;

	load_ok(fx, "", &s);
	assert_int_equal(settings_set(&s, "ui.bell", "off", &section, &name, &err), 0);
	assert_false(s.bell);
	assert_string_equal(section, "ui");
	assert_string_equal(name, "bell");
	/* A name unique across sections needs no section. */
	assert_int_equal(settings_set(&s, "ping_timeout", "9", NULL, NULL, &err), 0);
	assert_int_equal(s.ping_timeout, 9);
	assert_int_equal(settings_set(&s, "ui.nonesuch", "1", NULL, NULL, &err), -1);
	assert_non_null(strstr(err, "no setting"));
	free(err);
	assert_int_equal(settings_set(&s, "ping_timeout", "9000", NULL, NULL, &err), -1);
	assert_non_null(strstr(err, "from 1 to 600"));
	free(err);
	assert_int_equal(s.ping_timeout, 9);
	text = settings_describe(&s, NULL);
	assert_non_null(strstr(text, "ui.bell = no"));
	assert_non_null(strstr(text, "connection.ping_timeout = 9"));
	free(text);
	text = settings_describe(&s, "ping_timeout");
	assert_string_equal(text, "connection.ping_timeout = 9  (seconds before an unanswered "
	                          "ping means a dead link)");
	free(text);
	assert_null(settings_describe(&s, "nonesuch"));
	settings_free(&s);
}

static void test_unknown_and_malformed(void **state)
{
	struct fixture *fx = *state;

	load_warns(fx, "[ui]\nbell = true\ncolour = red\n", 3, "'colour'");
	/* a key in the wrong section is unknown there */
	load_warns(fx, "[ui]\nping_timeout = 5\n", 2, "ping_timeout");
	load_warns(fx, "[ui]\n\n[sound]\n", 3, "[sound]");
	load_warns(fx, "bell = true\n", 1, "outside");
	load_warns(fx, "[ui]\nbell\n", 2, "expected");
	load_warns(fx, "[ui]\nbell = true\nbell = false\n", 3, "again");
}

/* A line of any length is read whole, and the next line stays a line of
 * its own (the 400-byte theme is taken; the bad bell is on line 3). */
static void test_long_line(void **state)
{
	struct fixture *fx = *state;
	char text[600];
	size_t n;

	n = (size_t)snprintf(text, sizeof(text), "[ui]\ntheme = ");
	memset(text + n, 't', 400);
	strcpy(text + n + 400, "\nbell = nonsense\n");
	load_warns(fx, text, 3, "bell");
}

static void test_directory(void **state)
{
	struct fixture *fx = *state;

	assert_int_equal(mkdir(fx->path, 0700), 0);
	load_warns(fx, NULL, 1, "cannot read:");
}

/* ---- the shared reader (ini.c) ------------------------------------------ */

/* What the callbacks saw, one "line:kind:section:key=value|" per call. */
struct ini_trace {
	struct ini_file ini;
	char log[512];
	int fail_at; /* a key on this line is refused */
};

static void trace_section(void *user, int line, const char *name)
{
	struct ini_trace *t = user;
	size_t n = strlen(t->log);

	snprintf(t->log + n, sizeof(t->log) - n, "%d:S:%s|", line, name);
}

static void trace_key(void *user, int line, const char *section, const char *key, const char *value)
{
	struct ini_trace *t = user;
	size_t n = strlen(t->log);

	snprintf(t->log + n, sizeof(t->log) - n, "%d:K:%s:%s=%s|", line, section, key, value);
	if (line == t->fail_at)
		ini_fail(&t->ini, line, "refused %s", key);
}

static const struct ini_ops trace_ops = {
    .section = trace_section,
    .key = trace_key,
    .syntax_error = "expected something else",
};

/* Reads text; returns ini_read()'s result, the message in *err. */
static int trace_read(struct ini_trace *t, const char *text, int fail_at, char **err)
{
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	int rc;

	assert_non_null(f);
	memset(t, 0, sizeof(*t));
	t->ini.path = "mem";
	t->fail_at = fail_at;
	rc = ini_read(&t->ini, f, &trace_ops, t);
	fclose(f);
	*err = rc ? ini_take_error(&t->ini) : NULL;
	return rc;
}

static void test_ini_reader(void **state)
{
	struct ini_trace t;
	char *err;

	(void)state;
	/* BOM, comments, blank lines and leading blanks are dropped; values are
	 * verbatim; the section name is passed as is */
	assert_int_equal(trace_read(&t,
	                            "\xef\xbb\xbf; comment\n\n[a]\n\t k = v ; not a comment \r\n"
	                            "[ b x]\nq: 1 = 2\nempty =\n[]\n",
	                            0, &err),
	                 0);
	assert_string_equal(t.log, "3:S:a|4:K:a:k=v ; not a comment|5:S: b x|6:K: b x:q=1 = 2|"
	                           "7:K: b x:empty=|8:S:|");

	/* the first problem stops the reading */
	assert_int_equal(trace_read(&t, "[a]\nk = 1\nl = 2\n", 2, &err), -1);
	assert_string_equal(err, "mem:2: refused k");
	assert_string_equal(t.log, "1:S:a|2:K:a:k=1|");
	free(err);

	/* a line that is neither a section nor a key stops the reading */
	assert_int_equal(trace_read(&t, "[a]\nnonsense\nk = 1\n", 3, &err), -1);
	assert_string_equal(err, "mem:2: expected something else");
	free(err);

	/* a problem of the whole file has no line */
	memset(&t, 0, sizeof(t));
	t.ini.path = "mem";
	ini_fail(&t.ini, 0, "whole %s", "file");
	ini_fail(&t.ini, 3, "second");
	err = ini_take_error(&t.ini);
	assert_string_equal(err, "whole file");
	free(err);
}

static void test_ini_line_split(void **state)
{
	struct ini_line l;

	(void)state;
	ini_line_split("  # c", 5, &l);
	assert_int_equal(l.kind, INI_LINE_BLANK);
	ini_line_split("[x] ", 4, &l);
	assert_int_equal(l.kind, INI_LINE_SECTION);
	assert_int_equal(l.name_len, 1);
	ini_line_split("[x", 2, &l);
	assert_int_equal(l.kind, INI_LINE_BAD);
	ini_line_split("no separator", 12, &l);
	assert_int_equal(l.kind, INI_LINE_BAD);
	ini_line_split(" key :  a;b  ", 13, &l);
	assert_int_equal(l.kind, INI_LINE_KEY);
	assert_int_equal(l.name_len, 3);
	assert_memory_equal(l.name, "key", 3);
	assert_int_equal(l.value_len, 3);
	assert_memory_equal(l.value, "a;b", 3);
}

/* ---- paths ------------------------------------------------------------ */

static void set_env(const char *name, const char *value)
{
	if (value)
		assert_int_equal(setenv(name, value, 1), 0);
	else
		assert_int_equal(unsetenv(name), 0);
}

static void expect_path(char *got, const char *want)
{
	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
}

static void test_paths_xdg(void **state)
{
	(void)state;
	set_env("HOME", "/home/u");
	set_env("XDG_CONFIG_HOME", "/cfg");
	set_env("XDG_DATA_HOME", "/data");
	expect_path(paths_config_dir(), "/cfg/natter");
	expect_path(paths_accounts_file(), "/cfg/natter/accounts");
	expect_path(paths_settings_file(), "/cfg/natter/natterrc");
	expect_path(paths_data_dir("me@example.org"), "/data/natter/me@example.org");

	/* unset, empty or relative: ignored, as the XDG spec says */
	set_env("XDG_CONFIG_HOME", NULL);
	set_env("XDG_DATA_HOME", "");
	expect_path(paths_config_dir(), "/home/u/.config/natter");
	expect_path(paths_accounts_file(), "/home/u/.config/natter/accounts");
	expect_path(paths_data_dir("me@example.org"), "/home/u/.local/share/natter/me@example.org");
	set_env("XDG_CONFIG_HOME", "relative/cfg");
	set_env("XDG_DATA_HOME", "relative/data");
	expect_path(paths_settings_file(), "/home/u/.config/natter/natterrc");
	expect_path(paths_data_dir("me@example.org"), "/home/u/.local/share/natter/me@example.org");

	/* nothing to go on */
	set_env("HOME", NULL);
	assert_null(paths_config_dir());
	assert_null(paths_accounts_file());
	assert_null(paths_data_dir("me@example.org"));
	set_env("HOME", "/home/u");

	/* a JID never escapes the data directory */
	assert_null(paths_data_dir("me@example.org/res"));
	assert_null(paths_data_dir(".."));
	assert_null(paths_data_dir(""));
}

static void test_paths_mkdir(void **state)
{
	struct fixture *fx = *state;
	char dir[256], file[300];
	struct stat st;

	snprintf(dir, sizeof(dir), "%s/a//b/c/", fx->dir);
	assert_int_equal(paths_mkdir_private(dir), 0);
	snprintf(dir, sizeof(dir), "%s/a/b/c", fx->dir);
	assert_int_equal(stat(dir, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0700);
	snprintf(dir, sizeof(dir), "%s/a", fx->dir);
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	/* existing directories are fine, and keep their mode */
	assert_int_equal(chmod(dir, 0755), 0);
	snprintf(dir, sizeof(dir), "%s/a/b/c", fx->dir);
	assert_int_equal(paths_mkdir_private(dir), 0);
	snprintf(dir, sizeof(dir), "%s/a", fx->dir);
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0755);
	/* a file in the way */
	snprintf(file, sizeof(file), "%s/a/f", fx->dir);
	write_file(file, "x");
	snprintf(dir, sizeof(dir), "%s/a/f/g", fx->dir);
	assert_int_equal(paths_mkdir_private(dir), -1);
	assert_int_equal(errno, ENOTDIR);
	assert_int_equal(paths_mkdir_private(file), -1);
	assert_int_equal(errno, ENOTDIR);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_missing_file),
	    T(test_empty_file),
	    T(test_overrides),
	    T(test_bounds),
	    T(test_bad_lines_leave_the_rest),
	    T(test_booleans_in_words),
	    T(test_set_and_describe),
	    T(test_unknown_and_malformed),
	    T(test_long_line),
	    T(test_directory),
	    T(test_ini_reader),
	    T(test_ini_line_split),
	    T(test_paths_xdg),
	    T(test_paths_mkdir),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
