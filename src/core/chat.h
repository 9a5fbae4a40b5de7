/* Messages (chat.c): sending chats, and receiving every type (chat,
 * normal, headline, groupchat, error), live, from carbons and from the
 * archive.  What rides along with them belongs to the modules whose
 * receive and decorate hooks (module.h) chat.c runs for every message. */
#ifndef NATTER_CORE_CHAT_H
#define NATTER_CORE_CHAT_H

#include <stdbool.h>
#include <stdint.h>
#include <strophe.h>

#include "core/core_internal.h"

extern const struct core_module chat_module;

/* A chat message to send, as the decorate hooks see it. */
struct chat_out {
	const char *to;      /* as the user gave it: a bare or full JID */
	const char *dest;    /* where it goes (set by chat_send_out: a locked resource, else to) */
	const char *text;    /* the plain text (made XML-safe by chat_send_out) */
	xmpp_stanza_t *html; /* a XEP-0071 <html/> part, or NULL; not taken */
	/* XEP-0308: the id of our message this corrects, and its row in the
	 * history (0 when unknown); the history then keeps the new text in
	 * that row rather than a message of its own. */
	const char *replaces;
	int64_t replaces_row;
	const char *oob_url; /* XEP-0066: the link the text is (an upload) */
	bool action;         /* XEP-0245: a /me line (set by its hook) */
	const char *id;      /* set by chat_send_out: the new message's id */
	/* Set by chat_send_out: it goes to a room we are in as a groupchat
	 * message, where a hook adds only what a room carries (no receipt
	 * request, chat state or marker). */
	bool groupchat;
};

/* Sends o (see chat_out), runs the decorate hooks, records it and echoes
 * it as an outgoing message event; to a room we are in (a bare JID), it is
 * muc_send_message()'s.  Queued while offline.  0, or -1 after an error
 * event for cause. */
int chat_send_out(struct core *core, struct chat_out *o, struct core_cause cause);
/* The modules' decorate hooks on m, in module order: 0, or -1 on ENOMEM. */
int chat_decorate(struct core *core, xmpp_stanza_t *m, struct chat_out *o);
/* The same for plain text (and an optional <html/> part, not taken). */
int chat_send(struct core *core, const char *to, const char *text, xmpp_stanza_t *html,
              struct core_cause cause);
int chat_send_text(struct core *core, const char *to, const char *text, struct core_cause cause);

/* How a message reached us when it did not come directly: XEP-0280
 * carbons and XEP-0313 archive results share the receiving path. */
struct chat_via {
	const char *carbon;     /* NULL, "sent" or "received" */
	const char *archive_id; /* the MAM result's id (our archive's, so trusted) */
	const char *stamp;      /* the <forwarded/>'s XEP-0203 stamp, or NULL */
	bool outgoing;          /* ours, sent from another resource or session */
	bool quiet;             /* already reported: record it, never report it */
	/* A room message's sender as the room reveals it (members-only,
	 * non-anonymous rooms), else NULL: end-to-end decryption finds the
	 * sender's keys by it. */
	const char *real_jid;
};

#define CHAT_IN_KEEP 8

/* One message on its way in, as the receive hooks see it: every string is
 * sanitised (terminal-safe) and lives until the message has been
 * processed.  Hooks may set the fields of the second part, with strings
 * that live as long (chat_in_keep() makes one of theirs do so). */
struct chat_in {
	xmpp_stanza_t *st;          /* the message itself, unwrapped */
	const struct chat_via *via; /* NULL when it came directly */
	const char *peer;           /* bare JID key of the conversation, or NULL */
	const char *from, *to;      /* as in the stanza, or NULL */
	const char *type;           /* "normal" when it had none */
	const char *id, *origin;    /* its id and XEP-0359 origin id, or NULL */
	const char *body;           /* the text to show, or NULL when it has none */
	bool outgoing;              /* ours: a carbon of what we sent, or our archive's copy */
	int64_t ts;                 /* its original time, UTC ms */
	const char *occupant_id;    /* in a room: the XEP-0421 id it trusts, or NULL */

