/* The UI's picture of the roster: contacts, their groups and subscription,
 * the presence of each of their resources, and the subscription requests
 * still waiting for an answer.  Fed from core events; drawn by the roster
 * pane and read by tab completion.  The core owns the truth: this is a
 * copy kept only for showing it. */
#ifndef NATTER_UI_CONTACTS_H
#define NATTER_UI_CONTACTS_H

#include <stdbool.h>
#include <stddef.h>
#include <uthash.h>

#include "core/event.h"

/* Ordered from least to most available: the pane shows the best one. */
enum contact_show {
	SHOW_OFFLINE,
	SHOW_DND,
	SHOW_XA,
	SHOW_AWAY,
	SHOW_ONLINE,
	SHOW_CHAT,
};

struct contact_res {
	char *res; /* "" for a presence from the bare JID */
	int priority;
	enum contact_show show;
};

struct contact {
	char *key;       /* jid with ASCII letters lower-cased: the index's key (jid itself
	                  * when that has no capital) */
	char *jid;       /* bare, as the roster spells it */
	char *name;      /* NULL when unnamed */
	const char *sub; /* none, to, from, both (static) */
	bool ask;        /* our subscription request waits for an answer */
	bool in_roster;
	char **groups;
	size_t ngroups;
	struct contact_res *res; /* available resources only */
	size_t nres;
	UT_hash_handle hh;
};

/* A roster of 10,000 and their presence must cost N log N in all: contacts
 * are found through a hash index, never by a scan, and the sorted list is
 * sorted once per roster and kept in order one insertion at a time. */
struct contacts {
	struct contact **v; /* sorted by name-or-JID, case-insensitively */
	size_t n, cap;
	struct contact *index; /* by key */
	char **pending;        /* bare JIDs asking to see our presence, oldest first;
	                        * NULL-terminated once there was one */
	size_t npending;
};

void contacts_free(struct contacts *c);

/* NT_EV_ROSTER: the roster is exactly items.  -1 on ENOMEM (the old
 * roster is then partly replaced, never freed memory). */
int contacts_replace(struct contacts *c, const struct nt_roster_item *items, size_t n);
/* NT_EV_ROSTER_PUSH: one item added, changed or ("remove") gone. */
int contacts_push(struct contacts *c, const struct nt_roster_item *item);

/* A presence from a full (or bare) JID.  Returns whether the contact's
 * shown presence may have changed. */
bool contacts_presence(struct contacts *c, const char *from, const char *type, const char *show,
                       int priority);
/* Disconnected: nobody's presence is known any more. */
void contacts_offline_all(struct contacts *c);

struct contact *contacts_find(const struct contacts *c, const char *bare);
/* The best available resource's show, SHOW_OFFLINE when none is. */
enum contact_show contact_show(const struct contact *ct);
/* What the pane calls the contact: its roster name, else its JID. */
const char *contact_label(const struct contact *ct);

/* Subscription requests waiting for /sub allow or /sub deny: at most
 * CONTACTS_PENDING_MAX, the oldest giving way (the core keeps the newest
 * requests from strangers and says so). */
#define CONTACTS_PENDING_MAX 256
int contacts_pending_add(struct contacts *c, const char *bare);
void contacts_pending_remove(struct contacts *c, const char *bare);
int contacts_pending_replace(struct contacts *c, const struct nt_sub_request *items, size_t n);

#endif
