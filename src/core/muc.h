/* Group chat (XEP-0045): rooms and their occupants.
 *
 * Three modules share the rooms this file describes: muc.c (joining,
 * leaving, occupants' presence, nick changes, rejoining after a fresh
 * login, XEP-0410 self-ping), muc_message.c (a room's messages and
 * subject, stored like chats, and catching up on a rejoin) and
 * muc_admin.c (invitations, kicks, bans, room configuration).
 * Bookmarks are bookmarks.c's.
 *
 * The functions below are for other modules (message corrections must
 * come from the same occupant; OMEMO in members-only non-anonymous rooms
 * needs the members' real JIDs).  They only read what the room told us;
 * every string they return is raw (as the room sent it, validated as a
 * JID part where it is one) and valid until the next stanza from that
 * room is handled: copy what you keep.  Nothing here is sanitised for a
 * terminal — sanitise before an event as always. */
#ifndef NATTER_CORE_MUC_H
#define NATTER_CORE_MUC_H

#include <stdbool.h>
#include <stddef.h>
#include <strophe.h>

#include "core/core_internal.h"

extern const struct core_module muc_module;
extern const struct core_module muc_message_module;
extern const struct core_module muc_admin_module;

#define NS_MUC       "http://jabber.org/protocol/muc"
#define NS_MUC_USER  "http://jabber.org/protocol/muc#user"
#define NS_MUC_ADMIN "http://jabber.org/protocol/muc#admin"
#define NS_MUC_OWNER "http://jabber.org/protocol/muc#owner"

/* Whether jid (bare, or an occupant's full JID) names a room we are in:
 * our own presence there (status 110) has come and we have not left. */
bool muc_is_joined(struct core *core, const char *jid);
/* Whether jid names a room we are in or joining (its stanzas are the
 * room's, not a contact's). */
bool muc_is_room(struct core *core, const char *jid);
/* Our nick in the room jid names (raw), or NULL when not in it. */
const char *muc_own_nick(struct core *core, const char *jid);

/* What the room says about one occupant. */
struct muc_occupant_info {
	const char *nick;        /* the resource of its room JID */
	const char *jid;         /* its real full JID when the room reveals it, else NULL */
	const char *occupant_id; /* XEP-0421, when the room gives one, else NULL */
	const char *role;        /* moderator, participant, visitor */
	const char *affiliation; /* owner, admin, member, none */
	bool self;               /* it is us */
};
/* The occupant the full room JID full stands for, now: 1 (and *out
 * filled) when it is in a room we are in, else 0.  A message from that
 * JID later may come from someone else who took the nick: compare
 * occupant_id (or the real JID) where the room gives one. */
int muc_occupant(struct core *core, const char *full, struct muc_occupant_info *out);

/* What the room's disco#info says (asked on every join). */
struct muc_room_info {
	bool nonanonymous; /* muc_nonanonymous: occupants' real JIDs are shown to all */
	bool membersonly;  /* muc_membersonly */
	bool archive;      /* it keeps an archive (XEP-0313 on the room JID) */
	bool occupant_id;  /* it gives XEP-0421 occupant ids (and strips forged ones) */
	bool known;        /* the answer came */
};
/* 1 and *out for a room we are in or joining, else 0. */
int muc_room_info(struct core *core, const char *jid, struct muc_room_info *out);

/* The real bare JIDs (as jid_bare_key() spells them, each once) of the room's occupants
 * whose JID the room shows, and of the members, admins and owners it
 * listed to us (asked on joining a members-only room that shows real
 * JIDs; a room may refuse).  A NULL-terminated array the room keeps
 * (free nothing), valid until the room changes; NULL when we are not in
 * the room or out of memory. */
const char **muc_real_jids(struct core *core, const char *jid);

/* For chat.c and history.c: the conversation a private message to or from
 * jid belongs to.  When jid is an occupant's full JID (of a room we are in
 * or joining, or with via_room set: the message said it came through a
 * room, XEP-0045 §7.5), a malloc'd key "room@service/nick" (the room part
 * as jid_bare_key() spells it, the nick as it is); else NULL, and the
 * conversation is the bare JID's. */
char *muc_private_key(struct core *core, const char *jid, bool via_room);

/* Sends o (chat.h; o->to is the room) to a room we are in as a groupchat
 * message (muc_message.c), decorated by the modules' hooks (a correction,
 * a link), recorded (a correction in the row it corrects) and echoed as an
 * outgoing message event; the room's copy of it is recognised and not
 * reported again.  0, or -1 after an error event. */
struct chat_out;
int muc_send_message(struct core *core, struct chat_out *o, struct core_cause cause);

/* Joins room (bare) as nick (NULL: the account's nick) with an optional
 * password; for bookmarks.c's autojoin.  Does nothing for a room we are
 * in or joining.  0, or -1 after an error event for cause. */
int muc_join(struct core *core, const char *room, const char *nick, const char *password,
             struct core_cause cause);

#endif
