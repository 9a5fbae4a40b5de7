/* Group chat (XEP-0045): joining and leaving rooms, their occupants, nick
 * changes, rejoining after a fresh login, and XEP-0410 self-ping.
 *
 * Every presence that carries <x xmlns='...muc#user'/> is a room's and
 * stops here (a guard): the presence module never takes an occupant for
 * a contact.  A room's presence is believed only for a room we asked to
 * join: anything else, our own presence (status 110) included, is
 * dropped.  A room's messages are muc_message.c's; invitations, kicks,
 * bans and configuration are muc_admin.c's. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/disco.h"
#include "core/history.h"
#include "core/mam.h"
#include "core/muc.h"
#include "core/muc_internal.h"
#include "util/jid.h"
#include "util/log.h"
#include "util/text.h"
#include "xmpp/stanza.h"

#define NS_PING        "urn:xmpp:ping"
#define NS_OCCUPANT_ID "urn:xmpp:occupant-id:0"
#define NS_DATA        "jabber:x:data"

#define JOIN_TIMEOUT_MS    60000
#define REQUEST_TIMEOUT_MS 30000
#define MAX_CODES          16
#define MAX_STATUS         1024 /* bytes of a status text kept */

static const char *const roles[] = {"moderator", "participant", "visitor", "none", NULL};
static const char *const affiliations[] = {"owner", "admin", "member", "outcast", "none", NULL};
static const char *const shows[] = {"away", "chat", "dnd", "xa", NULL};

struct muc_mstate {
	struct core *core;
	struct muc_room *rooms;
	uint64_t ping_timer;
};

/* A request about one room: the room may be gone (or joined anew) when
 * the answer comes, so it is found again by key and join generation. */
struct room_req {
	char *key;
	unsigned gen;
	char *nick; /* self-ping: the nick we pinged */
	struct core_cause cause;
};

static struct muc_mstate *mst(struct core *core)
{
	return core_state(core, &muc_module);
}

static const char *known(const char *const *list, const char *s, const char *dflt)
{
	for (int i = 0; s && list[i]; i++)
		if (!strcmp(s, list[i]))
			return list[i];
	return dflt;
}

/* ---- rooms and occupants ---- */

int muc_split(const char *jid, char **bare, char **resource)
{
	struct jid j;

	*bare = *resource = NULL;
	if (!jid || jid_parse(jid, &j, NULL))
		return -1;
	*bare = jid_bare(&j);
	if (j.resource)
		*resource = strdup(j.resource);
	jid_clear(&j);
	if (!*bare || (strchr(jid, '/') && !*resource)) {
		free(*bare);
		free(*resource);
		*bare = *resource = NULL;
		return -1;
	}
	return 0;
}

static void occ_free(struct muc_occ *o)
{
	free(o->nick);
	free(o->cnick);
	free(o->jid);
	free(o->bare);
	free(o->cjid);
	free(o->occupant_id);
	free(o->show);
	free(o->status);
	free(o);
}

static void occupants_clear(struct muc_room *r)
{
	struct muc_occ *o, *tmp;

	HASH_ITER(hh, r->occupants, o, tmp)
	{
		HASH_DEL(r->occupants, o);
		occ_free(o);
	}
	r->noccupants = 0;
}

static void members_clear(struct muc_room *r)
{
	for (size_t i = 0; i < r->nmembers; i++)
		free(r->members[i]);
	free(r->members);
	r->members = NULL;
	r->nmembers = 0;
}

static void room_free(struct core *core, struct muc_room *r)
{
	loop_timer_cancel(core_loop(core), r->join_timer);
	occupants_clear(r);
	members_clear(r);
	free(r->jid);
	free(r->key);
	free(r->cjid);
	free(r->nick);
	free(r->password);
	free(r->self_id);
	free(r->subject);
	free(r->subject_by);
	free(r->real);
	free(r->catchup_after);
	free(r);
}

static void room_remove(struct core *core, struct muc_room *r)
{
	HASH_DEL(mst(core)->rooms, r);
	room_free(core, r);
}

struct muc_room *muc_room_find(struct core *core, const char *jid)
{
	struct muc_mstate *m = mst(core);
	struct muc_room *r = NULL;
	char *key;

	if (!m || !jid || !m->rooms || !(key = jid_bare_key(jid, NULL)))
		return NULL;
	HASH_FIND_STR(m->rooms, key, r);
	free(key);
	return r;
}

struct muc_occ *muc_occ_find(struct muc_room *r, const char *nick)
{
	struct muc_occ *o = NULL;

	if (nick)
		HASH_FIND_STR(r->occupants, nick, o);
	return o;
}

void muc_heard(struct core *core, struct muc_room *r)
{
	r->heard_ms = loop_time(core_loop(core));
}

/* A new room in JOINING state (not yet sent); NULL after an error event. */
static struct muc_room *room_new(struct core *core, struct core_cause cause, const char *bare,
                                 const char *nick, const char *password)
{
	struct muc_mstate *m = mst(core);
	struct muc_room *r;

	if (HASH_COUNT(m->rooms) >= MUC_MAX_ROOMS) {
		core_error(core, cause, "resource-constraint",
		           "natter is in %d rooms already: /part one first", MUC_MAX_ROOMS);
		return NULL;
	}
	r = calloc(1, sizeof(*r));
	if (!r || !(r->jid = strdup(bare)) || !(r->key = jid_bare_key(bare, NULL)) ||
	    !(r->cjid = core_clean(bare)) || !(r->nick = strdup(nick)) ||
	    (password && !(r->password = strdup(password)))) {
		if (r)
			room_free(core, r);
		core_error(core, cause, "internal-server-error", "out of memory");
		return NULL;
	}
	r->cause = cause;
	r->core = core;
	HASH_ADD_KEYPTR(hh, m->rooms, r->key, strlen(r->key), r);
	return r;
}

/* ---- events ---- */

static void occ_event(const struct muc_occ *o, struct nt_occupant *out)
{
	*out = (struct nt_occupant){.nick = o->cnick,
	                            .jid = o->cjid,
	                            .role = o->role,
	                            .affiliation = o->affiliation,
	                            .show = o->show,
	                            .status = o->status};
}

/* The occupants as events want them (a malloc'd array), sorted by nick. */
static int by_nick(struct muc_occ *a, struct muc_occ *b)
{
	return strcmp(a->nick, b->nick);
}

