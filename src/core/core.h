/* The event core: one account's session, independent of any front end.
 *
 * It owns the XMPP session, reconnection, the outbox and the protocol
 * features, runs commands from the table and reports everything through
 * the nt_frontend it was given. */
#ifndef NATTER_CORE_CORE_H
#define NATTER_CORE_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/accounts.h"
#include "config/settings.h"
#include "core/event.h"
#include "loop/loop.h"

struct core;
struct cmd_entry;
struct cmd_set;

struct core_options {
	struct loop *loop;
	const struct account *account;   /* copied */
	const char *accounts_path;       /* where to write pins and passwords */
	const char *settings_path;       /* natterrc, where /set saves (NULL: nowhere) */
	const struct settings *settings; /* copied where kept */
	struct nt_frontend frontend;
};

struct core *core_new(const struct core_options *opt);
void core_free(struct core *core);

/* Starts the modules and connects unless autoconnect is off. */
int core_start(struct core *core, bool autoconnect);

/* One line of user input: "/command ..." or text for the current chat.
 * origin is the front end's token for where it was typed (the terminal
 * UI's window); every event the line causes carries it back. */
int core_input(struct core *core, const char *line, uint64_t origin);

/* The user is there (a key): ends away by idleness and counts the idle
 * minutes afresh.  core_input counts as such itself. */
void core_user_active(struct core *core);

/* A front end's own commands (the terminal UI's /win, /theme, ...), run
 * by core_input like the core's; the table must outlive the core. */
int core_add_commands(struct core *core, const char *title, const struct cmd_entry *table, size_t n,
                      void *ud);
/* Every command, for completion and help. */
const struct cmd_set *core_commands(const struct core *core);

/* Closes the stream cleanly (bounded in time), then stops the loop. */
void core_quit(struct core *core);
bool core_quitting(const struct core *core);

bool core_online(const struct core *core);
const char *core_jid(const struct core *core); /* bound JID or account JID */

/* The conversation plain text goes to; NULL when none is open. */
const char *core_current_chat(const struct core *core);
void core_set_current_chat(struct core *core, const char *bare_jid);

/* The end-to-end encryption chats with jid use now ("omemo"), or NULL:
 * for the status bar. */
const char *core_chat_encryption(struct core *core, const char *jid);

/* The account has neither a password nor eval_password: the terminal UI
 * asks for one (without echo) and hands it over before connecting. */
bool core_needs_password(const struct core *core);
int core_set_password(struct core *core, const char *password);
/* Why natter cannot use account a as it stands (static text: compression
 * without a libstrophe that can compress, a token over plaintext), or NULL.
 * natter refuses such an account at start. */
const char *core_account_problem(const struct account *a);
/* Connects (like /connect); for front ends that start unconnected. */
int core_connect(struct core *core);

/* Sends a XEP-0085 chat state to jid as the user types, when jid is known
 * to support chat states and the session is online; otherwise does
 * nothing.  0, or -1 on failure. */
int core_chat_state(struct core *core, const char *jid, const char *state);

/* XEP-0333: the terminal UI shows jid's newest messages; tells jid so
 * ("displayed") when the setting [privacy] read_markers allows and there
 * is something new to say.  0, or -1 on failure. */
int core_chat_displayed(struct core *core, const char *jid);

/* XEP-0352: whether anyone looks at natter (the terminal has focus and
 * keys come); the server is told when it offers client state indication. */
int core_client_state(struct core *core, bool active);

/* One page of stored history with peer (a bare JID), oldest first: at most
 * n messages older than before_id (0: the newest).  For scrollback; the
 * strings live only during fn.  Returns the count, or -1 (no store). */
int core_history_page(struct core *core, const char *peer, long long before_id, int n,
                      void (*fn)(const struct nt_history_message *m, void *ud), void *ud);

#endif
