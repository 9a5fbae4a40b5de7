/* The accounts file: loading and validating it, the permission rule, and
 * editing one key in place (see accounts.h and the key table in the
 * headless contract). */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "config/accounts.h"
#include "config/ini.h"
#include "util/jid.h"
#include "util/pin.h"

/* Account names are short labels; the earlier, inih-based reader cut names
 * at 49 bytes, so longer ones are refused rather than read differently by
 * different versions. */
#define NAME_MAX_LEN 49

static const char *const tls_names[] = {
    [TLS_REQUIRE] = "require",
    [TLS_DIRECT] = "direct",
    [TLS_DISABLE] = "disable",
};

static const char *const auth_names[] = {
    [AUTH_AUTO] = "auto",         [AUTH_SCRAM] = "scram",
    [AUTH_PLAIN] = "plain",       [AUTH_LEGACY] = "legacy",
    [AUTH_X_OAUTH2] = "x-oauth2", [AUTH_X_YANDEX_OAUTH] = "x-yandex-oauth",
};

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

enum key_kind { K_STR, K_JID, K_PORT, K_PRIORITY, K_TLS, K_AUTH, K_BOOL, K_FINGERPRINT };

/* One row per key of the contract; parsing, copying, freeing and the
 * permission rule all walk this table. */
struct key_def {
	const char *name;
	enum key_kind kind;
	size_t offset;
	bool secret;     /* zeroed before free; forbids a group/other-readable file */
	const char *why; /* what a valid value looks like */
};

#define FIELD(f) offsetof(struct account, f)

static const struct key_def keys[] = {
    {"jid", K_JID, FIELD(jid), false, NULL},
    {"password", K_STR, FIELD(password), true, NULL},
    {"eval_password", K_STR, FIELD(eval_password), false, NULL},
    {"server", K_STR, FIELD(server), false, NULL},
    {"port", K_PORT, FIELD(port), false, "must be a number from 1 to 65535"},
    {"resource", K_STR, FIELD(resource), false, NULL},
    {"priority", K_PRIORITY, FIELD(priority), false, "must be a number from -128 to 127"},
    {"tls", K_TLS, FIELD(tls), false, "must be require, direct or disable"},
    {"tls_cafile", K_STR, FIELD(tls_cafile), false, NULL},
    {"tls_fingerprint", K_FINGERPRINT, FIELD(tls_fingerprint), false,
     "must be sha256: followed by 64 hex digits (colons between pairs allowed)"},
    {"auth", K_AUTH, FIELD(auth), false,
     "must be auto, scram, plain, legacy, x-oauth2 or x-yandex-oauth"},
    {"token", K_STR, FIELD(token), true, NULL},
    {"eval_token", K_STR, FIELD(eval_token), false, NULL},
    {"autoack_fcm", K_BOOL, FIELD(autoack_fcm), false, "must be true or false"},
    {"nick", K_STR, FIELD(nick), false, NULL},
    {"omemo", K_STR, FIELD(omemo), false, NULL},
    {"omemo_trust", K_STR, FIELD(omemo_trust), false, NULL},
    {"fcm", K_BOOL, FIELD(fcm), false, "must be true or false"},
    {"compression", K_BOOL, FIELD(compression), false, "must be true or false"},
};
/* section_meta.seen has a bit for each. */
_Static_assert(ARRAY_SIZE(keys) <= 32, "more account keys than section_meta.seen has bits");

static bool key_is_string(const struct key_def *k)
{
	return k->kind == K_STR || k->kind == K_JID || k->kind == K_FINGERPRINT;
}

static char **key_str(struct account *a, const struct key_def *k)
{
	return (char **)((char *)a + k->offset);
}

static const struct key_def *key_find(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(keys); i++)
		if (strlen(keys[i].name) == len && !memcmp(keys[i].name, name, len))
			return &keys[i];
	return NULL;
}

const char *tls_mode_name(enum tls_mode m)
{
	return (unsigned)m < ARRAY_SIZE(tls_names) ? tls_names[m] : "unknown";
}

const char *auth_mode_name(enum auth_mode m)
{
	return (unsigned)m < ARRAY_SIZE(auth_names) ? auth_names[m] : "unknown";
}

/* ---- names ----------------------------------------------------------- */