static struct nt_occupant *occ_events(struct muc_room *r, size_t *n)
{
	struct nt_occupant *v = calloc(r->noccupants ? r->noccupants : 1, sizeof(*v));
	struct muc_occ *o, *tmp;

	*n = 0;
	if (!v)
		return NULL;
	HASH_SORT(r->occupants, by_nick);
	HASH_ITER(hh, r->occupants, o, tmp)
	occ_event(o, &v[(*n)++]);
	return v;
}

static void emit_joined(struct core *core, struct muc_room *r)
{
	struct nt_event ev = {.kind = NT_EV_MUC_JOINED, .origin = r->cause.origin};
	char *cnick = core_clean(r->nick);
	size_t n;
	struct nt_occupant *v = occ_events(r, &n);

	if (!v || !cnick) {
		log_error("out of memory: joining %s was not reported", r->jid);
	} else {
		ev.u.muc_joined.room = r->cjid;
		ev.u.muc_joined.nick = cnick;
		ev.u.muc_joined.occupants = v;
		ev.u.muc_joined.count = n;
		ev.u.muc_joined.subject = r->subject;
		ev.u.muc_joined.created = r->created;
		core_emit(core, &ev);
	}
	free(v);
	free(cnick);
}

static void emit_occupants(struct core *core, struct muc_room *r, struct core_cause cause)
{
	struct nt_event ev = {.kind = NT_EV_MUC_OCCUPANTS, .origin = cause.origin};
	size_t n;
	struct nt_occupant *v = occ_events(r, &n);

	if (!v) {
		core_error(core, cause, "internal-server-error", "out of memory");
		return;
	}
	ev.u.muc_occupants.room = r->cjid;
	ev.u.muc_occupants.occupants = v;
	ev.u.muc_occupants.count = n;
	core_emit(core, &ev);
	free(v);
}

/* What a room's presence says beyond the occupant itself. */
struct muc_x {
	int codes[MAX_CODES];
	size_t ncodes;
	const char *affiliation, *role; /* static */
	char *jid;                      /* real JID, normalised, or NULL */
	char *nick;                     /* the new nick of a 303 */
	char *actor, *reason;           /* sanitised */
	bool destroy;
	char *alternate, *destroy_reason; /* sanitised */
	char *occupant_id;
};

static void x_clear(struct muc_x *x)
{
	free(x->jid);
	free(x->nick);
	free(x->actor);
	free(x->reason);
	free(x->alternate);
	free(x->destroy_reason);
	free(x->occupant_id);
	memset(x, 0, sizeof(*x));
}

static bool has_code(const struct muc_x *x, int code)
{
	for (size_t i = 0; i < x->ncodes; i++)
		if (x->codes[i] == code)
			return true;
	return false;
}

/* A normalised full (or bare) JID, or NULL when s is not one. */
static char *norm_jid(const char *s)
{
	struct jid j;
	char *out;

	if (!s || jid_parse(s, &j, NULL))
		return NULL;
	out = jid_full(&j);
	jid_clear(&j);
	return out;
}

/* A child's text, sanitised, bounded. */
static char *clean_child(xmpp_stanza_t *st, const char *name)
{
	char *raw = st ? st_child_text(st, name) : NULL, *clean = NULL;

	if (raw && strlen(raw) > MAX_STATUS)
		raw[MAX_STATUS] = '\0';
	clean = raw ? core_clean_text(raw) : NULL;
	free(raw);
	return clean;
}

static char *bounded_id(const char *s)
{
	return s && *s && strlen(s) <= MUC_MAX_ID ? strdup(s) : NULL;
}

/* Reads <x xmlns=muc#user/> (and the occupant id beside it). */
static void read_x(xmpp_stanza_t *st, struct muc_x *x)
{
	xmpp_stanza_t *xe = xmpp_stanza_get_child_by_name_and_ns(st, "x", NS_MUC_USER), *c;
	xmpp_stanza_t *oid =
	    xmpp_stanza_get_child_by_name_and_ns(st, "occupant-id", NS_OCCUPANT_ID);

	memset(x, 0, sizeof(*x));
	x->affiliation = "none";
	x->role = "none";
	if (oid)
		x->occupant_id = bounded_id(xmpp_stanza_get_attribute(oid, "id"));
	for (c = xe ? xmpp_stanza_get_children(xe) : NULL; c; c = xmpp_stanza_get_next(c)) {
		const char *name = xmpp_stanza_is_tag(c) ? xmpp_stanza_get_name(c) : NULL;

		if (!name)
			continue;
		if (!strcmp(name, "status")) {
			const char *code = xmpp_stanza_get_attribute(c, "code");
			char *end;
			long v = code ? strtol(code, &end, 10) : 0;

			if (code && !*end && v >= 100 && v <= 999 && x->ncodes < MAX_CODES &&
			    !has_code(x, (int)v))
				x->codes[x->ncodes++] = (int)v;
		} else if (!strcmp(name, "item")) {
			xmpp_stanza_t *actor = xmpp_stanza_get_child_by_name(c, "actor");

			x->affiliation = known(affiliations,
			                       xmpp_stanza_get_attribute(c, "affiliation"), "none");
			x->role = known(roles, xmpp_stanza_get_attribute(c, "role"), "none");
			free(x->jid);
			x->jid = norm_jid(xmpp_stanza_get_attribute(c, "jid"));
			free(x->nick);
			x->nick = xmpp_stanza_get_attribute(c, "nick")
			              ? strdup(xmpp_stanza_get_attribute(c, "nick"))
			              : NULL;
			free(x->actor);
			x->actor = NULL;
			if (actor) {
				const char *a = xmpp_stanza_get_attribute(actor, "nick");

				x->actor =
				    core_clean(a ? a : xmpp_stanza_get_attribute(actor, "jid"));
			}
			free(x->reason);
			x->reason = clean_child(c, "reason");
		} else if (!strcmp(name, "destroy")) {
			x->destroy = true;
			x->alternate = core_clean(xmpp_stanza_get_attribute(c, "jid"));
			x->destroy_reason = clean_child(c, "reason");
		}
	}
}

