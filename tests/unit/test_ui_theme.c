/* Unit tests for ui/theme's reading of themes (what needs no terminal:
 * theme_apply() is left to the tmux suite): built-ins, a user's file read
 * over the default, and the errors a bad file gets. */
#include "config.h"

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

#include "ui/theme.h"

#define UNUSED __attribute__((unused))

static char dir[] = "/tmp/natter-theme-XXXXXX";

static void write_theme(const char *name, const char *text)
{
	char *path = NULL;
	FILE *f;

	assert_true(asprintf(&path, "%s/natter/themes/%s.theme", dir, name) > 0);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	free(path);
}

static void test_builtins(void **state UNUSED)
{
	struct theme t = {0};
	char *err = NULL;

	assert_int_equal(theme_load(&t, NULL, &err), 0);
	assert_string_equal(t.name, "default");
	assert_int_equal(theme_load(&t, "mono", &err), 0);
	assert_string_equal(t.name, "mono");
	/* Nothing relies on colour alone in mono. */
	for (int i = 0; i < TH_COUNT; i++)
		assert_true(t.st[i].fg == -1 && t.st[i].bg == -1);
	assert_int_equal(theme_load(&t, "light", &err), 0);
	assert_true(theme_exists("light"));
	assert_false(theme_exists("nonesuch"));
	theme_clear(&t);
}

/* A user's file changes what it names; the rest is the default's. */
static void test_users_theme(void **state UNUSED)
{
	struct theme def = {0}, t = {0};
	char *err = NULL;

	write_theme("mine", "# mine\n\ntext = red default bold underline\n"
	                    "input=brightblue 17   # spaces are free\n");
	assert_int_equal(theme_load(&def, "default", &err), 0);
	assert_int_equal(theme_load(&t, "mine", &err), 0);
	assert_null(err);
	assert_int_equal(t.st[TH_TEXT].fg, COLOR_RED);
	assert_int_equal(t.st[TH_TEXT].bg, -1);
	assert_int_equal(t.st[TH_TEXT].attr, A_BOLD | A_UNDERLINE);
	assert_int_equal(t.st[TH_INPUT].fg, COLOR_BLUE + 8);
	assert_int_equal(t.st[TH_INPUT].bg, 17);
	assert_memory_equal(&t.st[TH_ERROR], &def.st[TH_ERROR], sizeof(t.st[TH_ERROR]));
	assert_true(theme_exists("mine"));
	theme_clear(&def);
	theme_clear(&t);
}

/* A bad file is refused whole, with where it went wrong; the theme in use
 * stays. */
static void test_bad_themes(void **state UNUSED)
{
	static const char *const bad[] = {"nosuchelement = red\n",   "text red\n",
	                                  "text = red green blue\n", "text = 256\n",
	                                  "text = sparkly\n",        "text = brightdefault\n"};
	struct theme t = {0};
	char *err = NULL;

	assert_int_equal(theme_load(&t, "mono", &err), 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		write_theme("broken", bad[i]);
		assert_int_equal(theme_load(&t, "broken", &err), -1);
		assert_non_null(err);
		assert_non_null(strstr(err, "broken.theme:1:"));
		free(err);
		err = NULL;
		assert_string_equal(t.name, "mono");
	}
	assert_int_equal(theme_load(&t, "nonesuch", &err), -1);
	assert_string_equal(err, "no theme called nonesuch");
	free(err);
	/* A name is never a path. */
	assert_int_equal(theme_load(&t, "../../etc/passwd", &err), -1);
	free(err);
	assert_false(theme_exists("../mine"));
	theme_clear(&t);
}

static void test_list(void **state UNUSED)
{
	struct theme_entry *v = NULL;
	int n;
	int mine = 0, dflt = 0;

	write_theme("mine", "text = red\n");
	write_theme("default", "text = blue\n"); /* a user's own default wins */
	n = theme_list(&v);
	assert_true(n >= 4);
	for (int i = 0; i < n; i++) {
		if (!strcmp(v[i].name, "mine")) {
			mine++;
			assert_string_equal(v[i].where, "yours");
		}
		if (!strcmp(v[i].name, "default")) {
			dflt++;
			assert_string_equal(v[i].where, "yours");
		}
		if (i)
			assert_true(strcmp(v[i - 1].name, v[i].name) < 0);
	}
	assert_int_equal(mine, 1);
	assert_int_equal(dflt, 1);
	theme_list_free(v, (size_t)n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_builtins),
	    cmocka_unit_test(test_users_theme),
	    cmocka_unit_test(test_bad_themes),
	    cmocka_unit_test(test_list),
	};
	char *themes = NULL, *cmd = NULL;
	int rc;

	assert_non_null(mkdtemp(dir));
	setenv("XDG_CONFIG_HOME", dir, 1);
	if (asprintf(&themes, "%s/natter/themes", dir) < 0 ||
	    asprintf(&cmd, "mkdir -p '%s'", themes) < 0 || system(cmd))
		return 1;
	free(cmd);
	free(themes);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	if (asprintf(&cmd, "rm -rf '%s'", dir) > 0 && system(cmd))
		rc = 1;
	free(cmd);
	return rc;
}
