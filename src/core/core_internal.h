/* What the core's own modules share; front ends never include this. */
#ifndef NATTER_CORE_CORE_INTERNAL_H
#define NATTER_CORE_CORE_INTERNAL_H

#include "cmd/cmd.h"
#include "core/core.h"
#include "core/disco.h"
#include "core/history.h"
#include "core/ibr.h"
#include "core/message.h"
#include "core/presence.h"
#include "core/roster.h"
#include "core/vcard.h"
#include "xmpp/session.h"

enum core_state {
	CORE_OFFLINE,    /* not connected and not trying */
	CORE_CONNECTING, /* an attempt is under way */
	CORE_ONLINE,
	CORE_WAITING,    /* a reconnection is scheduled */
	CORE_CLOSING,    /* </stream:stream> sent, waiting for the server's */
};

struct core {
	struct loop *loop;
	struct account account;
	char *accounts_path;
	struct nt_frontend fe;
	/* [connection] settings in milliseconds, [privacy] flags */
	unsigned connect_timeout_ms, reconnect_min_ms, reconnect_max_ms;
	unsigned ping_interval_ms, ping_timeout_ms, close_timeout_ms;
	bool reveal_os;
	unsigned mam_initial; /* messages fetched from the archive on a first login */

	struct xs *xs;
	enum core_state state;
	bool want_online; /* cleared by /disconnect and by errors retrying cannot fix */
	bool quitting;
	bool timed_out;   /* the watchdog cut the current attempt */
	unsigned attempt; /* reconnection attempts since the last login */
	uint64_t retry_timer, watchdog_timer, ping_timer, close_timer;
	char *current_chat;
	/* Own presence, re-sent on every fresh login. */
	char *show;   /* NULL: online; "chat", "away", "xa", "dnd" */
	char *status;
	int priority;
	/* Each feature module's own state, private to its file. */
	struct roster_state *roster;
	struct presence_state *presence;
	struct disco_state *disco;
	struct message_state *message;
	struct history_state *history;
	struct mam_state *mam;
	/* The fingerprint of the last certificate refused, for /tls trust. */
	char *untrusted_fp;
	/* XEP-0077: a registration under way, and its watchdog. */
	bool registering;
	uint64_t register_timer;
	/* eval_password running for a connection attempt (evalpw.c). */
	struct evalpw *evalpw;
};

/* eval_password (evalpw.c): 1 when the attempt must wait for the command,
 * which is started if need be; once it has printed the password, again()
 * is called (when still wanted), and a failure is reported as an error.
 * 0 when there is nothing to wait for. */
int evalpw_wait(struct core *core, void (*again)(struct core *core));
void evalpw_free(struct core *core);

/* Modules register their stanza handlers when the core starts. */
int chat_init(struct core *core);
int replies_init(struct core *core);

/* Sends a chat message to a bare or full JID (queued while offline). */
int chat_send_text(struct core *core, const char *to, const char *text, const char *command);

/* A command name for error events from a command's handler. */
#define CALL_NAME(call) ((call)->entry->name)

/* The command tables (table.c). */
extern const struct cmd_entry core_commands[];
extern const size_t core_ncommands;

/* Session commands, implemented in core.c. */
int core_cmd_connect(struct cmd_call *call);
int core_cmd_disconnect(struct cmd_call *call);
int core_cmd_quit(struct cmd_call *call);
int core_cmd_help(struct cmd_call *call);
int core_cmd_raw(struct cmd_call *call);
int core_cmd_tls_trust(struct cmd_call *call);
/* chat.c */
int chat_cmd_msg(struct cmd_call *call);
int chat_cmd_say(struct cmd_call *call);
/* replies.c */
int replies_cmd_version(struct cmd_call *call);
int replies_cmd_ping(struct cmd_call *call);

/* Reports the failure of an iq request made for command as an error
 * event: a timeout (reply NULL) or an error answer, with its condition.
 * to names whom we asked (NULL: our server).  Returns 1 for a failure, 0
 * when reply is a result. */
int core_iq_failed(struct core *core, const char *command, const char *to, xmpp_stanza_t *reply);

/* The JID s typed by the user, normalised (malloc'd), or NULL after an
 * error event (jid-malformed with the reason, or out of memory). */
char *core_checked_jid(struct core *core, const char *command, const char *s);
/* The domain of our own JID (malloc'd): who answers an iq with no "to". */
char *core_server(struct core *core);

/* Duplicates a network string into a terminal-safe one-line string (NULL
 * for NULL, or when out of memory); core_clean_text keeps line breaks and
 * tabs, for message bodies. */
char *core_clean(const char *s);
char *core_clean_text(const char *s);

#endif