static void emit_presence(struct core *core, struct muc_room *r, const struct muc_occ *o,
                          const char *type, const struct muc_x *x, const char *new_nick)
{
	struct nt_event ev = {.kind = NT_EV_MUC_PRESENCE};
	char *cnew = core_clean(new_nick);

	ev.u.muc_presence.room = r->cjid;
	occ_event(o, &ev.u.muc_presence.occupant);
	ev.u.muc_presence.type = type;
	ev.u.muc_presence.codes = x->codes;
	ev.u.muc_presence.ncodes = x->ncodes;
	ev.u.muc_presence.new_nick = cnew;
	ev.u.muc_presence.actor = x->actor;
	ev.u.muc_presence.reason = x->reason;
	core_emit(core, &ev);
	free(cnew);
}

static void emit_left(struct core *core, struct muc_room *r, struct core_cause cause,
                      const struct muc_x *x, const char *reason, bool rejoining)
{
	struct nt_event ev = {.kind = NT_EV_MUC_LEFT, .origin = cause.origin};

	ev.u.muc_left.room = r->cjid;
	ev.u.muc_left.rejoining = rejoining;
	if (x) {
		ev.u.muc_left.codes = x->codes;
		ev.u.muc_left.ncodes = x->ncodes;
		ev.u.muc_left.actor = x->actor;
		ev.u.muc_left.destroyed = x->destroy;
		ev.u.muc_left.alternate = x->alternate;
		ev.u.muc_left.reason = x->destroy ? x->destroy_reason : x->reason;
	}
	if (!ev.u.muc_left.reason)
		ev.u.muc_left.reason = reason;
	core_emit(core, &ev);
}

/* ---- joining ---- */

static void join_timeout(struct loop *loop, void *ud);
static void ping_arm(struct core *core);

static char *stamp_text(int64_t ms)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	char buf[32];

	if (!gmtime_r(&t, &tm) || !strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm))
		return NULL;
	return strdup(buf);
}

/* <history/> for a join: nothing (the room's default) when nothing of it is
 * stored; else none at all when its archive will be asked for what is
 * newer than our newest (muc_message_joined), or what is newer than our
 * newest message, give or take the clocks (duplicates are dropped). */
static int add_history(struct core *core, struct muc_room *r, xmpp_stanza_t *x)
{
	xmpp_stanza_t *h;
	char *sid = NULL, *since;
	int64_t ts = 0;
	int rc = 0;

	free(r->catchup_after);
	r->catchup_after = NULL;
	if (history_room_last(core, r->jid, &sid, &ts) || ts <= 0) {
		free(sid);
		return 0;
	}
	h = st_add_element(x, "history", NULL);
	if (!h) {
		free(sid);
		return -1;
	}
	if (r->info.archive && sid) {
		r->catchup_after = sid;
		return xmpp_stanza_set_attribute(h, "maxstanzas", "0") == XMPP_EOK ? 0 : -1;
	}
	free(sid);
	since = stamp_text(ts - STORE_ROOM_SKEW_MS);
	if (!since || xmpp_stanza_set_attribute(h, "since", since) != XMPP_EOK)
		rc = -1;
	free(since);
	return rc;
}

/* Sends the join presence for r (already in JOINING state). */
static int send_join(struct core *core, struct muc_room *r)
{
	xmpp_stanza_t *p = xmpp_presence_new(core_ctx(core)), *x = NULL, *caps;
	char *to = NULL;
	int bad = !p;

	if (!bad && asprintf(&to, "%s/%s", r->jid, r->nick) < 0)
		to = NULL;
	bad |= !to || xmpp_stanza_set_to(p, to) != XMPP_EOK;
	if (!bad)
		x = st_add_element(p, "x", NS_MUC);
	bad |= !x;
	if (!bad && r->password)
		bad |= st_add_text(x, "password", r->password);
	if (!bad)
		bad |= add_history(core, r, x);
	/* Occupants may ask what we do; the room passes our caps on. */
	if (!bad && (caps = disco_caps_element(core))) {
		xmpp_stanza_add_child(p, caps);
		xmpp_stanza_release(caps);
	}
	free(to);
	if (bad) {
		if (p)
			xmpp_stanza_release(p);
		return -1;
	}
	r->state = MUC_JOINING;
	r->gen++;
	r->pinging = false;
	occupants_clear(r);
	loop_timer_cancel(core_loop(core), r->join_timer);
	r->join_timer = loop_timer_add(core_loop(core), JOIN_TIMEOUT_MS, join_timeout, r);
	return core_send(core, p);
}

/* A join refused (or unanswered): reported with the room's condition, and
 * no half-joined room is left behind, so /join again starts afresh. */
static void join_failed(struct core *core, struct muc_room *r, const char *condition,
                        const char *why)
{
	struct core_cause cause = r->cause.command ? r->cause : CAUSED_BY("join");

	core_error(core, cause, condition, "cannot join %s: %s", r->cjid, why);
	room_remove(core, r);
}

static void join_timeout(struct loop *loop, void *ud)
{
	struct muc_room *r = ud;

	(void)loop;
	r->join_timer = 0;
	join_failed(r->core, r, "remote-server-timeout", "the room did not answer");
}

static int start_join(struct core *core, struct muc_room *r)
{
	if (send_join(core, r)) {
		core_error(core, r->cause, "internal-server-error",
		           "out of memory: could not join %s", r->cjid);
		room_remove(core, r);
		return -1;
	}
	return 0;
}

/* The room's own description, asked before joining a room whose history
 * we hold (to know whether it keeps an archive) and after every join. */
static void info_answer(struct core *core, const char *jid, int supported, void *ud);

static int ask_info(struct core *core, struct muc_room *r, bool then_join)
{
	struct room_req *q = calloc(1, sizeof(*q));

	if (!q || !(q->key = strdup(r->key))) {
		free(q);
		return -1;
	}
	q->gen = r->gen;
	/* then_join: the answer sends the join presence */
	q->nick = then_join ? strdup("") : NULL;
	if ((then_join && !q->nick) || disco_check_feature(core, r->jid, NS_MAM, info_answer, q)) {
		free(q->key);
		free(q->nick);
		free(q);
		return -1;
	}
	return 0;
}

static void ask_members(struct core *core, struct muc_room *r);

