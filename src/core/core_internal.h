/* What the core's modules share; front ends never include this.
 *
 * Modules reach the network only through core_send()/core_iq_send() (on top
 * of xmpp/session.h, which unit tests replace with tests/unit/fake_session.c),
 * the store through core/history.h, and the front end through core_emit()
 * and the reporting helpers below. */
#ifndef NATTER_CORE_CORE_INTERNAL_H
#define NATTER_CORE_CORE_INTERNAL_H

#include <stdint.h>
#include <strophe.h>

#include "cmd/cmd.h"
#include "config/accounts.h"
#include "config/settings.h"
#include "core/core.h"
#include "core/module.h"
#include "loop/loop.h"

/* What caused an event: the command (its table name, static) and the front
 * end's origin token of the line that ran it.  Requests keep their cause
 * until the answer comes, so the answer goes where the question was asked. */
struct core_cause {
	const char *command;
	uint64_t origin;
};

#define CAUSE(call) ((struct core_cause){(call)->entry->name, (call)->origin})
#define NO_CAUSE    ((struct core_cause){NULL, 0})
/* Events of a step the core takes by itself, named for the user. */
#define CAUSED_BY(name) ((struct core_cause){(name), 0})
/* The core a command runs for: modules add their tables with it as ud. */
#define CALL_CORE(call) ((struct core *)(call)->ud)

/* ---- reporting ---- */

void core_emit(struct core *core, const struct nt_event *ev);
void core_error(struct core *core, struct core_cause cause, const char *condition, const char *fmt,
                ...) __attribute__((format(printf, 4, 5)));
void core_info(struct core *core, struct core_cause cause, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Reports the failure of an iq request as an error event for cause: a
 * timeout (reply NULL) or an error answer, with its condition.  to names
 * whom we asked (NULL: our server).  Returns 1 for a failure, 0 when reply
 * is a result. */
int core_iq_failed(struct core *core, struct core_cause cause, const char *to,
                   xmpp_stanza_t *reply);

/* ---- the session ---- */

/* The context to build stanzas in. */
xmpp_ctx_t *core_ctx(struct core *core);
/* Sends (or keeps in the outbox until online); takes the reference. */
int core_send(struct core *core, xmpp_stanza_t *st);
/* Sends a top-level element that is not a stanza (XML text), in step
 * with stream management; dropped while offline. */
int core_send_nonza(struct core *core, const char *xml);
/* reply is NULL when the request timed out. */
typedef void (*core_iq_fn)(struct core *core, xmpp_stanza_t *reply, void *ud);
/* Sends an iq get/set with a fresh id; fn gets the answer from whom it
 * was sent to.  Takes the reference; -1 when offline or on ENOMEM (fn then
 * never runs). */
int core_iq_send(struct core *core, xmpp_stanza_t *iq, unsigned timeout_ms, core_iq_fn fn,
                 void *ud);
/* Answers an iq get/set with an error of that condition (type cancel). */
void core_iq_error(struct core *core, xmpp_stanza_t *iq, const char *condition);
/* An empty result to iq (to its sender, with its id), carrying
 * <query xmlns=ns/> when ns is set (returned in *query): a new reference
 * or NULL on ENOMEM. */
xmpp_stanza_t *core_iq_result(struct core *core, xmpp_stanza_t *iq, const char *ns,
                              xmpp_stanza_t **query);
/* A fresh random stanza id (malloc'd), or NULL on ENOMEM. */
char *core_make_id(void);

/* The session itself, for the modules that drive it rather than send on
 * it: connection.c (connect, close) and ibr.c (registration streams). */
struct xs *core_xs(struct core *core);
/* Runs every module's login hook, in module order: a fresh session. */
void core_modules_login(struct core *core, const struct core_login *l);

/* ---- what the core knows ---- */

struct loop *core_loop(struct core *core);
/* The account (modules may change the password and pins it holds). */
struct account *core_account(struct core *core);
/* Reads the account again from the accounts file (a password fixed since
 * a refused login, a new pin): 0, or -1 with a malloc'd *err (the account
 * is then unchanged). */
int core_reload_account(struct core *core, char **err);
/* Where the accounts file is, to save changes (NULL: nowhere). */
const char *core_accounts_path(const struct core *core);
const struct settings *core_settings(const struct core *core);
/* For /set: the settings and the file they are saved to (NULL: nowhere). */
struct settings *core_settings_mut(struct core *core);
const char *core_settings_path(const struct core *core);
/* The front end's commands and the modules': for /help. */
const struct cmd_set *core_commands(const struct core *core);
/* Stops reconnecting: the account cannot log in any more (removed). */
void core_give_up(struct core *core);

/* The JID s typed by the user, normalised (malloc'd), or NULL after an
 * error event (jid-malformed with the reason, or out of memory). */
char *core_checked_jid(struct core *core, struct core_cause cause, const char *s);
/* The same, for a contact: a bare JID (no resource). */
char *core_checked_bare(struct core *core, struct core_cause cause, const char *s);
/* The domain of our own JID (malloc'd): who answers an iq with no "to". */
char *core_server(struct core *core);

/* Duplicates a network string into a terminal-safe one-line string (NULL
 * for NULL, or when out of memory); core_clean_text keeps line breaks and
 * tabs, for message bodies. */
char *core_clean(const char *s);
char *core_clean_text(const char *s);

#endif