	/* Filled in by hooks: */
	const char *replaces; /* XEP-0308: the id of the message it corrects */
	int64_t replaces_row; /* ... and that message's row, once accepted */
	/* XEP-0424: the id of the message it withdraws and its row, once
	 * accepted: it is recorded and reported as a retraction, never as a
	 * message (its body is only a fallback for clients without it). */
	const char *retracts;
	int64_t retracts_row;
	const char *oob_url; /* XEP-0066: a link it carries */
	bool action;         /* XEP-0245: a /me line */

	char *kept[CHAT_IN_KEEP]; /* chat_in_keep()'s */
	size_t nkept;
};

/* Keeps s (malloc'd, or NULL) until in has been processed, then frees
 * it; returns s, or NULL when s was NULL or could not be kept (freed). */
const char *chat_in_keep(struct chat_in *in, char *s);
/* The modules' receive hooks on in, in module order, until one takes it:
 * CHAT_IN_PASS or what that one returned (module.h).  muc_message.c runs
 * them on a room's messages, which chat_receive() never sees. */
int chat_run_hooks(struct core *core, struct chat_in *in);
/* Frees what the hooks kept (chat_in_keep). */
void chat_in_clear(struct chat_in *in);

/* Records st (the original message, unwrapped; via NULL when it came
 * directly) in the history and reports it unless it is a duplicate.
 * Returns 1 when reported, 0 for a duplicate (or a message a guard or a
 * hook took without news), -1 when it had no content. */
int chat_receive(struct core *core, xmpp_stanza_t *st, const struct chat_via *via);

/* A full JID's two halves compared as JIDs: the bare part without regard
 * to case, the resource exactly.  Either may be NULL (then false). */
bool chat_same_full_jid(const char *a, const char *b);
/* The id of st's child <name xmlns='urn:xmpp:sid:0'/> (origin-id,
 * stanza-id); with by, only one that names exactly that entity as its
 * "by" (a bare JID).  A pointer into st, or NULL. */
const char *chat_sid(xmpp_stanza_t *st, const char *name, const char *by);

/* The name of the end-to-end encryption chats with peer (a bare JID) use
 * now ("omemo"), or NULL. */
const char *chat_encryption(struct core *core, const char *peer);

/* End-to-end encryption, as a module offers it (core_module.e2e): chat.c
 * applies whichever module claims a message and knows none of them. */
struct chat_e2e {
	const char *name; /* what events and the store say: "omemo" */
	/* Whether chats with peer (a bare JID) are encrypted now. */
	bool (*enabled)(struct core *core, const char *peer);
	/* Takes m, a chat message to peer whose body is text, when chats
	 * with peer are encrypted: returns 1 (it replaces the body, adds its
	 * element and sends m, now or once keys are fetched), or -1 after an
	 * error event for cause (m released).  0: not encrypted, m untouched. */
	int (*send)(struct core *core, xmpp_stanza_t *m, const char *peer, const char *text,
	            struct core_cause cause);
	/* An incoming message: 0 when it is not encrypted this way; 1 when
	 * decrypted (*text malloc'd, raw); -1 when it could not be (reported
	 * as undecryptable, never by its fallback body). */
	int (*receive)(struct core *core, xmpp_stanza_t *st, const struct chat_via *via,
	               char **text);
	/* Takes m, a room's groupchat message whose body is text, to encrypt
	 * to every device of the members (their real bare JIDs) and our own:
	 * 1 taken, -1 refused (error event for cause, m released). */
	int (*send_group)(struct core *core, xmpp_stanza_t *m, const char *room,
	                  const char *const *members, size_t n, const char *text,
	                  struct core_cause cause);
};

/* The encryption chats with peer (a bare JID: a contact or a room) use
 * now, or NULL. */
const struct chat_e2e *chat_e2e_for(struct core *core, const char *peer);

/* Decrypts st when it is encrypted in a way a module knows: that
 * encryption's name, with *text the plaintext (malloc'd, raw) or NULL and
 * *failed set when it could not be decrypted.  NULL when st is not
 * encrypted (*text NULL). */
const char *chat_decrypt(struct core *core, xmpp_stanza_t *st, const struct chat_via *via,
                         char **text, bool *failed);

#endif