static void info_answer(struct core *core, const char *jid, int supported, void *ud)
{
	struct room_req *q = ud;
	struct muc_room *r = NULL;

	(void)jid;
	if (mst(core))
		HASH_FIND_STR(mst(core)->rooms, q->key, r);
	if (r && r->gen == q->gen) {
		if (supported >= 0) {
			r->info.known = true;
			r->info.archive = supported == 1;
			r->info.nonanonymous =
			    disco_known_feature(core, r->jid, "muc_nonanonymous") == 1;
			r->info.membersonly =
			    disco_known_feature(core, r->jid, "muc_membersonly") == 1;
			r->info.occupant_id =
			    disco_known_feature(core, r->jid, NS_OCCUPANT_ID) == 1;
		}
		if (q->nick)
			start_join(core, r);
		else if (r->info.nonanonymous && r->info.membersonly)
			ask_members(core, r);
	}
	free(q->key);
	free(q->nick);
	free(q);
}

/* The nick to join with when none is given: the account's, else the
 * localpart of our JID. */
static char *default_nick(struct core *core)
{
	const struct account *a = core_account(core);
	struct jid j;
	char *nick = NULL;

	if (a->nick)
		return strdup(a->nick);
	if (jid_parse(a->jid, &j, NULL))
		return NULL;
	nick = strdup(j.local ? j.local : j.domain);
	jid_clear(&j);
	return nick;
}

/* A nick the room JID can carry: a valid resource. */
static bool nick_ok(const char *room, const char *nick)
{
	char *full = NULL;
	bool ok;

	if (!nick || !*nick || asprintf(&full, "%s/%s", room, nick) < 0)
		return false;
	ok = jid_parse(full, NULL, NULL) == 0;
	free(full);
	return ok;
}

static int join(struct core *core, struct core_cause cause, const char *room, const char *nick,
                const char *password, bool configure)
{
	struct muc_room *r = muc_room_find(core, room);
	char *dflt = NULL;
	if (r) {
		core_info(core, cause, "%s %s already (as %s)",
		          r->state == MUC_JOINED ? "in" : "joining", r->cjid, r->nick);
		return 0;
	}
	if (!nick)
		nick = dflt = default_nick(core);
	if (!nick_ok(room, nick)) {
		core_error(core, cause, "jid-malformed", "'%s' cannot be a nick in %s",
		           nick ? nick : "", room);
		free(dflt);
		return -1;
	}
	r = room_new(core, cause, room, nick, password);
	free(dflt);
	if (!r)
		return -1;
	r->configure = configure;
	/* Typed before the session is up: the join goes with the next login. */
	if (!core_online(core))
		return 0;
	/* What the room is decides how it catches up (from its archive?) and
	 * whether its occupant ids can be trusted: asked before joining. */
	if (ask_info(core, r, true) == 0)
		return 0;
	return start_join(core, r);
}

int muc_join(struct core *core, const char *room, const char *nick, const char *password,
             struct core_cause cause)
{
	char *bare = NULL, *res = NULL;
	int rc;

	if (!mst(core))
		return -1;
	if (muc_split(room, &bare, &res) || res) {
		core_error(core, cause, "jid-malformed", "'%s' is not a room's bare JID", room);
		free(bare);
		free(res);
		return -1;
	}
	rc = join(core, cause, bare, nick, password, false);
	free(bare);
	return rc;
}

/* Our own presence came (status 110): we are in. */
static void joined(struct core *core, struct muc_room *r, const char *nick, const struct muc_x *x)
{
	loop_timer_cancel(core_loop(core), r->join_timer);
	r->join_timer = 0;
	r->state = MUC_JOINED;
	/* Status 210: the room gave us another nick than we asked for. */
	if (strcmp(r->nick, nick)) {
		char *n = strdup(nick);

		if (n) {
			free(r->nick);
			r->nick = n;
		}
	}
	r->created = has_code(x, 201);
	emit_joined(core, r);
	if (r->created)
		muc_admin_created(core, r);
	r->rejoin = false;
	r->cause = NO_CAUSE;
	if (!r->info.known && ask_info(core, r, false))
		log_warn("could not ask %s what it is", r->jid);
	else if (r->info.nonanonymous && r->info.membersonly)
		ask_members(core, r);
	muc_message_joined(core, r);
	ping_arm(core);
}

/* ---- a room's presence ---- */

/* The occupant for nick, created (not yet counted as announced) when
 * new; NULL on ENOMEM or when the room is too full to remember. */
static struct muc_occ *occ_get(struct muc_room *r, const char *nick, bool *fresh)
{
	struct muc_occ *o = muc_occ_find(r, nick);

	*fresh = false;
	if (o)
		return o;
	if (r->noccupants >= MUC_MAX_OCCUPANTS)
		return NULL;
	o = calloc(1, sizeof(*o));
	if (!o || !(o->nick = strdup(nick)) || !(o->cnick = core_clean(nick))) {
		if (o)
			occ_free(o);
		return NULL;
	}
	o->role = "none";
	o->affiliation = "none";
	HASH_ADD_KEYPTR(hh, r->occupants, o->nick, strlen(o->nick), o);
	r->noccupants++;
	*fresh = true;
	return o;
}

static void occ_remove(struct muc_room *r, struct muc_occ *o)
{
	HASH_DEL(r->occupants, o);
	occ_free(o);
	r->noccupants--;
	free(r->real);
	r->real = NULL;
}

/* Takes the strings of x and st that describe the occupant now. */
static void occ_update(struct muc_occ *o, xmpp_stanza_t *st, struct muc_x *x)
{
	char *show = st_child_text(st, "show");

	o->role = x->role;
	o->affiliation = x->affiliation;
	if (x->jid) {
		free(o->jid);
		free(o->bare);
		free(o->cjid);
		o->jid = x->jid;
		o->bare = jid_bare_key(x->jid, NULL);
		o->cjid = core_clean(x->jid);
		x->jid = NULL;
	}
	if (x->occupant_id) {
		free(o->occupant_id);
		o->occupant_id = x->occupant_id;
		x->occupant_id = NULL;
	}
	free(o->show);
	o->show = known(shows, show, NULL) ? strdup(show) : NULL;
	free(o->status);
	o->status = clean_child(st, "status");
	free(show);
}

static void self_gone(struct core *core, struct muc_room *r, struct muc_x *x)
{
	const char *why = has_code(x, 307)   ? "you were kicked"
	                  : has_code(x, 301) ? "you were banned"
	                  : has_code(x, 321) ? "your affiliation changed"
	                  : has_code(x, 322) ? "the room is now members-only"
	                  : has_code(x, 332) ? "the room service is shutting down"
	                  : x->destroy       ? "the room was destroyed"
	                                     : "you left";

	emit_left(core, r, NO_CAUSE, x, why, false);
	room_remove(core, r);
}

