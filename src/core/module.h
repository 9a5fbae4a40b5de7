/* A core module: one feature of the event core, described as data.
 *
 * core.c walks one array of modules (core/modules.c): forward to start
 * and at every fresh login, backward to stop.  A module's commands and its
 * stanza handlers are tables in its own file, beside their static
 * functions; its state is private to that file and reached through
 * core_state().  Nothing outside the module calls its handlers. */
#ifndef NATTER_CORE_MODULE_H
#define NATTER_CORE_MODULE_H

#include <stdbool.h>
#include <stddef.h>
#include <strophe.h>

#include "cmd/cmd.h"

struct core;
struct chat_e2e;
struct chat_in;
struct chat_out;

/* What a fresh session is like, for the modules that start it. */
struct core_login {
	const char *jid; /* the bound full JID */
	bool rosterver;  /* the server offers XEP-0237 roster versioning */
	/* A service connection, not an instant-messaging session: the account
	 * is a cloud-messaging connection server's (fcm = true), which has no
	 * roster, presence or archive.  Only the modules that serve such a
	 * connection (service_login) start it. */
	bool service;
	bool csi; /* the server offers XEP-0352 client state indication */
};

/* The order in which a stanza meets the handlers that match it.  Within a
 * stage, handlers run in module order. */
enum core_stage {
	/* May refuse a stanza before anyone sees it (a blocked sender). */
	CORE_GUARD,
	/* May consume a wrapper and hand on what it carries (carbons, archive
	 * results): the wrapper itself is then no ordinary stanza. */
	CORE_UNWRAP,
	/* Every matching handler runs. */
	CORE_HANDLE,
};

/* What a GUARD or UNWRAP handler returns; HANDLE handlers return CORE_PASS. */
enum { CORE_PASS = 0, CORE_STOP = 1 };

/* What a receive hook returns (struct core_module.receive). */
enum {
	CHAT_IN_PASS = 0,  /* go on: the message is recorded and reported */
	CHAT_IN_TAKEN,     /* the hook did what it is for and reported it */
	CHAT_IN_DUPLICATE, /* the hook knew it already: nothing happens */
};

/* The type a stanza without a type attribute is matched by (an available
 * presence, a message of type normal written without it). */
#define CORE_TYPE_NONE ""

struct core_handler {
	enum core_stage stage;
	const char *name; /* "message", "presence" or "iq" */
	const char *type; /* the type attribute exactly, CORE_TYPE_NONE, or NULL: any */
	const char *ns;   /* a child element in this namespace, or NULL: any */
	int (*fn)(struct core *core, xmpp_stanza_t *st);
};

struct core_module {
	const char *name;
	const char *title; /* the heading of its commands in /help */
	/* Creates the module's state (core_set_state); 0 or -1. */
	int (*init)(struct core *core);
	void (*free)(struct core *core);
	/* A fresh session (not a resumed one): what the last one knew is
	 * stale, and what a session starts with is asked for here. */
	void (*login)(struct core *core, const struct core_login *l);
	/* Its login hook runs for a service connection too. */
	bool service_login;
	const struct cmd_entry *commands;
	size_t ncommands;
	const struct core_handler *handlers;
	size_t nhandlers;
	/* The XEP-0030 features it implements, NULL-terminated: disco#info
	 * and the caps hash announce exactly these. */
	const char *const *features;
	/* Every message on its way in, however it came (directly, as a carbon
	 * copy, from the archive, from a room), before chat.c (muc_message.c
	 * for a room's) records and reports it (core/chat.h, struct
	 * chat_in): a hook may fill in what its feature
	 * finds there, or take the message (CHAT_IN_TAKEN, CHAT_IN_DUPLICATE).
	 * Hooks run in module order, and none runs for an error bounce. */
	int (*receive)(struct core *core, struct chat_in *in);
	/* Every chat message on its way out, once chat.c (muc_message.c for
	 * a room) has built it: a hook adds what its feature calls for
	 * (struct chat_out says what the message is, and whether it goes to
	 * a room).  0, or -1 on ENOMEM (the message is not sent). */
	int (*decorate)(struct core *core, xmpp_stanza_t *m, struct chat_out *out);
	/* An end-to-end encryption it offers to chats (core/chat.h), or NULL. */
	const struct chat_e2e *e2e;
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* The module's state, as set by its init (NULL before or after). */
void *core_state(struct core *core, const struct core_module *m);
void core_set_state(struct core *core, const struct core_module *m, void *state);

/* The modules, in start order (core/modules.c). */
extern const struct core_module *const core_modules[];
extern const size_t core_nmodules;

#endif