/* An account name the file can hold and the reader gives back unchanged. */
static const char *name_problem(const char *s, size_t len)
{
	size_t i;

	if (len == 0)
		return "is empty";
	if (len > NAME_MAX_LEN)
		return "is longer than 49 bytes";
	if (isspace((unsigned char)s[0]) || isspace((unsigned char)s[len - 1]))
		return "starts or ends with a space";
	for (i = 0; i < len; i++)
		if (s[i] == ']' || s[i] == '\n' || s[i] == '\r' || s[i] == '\0')
			return "holds ']' or a line break";
	return NULL;
}

/* ---- values ---------------------------------------------------------- */

static int parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	/* strtol would also take leading blanks and a lone sign */
	if (!isdigit((unsigned char)s[0]) &&
	    !((s[0] == '-' || s[0] == '+') && isdigit((unsigned char)s[1])))
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

static int parse_name(const char *s, const char *const *names, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(s, names[i]))
			return (int)i;
	return -1;
}

/* Stores value v into a's field for k.  String kinds take ownership of *v
 * (set to NULL).  Returns 0, -1 with *why for an invalid value, -2 on
 * ENOMEM. */
static int key_set(struct account *a, const struct key_def *k, char **v, const char **why)
{
	char *norm;
	struct jid j = {0};
	long n;
	int i, rc;

	*why = k->why;
	switch (k->kind) {
	case K_STR:
		break;
	case K_JID:
		rc = jid_parse(*v, &j, why);
		if (rc == 0 && !j.local) {
			rc = -1;
			*why = "needs a local part (user@domain)";
		}
		jid_clear(&j);
		if (rc != 0)
			return -1;
		break;
	case K_FINGERPRINT:
		norm = pin_parse(*v);
		if (!norm)
			return errno == ENOMEM ? -2 : -1;
		free(*v);
		*v = norm;
		break;
	case K_PORT:
	case K_PRIORITY:
		if (k->kind == K_PORT ? parse_long(*v, 1, 65535, &n)
		                      : parse_long(*v, -128, 127, &n))
			return -1;
		*(int *)((char *)a + k->offset) = (int)n;
		return 0;
	case K_TLS:
		i = parse_name(*v, tls_names, ARRAY_SIZE(tls_names));
		if (i < 0)
			return -1;
		a->tls = (enum tls_mode)i;
		return 0;
	case K_AUTH:
		i = parse_name(*v, auth_names, ARRAY_SIZE(auth_names));
		if (i < 0)
			return -1;
		a->auth = (enum auth_mode)i;
		return 0;
	case K_BOOL:
		if (strcmp(*v, "true") && strcmp(*v, "false"))
			return -1;
		*(bool *)((char *)a + k->offset) = !strcmp(*v, "true");
		return 0;
	}
	free(*key_str(a, k));
	*key_str(a, k) = *v;
	*v = NULL;
	return 0;
}

static void free_secret_n(char *s, size_t n)
{
	if (s)
		explicit_bzero(s, n);
	free(s);
}

static void free_secret(char *s)
{
	free_secret_n(s, s ? strlen(s) : 0);
}

void account_clear(struct account *a)
{
	size_t i;

	free(a->name);
	for (i = 0; i < ARRAY_SIZE(keys); i++)
		if (key_is_string(&keys[i]))
			free_secret(*key_str(a, &keys[i]));
	memset(a, 0, sizeof(*a));
}

int account_copy(struct account *dst, const struct account *src)
{
	size_t i;
	char **d;
	const char *s;

	*dst = *src;
	dst->name = NULL;
	for (i = 0; i < ARRAY_SIZE(keys); i++)
		if (key_is_string(&keys[i]))
			*key_str(dst, &keys[i]) = NULL;
	if (src->name && !(dst->name = strdup(src->name)))
		goto nomem;
	for (i = 0; i < ARRAY_SIZE(keys); i++) {
		if (!key_is_string(&keys[i]))
			continue;
		d = key_str(dst, &keys[i]);
		s = *key_str((struct account *)src, &keys[i]);
		if (s && !(*d = strdup(s)))
			goto nomem;
	}
	return 0;
nomem:
	account_clear(dst);
	return -1;
}