static void on_unavailable(struct core *core, struct muc_room *r, const char *nick,
                           xmpp_stanza_t *st, struct muc_x *x)
{
	struct muc_occ *o = muc_occ_find(r, nick);
	bool self = has_code(x, 110) || !strcmp(nick, r->nick);

	if (has_code(x, 303) && x->nick && o) {
		/* A nick change: the presence from the new nick follows. */
		if (r->state == MUC_JOINED)
			emit_presence(core, r, o, "unavailable", x, x->nick);
		if (self) {
			char *n = strdup(x->nick);

			if (n) {
				free(r->nick);
				r->nick = n;
			}
		}
		occ_remove(r, o);
		return;
	}
	if (self) {
		self_gone(core, r, x);
		return;
	}
	if (!o)
		return;
	occ_update(o, st, x);
	if (r->state == MUC_JOINED)
		emit_presence(core, r, o, "unavailable", x, NULL);
	occ_remove(r, o);
}

static void on_available(struct core *core, struct muc_room *r, const char *nick, xmpp_stanza_t *st,
                         struct muc_x *x)
{
	bool self = has_code(x, 110), fresh;
	struct muc_occ *o;

	/* Our own presence before the join completed is the one that says
	 * so; anything claiming status 110 for another room's join was
	 * dropped already (it found no room). */
	if (!self && r->state == MUC_JOINED && !strcmp(nick, r->nick))
		self = true;
	o = occ_get(r, nick, &fresh);
	if (!o) {
		log_warn("%s: occupant %s not kept (room full or out of memory)", r->jid, nick);
		if (self && r->state == MUC_JOINING)
			joined(core, r, nick, x);
		return;
	}
	occ_update(o, st, x);
	free(r->real);
	r->real = NULL;
	if (self && o->occupant_id) {
		free(r->self_id);
		r->self_id = strdup(o->occupant_id);
	}
	if (self && r->state == MUC_JOINING) {
		joined(core, r, nick, x);
		return;
	}
	if (r->state == MUC_JOINED)
		emit_presence(core, r, o, "available", x, NULL);
}

/* Guard: every presence a room sends (it carries muc#user) is the room's. */
static int on_room_presence(struct core *core, xmpp_stanza_t *st)
{
	const char *from = xmpp_stanza_get_from(st), *type = xmpp_stanza_get_type(st);
	char *bare = NULL, *nick = NULL;
	struct muc_room *r;
	struct muc_x x;

	if (!mst(core))
		return CORE_PASS;
	if (muc_split(from, &bare, &nick) || !nick) {
		free(bare);
		free(nick);
		log_info("ignored a room presence without an occupant");
		return CORE_STOP;
	}
	r = muc_room_find(core, bare);
	if (!r) {
		/* Not a room we asked to join: not even status 110 makes it one. */
		log_info("ignored a presence from a room we are not in");
		goto out;
	}
	if (type && !strcmp(type, "error")) {
		free(bare);
		free(nick);
		return CORE_PASS; /* on_error_presence's */
	}
	muc_heard(core, r);
	read_x(st, &x);
	if (type && !strcmp(type, "unavailable"))
		on_unavailable(core, r, nick, st, &x);
	else if (!type)
		on_available(core, r, nick, st, &x);
	x_clear(&x);
out:
	free(bare);
	free(nick);
	return CORE_STOP;
}

/* What a join error means, for the user (malloc'd). */
static char *join_error_text(const char *cond, const char *nick, const char *text)
{
	static const struct {
		const char *cond, *text;
	} texts[] = {
	    {"not-authorized", "it needs a password (password=...)"},
	    {"forbidden", "you are banned from it"},
	    {"registration-required", "it is members-only"},
	    {"service-unavailable", "it is full or unavailable"},
	    {"item-not-found", "no such room (and it cannot be created)"},
	    {"not-allowed", "rooms cannot be created there"},
	    {"jid-malformed", "a nick is needed"},
	    {"remote-server-not-found", "no such service"},
	};
	char *out = NULL;

	if (!strcmp(cond, "conflict")) {
		if (asprintf(&out, "the nick %s is taken (/join again with another)", nick) < 0)
			out = NULL;
		return out;
	}
	if (!strcmp(cond, "not-acceptable")) {
		if (asprintf(&out, "the nick %s is not the one reserved for you", nick) < 0)
			out = NULL;
		return out;
	}
	for (size_t i = 0; i < COUNT(texts); i++)
		if (!strcmp(cond, texts[i].cond))
			return strdup(texts[i].text);
	if (asprintf(&out, "%s%s%s", cond, text ? ": " : "", text ? text : "") < 0)
		out = NULL;
	return out;
}

/* Guard: an error presence from a room we are joining or in. */
static int on_error_presence(struct core *core, xmpp_stanza_t *st)
{
	const char *from = xmpp_stanza_get_from(st);
	char *bare = NULL, *nick = NULL, *text = NULL, *ctext, *ccond, *cnick;
	struct muc_room *r;
	const char *cond;

	if (!mst(core) || muc_split(from, &bare, &nick) || !(r = muc_room_find(core, bare))) {
		free(bare);
		free(nick);
		return CORE_PASS;
	}
	muc_heard(core, r);
	cond = st_error_condition(st, &text);
	ccond = core_clean(cond);
	ctext = core_clean(text);
	cnick = core_clean(nick ? nick : r->nick);
	if (r->state == MUC_JOINING) {
		char *why = join_error_text(ccond ? ccond : "undefined-condition",
		                            cnick ? cnick : "?", ctext);

		join_failed(core, r, ccond ? ccond : "undefined-condition",
		            why ? why : "out of memory");
		free(why);
	} else {
		/* A nick change refused (conflict), or our presence update. */
		core_error(core, CAUSED_BY("nick"), ccond ? ccond : "undefined-condition",
		           "%s refused %s%s%s", r->cjid, cnick ? cnick : "it", ctext ? ": " : "",
		           ctext ? ctext : "");
	}
	free(ccond);
	free(ctext);
	free(cnick);
	free(text);
	free(bare);
	free(nick);
	return CORE_STOP;
}

/* ---- the members' real JIDs (for OMEMO) ---- */

