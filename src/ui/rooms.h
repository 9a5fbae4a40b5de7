/* The UI's picture of group chat: the rooms we are in, their occupants
 * and subjects, and the invitations waiting for an answer.  Fed from the
 * core's room events (a copy kept only to show it: the core owns the
 * truth); drawn by the occupant list, the topic line and the roster pane,
 * and read by nick completion. */
#ifndef NATTER_UI_ROOMS_H
#define NATTER_UI_ROOMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/event.h"

#define ROOMS_MAX_INVITES 32 /* waiting for Tab; older ones give way */

/* Ordered as the occupant list groups them. */
enum room_role { ROLE_MODERATOR, ROLE_PARTICIPANT, ROLE_VISITOR, ROLE_NONE, ROLE_COUNT };

struct room_occ {
	char *nick;
	char *jid; /* real JID, when the room shows it */
	enum room_role role;
	char *affiliation;
	char *show;     /* NULL: available */
	uint64_t spoke; /* when it last said something (completion order), 0: never */
};

struct room {
	char *jid;  /* bare */
	char *nick; /* ours */
	char *subject;
	bool joined;
	char *renamed;        /* the new nick of an occupant that just changed it */
	struct room_occ *occ; /* sorted: role, then nick */
	size_t nocc;
	uint64_t seq; /* rooms_spoke() counter */
};

struct room_invite {
	char *room, *password; /* password may be NULL */
};

struct rooms {
	struct room **v;
	size_t n;
	struct room_invite invites[ROOMS_MAX_INVITES]; /* oldest first */
	size_t ninvites;
};

void rooms_free(struct rooms *rs);

/* The room jid (bare, or an occupant's full JID) names, or NULL. */
struct room *rooms_find(const struct rooms *rs, const char *jid);
/* Whether jid is an occupant's full JID in a room we know. */
bool rooms_is_private(const struct rooms *rs, const char *jid);

/* Events.  Each returns the room (NULL on ENOMEM or an unknown room). */
struct room *rooms_joined(struct rooms *rs, const struct nt_event *ev);
struct room *rooms_presence(struct rooms *rs, const struct nt_event *ev);
struct room *rooms_subject(struct rooms *rs, const struct nt_event *ev);
struct room *rooms_left(struct rooms *rs, const struct nt_event *ev);

/* "moderator", "participant", "visitor", "none". */
const char *rooms_role_name(enum room_role role);

/* nick said something in r: it comes first when completing nicks. */
void rooms_spoke(struct room *r, const char *nick);
/* Whether text mentions nick as a word (case-insensitively). */
bool rooms_mentions(const char *text, const char *nick);

/* Nicks of r starting with prefix (case-insensitively), recent speakers
 * first, ourselves last: a NULL-terminated malloc'd array of malloc'd
 * strings (cmd_candidates_free), its count in *n; NULL on ENOMEM. */
char **rooms_complete(const struct room *r, const char *prefix, size_t *n);

/* An invitation to remember for Tab (the same room again replaces it). */
int rooms_invite_add(struct rooms *rs, const char *room, const char *password);
void rooms_invite_remove(struct rooms *rs, const char *room);

#endif