void accounts_free(struct account_list *list)
{
	size_t i;

	for (i = 0; i < list->count; i++)
		account_clear(&list->items[i]);
	free(list->items);
	list->items = NULL;
	list->count = 0;
}

const struct account *accounts_find(const struct account_list *list, const char *name)
{
	size_t i;

	for (i = 0; i < list->count; i++)
		if (!strcmp(list->items[i].name, name))
			return &list->items[i];
	return NULL;
}

/* ---- loading ----------------------------------------------------------- */

struct section_meta {
	int line;      /* of the [name] header */
	unsigned seen; /* bit i: keys[i] was given */
};

struct load {
	struct ini_file ini;
	struct account *items;
	struct section_meta *meta;
	size_t count, alloc;
	struct account *cur; /* the section keys go to, NULL before the first */
	struct section_meta *cur_meta;
};

/* Called for every header, so that empty and repeated sections are seen. */
static void ld_section(void *user, int line, const char *name)
{
	struct load *ld = user;
	size_t len = strlen(name);
	const char *why = name_problem(name, len);
	size_t i;
	void *p;

	ld->cur = NULL;
	if (why) {
		ini_fail(&ld->ini, line, "account name [%s] %s", name, why);
		return;
	}
	for (i = 0; i < ld->count; i++) {
		if (!strcmp(ld->items[i].name, name)) {
			ini_fail(&ld->ini, line, "account [%s] defined twice (first at line %d)",
			         name, ld->meta[i].line);
			return;
		}
	}
	if (ld->count == ld->alloc) {
		ld->alloc = ld->alloc ? 2 * ld->alloc : 4;
		p = reallocarray(ld->items, ld->alloc, sizeof(*ld->items));
		if (!p)
			goto nomem;
		ld->items = p;
		p = reallocarray(ld->meta, ld->alloc, sizeof(*ld->meta));
		if (!p)
			goto nomem;
		ld->meta = p;
	}
	ld->cur = &ld->items[ld->count];
	ld->cur_meta = &ld->meta[ld->count];
	memset(ld->cur, 0, sizeof(*ld->cur));
	ld->cur->name = strdup(name);
	if (!ld->cur->name)
		goto nomem;
	ld->cur->tls = TLS_REQUIRE;
	ld->cur->auth = AUTH_AUTO;
	ld->cur_meta->line = line;
	ld->cur_meta->seen = 0;
	ld->count++;
	return;
nomem:
	/* the array may have grown already; count still tells what is valid */
	ld->cur = NULL;
	ini_nomem(&ld->ini);
}

/* The current account is tracked by ld_section(), which also sees empty and
 * repeated sections. */
static void ld_key(void *user, int line, const char *section, const char *name, const char *value)
{
	struct load *ld = user;
	const struct key_def *k;
	const char *why;
	unsigned bit;
	char *v;
	int rc;

	(void)section;
	if (!ld->cur) {
		ini_fail(&ld->ini, line, "key '%s' is outside an [account] section", name);
		return;
	}
	k = key_find(name, strlen(name));
	if (!k) {
		ini_fail(&ld->ini, line, "unknown key '%s' in [%s]", name, ld->cur->name);
		return;
	}
	bit = 1u << (k - keys);
	if (ld->cur_meta->seen & bit) {
		ini_fail(&ld->ini, line, "key '%s' given twice in [%s]", k->name, ld->cur->name);
		return;
	}
	ld->cur_meta->seen |= bit;
	if (!*value) {
		ini_fail(&ld->ini, line, "key '%s' in [%s] has no value", k->name, ld->cur->name);
		return;
	}
	v = strdup(value);
	if (!v) {
		ini_nomem(&ld->ini);
		return;
	}
	rc = key_set(ld->cur, k, &v, &why);
	if (rc == -1)
		/* string kinds never reach here, so no secret is quoted */
		ini_fail(&ld->ini, line, "key '%s' in [%s]: %s (got '%.64s')", k->name,
		         ld->cur->name, why, v);
	else if (rc < 0)
		ini_nomem(&ld->ini);
	free(v);
}

static const struct ini_ops ld_ops = {
    .section = ld_section,
    .key = ld_key,
    .syntax_error = "expected 'key = value' or '[account]'",
};

static bool key_given(const struct section_meta *m, const char *name)
{
	const struct key_def *k = key_find(name, strlen(name));

	return k && (m->seen & (1u << (k - keys)));
}