static void members_answer(struct core *core, xmpp_stanza_t *reply, void *ud)
{
	struct room_req *q = ud;
	struct muc_room *r = NULL;
	xmpp_stanza_t *query, *c;
	const char *type = reply ? xmpp_stanza_get_type(reply) : NULL;

	if (mst(core))
		HASH_FIND_STR(mst(core)->rooms, q->key, r);
	query = reply && type && !strcmp(type, "result")
	            ? xmpp_stanza_get_child_by_ns(reply, NS_MUC_ADMIN)
	            : NULL;
	for (c = r && r->gen == q->gen && query ? xmpp_stanza_get_children(query) : NULL; c;
	     c = xmpp_stanza_get_next(c)) {
		const char *name = xmpp_stanza_is_tag(c) ? xmpp_stanza_get_name(c) : NULL;
		char *bare, **grown;

		if (!name || strcmp(name, "item") || r->nmembers >= MUC_MAX_MEMBERS)
			continue;
		bare = jid_bare_key(xmpp_stanza_get_attribute(c, "jid"), NULL);
		grown = bare ? realloc(r->members, (r->nmembers + 1) * sizeof(*grown)) : NULL;
		if (!grown) {
			free(bare);
			continue;
		}
		r->members = grown;
		r->members[r->nmembers++] = bare;
		free(r->real);
		r->real = NULL;
	}
	free(q->key);
	free(q);
}

/* Members-only rooms that show real JIDs list their members to members
 * (a room may refuse: then only the occupants' JIDs are known). */
static void ask_members(struct core *core, struct muc_room *r)
{
	static const char *const which[] = {"member", "admin", "owner"};

	members_clear(r);
	for (size_t i = 0; i < COUNT(which); i++) {
		xmpp_stanza_t *iq = xmpp_iq_new(core_ctx(core), "get", NULL), *q, *item;
		struct room_req *req = calloc(1, sizeof(*req));

		q = iq ? st_add_element(iq, "query", NS_MUC_ADMIN) : NULL;
		item = q ? st_add_element(q, "item", NULL) : NULL;
		if (!item || !req || !(req->key = strdup(r->key)) ||
		    xmpp_stanza_set_attribute(item, "affiliation", which[i]) != XMPP_EOK ||
		    xmpp_stanza_set_to(iq, r->jid) != XMPP_EOK) {
			if (iq)
				xmpp_stanza_release(iq);
			if (req)
				free(req->key);
			free(req);
			return;
		}
		req->gen = r->gen;
		if (core_iq_send(core, iq, REQUEST_TIMEOUT_MS, members_answer, req)) {
			free(req->key);
			free(req);
			return;
		}
	}
}

/* ---- XEP-0410 self-ping ---- */

static void rejoin(struct core *core, struct muc_room *r, const char *why)
{
	emit_left(core, r, NO_CAUSE, NULL, why, true);
	r->rejoin = true;
	r->cause = CAUSED_BY("join");
	if (send_join(core, r)) {
		core_error(core, r->cause, "internal-server-error", "could not join %s again",
		           r->cjid);
		room_remove(core, r);
	}
}

static void ping_answer(struct core *core, xmpp_stanza_t *reply, void *ud)
{
	struct room_req *q = ud;
	struct muc_room *r = NULL;
	const char *type = reply ? xmpp_stanza_get_type(reply) : NULL, *cond;

	if (mst(core))
		HASH_FIND_STR(mst(core)->rooms, q->key, r);
	if (!r || r->gen != q->gen || r->state != MUC_JOINED)
		goto out;
	r->pinging = false;
	if (!reply) {
		/* No answer: the room or the link is unreachable; ask again later. */
		log_info("self-ping of %s got no answer", r->jid);
		goto out;
	}
	if (type && !strcmp(type, "result")) {
		muc_heard(core, r);
		goto out;
	}
	cond = st_error_condition(reply, NULL);
	/* XEP-0410 §3.2: these say we are still in (a client without ping, or
	 * our nick just changed); remote-server-* say nothing either way. */
	if (!strcmp(cond, "service-unavailable") || !strcmp(cond, "feature-not-implemented") ||
	    !strcmp(cond, "item-not-found")) {
		muc_heard(core, r);
		goto out;
	}
	if (!strcmp(cond, "remote-server-not-found") || !strcmp(cond, "remote-server-timeout"))
		goto out;
	log_info("self-ping of %s: %s; joining again", r->jid, cond);
	rejoin(core, r, "the room no longer had us");
out:
	free(q->key);
	free(q->nick);
	free(q);
}

static void send_ping(struct core *core, struct muc_room *r)
{
	xmpp_stanza_t *iq = xmpp_iq_new(core_ctx(core), "get", NULL);
	struct room_req *q = calloc(1, sizeof(*q));
	char *to = NULL;

	if (!iq || !q || asprintf(&to, "%s/%s", r->jid, r->nick) < 0 ||
	    !(q->key = strdup(r->key)) || !st_add_element(iq, "ping", NS_PING) ||
	    xmpp_stanza_set_to(iq, to) != XMPP_EOK) {
		if (iq)
			xmpp_stanza_release(iq);
		if (q)
			free(q->key);
		free(q);
		free(to);
		return;
	}
	free(to);
	q->gen = r->gen;
	r->pinging = true;
	if (core_iq_send(core, iq, (unsigned)core_settings(core)->ping_timeout * 1000, ping_answer,
	                 q)) {
		r->pinging = false;
		free(q->key);
		free(q);
	}
}

static void ping_tick(struct loop *loop, void *ud)
{
	struct core *core = ud;
	struct muc_mstate *m = mst(core);
	uint64_t now = loop_time(loop), quiet = (uint64_t)core_settings(core)->self_ping * 1000;
	struct muc_room *r, *tmp;

	if (!m)
		return;
	m->ping_timer = 0;
	if (core_online(core)) {
		HASH_ITER(hh, m->rooms, r, tmp)
		{
			if (r->state == MUC_JOINED && !r->pinging && now - r->heard_ms >= quiet)
				send_ping(core, r);
		}
	}
	ping_arm(core);
}

/* Checks rooms every quarter of the silence that calls for a ping, while
 * any room is joined. */
