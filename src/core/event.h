/* What the core tells a front end: the one interface between the event core
 * and the terminal UI, headless mode and tests.
 *
 * The core calls frontend->emit() with an event whose strings belong to the
 * core and live only for the duration of the call; a front end copies what
 * it keeps.  Every string from the network has already been sanitised
 * (valid UTF-8, no control characters or escape sequences) before it gets
 * here, so a front end may print it as it is. */
#ifndef NATTER_CORE_EVENT_H
#define NATTER_CORE_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum nt_event_kind {
	NT_EV_CONNECTING,    /* a connection attempt has begun */
	NT_EV_CONNECTED,     /* logged in on a new session */
	NT_EV_DISCONNECTED,  /* the stream is gone (reason given) */
	NT_EV_RECONNECTING,  /* another attempt is scheduled */
	NT_EV_RESUMED,       /* XEP-0198 resumed the previous session */
	NT_EV_TLS_UNTRUSTED, /* certificate not verified and not pinned */
	NT_EV_ERROR,         /* a refused command or failed request */
	NT_EV_INFO,          /* text for the user: command output, help */
	NT_EV_MESSAGE,
	NT_EV_PRESENCE,
	NT_EV_VERSION,
	NT_EV_PONG,
	NT_EV_RAW_SENT,
	NT_EV_ROSTER,       /* the whole roster, after login or /roster */
	NT_EV_ROSTER_PUSH,  /* one item changed (subscription "remove": gone) */
	NT_EV_SUBSCRIPTION, /* a subscription request or answer from a contact */
	NT_EV_SUB_PENDING,  /* the requests not answered yet (/sub pending) */
	NT_EV_CHAT_STATE,   /* XEP-0085 (and XEP-0022 composing events) */
	NT_EV_RECEIPT,      /* XEP-0184: a message was delivered */
	NT_EV_DISCO_INFO,
	NT_EV_DISCO_ITEMS,
	NT_EV_VCARD,
	NT_EV_REGISTERED, /* XEP-0077 */
	NT_EV_PASSWORD_CHANGED,
	NT_EV_UNREGISTERED,
	NT_EV_HISTORY,            /* answer to /history */
	NT_EV_SETTING,            /* /set changed a setting (front ends apply theirs) */
	NT_EV_CONTACT,            /* /info: what is known of one contact */
	NT_EV_MUC_JOINED,         /* we are in a room: its own presence of ours (status 110) came */
	NT_EV_MUC_PRESENCE,       /* an occupant of a joined room came, changed or left */
	NT_EV_MUC_SUBJECT,        /* a room's subject, on joining or changed */
	NT_EV_MUC_LEFT,           /* we are no longer in a room (parted, kicked, banned, ...) */
	NT_EV_MUC_INVITE,         /* an invitation to a room (XEP-0045 mediated or XEP-0249) */
	NT_EV_MUC_OCCUPANTS,      /* answer to /who */
	NT_EV_BOOKMARKS,          /* the bookmarked rooms (/bookmarks, or after a change) */
	NT_EV_MUC_CONFIG,         /* a room's configuration form (/roomconfig ROOM) */
	NT_EV_OMEMO_FINGERPRINTS, /* answer to /omemo fingerprint */
	/* Cloud messaging (seed 002, core/fcm.c): a google:mobile:data
	 * payload came (upstream, ack, nack, receipt, control). */
	NT_EV_FCM,
	NT_EV_FCM_ACK_SENT,         /* natter acknowledged an upstream message or receipt */
	NT_EV_FCM_SENT,             /* a downstream message went out (/fcm send) */
	NT_EV_FCM_WAITING,          /* a downstream message waits for its turn */
	NT_EV_PUBSUB_SUBSCRIPTIONS, /* XEP-0060: the subscriptions a service lists */
	NT_EV_PUBSUB_SUBSCRIPTION,  /* one subscription's state, now */
	NT_EV_PUBSUB_EVENT,         /* a notification from a pubsub service */
	NT_EV_MARKER,               /* XEP-0333: a chat marker from a contact */
	NT_EV_BLOCKLIST,            /* XEP-0191: the blocked JIDs, after /blocked or a change */
	NT_EV_UPLOAD_PROGRESS,      /* XEP-0363: bytes of a file sent so far */
	NT_EV_UPLOAD,               /* XEP-0363: a file is up and its URL was sent */
	NT_EV_RETRACTED,            /* XEP-0424: a message was withdrawn by its sender */
};

/* An occupant of a room.  Every string is sanitised; nick is the
 * occupant's resource in the room JID. */
