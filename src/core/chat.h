/* Messages (chat.c): sending chats, and receiving every type (chat,
 * normal, headline, groupchat, error), live, from carbons and from the
 * archive.  What rides along with them is message.c's. */
#ifndef NATTER_CORE_CHAT_H
#define NATTER_CORE_CHAT_H

#include <stdbool.h>
#include <stdint.h>
#include <strophe.h>

#include "core/core_internal.h"

extern const struct core_module chat_module;

/* Sends a chat message to a bare or full JID (a bare one goes where
 * presence_route() says) with an optional XEP-0071 <html/> part (not
 * taken); records it and echoes it as an outgoing message event.  Queued
 * while offline.  0, or -1 after an error event for cause. */
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
/* Records st (the original message, unwrapped; via NULL when it came
 * directly) in the history and reports it unless it is a duplicate.
 * Returns 1 when reported, 0 for a duplicate, -1 when it had no content. */
int chat_receive(struct core *core, xmpp_stanza_t *st, const struct chat_via *via);

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