/* The cloud-messaging service's own domains (seed 002): no IM server lives
 * there. */
static bool fcm_domain(const char *jid)
{
	static const char *const domains[] = {"gcm.googleapis.com", "fcm.googleapis.com"};
	struct jid j = {0};
	bool found = false;

	if (jid_parse(jid, &j, NULL) != 0)
		return false;
	for (size_t i = 0; i < ARRAY_SIZE(domains) && j.domain; i++)
		found |= !strcasecmp(j.domain, domains[i]);
	jid_clear(&j);
	return found;
}

/* Per account checks that need the whole section: jid, default resource,
 * whether it is a cloud-messaging connection server's. */
static void ld_finish(struct load *ld)
{
	struct account *a;
	struct jid j = {0};
	const char *why;
	size_t i;

	for (i = 0; i < ld->count && !ini_failed(&ld->ini); i++) {
		a = &ld->items[i];
		if (!a->jid) {
			ini_fail(&ld->ini, ld->meta[i].line, "account [%s] has no jid", a->name);
			break;
		}
		/* Without fcm, an account that says how upstream messages are
		 * acknowledged, or that names the service's domain, is one all
		 * the same: the contract's keys alone make a working
		 * connection-server account, and no IM session (roster,
		 * presence) is opened on a server that has none. */
		if (!key_given(&ld->meta[i], "fcm"))
			a->fcm = key_given(&ld->meta[i], "autoack_fcm") || fcm_domain(a->jid);
		if (a->resource)
			continue;
		if (jid_parse(a->jid, &j, &why) != 0) {
			ini_fail(&ld->ini, ld->meta[i].line, "account [%s]: bad jid: %s", a->name,
			         why);
			break;
		}
		/* Without one, the core uses this installation's own
		 * (config/resource.h), so two natters never fight over one. */
		if (j.resource && *j.resource && !(a->resource = strdup(j.resource)))
			ini_nomem(&ld->ini);
		jid_clear(&j);
	}
}

/* Secrets need a private file; a command we run needs a file nobody else
 * can change. */
static void ld_check_mode(struct load *ld, mode_t mode)
{
	const char *secret = NULL;
	bool runs = false;
	size_t i, k;

	for (i = 0; i < ld->count; i++) {
		for (k = 0; k < ARRAY_SIZE(keys); k++)
			if (keys[k].secret && *key_str(&ld->items[i], &keys[k]) && !secret)
				secret = keys[k].name;
		runs |= ld->items[i].eval_password || ld->items[i].eval_token;
	}
	if (secret && (mode & 077))
		ini_fail(&ld->ini, 0,
		         "accounts file %s holds a %s and is %s by others (mode %04o); "
		         "run: chmod 600 %s",
		         ld->ini.path, secret, mode & 044 ? "readable" : "writable",
		         (unsigned)(mode & 07777), ld->ini.path);
	else if (runs && (mode & 022))
		ini_fail(&ld->ini, 0,
		         "accounts file %s runs eval_password or eval_token commands and is "
		         "writable by others (mode %04o); run: chmod 600 %s",
		         ld->ini.path, (unsigned)(mode & 07777), ld->ini.path);
}

static void ld_release(struct load *ld)
{
	size_t i;

	for (i = 0; i < ld->count; i++)
		account_clear(&ld->items[i]);
	free(ld->items);
	free(ld->meta);
	free(ld->ini.err);
}

