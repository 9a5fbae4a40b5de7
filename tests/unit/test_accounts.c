/* Tests for the accounts file: keys and bounds, the permission rule,
 * eval_password and accounts_set_key(). */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "config/accounts.h"

struct fixture {
	char dir[64];
	char path[128];
};

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	if (!fx)
		return -1;
	strcpy(fx->dir, "/tmp/natter-test-accounts-XXXXXX");
	if (!mkdtemp(fx->dir)) {
		free(fx);
		return -1;
	}
	snprintf(fx->path, sizeof(fx->path), "%s/accounts", fx->dir);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	struct dirent *e;
	char p[512];
	DIR *d = opendir(fx->dir);

	while (d && (e = readdir(d))) {
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
			snprintf(p, sizeof(p), "%s/%s", fx->dir, e->d_name);
			unlink(p);
		}
	}
	if (d)
		closedir(d);
	rmdir(fx->dir);
	free(fx);
	return 0;
}

static void write_file(const char *path, const char *text, mode_t mode)
{
	FILE *f;

	unlink(path);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(path, mode), 0);
}

static char *read_text(const char *path)
{
	static char buf[65536];
	FILE *f = fopen(path, "r");
	size_t n;

	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static mode_t file_mode(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return st.st_mode & 07777;
}

static int count_entries(const char *dir)
{
	struct dirent *e;
	DIR *d = opendir(dir);
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

#define assert_contains(hay, needle)                                                               \
	do {                                                                                       \
		if (!(hay) || !strstr((hay), (needle)))                                            \
			fail_msg("'%s' does not contain '%s'", (hay) ? (hay) : "(null)",           \
			         (needle));                                                        \
	} while (0)

/* Loads text written with mode; expects success. */
static void load_ok(struct fixture *fx, const char *text, mode_t mode, struct account_list *l)
{
	char *err = NULL;

	write_file(fx->path, text, mode);
	if (accounts_load(fx->path, l, &err) != 0)
		fail_msg("unexpected error: %s", err);
	assert_null(err);
}

/* Loads text; expects failure with a message holding each needle. */
static void load_fails(struct fixture *fx, const char *text, mode_t mode, const char *needle1,
                       const char *needle2)
{
	struct account_list l = {0};
	char *err = NULL;

	write_file(fx->path, text, mode);
	assert_int_equal(accounts_load(fx->path, &l, &err), -1);
	assert_int_equal(l.count, 0);
	assert_null(l.items);
	assert_contains(err, needle1);
	if (needle2)
		assert_contains(err, needle2);
	free(err);
}

/* One account with jid a@example.org and the line "key = value". */
static int load_one_key(struct fixture *fx, const char *key, const char *value,
                        struct account_list *l, char **err)
{
	char text[1024];

	snprintf(text, sizeof(text), "[a]\njid = a@example.org\n%s = %s\n", key, value);
	write_file(fx->path, text, 0600);
	*err = NULL;
	return accounts_load(fx->path, l, err);
}

static void expect_key_ok(struct fixture *fx, const char *key, const char *value,
                          struct account_list *l)
{
	char *err;

	if (load_one_key(fx, key, value, l, &err) != 0)
		fail_msg("%s = %s refused: %s", key, value, err);
	assert_int_equal(l->count, 1);
}

static void expect_key_bad(struct fixture *fx, const char *key, const char *value)
{
	struct account_list l = {0};
	char *err, where[200];

	if (load_one_key(fx, key, value, &l, &err) == 0)
		fail_msg("%s = %s accepted", key, value);
	snprintf(where, sizeof(where), "%s:3:", fx->path);
	assert_contains(err, where);
	assert_contains(err, key);
	free(err);
}

static void test_all_keys(void **state)
{
	struct fixture *fx = *state;
	struct account_list l = {0};
	const struct account *a;

	load_ok(fx,
	        "; comment\n# another\n\n"
	        "[work]\n"
	        "jid = me@example.org\n"
	        "password = p;a ss#word\n"
	        "eval_password = pass show x\n"
	        "server = xmpp.example.net\n"
	        "port = 5223\n"
	        "resource = laptop\n"
	        "priority = -5\n"
	        "tls = direct\n"
	        "tls_cafile = /etc/ca.pem\n"
	        "tls_fingerprint = sha256:"
	        "0123456789abcdef0123456789abcdef"
	        "0123456789abcdef0123456789abcdef\n"
	        "auth = x-yandex-oauth\n"
	        "token = tok ;en\n"
	        "eval_token = oauth-helper print\n"
	        "autoack_fcm = true\n"
	        "fcm = true\n"
	        "compression = true\n",
	        0600, &l);
	assert_int_equal(l.count, 1);
	a = accounts_find(&l, "work");
	assert_non_null(a);
	assert_string_equal(a->name, "work");
	assert_string_equal(a->jid, "me@example.org");
	assert_string_equal(a->password, "p;a ss#word");
	assert_string_equal(a->eval_password, "pass show x");
	assert_string_equal(a->server, "xmpp.example.net");
	assert_int_equal(a->port, 5223);
	assert_string_equal(a->resource, "laptop");
	assert_int_equal(a->priority, -5);
	assert_int_equal(a->tls, TLS_DIRECT);
	assert_string_equal(a->tls_cafile, "/etc/ca.pem");
	assert_string_equal(a->tls_fingerprint, "sha256:0123456789abcdef0123456789abcdef"
	                                        "0123456789abcdef0123456789abcdef");
	assert_int_equal(a->auth, AUTH_X_YANDEX_OAUTH);
	assert_string_equal(a->token, "tok ;en");
	assert_string_equal(a->eval_token, "oauth-helper print");
	assert_true(a->autoack_fcm);
	assert_true(a->fcm);
	assert_true(a->compression);
	assert_null(accounts_find(&l, "play"));
	accounts_free(&l);
	assert_int_equal(l.count, 0);
}

static void test_defaults_and_layout(void **state)
{
	struct fixture *fx = *state;
	struct account_list l = {0};
	const struct account *a;

	/* indentation, "name: value", CRLF and a blank section separator */
	load_ok(fx, "[one]\r\n  jid: one@example.org\r\n\n[two]\njid=two@example.org\n", 0644, &l);
	assert_int_equal(l.count, 2);
	a = accounts_find(&l, "one");
	assert_non_null(a);
	assert_string_equal(a->jid, "one@example.org");
	assert_null(a->password);
	assert_null(a->eval_password);
	assert_null(a->server);
	assert_int_equal(a->port, 0);
	assert_null(a->resource);
	assert_int_equal(a->priority, 0);
	assert_int_equal(a->tls, TLS_REQUIRE);
	assert_null(a->tls_cafile);
	assert_null(a->tls_fingerprint);
	assert_int_equal(a->auth, AUTH_AUTO);
	assert_null(a->token);
	assert_null(a->eval_token);
	assert_false(a->autoack_fcm);
	assert_false(a->fcm);
	assert_false(a->compression);
	assert_non_null(accounts_find(&l, "two"));
	accounts_free(&l);
}

static void test_port_bounds(void **state)
{
	struct fixture *fx = *state;
	struct account_list l = {0};

	expect_key_ok(fx, "port", "1", &l);
	assert_int_equal(l.items[0].port, 1);
	accounts_free(&l);
	expect_key_ok(fx, "port", "65535", &l);
	assert_int_equal(l.items[0].port, 65535);
	accounts_free(&l);
	expect_key_bad(fx, "port", "0");
	expect_key_bad(fx, "port", "65536");
	expect_key_bad(fx, "port", "-1");
	expect_key_bad(fx, "port", "52x");
	expect_key_bad(fx, "port", "0x10");
	expect_key_bad(fx, "port", "99999999999999999999999");
}

static void test_priority_bounds(void **state)
{
	struct fixture *fx = *state;
	struct account_list l = {0};

	expect_key_ok(fx, "priority", "-128", &l);
	assert_int_equal(l.items[0].priority, -128);
	accounts_free(&l);
	expect_key_ok(fx, "priority", "127", &l);
	assert_int_equal(l.items[0].priority, 127);
	accounts_free(&l);
	expect_key_bad(fx, "priority", "-129");
	expect_key_bad(fx, "priority", "128");
	expect_key_bad(fx, "priority", "high");
}

static void test_enums(void **state)
{
	struct fixture *fx = *state;
	struct account_list l = {0};
	int m;

	for (m = TLS_REQUIRE; m <= TLS_DISABLE; m++) {
		expect_key_ok(fx, "tls", tls_mode_name(m), &l);
		assert_int_equal(l.items[0].tls, m);
		accounts_free(&l);
	}
	assert_string_equal(tls_mode_name(TLS_REQUIRE), "require");
	assert_string_equal(tls_mode_name(TLS_DIRECT), "direct");
	assert_string_equal(tls_mode_name(TLS_DISABLE), "disable");
	expect_key_bad(fx, "tls", "starttls");
	expect_key_bad(fx, "tls", "REQUIRE");

	for (m = AUTH_AUTO; m <= AUTH_X_YANDEX_OAUTH; m++) {
		expect_key_ok(fx, "auth", auth_mode_name(m), &l);
		assert_int_equal(l.items[0].auth, m);
		accounts_free(&l);
	}
	assert_string_equal(auth_mode_name(AUTH_AUTO), "auto");
	assert_string_equal(auth_mode_name(AUTH_SCRAM), "scram");
	assert_string_equal(auth_mode_name(AUTH_PLAIN), "plain");
	assert_string_equal(auth_mode_name(AUTH_LEGACY), "legacy");
	assert_string_equal(auth_mode_name(AUTH_X_OAUTH2), "x-oauth2");
	assert_string_equal(auth_mode_name(AUTH_X_YANDEX_OAUTH), "x-yandex-oauth");
	expect_key_bad(fx, "auth", "digest-md5");

	expect_key_ok(fx, "autoack_fcm", "false", &l);
	assert_false(l.items[0].autoack_fcm);
	accounts_free(&l);
	expect_key_ok(fx, "autoack_fcm", "true", &l);
	assert_true(l.items[0].autoack_fcm);
	accounts_free(&l);
	expect_key_bad(fx, "autoack_fcm", "yes");
	expect_key_bad(fx, "autoack_fcm", "1");
	/* Each boolean lands in its own field. */
	expect_key_ok(fx, "fcm", "true", &l);
	assert_true(l.items[0].fcm);
	assert_false(l.items[0].autoack_fcm);
	assert_false(l.items[0].compression);
	accounts_free(&l);
	expect_key_ok(fx, "compression", "true", &l);
	assert_true(l.items[0].compression);
	assert_false(l.items[0].fcm);
	accounts_free(&l);
	expect_key_bad(fx, "fcm", "on");
	expect_key_bad(fx, "compression", "zlib");
}

static void test_fingerprint(void **state)
{
	struct fixture *fx = *state;
	struct account_list l = {0};
	static const char norm[] = "sha256:ab01cd23ef45ab01cd23ef45ab01cd23"
	                           "ef45ab01cd23ef45ab01cd23ef45ab01";

	expect_key_ok(fx, "tls_fingerprint",
	              "SHA256:AB:01:CD:23:EF:45:AB:01:CD:23:EF:45:AB:01:CD:23:"
	              "EF:45:AB:01:CD:23:EF:45:AB:01:CD:23:EF:45:AB:01",
	              &l);
	assert_string_equal(l.items[0].tls_fingerprint, norm);
	accounts_free(&l);
	expect_key_ok(fx, "tls_fingerprint",
	              "sha256:AB01CD23EF45AB01CD23EF45AB01CD23EF45AB01CD23EF45AB01CD23EF45AB01",
	              &l);
	assert_string_equal(l.items[0].tls_fingerprint, norm);
	accounts_free(&l);
	/* the one rule of util/pin.h: libstrophe's bare digest is a pin here
	 * too, as it is for /tls trust */
	expect_key_ok(fx, "tls_fingerprint",
	              "AB01CD23EF45AB01CD23EF45AB01CD23EF45AB01CD23EF45AB01CD23EF45AB01", &l);
	assert_string_equal(l.items[0].tls_fingerprint, norm);
	accounts_free(&l);
	/* too short, not hex, wrong hash, misplaced colons */
	expect_key_bad(fx, "tls_fingerprint", "sha256:ab01");
	expect_key_bad(fx, "tls_fingerprint",
	               "sha256:xx01cd23ef45ab01cd23ef45ab01cd23ef45ab01cd23ef45ab01cd23ef45ab01");
	expect_key_bad(fx, "tls_fingerprint",
	               "sha1:ab01cd23ef45ab01cd23ef45ab01cd23ef45ab01cd23ef45ab01cd23ef45ab01");
	expect_key_bad(fx, "tls_fingerprint",
	               "sha256:ab0:1cd:23:ef:45:ab:01:cd:23:ef:45:ab:01:cd:23:ef:45:ab:01:cd:23:"
	               "ef:45:ab:01:cd:23:ef:45:ab:01");
}

static void test_unknown_key(void **state)
{
	struct fixture *fx = *state;
	char where[200];

	snprintf(where, sizeof(where), "%s:3:", fx->path);
	load_fails(fx, "[a]\njid = a@example.org\npasword = x\n", 0600, where, "'pasword'");
	/* key names are case-sensitive */
	load_fails(fx, "[a]\njid = a@example.org\nPort = 5222\n", 0600, where, "'Port'");
}

static void test_jid(void **state)
{
	struct fixture *fx = *state;
	struct account_list l = {0};
	char where[200];

	snprintf(where, sizeof(where), "%s:4:", fx->path);
	load_fails(fx, "[a]\njid = a@example.org\n\n[b]\nport = 5222\n", 0600, where, "no jid");
	/* an empty section has no jid either */
	load_fails(fx, "[a]\njid = a@example.org\n\n[b]\n", 0600, where, "[b]");
	snprintf(where, sizeof(where), "%s:2:", fx->path);
	load_fails(fx, "[a]\njid = example.org\n", 0600, where, "jid");
	load_fails(fx, "[a]\njid = @example.org\n", 0600, where, "jid");
	load_fails(fx, "[a]\njid = a b@example.org\n", 0600, where, "jid");
	load_fails(fx, "[a]\njid =\n", 0600, where, "no value");

	/* the JID's resource, unless resource is given, wherever it is */
	load_ok(fx, "[a]\njid = a@example.org/phone\n", 0600, &l);
	assert_string_equal(l.items[0].resource, "phone");
	assert_string_equal(l.items[0].jid, "a@example.org/phone");
	accounts_free(&l);
	load_ok(fx, "[a]\nresource = desk\njid = a@example.org/phone\n", 0600, &l);
	assert_string_equal(l.items[0].resource, "desk");
	accounts_free(&l);
}

static void test_structure_errors(void **state)
{
	struct fixture *fx = *state;
	char where[200];

	snprintf(where, sizeof(where), "%s:4:", fx->path);
	load_fails(fx, "[a]\njid = a@example.org\n\n[a]\njid = b@example.org\n", 0600, where,
	           "twice");
	snprintf(where, sizeof(where), "%s:3:", fx->path);
	load_fails(fx, "[a]\njid = a@example.org\njid = b@example.org\n", 0600, where, "twice");
	snprintf(where, sizeof(where), "%s:1:", fx->path);
	load_fails(fx, "jid = a@example.org\n[a]\n", 0600, where, "outside");
	snprintf(where, sizeof(where), "%s:2:", fx->path);
	load_fails(fx, "[a]\nthis is not a key\njid = a@example.org\n", 0600, where, "expected");
	load_fails(fx, "[a]\n[unclosed\njid = a@example.org\n", 0600, where, "expected");
	snprintf(where, sizeof(where), "%s:1:", fx->path);
	load_fails(fx, "[]\njid = a@example.org\n", 0600, where, "empty");
	load_fails(fx, "[ a ]\njid = a@example.org\n", 0600, where, "space");
	load_fails(fx,
	           "[aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa]\njid = a@example.org\n",
	           0600, where, "longer");
}

/* Lines of any length are read whole (the inih-based reader stopped at
 * 197 bytes, and a long password set by /password could not be saved). */
static void test_long_lines(void **state)
{
	struct fixture *fx = *state;
	struct account_list l = {0};
	const size_t big = 100000;
	char *text = malloc(2 * big + 200);
	size_t n;

	assert_non_null(text);
	n = (size_t)sprintf(text, "[a]\njid = a@example.org\neval_password = ");
	memset(text + n, 'x', big);
	n += big;
	n += (size_t)sprintf(text + n, "\npassword = ");
	memset(text + n, 'p', big);
	n += big;
	strcpy(text + n, "\nport = 1\n");
	load_ok(fx, text, 0600, &l);
	assert_int_equal(strlen(l.items[0].eval_password), big);
	assert_int_equal(strlen(l.items[0].password), big);
	assert_int_equal(l.items[0].port, 1);
	accounts_free(&l);

	/* a long comment is harmless */
	n = (size_t)sprintf(text, "# ");
	memset(text + n, 'c', 3000);
	strcpy(text + n + 3000, "\n[a]\njid = a@example.org\n");
	load_ok(fx, text, 0600, &l);
	assert_int_equal(l.count, 1);
	accounts_free(&l);
	free(text);
}

static void test_permissions(void **state)
{
	struct fixture *fx = *state;
	struct account_list l = {0};
	char chmod_hint[200];

	snprintf(chmod_hint, sizeof(chmod_hint), "chmod 600 %s", fx->path);
	load_fails(fx, "[a]\njid = a@example.org\npassword = secret\n", 0644, "password",
	           chmod_hint);
	load_fails(fx, "[a]\njid = a@example.org\npassword = secret\n", 0644, "0644", NULL);
	load_fails(fx, "[a]\njid = a@example.org\ntoken = secret\n", 0640, "token", chmod_hint);
	load_fails(fx, "[a]\njid = a@example.org\npassword = secret\n", 0620, "writable", NULL);
	/* others must not choose the commands we run */
	load_fails(fx, "[a]\njid = a@example.org\neval_password = pass x\n", 0664, "eval_password",
	           chmod_hint);
	load_fails(fx, "[a]\njid = a@example.org\neval_token = oauth x\n", 0664, "eval_token",
	           chmod_hint);

	load_ok(fx, "[a]\njid = a@example.org\npassword = secret\n", 0600, &l);
	assert_string_equal(l.items[0].password, "secret");
	accounts_free(&l);
	load_ok(fx, "[a]\njid = a@example.org\npassword = secret\n", 0400, &l);
	accounts_free(&l);
	load_ok(fx, "[a]\njid = a@example.org\n", 0644, &l);
	accounts_free(&l);
	load_ok(fx, "[a]\njid = a@example.org\neval_password = pass x\n", 0644, &l);
	accounts_free(&l);
}

static void test_owner(void **state)
{
	struct fixture *fx = *state;

	if (geteuid() != 0)
		skip(); /* only root can give a file away */
	write_file(fx->path, "[a]\njid = a@example.org\n", 0600);
	assert_int_equal(chown(fx->path, 65534, 65534), 0);
	{
		struct account_list l = {0};
		char *err = NULL;

		assert_int_equal(accounts_load(fx->path, &l, &err), -1);
		assert_contains(err, "65534");
		free(err);
	}
}

static void test_missing_file(void **state)
{
	struct fixture *fx = *state;
	struct account_list l = {.count = 7};
	char *err = NULL;

	assert_int_equal(accounts_load(fx->path, &l, &err), 0);
	assert_null(err);
	assert_int_equal(l.count, 0);
	assert_null(l.items);
	accounts_free(&l);
}

static void test_copy(void **state)
{
	struct fixture *fx = *state;
	struct account_list l = {0};
	struct account c;

	load_ok(fx, "[a]\njid = a@example.org\npassword = pw\nport = 5\ntls = disable\n", 0600, &l);
	assert_int_equal(account_copy(&c, &l.items[0]), 0);
	accounts_free(&l);
	assert_string_equal(c.name, "a");
	assert_string_equal(c.jid, "a@example.org");
	assert_string_equal(c.password, "pw");
	assert_null(c.resource);
	assert_null(c.server);
	assert_int_equal(c.port, 5);
	assert_int_equal(c.tls, TLS_DISABLE);
	account_clear(&c);
	assert_null(c.name);
}

static void set_ok(struct fixture *fx, const char *name, const char *key, const char *value)
{
	char *err = NULL;

	if (accounts_set_key(fx->path, name, key, value, &err) != 0)
		fail_msg("set %s.%s failed: %s", name, key, err);
	assert_null(err);
}

static void test_set_key_creates(void **state)
{
	struct fixture *fx = *state;
	struct account_list l = {0};
	char *err = NULL;

	/* removing from a missing file creates nothing */
	set_ok(fx, "a", "password", NULL);
	assert_int_equal(access(fx->path, F_OK), -1);

	set_ok(fx, "a", "jid", "a@example.org");
	assert_string_equal(read_text(fx->path), "[a]\njid = a@example.org\n");
	assert_int_equal(file_mode(fx->path), 0600);
	set_ok(fx, "a", "password", "s3cret ;x");
	assert_int_equal(file_mode(fx->path), 0600);
	assert_int_equal(accounts_load(fx->path, &l, &err), 0);
	assert_string_equal(l.items[0].password, "s3cret ;x");
	accounts_free(&l);
	assert_int_equal(count_entries(fx->dir), 1);
}

static void test_set_key_edits(void **state)
{
	struct fixture *fx = *state;
	static const char before[] = "# my accounts\n"
	                             "[work]\n"
	                             "jid = me@work.example ; not a comment\n"
	                             "; the port\n"
	                             "port = 5222\n"
	                             "\n"
	                             "# personal\n"
	                             "[home]\n"
	                             "jid = me@home.example\n";

	write_file(fx->path, before, 0600);
	set_ok(fx, "work", "port", "5223");
	assert_string_equal(read_text(fx->path), "# my accounts\n"
	                                         "[work]\n"
	                                         "jid = me@work.example ; not a comment\n"
	                                         "; the port\n"
	                                         "port = 5223\n"
	                                         "\n"
	                                         "# personal\n"
	                                         "[home]\n"
	                                         "jid = me@home.example\n");
	set_ok(fx, "work", "tls", "direct");
	set_ok(fx, "home", "priority", "-1");
	assert_string_equal(read_text(fx->path), "# my accounts\n"
	                                         "[work]\n"
	                                         "jid = me@work.example ; not a comment\n"
	                                         "; the port\n"
	                                         "port = 5223\n"
	                                         "tls = direct\n"
	                                         "\n"
	                                         "# personal\n"
	                                         "[home]\n"
	                                         "jid = me@home.example\n"
	                                         "priority = -1\n");
	set_ok(fx, "work", "port", NULL);
	set_ok(fx, "work", "tls", NULL);
	set_ok(fx, "home", "priority", NULL);
	assert_string_equal(read_text(fx->path), "# my accounts\n"
	                                         "[work]\n"
	                                         "jid = me@work.example ; not a comment\n"
	                                         "; the port\n"
	                                         "\n"
	                                         "# personal\n"
	                                         "[home]\n"
	                                         "jid = me@home.example\n");
	set_ok(fx, "new", "jid", "n@example.org");
	assert_contains(read_text(fx->path),
	                "jid = me@home.example\n\n[new]\njid = n@example.org\n");
	assert_int_equal(count_entries(fx->dir), 1);
}

static void test_set_key_mode(void **state)
{
	struct fixture *fx = *state;
	char link[200];

	/* a file without secrets keeps its mode... */
	write_file(fx->path, "[a]\njid = a@example.org", 0644);
	set_ok(fx, "a", "port", "5222");
	assert_int_equal(file_mode(fx->path), 0644);
	/* the missing final newline is mended, not glued to the new key */
	assert_string_equal(read_text(fx->path), "[a]\njid = a@example.org\nport = 5222\n");
	/* ...but a secret is never written where others can read it */
	set_ok(fx, "a", "token", "t");
	assert_int_equal(file_mode(fx->path), 0600);

	/* a symlinked file is edited in place; the link stays */
	snprintf(link, sizeof(link), "%s/link", fx->dir);
	assert_int_equal(symlink("accounts", link), 0);
	{
		char *err = NULL;

		assert_int_equal(accounts_set_key(link, "a", "port", "1", &err), 0);
	}
	assert_contains(read_text(fx->path), "port = 1\n");
	{
		struct stat st;

		assert_int_equal(lstat(link, &st), 0);
		assert_true(S_ISLNK(st.st_mode));
	}
}

static void test_set_key_refuses(void **state)
{
	struct fixture *fx = *state;
	static const char text[] = "[a]\njid = a@example.org\n";
	char *err = NULL;

	write_file(fx->path, text, 0600);
	assert_int_equal(accounts_set_key(fx->path, "a", "port", "0", &err), -1);
	assert_contains(err, "65535");
	free(err);
	assert_int_equal(accounts_set_key(fx->path, "a", "password", "x\n[b]", &err), -1);
	assert_contains(err, "line break");
	free(err);
	assert_int_equal(accounts_set_key(fx->path, "a", "password", " x", &err), -1);
	free(err);
	assert_int_equal(accounts_set_key(fx->path, "a", "nonsense", "x", &err), -1);
	assert_contains(err, "unknown key");
	free(err);
	assert_int_equal(accounts_set_key(fx->path, "a]", "port", "1", &err), -1);
	free(err);
	assert_string_equal(read_text(fx->path), text);
}

static void test_set_key_full_disk(void **state)
{
	struct fixture *fx = *state;
	static const char text[] = "[a]\njid = a@example.org\n";
	struct rlimit old, lim;
	void (*old_handler)(int);
	char *err = NULL;
	int rc;

	write_file(fx->path, text, 0600);
	/* a file size limit makes write() fail as a full disk would */
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	lim = old;
	lim.rlim_cur = 10;
	old_handler = signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	rc = accounts_set_key(fx->path, "a", "password", "secret", &err);
	setrlimit(RLIMIT_FSIZE, &old);
	signal(SIGXFSZ, old_handler);
	assert_int_equal(rc, -1);
	assert_contains(err, fx->path);
	free(err);
	assert_string_equal(read_text(fx->path), text);
	assert_int_equal(count_entries(fx->dir), 1);
}

/* Issue 15 item 11: a password of any length is stored and read back. */
static void test_set_key_long_password(void **state)
{
	struct fixture *fx = *state;
	struct account_list l = {0};
	const size_t big = 10000;
	char *pw = malloc(big + 1), *err = NULL;

	assert_non_null(pw);
	for (size_t i = 0; i < big; i++)
		pw[i] = (char)('!' + i % 90);
	pw[big] = '\0';
	write_file(fx->path, "[a]\njid = a@example.org\npassword = old\n[b]\njid = b@x.org\n",
	           0600);
	assert_int_equal(accounts_check_set_key(fx->path, "a", "password", pw, &err), 0);
	assert_null(err);
	set_ok(fx, "a", "password", pw);
	load_ok(fx, read_text(fx->path), 0600, &l);
	assert_int_equal(l.count, 2);
	assert_string_equal(l.items[0].password, pw);
	assert_string_equal(l.items[1].jid, "b@x.org");
	accounts_free(&l);
	free(pw);
}

/* What /password asks before it asks the server. */
static void test_check_set_key(void **state)
{
	struct fixture *fx = *state;
	static const char text[] = "[a]\njid = a@example.org\n";
	char *err = NULL, missing[256];

	write_file(fx->path, text, 0600);
	assert_int_equal(accounts_check_set_key(fx->path, "a", "password", "fine pw", &err), 0);
	/* the file cannot keep outer blanks or a line break */
	assert_int_equal(accounts_check_set_key(fx->path, "a", "password", "pw ", &err), -1);
	assert_contains(err, "space");
	free(err);
	assert_int_equal(accounts_check_set_key(fx->path, "a", "password", "p\nw", &err), -1);
	assert_contains(err, "line break");
	free(err);
	/* nowhere to write the new file */
	snprintf(missing, sizeof(missing), "%s/gone/accounts", fx->dir);
	assert_int_equal(accounts_check_set_key(missing, "a", "password", "pw", &err), -1);
	assert_contains(err, "No such file");
	free(err);
	/* nothing was written */
	assert_string_equal(read_text(fx->path), text);
	assert_int_equal(count_entries(fx->dir), 1);
}

/* fcm not given: a connection server's account when it sets autoack_fcm
 * (either way) or its JID is at the service's domain; fcm given wins. */
static void test_fcm_inferred(void **state)
{
	struct fixture *fx = *state;
	struct account_list l = {0};

	load_ok(fx,
	        "[a]\njid = a@example.org\nautoack_fcm = false\n"
	        "[b]\njid = 126200347933@gcm.googleapis.com\n"
	        "[c]\njid = 1@FCM.googleapis.com/x\n"
	        "[d]\njid = a@example.org\n"
	        "[e]\njid = a@example.org\nautoack_fcm = true\nfcm = false\n"
	        "[f]\njid = 1@gcm.googleapis.com\nfcm = false\n"
	        "[g]\njid = a@googleapis.com\n",
	        0600, &l);
	assert_int_equal(l.count, 7);
	assert_true(l.items[0].fcm);
	assert_false(l.items[0].autoack_fcm);
	assert_true(l.items[1].fcm);
	assert_true(l.items[2].fcm);
	assert_false(l.items[3].fcm);
	assert_false(l.items[4].fcm);
	assert_true(l.items[4].autoack_fcm);
	assert_false(l.items[5].fcm);
	assert_false(l.items[6].fcm);
	accounts_free(&l);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_all_keys),
	    T(test_defaults_and_layout),
	    T(test_port_bounds),
	    T(test_priority_bounds),
	    T(test_enums),
	    T(test_fcm_inferred),
	    T(test_fingerprint),
	    T(test_unknown_key),
	    T(test_jid),
	    T(test_structure_errors),
	    T(test_long_lines),
	    T(test_permissions),
	    T(test_owner),
	    T(test_missing_file),
	    T(test_copy),
	    T(test_set_key_creates),
	    T(test_set_key_edits),
	    T(test_set_key_mode),
	    T(test_set_key_refuses),
	    T(test_set_key_full_disk),
	    T(test_set_key_long_password),
	    T(test_check_set_key),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
