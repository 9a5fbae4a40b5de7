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
};

struct nt_event {
	enum nt_event_kind kind;
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
		} tls_untrusted;
		struct {
			const char *command;   /* NULL when not caused by one */
			const char *condition; /* XMPP or natter condition */
			const char *text;
		} error;
		struct {
			const char *command; /* NULL for unsolicited text */
			const char *text;    /* may hold several lines */
		} info;
		struct {
			const char *from, *to, *type;
			const char *id, *body, *xhtml, *thread, *stamp; /* optional */
			bool delayed;
			const char *carbon; /* NULL, "sent" or "received" */
			bool outgoing;      /* typed here (echo for the UI) */
		} message;
		struct {
			const char *from, *type; /* "available" | "unavailable" */
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
	} u;
};

struct nt_frontend {
	void (*emit)(void *ud, const struct nt_event *ev);
	void *ud;
};

#endif