int accounts_load(const char *path, struct account_list *out, char **err)
{
	struct load ld = {.ini.path = path};
	struct stat st;
	FILE *f;

	*err = NULL;
	out->items = NULL;
	out->count = 0;
	f = fopen(path, "re");
	if (!f) {
		if (errno == ENOENT)
			return 0;
		ini_fail(&ld.ini, 0, "cannot open %s: %s", path, strerror(errno));
		goto fail;
	}
	/* fstat, not stat: the checks must be about the file we read */
	if (fstat(fileno(f), &st) < 0)
		ini_fail(&ld.ini, 0, "cannot stat %s: %s", path, strerror(errno));
	else if (!S_ISREG(st.st_mode))
		ini_fail(&ld.ini, 0, "accounts file %s is not a regular file", path);
	else if (st.st_uid != geteuid())
		ini_fail(&ld.ini, 0, "accounts file %s belongs to uid %u, not to you (uid %u)",
		         path, (unsigned)st.st_uid, (unsigned)geteuid());
	if (!ini_failed(&ld.ini))
		ini_read(&ld.ini, f, &ld_ops, &ld);
	fclose(f);
	ld_finish(&ld);
	if (!ini_failed(&ld.ini))
		ld_check_mode(&ld, st.st_mode);
	if (ini_failed(&ld.ini))
		goto fail;
	out->items = ld.items;
	out->count = ld.count;
	ld.items = NULL;
	ld.count = 0;
	ld_release(&ld);
	return 0;
fail:
	*err = ini_take_error(&ld.ini);
	ld_release(&ld);
	return -1;
}

/* ---- accounts_set_key -------------------------------------------------- */

struct buf {
	char *s;
	size_t len, cap;
	bool nomem;
};