struct nt_occupant {
	const char *nick;
	const char *jid;         /* the real full JID when the room shows it, else NULL */
	const char *role;        /* moderator, participant, visitor, none */
	const char *affiliation; /* owner, admin, member, outcast, none */
	const char *show;        /* NULL: available; away, chat, dnd, xa */
	const char *status;      /* or NULL */
};

struct nt_bookmark {
	const char *room;     /* bare room JID */
	const char *name;     /* or NULL */
	const char *nick;     /* or NULL */
	const char *password; /* or NULL */
	bool autojoin;
};

/* One field of a XEP-0004 form, as a room configuration form has them. */
struct nt_form_field {
	const char *var, *type, *label; /* label may be NULL */
	const char *const *values;      /* the current value(s) */
	size_t nvalues;
	const char *const *options; /* for list-single and list-multi: the option values */
	size_t noptions;
};

struct nt_history_message {
	long long id;   /* the store's row id: page backwards from the oldest */
	const char *ts; /* RFC 3339, UTC: ts_ms written out */
	int64_t ts_ms;  /* the message's time, UTC ms since the epoch */
	const char *from, *to, *body;
	const char *xhtml;     /* or NULL */
	const char *direction; /* "in" or "out" */
	/* the message's id, or NULL: receipts, markers and corrections name it */
	const char *stanza_id;
	/* Our messages: "sent", "delivered" (a receipt or a XEP-0333 received
	 * marker came), "displayed" (a XEP-0333 displayed marker came) or
	 * "failed" (a bounce came); NULL for incoming ones and when nothing is
	 * known. */
	const char *delivery;
	bool delayed, carbon;
	const char *encrypted; /* "omemo", or NULL */
	bool edited;           /* corrected (XEP-0308): body is the newest text */
	bool retracted;        /* withdrawn (XEP-0424): body is empty */
	bool action;           /* a /me line (XEP-0245) */
	const char *oob_url;   /* a XEP-0066 link it carried, or NULL */
};

struct nt_roster_item {
	const char *jid;          /* bare */
	const char *name;         /* NULL when unnamed */
	const char *subscription; /* none, to, from, both, remove */
	const char *ask;          /* "subscribe" while our request waits, else NULL */
	const char *const *groups;
	size_t ngroups;
};

struct nt_sub_request {
	const char *from;   /* bare */
	const char *status; /* the text that came with the request, or NULL */
};

struct nt_disco_identity {
	const char *category, *type, *name; /* name may be NULL */
};

struct nt_disco_item {
	const char *jid, *node, *name; /* node, name may be NULL */
};

struct nt_omemo_device {
	uint32_t id;
	const char *fingerprint; /* eight groups of eight lowercase hex digits */
	const char *trust;       /* verified, trusted, untrusted, undecided */
	bool own;                /* this natter's own device */
};

struct nt_contact_resource {
	const char *jid;    /* full */
	const char *show;   /* NULL: available */
	const char *status; /* or NULL */
	const char *client; /* the software its caps name, or NULL */
	int priority;
};

struct nt_field {
	const char *name, *value;
};

/* One entry of a service's subscriptions list (XEP-0060 §5.6). */
struct nt_pubsub_sub {
	const char *node;         /* NULL when the service named none */
	const char *jid;          /* the subscriber, as the service wrote it */
	const char *subid;        /* or NULL */
	const char *subscription; /* none, pending, subscribed, unconfigured */
	const char *expire;       /* the lease's end as the service gave it, or NULL */
};

/* One item of a notification: published (payload set) or retracted. */
struct nt_pubsub_item {
	const char *id;      /* or NULL */
	const char *payload; /* the item's XML as text, at most 16 KiB; NULL when retracted */
	bool retracted;
};