static void ping_arm(struct core *core)
{
	struct muc_mstate *m = mst(core);
	uint64_t every = (uint64_t)core_settings(core)->self_ping * 250;
	struct muc_room *r, *tmp;
	bool any = false;

	if (!m || m->ping_timer || !core_settings(core)->self_ping)
		return;
	HASH_ITER(hh, m->rooms, r, tmp)
	any |= r->state == MUC_JOINED;
	if (any)
		m->ping_timer =
		    loop_timer_add(core_loop(core), every < 1000 ? 1000 : every, ping_tick, core);
}

/* ---- a fresh session ---- */

/* The rooms we were in (or joining) are joined again: the server forgot
 * us with the old session.  History comes only from where ours ends. */
static void muc_login(struct core *core, const struct core_login *l)
{
	struct muc_mstate *m = mst(core);
	struct muc_room *r, *tmp;

	(void)l;
	HASH_ITER(hh, m->rooms, r, tmp)
	{
		if (r->state == MUC_JOINED) {
			rejoin(core, r, "the connection was lost");
		} else {
			r->cause = CAUSED_BY("join");
			if (send_join(core, r)) {
				core_error(core, r->cause, "internal-server-error",
				           "could not join %s again", r->cjid);
				room_remove(core, r);
			}
		}
	}
}

/* ---- commands ---- */

/* The room a command names: its first argument when that is a room we
 * are in or joining, else (with *shift set) the current conversation when
 * it is one, so that commands typed in a room's window need not name it.
 * NULL after an error event. */
static struct muc_room *arg_room(struct cmd_call *call, bool *shift)
{
	struct core *core = CALL_CORE(call);
	const char *cur = core_current_chat(core);
	struct muc_room *r = call->argc ? muc_room_find(core, call->argv[0]) : NULL;

	*shift = false;
	if (r && call->argc && !strchr(call->argv[0], '/'))
		return r;
	r = cur ? muc_room_find(core, cur) : NULL;
	if (r && !strchr(cur, '/')) {
		*shift = true;
		return r;
	}
	if (call->argc)
		core_error(core, CAUSE(call), "item-not-found", "%s is not a room you are in",
		           call->argv[0]);
	else
		core_error(core, CAUSE(call), "bad-request",
		           "name the room (this window is not one)");
	return NULL;
}

static int cmd_join(struct cmd_call *call)
{
	struct core *core = CALL_CORE(call);
	char *bare = NULL, *nick = NULL, *password = NULL, *extra = NULL;
	bool configure = false;
	int rc = -1;

	if (muc_split(call->argv[0], &bare, &nick)) {
		core_error(core, CAUSE(call), "jid-malformed", "'%s' is not a valid room JID",
		           call->argv[0]);
		return -1;
	}
	/* Options, then words that belong to a nick with spaces in it. */
	for (const char *p = call->argc > 1 ? call->argv[1] : ""; *p;) {
		size_t n = strcspn(p, " ");
		char *w = strndup(p, n);

		if (!w)
			goto out;
		if (!strncmp(w, "password=", 9)) {
			free(password);
			password = strdup(w + 9);
		} else if (!strcmp(w, "configure")) {
			configure = true;
		} else if (nick) {
			char *longer = NULL;

			if (asprintf(&longer, "%s %s", nick, w) >= 0) {
				free(nick);
				nick = longer;
			}
		} else {
			extra = w;
			w = NULL;
		}
		free(w);
		p += n;
		p += strspn(p, " ");
		if (extra)
			break;
	}
	if (extra) {
		core_error(core, CAUSE(call), "bad-request",
		           "'%s' is neither password=... nor configure", extra);
		goto out;
	}
	rc = join(core, CAUSE(call), bare, nick, password, configure);
out:
	free(bare);
	free(nick);
	if (password)
		explicit_bzero(password, strlen(password));
	free(password);
	free(extra);
	return rc;
}

static int send_unavailable(struct core *core, struct muc_room *r, const char *message)
{
	xmpp_stanza_t *p = xmpp_presence_new(core_ctx(core));
	char *to = NULL, *safe = message ? text_xml_safe(message) : NULL;
	int bad = !p || (message && !safe) || asprintf(&to, "%s/%s", r->jid, r->nick) < 0;

	if (!bad) {
		xmpp_stanza_set_type(p, "unavailable");
		bad |= xmpp_stanza_set_to(p, to) != XMPP_EOK;
		if (safe && *safe)
			bad |= st_add_text(p, "status", safe);
	}
	free(to);
	free(safe);
	if (bad) {
		if (p)
			xmpp_stanza_release(p);
		return -1;
	}
	return core_send(core, p);
}

static int cmd_part(struct cmd_call *call)
{
	struct core *core = CALL_CORE(call);
	bool shift;
	struct muc_room *r = arg_room(call, &shift);
	const char *message = NULL;
	char *joined_msg = NULL;

	if (!r)
		return -1;
	if (shift && call->argc) {
		if (asprintf(&joined_msg, "%s%s%s", call->argv[0], call->argc > 1 ? " " : "",
		             call->argc > 1 ? call->argv[1] : "") < 0)
			joined_msg = NULL;
		message = joined_msg;
	} else if (call->argc > 1) {
		message = call->argv[1];
	}
	if (core_online(core) && send_unavailable(core, r, message))
		log_warn("could not tell %s we leave", r->jid);
	/* Left now: what the room says about it later finds no room. */
	emit_left(core, r, CAUSE(call), NULL, "you left", false);
	room_remove(core, r);
	free(joined_msg);
	return 0;
}

static int cmd_nick(struct cmd_call *call)
{
	struct core *core = CALL_CORE(call);
	bool shift;
	struct muc_room *r = arg_room(call, &shift);
	xmpp_stanza_t *p;
	char *nick = NULL, *to = NULL;
	int rc = -1;

	if (!r)
		return -1;
	if (shift) {
		if (asprintf(&nick, "%s%s%s", call->argv[0], call->argc > 1 ? " " : "",
		             call->argc > 1 ? call->argv[1] : "") < 0)
			nick = NULL;
	} else if (call->argc > 1) {
		nick = strdup(call->argv[1]);
	} else {
		core_error(core, CAUSE(call), "bad-request", "usage: /nick [ROOM] NEWNICK");
		return -1;
	}
	if (!nick_ok(r->jid, nick)) {
		core_error(core, CAUSE(call), "jid-malformed", "'%s' cannot be a nick",
		           nick ? nick : "");
		free(nick);
		return -1;
	}
	if (r->state != MUC_JOINED) {
		/* Not in yet: the join goes on under the new nick. */
		free(r->nick);
		r->nick = nick;
		return start_join(core, r);
	}
	p = xmpp_presence_new(core_ctx(core));
	if (p && asprintf(&to, "%s/%s", r->jid, nick) >= 0 &&
	    xmpp_stanza_set_to(p, to) == XMPP_EOK) {
		rc = core_send(core, p);
		p = NULL;
	}
	if (p)
		xmpp_stanza_release(p);
	if (rc)
		core_error(core, CAUSE(call), "internal-server-error", "out of memory");
	free(to);
	free(nick);
	return rc;
}