static void buf_add(struct buf *b, const char *s, size_t n)
{
	size_t cap;
	char *p;

	if (b->nomem)
		return;
	if (b->len + n + 1 > b->cap) {
		cap = 2 * (b->len + n + 1);
		p = malloc(cap);
		if (!p) {
			b->nomem = true;
			return;
		}
		if (b->s)
			memcpy(p, b->s, b->len);
		/* the buffer may hold a password: never leave a copy behind */
		if (b->s)
			explicit_bzero(b->s, b->cap);
		free(b->s);
		b->s = p;
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

static void buf_str(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

static void buf_free(struct buf *b)
{
	if (b->s)
		explicit_bzero(b->s, b->cap);
	free(b->s);
	memset(b, 0, sizeof(*b));
}

/* The whole file, or an empty buffer with *mode 0600 if it is missing. */
static int read_whole(const char *path, struct buf *b, mode_t *mode, bool *exists)
{
	char chunk[4096];
	struct stat st;
	size_t n;
	FILE *f;
	int rc = 0;

	*exists = false;
	*mode = 0600;
	f = fopen(path, "re");
	if (!f)
		return errno == ENOENT ? 0 : -1;
	*exists = true;
	if (fstat(fileno(f), &st) == 0)
		*mode = st.st_mode & 07777;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_add(b, chunk, n);
	if (ferror(f))
		rc = -1;
	if (b->nomem) {
		errno = ENOMEM;
		rc = -1;
	}
	explicit_bzero(chunk, sizeof(chunk));
	fclose(f);
	return rc;
}

struct span {
	const char *s;
	size_t len;    /* without the line ending */
	size_t endlen; /* of the line ending: 0, 1 or 2 */
	struct ini_line l;
};

/* Splits text into lines, each classified as the loader sees it. */
static struct span *split_lines(const char *text, size_t len, size_t *count)
{
	struct span *v = NULL, *p;
	size_t n = 0, alloc = 0, end;
	const char *s = text, *nl, *cls;

	while (s < text + len) {
		if (n == alloc) {
			alloc = alloc ? 2 * alloc : 16;
			p = reallocarray(v, alloc, sizeof(*v));
			if (!p) {
				free(v);
				return NULL;
			}
			v = p;
		}
		nl = memchr(s, '\n', text + len - s);
		end = nl ? (size_t)(nl - s) : (size_t)(text + len - s);
		v[n].s = s;
		v[n].endlen = nl ? 1 : 0;
		if (nl && end && s[end - 1] == '\r') {
			end--;
			v[n].endlen = 2;
		}
		v[n].len = end;
		cls = s;
		if (s == text && end >= 3 && !memcmp(s, "\xef\xbb\xbf", 3))
			cls += 3;
		ini_line_split(cls, end - (cls - s), &v[n].l);
		s += end + v[n].endlen;
		n++;
	}
	*count = n;
	if (!v)
		v = malloc(sizeof(*v)); /* a valid pointer for an empty file */
	return v;
}

static bool span_is(const struct span *sp, enum ini_line_kind kind, const char *name)
{
	return sp->l.kind == kind && sp->l.name_len == strlen(name) &&
	       !memcmp(sp->l.name, name, sp->l.name_len);
}

/* The new text of the file.  *changed is false when there is nothing to do. */
static int rewrite(const struct span *v, size_t n, const char *name, const char *key,
                   const char *value, struct buf *out, bool *changed)
{
	size_t i, start = n, end = n, insert_after = n;
	bool written = false;

	*changed = false;
	for (i = 0; i < n && start == n; i++)
		if (span_is(&v[i], INI_LINE_SECTION, name))
			start = insert_after = i;
	for (i = start + 1; start < n && i < n && end == n; i++) {
		if (v[i].l.kind == INI_LINE_SECTION)
			end = i;
		else if (v[i].l.kind == INI_LINE_KEY)
			insert_after = i;
	}
	for (i = 0; i < n; i++) {
		if (i > start && i < end && span_is(&v[i], INI_LINE_KEY, key)) {
			*changed = true;
			if (value && !written) {
				buf_str(out, key);
				buf_str(out, " = ");
				buf_str(out, value);
				buf_add(out, v[i].s + v[i].len, v[i].endlen);
				written = true;
			}
			continue;
		}
		buf_add(out, v[i].s, v[i].len + v[i].endlen);
		if (i == insert_after && value && !written) {
			/* placed after the last key, so that comments introducing
			 * the next section stay with it */
			if (!v[i].endlen)
				buf_str(out, "\n");
			buf_str(out, key);
			buf_str(out, " = ");
			buf_str(out, value);
			buf_str(out, "\n");
			written = true;
			*changed = true;
		}
	}
	if (value && !written) {
		if (out->len && out->s[out->len - 1] != '\n')
			buf_str(out, "\n");
		if (out->len)
			buf_str(out, "\n");
		buf_str(out, "[");
		buf_str(out, name);
		buf_str(out, "]\n");
		buf_str(out, key);
		buf_str(out, " = ");
		buf_str(out, value);
		buf_str(out, "\n");
		*changed = true;
	}
	if (out->nomem) {
		errno = ENOMEM;
		return -1;
	}
	return 0;
}

static bool holds_secret(const char *text, size_t len)
{
	struct span *v;
	size_t n, i, k;
	bool found = true; /* when in doubt, keep the file private */

	v = split_lines(text, len, &n);
	if (!v)
		return found;
	found = false;
	for (i = 0; i < n; i++)
		for (k = 0; k < ARRAY_SIZE(keys); k++)
			if (keys[k].secret && span_is(&v[i], INI_LINE_KEY, keys[k].name))
				found = true;
	free(v);
	return found;
}

static int write_all(int fd, const char *s, size_t len)
{
	ssize_t n;

	while (len) {
		n = write(fd, s, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		s += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Replaces path by text atomically: a temporary file in the same directory,
 * fsync, rename.  Any failure leaves the old file as it was. */
static int replace_file(const char *path, const char *text, size_t len, mode_t mode)
{
	char *tmp, *dir, *slash;
	int fd, saved;

	if (asprintf(&tmp, "%s.XXXXXX", path) < 0)
		return -1;
	fd = mkostemp(tmp, O_CLOEXEC); /* mode 0600 */
	if (fd < 0) {
		saved = errno;
		free(tmp);
		errno = saved;
		return -1;
	}
	if (write_all(fd, text, len) < 0 || (mode != 0600 && fchmod(fd, mode) < 0) ||
	    fsync(fd) < 0) {
		saved = errno;
		close(fd);
		goto fail;
	}
	if (close(fd) < 0 || rename(tmp, path) < 0) {
		saved = errno;
		goto fail;
	}
	free(tmp);
	/* make the rename itself durable; the data is already safe, so a
	 * failure here is not worth reporting */
	dir = strdup(path);
	if (dir) {
		slash = strrchr(dir, '/');
		if (slash)
			*(slash == dir ? slash + 1 : slash) = '\0';
		fd = open(slash ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd >= 0) {
			fsync(fd);
			close(fd);
		}
		free(dir);
	}
	return 0;
fail:
	unlink(tmp);
	free(tmp);
	errno = saved;
	return -1;
}

/* Refuses what the file could not hold or the loader would refuse, so an
 * edit never breaks the file. */
static const char *set_key_problem(const char *name, const char *key, const char *value)
{
	const struct key_def *k = key_find(key, strlen(key));
	struct account scratch = {0};
	const char *why = NULL;
	size_t len;
	char *v;
	int rc;

	if (name_problem(name, strlen(name)))
		return "bad account name";
	if (!k)
		return "unknown key";
	if (!value)
		return NULL;
	len = strlen(value);
	if (!len)
		return "empty value (pass NULL to remove the key)";
	if (strchr(value, '\n') || strchr(value, '\r'))
		return "the value holds a line break";
	if (isspace((unsigned char)value[0]) || isspace((unsigned char)value[len - 1]))
		return "the value starts or ends with a space, which the file cannot keep";
	v = strdup(value);
	if (!v)
		return "out of memory";
	rc = key_set(&scratch, k, &v, &why);
	free_secret(v);
	account_clear(&scratch);
	if (rc == -2)
		return "out of memory";
	return rc < 0 ? (why ? why : "invalid value") : NULL;
}

/* The directory of path (malloc'd), "." when it has none. */
static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		return strdup(".");
	if (slash == path)
		return strdup("/");
	return strndup(path, (size_t)(slash - path));
}

int accounts_check_set_key(const char *path, const char *name, const char *key, const char *value,
                           char **err)
{
	const char *why = set_key_problem(name, key, value), *target = path;
	char *real = NULL, *dir = NULL;
	struct stat st;
	int rc = -1;

	*err = NULL;
	if (why) {
		if (asprintf(err, "cannot set %s in [%s]: %s", key, name, why) < 0)
			*err = NULL;
		return -1;
	}
	/* What accounts_set_key() does: read the file, write a temporary one
	 * beside it, rename it over. */
	if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode)) {
		real = realpath(path, NULL);
		if (!real)
			goto sys_fail;
		target = real;
	}
	dir = dir_of(target);
	if (!dir)
		goto sys_fail;
	if ((access(target, R_OK) < 0 && errno != ENOENT) || access(dir, W_OK | X_OK) < 0)
		goto sys_fail;
	rc = 0;
	goto out;
sys_fail:
	if (asprintf(err, "cannot update %s: %s", target, strerror(errno)) < 0)
		*err = NULL;
out:
	free(dir);
	free(real);
	return rc;
}

int accounts_set_key(const char *path, const char *name, const char *key, const char *value,
                     char **err)
{
	const char *why = set_key_problem(name, key, value);

	*err = NULL;
	if (why) {
		if (asprintf(err, "cannot set %s in [%s]: %s", key, name, why) < 0)
			*err = NULL;
		return -1;
	}
	return ini_file_set_key(path, name, key, value, err);
}

int ini_file_set_key(const char *path, const char *name, const char *key, const char *value,
                     char **err)
{
	struct buf in = {0}, out = {0};
	struct span *lines = NULL;
	char *real = NULL;
	const char *target = path;
	struct stat st;
	size_t n;
	mode_t mode;
	bool exists, changed;
	int rc = -1;

	*err = NULL;
	if (value && (strchr(value, '\n') || strchr(value, '\r') || !*value)) {
		if (asprintf(err, "cannot set %s in [%s]: not a value for one line", key, name) < 0)
			*err = NULL;
		return -1;
	}
	/* edit the file a symlink points to, not the link */
	if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode)) {
		real = realpath(path, NULL);
		if (!real)
			goto sys_fail;
		target = real;
	}
	if (read_whole(target, &in, &mode, &exists) < 0)
		goto sys_fail;
	if (!exists && !value) {
		rc = 0;
		goto out;
	}
	lines = split_lines(in.s ? in.s : "", in.len, &n);
	if (!lines)
		goto sys_fail;
	if (rewrite(lines, n, name, key, value, &out, &changed) < 0)
		goto sys_fail;
	if (!changed) {
		rc = 0;
		goto out;
	}
	/* keep the mode, but a secret never goes into a file others can read */
	if (holds_secret(out.s, out.len))
		mode &= ~(mode_t)077;
	if (replace_file(target, out.s ? out.s : "", out.len, mode) < 0)
		goto sys_fail;
	rc = 0;
	goto out;
sys_fail:
	if (asprintf(err, "cannot update %s: %s", target, strerror(errno)) < 0)
		*err = NULL;
out:
	free(lines);
	buf_free(&in);
	buf_free(&out);
	free(real);
	return rc;
}