struct nt_event {
	enum nt_event_kind kind;
	/* The origin token given with the command line that caused the event
	 * (core_input), 0 for what nobody typed: a front end shows the answer
	 * where the question was asked. */
	uint64_t origin;
	union {
		struct {
			unsigned attempt; /* 0 for the first, then as in reconnecting */
		} connecting;
		struct {
			const char *jid;
			const char *mechanism; /* "SCRAM-SHA-1", "legacy", ... */
			bool secure;           /* TLS protects the stream */
		} connected;
		struct {
			const char *reason;
		} disconnected;
		struct {
			unsigned attempt;
			unsigned in_ms;
		} reconnecting;
		struct {
			const char *fingerprint; /* "sha256:<hex>" */
			const char *reason;      /* why it was not trusted */
			bool pin_mismatch;       /* a pin exists and differs */
			/* The certificate's names (cleaned) and validity (ISO
			 * 8601 UTC); each NULL when it could not be read. */
			const char *subject, *issuer, *valid_from, *valid_until;
		} tls_untrusted;
		struct {
			const char *command;   /* NULL when not caused by one */
			const char *condition; /* XMPP or natter condition */
			const char *text;
			/* The application-specific condition that came with an
			 * XMPP error ("pending-subscription"), or NULL. */
			const char *app_condition;
		} error;
		struct {
			const char *command; /* NULL for unsolicited text */
			const char *text;    /* may hold several lines */
		} info;
		struct {
			const char *from, *to, *type;
			const char *id, *body, *xhtml, *thread; /* optional */
			/* XEP-0203: with delayed, the original time, trusted
			 * only when it came from our own server or archive and
			 * is not in the future (else the message counts as
			 * arrived now, not delayed); RFC 3339 of ts_ms. */
			const char *stamp;
			const char *subject; /* a message's <subject/> (any type), or NULL */
			bool delayed;
			const char *carbon; /* NULL, "sent" or "received" */
			bool outgoing;      /* typed here (echo for the UI) */
			/* The message's time (UTC ms since the epoch): the
			 * trusted stamp, else when it arrived or was sent.
			 * Front ends show this; they never parse stamp. */
			int64_t ts_ms;
			/* A room's message (type groupchat) or a private message
			 * to or from an occupant (any other type): the bare room
			 * JID and the occupant's nick; NULL otherwise. */
			const char *room, *nick;
			/* "omemo" when it came or went end-to-end encrypted (body:
			 * the decrypted text), else NULL */
			const char *encrypted;
			/* encrypted, and not for us or not decryptable: body is
			 * NULL (the fallback text is never shown as the message) */
			bool undecryptable;
			/* XEP-0308: this message corrects the one with this id
			 * (from the same sender, checked): it is shown in its
			 * place.  NULL for an ordinary message. */
			const char *replaces;
			const char *oob_url; /* XEP-0066 link, checked to be a URL */
			bool action;         /* XEP-0245: body is "/me ..." */
		} message;
		struct {
			const char *from, *type;   /* "available" | "unavailable" */
			const char *show, *status; /* optional */
			int priority;
		} presence;
		struct {
			const char *from, *name, *version, *os; /* os optional */
		} version;
		struct {
			const char *from;
			long rtt_ms;
		} pong;
		struct {
			const struct nt_roster_item *items;
			size_t count;
		} roster;
		struct {
			struct nt_roster_item item;
		} roster_push;
		struct {
			const char *from;   /* bare */
			const char *type;   /* subscribe, subscribed, unsubscribe, unsubscribed */
			const char *status; /* optional */
		} subscription;
		struct {
			const struct nt_sub_request *items;
			size_t count;
		} sub_pending;
		struct {
			const char *from;  /* full JID */
			const char *state; /* active, composing, paused, inactive, gone */
		} chat_state;
		struct {
			const char *from; /* who confirmed */
			const char *id;   /* the id of the message that was delivered */
		} receipt;
		struct {
			const char *from, *node; /* node may be NULL */
			const struct nt_disco_identity *identities;
			size_t nidentities;
			const char *const *features;
			size_t nfeatures;
		} disco_info;
		struct {
			const char *from, *node;
			const struct nt_disco_item *items;
			size_t count;
		} disco_items;
		struct {
			const char *from;
			const struct nt_field *fields; /* "FN", "NICKNAME", "EMAIL", ... */
			size_t count;
		} vcard;
		struct {
			const char *jid;
		} registered;
		struct {
			const char *with;  /* bare JID for /history JID, else NULL */
			const char *query; /* for /history search, else NULL */
			const struct nt_history_message *messages; /* oldest first */
			size_t count;
		} history;
		struct {
			const char *jid; /* bare */
			/* The roster item, or NULL when jid is not in the roster. */
			const struct nt_roster_item *item;
			const struct nt_contact_resource *resources; /* available now */
			size_t nresources;
		} contact;
		struct {
			const char *section, *name; /* as in natterrc: "ui", "theme" */
			const char *value;          /* as the user gave it */
		} setting;
		struct {
			const char *room, *nick;             /* our nick there */
			const struct nt_occupant *occupants; /* everyone, us included */
			size_t count;
			const char *subject; /* when already known (a rejoin), else NULL */
			bool created;        /* the room was created by this join (status 201) */
		} muc_joined;
		struct {
			const char *room;
			struct nt_occupant occupant;
			const char *type; /* "available" or "unavailable" */
			const int *codes; /* XEP-0045 status codes, e.g. 303, 307, 301 */
			size_t ncodes;
			const char *new_nick; /* with 303: the nick it changed to */
			const char *actor;    /* who kicked or banned, when the room says */
			const char *reason;   /* of a kick or ban, or NULL */
		} muc_presence;
		struct {
			const char *room;
			const char *nick;    /* who set it, or NULL (the room itself) */
			const char *subject; /* "" when cleared */
		} muc_subject;
		struct {
			const char *room;
			const char *reason; /* or NULL */
			const int *codes;   /* 307 kicked, 301 banned, 321, 322, 332 ... */
			size_t ncodes;
			const char *actor;     /* or NULL */
			bool destroyed;        /* the room was destroyed */
			const char *alternate; /* the venue a destroyed room points to, or NULL */
			bool rejoining;        /* natter joins it again by itself */
		} muc_left;
		struct {
			const char *room;
			const char *from;              /* who invites (bare or full JID) */
			const char *reason, *password; /* or NULL */
			bool direct;                   /* XEP-0249 rather than through the room */
		} muc_invite;
		struct {
			const char *room;
			const struct nt_occupant *occupants;
			size_t count;
		} muc_occupants;
		struct {
			const struct nt_bookmark *items;
			size_t count;
			const char *storage; /* "pep" (XEP-0402) or "private" (XEP-0048) */
		} bookmarks;
		struct {
			const char *room;
			const struct nt_form_field *fields;
			size_t count;
		} muc_config;
		struct {
			const char *jid; /* bare: ours for our own devices */
			const struct nt_omemo_device *devices;
			size_t count;
		} omemo_fingerprints;
		/* Every string is the payload's, sanitised; NULL when absent. */
		struct {
			/* "upstream" (a device's message: the payload has none),
			 * "ack", "nack", "receipt", "control" or what the server
			 * named */
			const char *message_type;
			const char *message_id, *from, *to, *category;
			/* The payload's "data" object as compact JSON text, every
			 * string in it sanitised; NULL when it has none. */
			const char *data;
			const char *error, *error_description; /* nack */
			const char *registration_id; /* ack/nack: the device's new token */
			const char *control_type;    /* control: "CONNECTION_DRAINING" */
		} fcm;
		struct {
			const char *message_id;
		} fcm_ack_sent;
		struct {
			const char *message_id;
			unsigned in_flight; /* unacknowledged on this connection, this one too */
		} fcm_sent;
		struct {
			const char *message_id;
			/* "window" (100 unacknowledged already), "draining" (a new
			 * connection is being made), "offline", or "resend" (its
			 * connection ended before an answer; it goes again) */
			const char *reason;
			unsigned waiting; /* messages waiting, this one included */
		} fcm_waiting;
		struct {
			const char *service;
			const char *node; /* the node asked about, or NULL: all */
			const struct nt_pubsub_sub *subs;
			size_t count;
			bool truncated; /* the service listed more than natter reports */
		} pubsub_subscriptions;
		struct {
			const char *service, *node;
			const char *jid;          /* the subscriber: our full JID, usually */
			const char *subid;        /* or NULL */
			const char *subscription; /* pending, subscribed, none, unconfigured */
			const char *expire;       /* the lease natter asked for, or NULL */
			bool reused;              /* an existing subscription renewed, none added */
		} pubsub_subscription;
		struct {
			const char *service;
			const char *node; /* the node the items are from (a leaf of a collection) */
			const char *to;   /* the address the service sent it to */
			/* Sent to another resource of the account (or another
			 * address): reported, not processed; no items. */
			bool other_resource;
			const struct nt_pubsub_item *items;
			size_t count;
			const char
			    *collection;   /* XEP-0248: the collection it came through, or NULL */
			const char *subid; /* SHIM SubID: which subscription, or NULL */
			const char
			    *stamp; /* XEP-0203: when it was published (a last item), or NULL */
			bool purged, deleted; /* the node was purged, deleted */
			bool truncated;       /* items or payloads were cut to natter's bounds */
		} pubsub_event;
		struct {
			const char *from; /* full JID of the contact's client */
			const char *type; /* "received", "displayed" or "acknowledged" */
			const char *id;   /* the message it marks (and all before it) */
		} marker;
		struct {
			const char *const *items; /* JIDs, as the server lists them */
			size_t count;
		} blocklist;
		struct {
			const char *path;     /* as given to /upload */
			const char *to;       /* whom it is for */
			uint64_t sent, total; /* bytes */
		} upload_progress;
		struct {
			const char *path, *to;
			const char *url; /* where the file is now, as sent to the contact */
			uint64_t size;
		} upload;
		struct {
			const char *from; /* who withdrew it: its sender */
			const char *to;
			const char *id; /* the message withdrawn */
		} retracted;
	} u;
};

struct nt_frontend {
	void (*emit)(void *ud, const struct nt_event *ev);
	void *ud;
};

#endif
