/* What muc.c, muc_message.c and muc_admin.c share: the rooms, owned by
 * muc.c's state.  Not for other modules: they use muc.h. */
#ifndef NATTER_CORE_MUC_INTERNAL_H
#define NATTER_CORE_MUC_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <uthash.h>

#include "core/muc.h"

/* Bounds on what rooms (and strangers inviting us to them) can make us
 * keep: rooms joined at once, occupants per room, what one string may be. */
#define MUC_MAX_ROOMS     500
#define MUC_MAX_OCCUPANTS 10000
#define MUC_MAX_MEMBERS   10000
#define MUC_MAX_ID        256 /* bytes of an occupant id or a room's stanza-id */

enum muc_state {
	MUC_JOINING, /* our presence went out; our own (status 110) has not come */
	MUC_JOINED,
};

struct muc_occ {
	char *nick;                     /* the resource of its room JID, as sent: the hash key */
	char *cnick;                    /* sanitised */
	char *jid, *cjid;               /* real full JID (normalised) and sanitised, or NULL */
	char *bare;                     /* jid_bare_key() of jid, or NULL */
	char *occupant_id;              /* XEP-0421, or NULL */
	const char *role, *affiliation; /* static strings */
	char *show, *status;            /* sanitised, or NULL */
	UT_hash_handle hh;
};

struct muc_room {
	struct core *core;
	char *jid;  /* the bare room JID, normalised: what we send to */
	char *key;  /* jid_bare_key(): the rooms' hash key and the history's peer */
	char *cjid; /* sanitised, for events */
	char *nick; /* ours (raw, a valid resource) */
	char *password;
	enum muc_state state;
	struct core_cause cause; /* the /join that asked: its errors go there */
	bool configure;          /* leave a room we create locked for /roomconfig */
	bool created;            /* this join created it (status 201) */
	bool rejoin;             /* joining again by ourselves (fresh login, self-ping) */
	struct muc_occ *occupants;
	size_t noccupants;
	char *self_id;              /* our XEP-0421 occupant id there, or NULL */
	char *subject, *subject_by; /* sanitised, or NULL */
	struct muc_room_info info;
	char **members; /* real bare JIDs (jid_bare_key) from the affiliation lists */
	size_t nmembers;
	const char **real; /* muc_real_jids()'s last answer */
	uint64_t heard_ms; /* loop_time() of the last stanza from the room */
	bool pinging;      /* a XEP-0410 self-ping waits for its answer */
	uint64_t join_timer;
	char *catchup_after; /* after joining: the room's archive from this id on */
	unsigned gen;        /* joins so far: answers for an older one are stale */
	UT_hash_handle hh;
};

/* The room jid (bare or full, any spelling) names, or NULL. */
struct muc_room *muc_room_find(struct core *core, const char *jid);
/* The occupant with this nick, or NULL. */
struct muc_occ *muc_occ_find(struct muc_room *r, const char *nick);
/* Something came from the room: it still knows us (self-ping waits). */
void muc_heard(struct core *core, struct muc_room *r);

/* muc_message.c: the room is joined; a rejoin catches up from its archive
 * when catchup_after says where. */
void muc_message_joined(struct core *core, struct muc_room *r);
/* muc_admin.c: we created r (status 201): unlock it as an instant room,
 * unless the user asked to configure it. */
void muc_admin_created(struct core *core, struct muc_room *r);

/* The bare JID of jid (malloc'd, normalised) and its resource (malloc'd,
 * NULL when none); -1 when jid is no valid JID (or ENOMEM). */
int muc_split(const char *jid, char **bare, char **resource);

#endif
