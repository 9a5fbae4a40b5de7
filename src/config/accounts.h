/* Accounts: $XDG_CONFIG_HOME/natter/accounts, INI, one section per account
 * (keys in doc/natter.1 and ../shared/headless-contract.md). */
#ifndef NATTER_CONFIG_ACCOUNTS_H
#define NATTER_CONFIG_ACCOUNTS_H

#include <stdbool.h>
#include <stddef.h>

enum tls_mode { TLS_REQUIRE, TLS_DIRECT, TLS_DISABLE };
enum auth_mode {
	AUTH_AUTO,
	AUTH_SCRAM,
	AUTH_PLAIN,
	AUTH_LEGACY,
	AUTH_X_OAUTH2,
	AUTH_X_YANDEX_OAUTH
};

struct account {
	char *name;          /* the section name */
	char *jid;           /* as written; validated with jid_parse() */
	char *password;      /* NULL when not set */
	char *eval_password; /* run with config/evalcmd.h when password is NULL */
	char *server;        /* NULL: the JID's domain */
	int port;            /* 0: default for the TLS mode */
	char *resource;      /* NULL: this installation's own (config/resource.h) */
	int priority;        /* -128..127 */
	enum tls_mode tls;
	char *tls_cafile;
	char *tls_fingerprint; /* normalised "sha256:<64 lowercase hex>" or NULL */
	enum auth_mode auth;
	char *token;      /* OAuth token for auth=x-oauth2 / x-yandex-oauth */
	char *eval_token; /* run like eval_password when token is NULL */
	bool autoack_fcm;
	char *nick;        /* the nick in rooms (XEP-0045); NULL: the JID's localpart */
	char *omemo;       /* "on": chats are OMEMO-encrypted unless /omemo off */
	char *omemo_trust; /* "btbv" (default) or "manual" */
	/* A cloud-messaging connection server (seed 002): the server chooses
	 * the resource, and the session speaks google:mobile:data only (no
	 * roster, presence, archive or carbons). */
	bool fcm;
	bool compression; /* XEP-0138, where libstrophe can (doc/compression.md) */
};

struct account_list {
	struct account *items;
	size_t count;
};

/* Loads and validates the whole file.  On failure returns -1 and sets
 * *err to a malloc'd one-line reason naming the file, line and key (the
 * caller frees it).  A file that holds a password or token and is readable
 * by group or others is refused.  A missing file is not an error: the list
 * is empty (return 0). */
int accounts_load(const char *path, struct account_list *out, char **err);
void accounts_free(struct account_list *list);

/* The account called name, or NULL. */
const struct account *accounts_find(const struct account_list *list, const char *name);

/* Deep copy into *dst (0), or -1 on ENOMEM. */
int account_copy(struct account *dst, const struct account *src);
void account_clear(struct account *a);

/* Sets key=value in section name of the file at path (created 0600 if
 * missing), keeping every other line, comment and the mode; written to a
 * temporary file and renamed, so a crash or full disk never leaves a
 * half-written file.  value NULL removes the key.  -1 with *err on failure. */
int accounts_set_key(const char *path, const char *name, const char *key, const char *value,
                     char **err);

/* The same edit for any INI file of ours (natterrc's /set), without the
 * accounts file's own checks of names, keys and values. */
int ini_file_set_key(const char *path, const char *name, const char *key, const char *value,
                     char **err);

/* Whether accounts_set_key() with these arguments would be refused, asked
 * before an irreversible step (the server's /password) that needs the file
 * updated after it: the value must be one the file can keep, the file
 * readable and its directory writable.  0, or -1 with a malloc'd *err.  A
 * disk that fills up in between can still fail the real write. */
int accounts_check_set_key(const char *path, const char *name, const char *key, const char *value,
                           char **err);

const char *tls_mode_name(enum tls_mode m);
const char *auth_mode_name(enum auth_mode m);

#endif
