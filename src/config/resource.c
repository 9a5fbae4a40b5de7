/* The per-installation resource: see resource.h. */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "config/paths.h"
#include "config/resource.h"

#define PREFIX       "natter."
#define SUFFIX_BYTES 3 /* six hex digits: enough to tell a few installations apart */

/* A kept resource is ours only if it still looks like one we made. */
static bool well_formed(const char *s)
{
	size_t n = strlen(PREFIX);

	if (strncmp(s, PREFIX, n) || strlen(s) != n + 2 * SUFFIX_BYTES)
		return false;
	return strspn(s + n, "0123456789abcdef") == 2 * SUFFIX_BYTES;
}

static char *read_kept(const char *path)
{
	char buf[64] = {0};
	FILE *f = fopen(path, "r");

	if (!f)
		return NULL;
	if (!fgets(buf, sizeof buf, f))
		buf[0] = '\0';
	fclose(f);
	buf[strcspn(buf, "\r\n")] = '\0';
	return well_formed(buf) ? strdup(buf) : NULL;
}

static char *made(void)
{
	unsigned char raw[SUFFIX_BYTES];
	char *s = malloc(strlen(PREFIX) + 2 * SUFFIX_BYTES + 1), *p;

	if (!s)
		return NULL;
	if (getrandom(raw, sizeof raw, 0) != (ssize_t)sizeof raw) {
		/* Before the entropy pool is ready: any value works once kept. */
		unsigned v = (unsigned)getpid() ^ (unsigned)time(NULL);

		memcpy(raw, &v, sizeof raw);
	}
	p = s + sprintf(s, "%s", PREFIX);
	for (size_t i = 0; i < sizeof raw; i++)
		p += sprintf(p, "%02x", raw[i]);
	return s;
}

char *resource_for_installation(const char *bare_jid, char **err)
{
	char *dir = paths_data_dir(bare_jid), *path = NULL, *res = NULL, *tmp = NULL;
	FILE *f;
	int fd;

	*err = NULL;
	if (!dir || asprintf(&path, "%s/resource", dir) < 0) {
		path = NULL;
		goto nomem;
	}
	if ((res = read_kept(path)))
		goto out;
	if (!(res = made()))
		goto nomem;
	/* Written aside and renamed: two natters starting together keep one. */
	if (paths_mkdir_private(dir) || asprintf(&tmp, "%s.%d", path, (int)getpid()) < 0 ||
	    (fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) < 0) {
		if (asprintf(err, "cannot keep the resource in %s: %s", dir, strerror(errno)) < 0)
			*err = NULL;
		free(res);
		res = NULL;
		goto out;
	}
	f = fdopen(fd, "w");
	if (!f || fprintf(f, "%s\n", res) < 0 || fclose(f) || rename(tmp, path)) {
		if (!f)
			close(fd);
		unlink(tmp);
	}
	free(res);
	/* Whoever renamed last wins; both read the same. */
	res = read_kept(path);
	if (!res && asprintf(err, "cannot keep the resource in %s", path) < 0)
		*err = NULL;
	goto out;
nomem:
	*err = strdup("out of memory");
out:
	free(tmp);
	free(path);
	free(dir);
	return res;
}