static int cmd_who(struct cmd_call *call)
{
	bool shift;
	struct muc_room *r = arg_room(call, &shift);

	if (!r)
		return -1;
	emit_occupants(CALL_CORE(call), r, CAUSE(call));
	return 0;
}

/* ---- for the other modules ---- */

bool muc_is_joined(struct core *core, const char *jid)
{
	struct muc_room *r = muc_room_find(core, jid);

	return r && r->state == MUC_JOINED;
}

bool muc_is_room(struct core *core, const char *jid)
{
	return muc_room_find(core, jid) != NULL;
}

const char *muc_own_nick(struct core *core, const char *jid)
{
	struct muc_room *r = muc_room_find(core, jid);

	return r && r->state == MUC_JOINED ? r->nick : NULL;
}

int muc_occupant(struct core *core, const char *full, struct muc_occupant_info *out)
{
	char *bare = NULL, *nick = NULL;
	struct muc_room *r;
	struct muc_occ *o = NULL;

	if (muc_split(full, &bare, &nick) || !nick)
		goto out;
	r = muc_room_find(core, bare);
	if (!r || r->state != MUC_JOINED || !(o = muc_occ_find(r, nick)))
		goto out;
	*out = (struct muc_occupant_info){.nick = o->nick,
	                                  .jid = o->jid,
	                                  .occupant_id = o->occupant_id,
	                                  .role = o->role,
	                                  .affiliation = o->affiliation,
	                                  .self = !strcmp(o->nick, r->nick)};
out:
	free(bare);
	free(nick);
	return o != NULL;
}

int muc_room_info(struct core *core, const char *jid, struct muc_room_info *out)
{
	struct muc_room *r = muc_room_find(core, jid);

	if (!r)
		return 0;
	*out = r->info;
	return 1;
}

const char **muc_real_jids(struct core *core, const char *jid)
{
	struct muc_room *r = muc_room_find(core, jid);
	struct muc_occ *o, *tmp;
	const char **v;
	size_t n = 0;

	if (!r || r->state != MUC_JOINED)
		return NULL;
	if (r->real)
		return r->real;
	v = calloc(r->noccupants + r->nmembers + 1, sizeof(*v));
	if (!v)
		return NULL;
	HASH_ITER(hh, r->occupants, o, tmp)
	{
		size_t k;

		if (!o->jid || !o->bare)
			continue;
		for (k = 0; k < n && strcmp(v[k], o->bare); k++)
			;
		if (k == n)
			v[n++] = o->bare;
	}
	for (size_t i = 0; i < r->nmembers; i++) {
		size_t k;

		for (k = 0; k < n && strcmp(v[k], r->members[i]); k++)
			;
		if (k == n)
			v[n++] = r->members[i];
	}
	r->real = v;
	return v;
}

char *muc_private_key(struct core *core, const char *jid, bool via_room)
{
	char *bare = NULL, *nick = NULL, *key = NULL, *out = NULL;

	if (!mst(core) || muc_split(jid, &bare, &nick) || !nick)
		goto done;
	if (!via_room && !muc_room_find(core, bare))
		goto done;
	key = jid_bare_key(bare, NULL);
	if (key && asprintf(&out, "%s/%s", key, nick) < 0)
		out = NULL;
done:
	free(bare);
	free(nick);
	free(key);
	return out;
}

/* ---- life cycle ---- */

static int muc_init(struct core *core)
{
	struct muc_mstate *m = calloc(1, sizeof(*m));

	if (!m)
		return -1;
	m->core = core;
	core_set_state(core, &muc_module, m);
	return 0;
}

static void muc_free(struct core *core)
{
	struct muc_mstate *m = mst(core);
	struct muc_room *r, *tmp;

	if (!m)
		return;
	loop_timer_cancel(core_loop(core), m->ping_timer);
	HASH_ITER(hh, m->rooms, r, tmp)
	{
		HASH_DEL(m->rooms, r);
		room_free(core, r);
	}
	free(m);
	core_set_state(core, &muc_module, NULL);
}

static const struct cmd_entry commands[] = {
    {.name = "join",
     .usage = "ROOM[/NICK] [password=SECRET] [configure]",
     .help = "join a room (XEP-0045); configure: leave a room you create locked for "
             "/roomconfig",
     .min_args = 1,
     .max_args = 2,
     .rest = true,
     .complete = {"@jid", "configure"},
     .exec = cmd_join},
    {.name = "part",
     .usage = "[ROOM] [MESSAGE]",
     .help = "leave a room",
     .max_args = 2,
     .rest = true,
     .complete = {"@jid"},
     .exec = cmd_part},
    {.name = "nick",
     .usage = "[ROOM] NEWNICK",
     .help = "change your nick in a room",
     .min_args = 1,
     .max_args = 2,
     .rest = true,
     .complete = {"@jid"},
     .flags = CMD_ONLINE,
     .exec = cmd_nick},
    {.name = "who",
     .usage = "[ROOM]",
     .help = "the occupants of a room",
     .max_args = 1,
     .complete = {"@jid"},
     .exec = cmd_who},
};

static const char *const features[] = {NS_MUC, NULL};

static const struct core_handler handlers[] = {
    {CORE_GUARD, "presence", NULL, NS_MUC_USER, on_room_presence},
    {CORE_GUARD, "presence", "error", NULL, on_error_presence},
};

const struct core_module muc_module = {
    .name = "muc",
    .title = "Rooms",
    .init = muc_init,
    .free = muc_free,
    .login = muc_login,
    .commands = commands,
    .ncommands = COUNT(commands),
    .handlers = handlers,
    .nhandlers = COUNT(handlers),
    .features = features,
};
