/* XDG base directories for natter's files. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "config/paths.h"

/* $var/natter, or $HOME/home_rel/natter.  The XDG spec says a relative
 * path in an XDG variable is invalid and must be ignored; empty means
 * unset. */
static char *xdg_natter_dir(const char *var, const char *home_rel)
{
	const char *v = getenv(var), *home;
	char *r;

	if (v && v[0] == '/') {
		if (asprintf(&r, "%s/natter", v) < 0)
			return NULL;
		return r;
	}
	home = getenv("HOME");
	if (!home || !*home) {
		errno = ENOENT;
		return NULL;
	}
	if (asprintf(&r, "%s/%s/natter", home, home_rel) < 0)
		return NULL;
	return r;
}

char *paths_config_dir(void)
{
	return xdg_natter_dir("XDG_CONFIG_HOME", ".config");
}

static char *config_file(const char *name)
{
	char *dir = paths_config_dir(), *r;

	if (!dir)
		return NULL;
	if (asprintf(&r, "%s/%s", dir, name) < 0)
		r = NULL;
	free(dir);
	return r;
}

char *paths_accounts_file(void)
{
	return config_file("accounts");
}

char *paths_settings_file(void)
{
	return config_file("natterrc");
}

char *paths_data_dir(const char *bare_jid)
{
	char *dir, *r;

	/* the JID comes from the network or the user: it must stay one
	 * path component */
	if (!*bare_jid || strchr(bare_jid, '/') || !strcmp(bare_jid, ".") ||
	    !strcmp(bare_jid, "..")) {
		errno = EINVAL;
		return NULL;
	}
	dir = xdg_natter_dir("XDG_DATA_HOME", ".local/share");
	if (!dir)
		return NULL;
	if (asprintf(&r, "%s/%s", dir, bare_jid) < 0)
		r = NULL;
	free(dir);
	return r;
}

int paths_mkdir_private(const char *dir)
{
	struct stat st;
	char *p, *s;
	int rc = 0, saved;

	if (!*dir) {
		errno = ENOENT;
		return -1;
	}
	p = strdup(dir);
	if (!p)
		return -1;
	/* every prefix ending before a '/', then the whole path */
	for (s = p + 1;; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		if (s[-1] != '/') {
			char c = *s;

			*s = '\0';
			if (mkdir(p, 0700) < 0) {
				if (errno != EEXIST || stat(p, &st) < 0) {
					rc = -1;
				} else if (!S_ISDIR(st.st_mode)) {
					errno = ENOTDIR;
					rc = -1;
				}
			}
			*s = c;
		}
		if (rc < 0 || *s == '\0')
			break;
	}
	saved = errno;
	free(p);
	errno = saved;
	return rc;
}
