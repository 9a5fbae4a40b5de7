/* The rooms as the UI shows them. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <wctype.h>

#include "ui/rooms.h"
#include "ui/wstr.h"

#define ROOMS_MAX     500   /* the core joins no more */
#define ROOMS_MAX_OCC 10000 /* per room, as the core keeps */

static void occ_clear(struct room_occ *o)
{
	free(o->nick);
	free(o->jid);
	free(o->affiliation);
	free(o->show);
	memset(o, 0, sizeof(*o));
}

static void room_clear_occ(struct room *r)
{
	for (size_t i = 0; i < r->nocc; i++)
		occ_clear(&r->occ[i]);
	free(r->occ);
	r->occ = NULL;
	r->nocc = 0;
}

static void room_free(struct room *r)
{
	if (!r)
		return;
	room_clear_occ(r);
	free(r->jid);
	free(r->nick);
	free(r->subject);
	free(r->renamed);
	free(r);
}

void rooms_free(struct rooms *rs)
{
	for (size_t i = 0; i < rs->n; i++)
		room_free(rs->v[i]);
	free(rs->v);
	for (size_t i = 0; i < rs->ninvites; i++) {
		free(rs->invites[i].room);
		free(rs->invites[i].password);
	}
	memset(rs, 0, sizeof(*rs));
}

/* The length of jid's bare part. */
static size_t bare_len(const char *jid)
{
	return strcspn(jid, "/");
}

struct room *rooms_find(const struct rooms *rs, const char *jid)
{
	size_t n;

	if (!jid)
		return NULL;
	n = bare_len(jid);
	for (size_t i = 0; i < rs->n; i++)
		if (strlen(rs->v[i]->jid) == n && !strncasecmp(rs->v[i]->jid, jid, n))
			return rs->v[i];
	return NULL;
}

bool rooms_is_private(const struct rooms *rs, const char *jid)
{
	return jid && strchr(jid, '/') && rooms_find(rs, jid);
}

static struct room *room_get(struct rooms *rs, const char *jid)
{
	struct room *r = rooms_find(rs, jid), **v;

	if (r)
		return r;
	if (rs->n >= ROOMS_MAX)
		return NULL;
	v = realloc(rs->v, (rs->n + 1) * sizeof(*v));
	if (!v)
		return NULL;
	rs->v = v;
	r = calloc(1, sizeof(*r));
	if (!r || !(r->jid = strndup(jid, bare_len(jid)))) {
		free(r);
		return NULL;
	}
	rs->v[rs->n++] = r;
	return r;
}

static int set_str(char **slot, const char *s)
{
	char *c = s ? strdup(s) : NULL;

	if (s && !c)
		return -1;
	free(*slot);
	*slot = c;
	return 0;
}

static enum room_role role_of(const char *s)
{
	if (!s)
		return ROLE_NONE;
	if (!strcmp(s, "moderator"))
		return ROLE_MODERATOR;
	if (!strcmp(s, "participant"))
		return ROLE_PARTICIPANT;
	if (!strcmp(s, "visitor"))
		return ROLE_VISITOR;
	return ROLE_NONE;
}

const char *rooms_role_name(enum room_role role)
{
	static const char *const names[] = {"moderator", "participant", "visitor", "none"};

	return role < ROLE_COUNT ? names[role] : "none";
}

static int occ_cmp(const void *a, const void *b)
{
	const struct room_occ *x = a, *y = b;
	int c;

	if (x->role != y->role)
		return (int)x->role - (int)y->role;
	c = strcasecmp(x->nick, y->nick);
	return c ? c : strcmp(x->nick, y->nick);
}

static struct room_occ *occ_find(struct room *r, const char *nick)
{
	for (size_t i = 0; nick && i < r->nocc; i++)
		if (!strcmp(r->occ[i].nick, nick))
			return &r->occ[i];
	return NULL;
}

/* Where an occupant sorting as o goes in r's sorted list. */
static size_t occ_slot(const struct room *r, const struct room_occ *o)
{
	size_t lo = 0, hi = r->nocc;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (occ_cmp(&r->occ[mid], o) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Puts (or updates) an occupant.  sorted: keep the list in order (one
 * presence at a time, in O(n)); a whole list is sorted once after.  0 or
 * -1. */
static int occ_put(struct room *r, const struct nt_occupant *o, bool sorted)
{
	/* (a whole list has each nick once: nothing to find) */
	struct room_occ *x = sorted ? occ_find(r, o->nick) : NULL, *v, fresh = {0};
	size_t at;

	if (!o->nick)
		return 0;
	if (set_str(&fresh.nick, o->nick) || set_str(&fresh.jid, o->jid) ||
	    set_str(&fresh.affiliation, o->affiliation) || set_str(&fresh.show, o->show)) {
		occ_clear(&fresh);
		return -1;
	}
	fresh.role = role_of(o->role);
	if (x) {
		/* Taken out and put back where its (maybe new) role sorts it. */
		fresh.spoke = x->spoke;
		occ_clear(x);
		memmove(x, x + 1, (size_t)(r->occ + r->nocc - x - 1) * sizeof(*x));
		r->nocc--;
	} else {
		v = r->nocc < ROOMS_MAX_OCC ? realloc(r->occ, (r->nocc + 1) * sizeof(*v)) : NULL;
		if (!v) {
			occ_clear(&fresh);
			return -1;
		}
		r->occ = v;
	}
	at = sorted ? occ_slot(r, &fresh) : r->nocc;
	memmove(&r->occ[at + 1], &r->occ[at], (r->nocc - at) * sizeof(*r->occ));
	r->occ[at] = fresh;
	r->nocc++;
	return 0;
}

static void occ_remove(struct room *r, const char *nick)
{
	struct room_occ *x = occ_find(r, nick);

	if (!x)
		return;
	occ_clear(x);
	memmove(x, x + 1, (size_t)(r->occ + r->nocc - x - 1) * sizeof(*x));
	r->nocc--;
}

struct room *rooms_joined(struct rooms *rs, const struct nt_event *ev)
{
	struct room *r = ev->u.muc_joined.room ? room_get(rs, ev->u.muc_joined.room) : NULL;

	if (!r)
		return NULL;
	room_clear_occ(r);
	r->joined = true;
	if (set_str(&r->nick, ev->u.muc_joined.nick))
		return NULL;
	if (ev->u.muc_joined.subject && set_str(&r->subject, ev->u.muc_joined.subject))
		return NULL;
	/* A big room's list comes at once: sorted once, not once a name. */
	for (size_t i = 0; i < ev->u.muc_joined.count; i++)
		if (occ_put(r, &ev->u.muc_joined.occupants[i], false))
			break;
	qsort(r->occ, r->nocc, sizeof(*r->occ), occ_cmp);
	rooms_invite_remove(rs, r->jid);
	return r;
}

struct room *rooms_presence(struct rooms *rs, const struct nt_event *ev)
{
	const typeof(ev->u.muc_presence) *p = &ev->u.muc_presence;
	struct room *r = rooms_find(rs, p->room);

	if (!r)
		return NULL;
	if (p->type && !strcmp(p->type, "unavailable")) {
		/* Our own nick change: the presence of the new one follows. */
		if (p->new_nick && r->nick && p->occupant.nick &&
		    !strcmp(r->nick, p->occupant.nick))
			set_str(&r->nick, p->new_nick);
		occ_remove(r, p->occupant.nick);
		return r;
	}
	return occ_put(r, &p->occupant, true) ? NULL : r;
}

struct room *rooms_subject(struct rooms *rs, const struct nt_event *ev)
{
	struct room *r = rooms_find(rs, ev->u.muc_subject.room);

	if (!r || set_str(&r->subject, ev->u.muc_subject.subject))
		return NULL;
	return r;
}

struct room *rooms_left(struct rooms *rs, const struct nt_event *ev)
{
	struct room *r = rooms_find(rs, ev->u.muc_left.room);

	if (!r)
		return NULL;
	/* The window stays, with what was said; nobody is listed any more. */
	r->joined = false;
	room_clear_occ(r);
	return r;
}

void rooms_spoke(struct room *r, const char *nick)
{
	struct room_occ *o = occ_find(r, nick);

	if (o)
		o->spoke = ++r->seq;
}

/* A character that can be part of a nick when looking for mentions. */
static bool word_char(wchar_t c)
{
	return iswalnum((wint_t)c) || c == L'_' || c == L'-';
}

bool rooms_mentions(const char *text, const char *nick)
{
	wchar_t *t, *n, *p;
	size_t nl;
	bool found = false;

	if (!text || !nick || !*nick)
		return false;
	t = wstr_from_utf8(text, 0, NULL);
	n = wstr_from_utf8(nick, 0, NULL);
	nl = n ? wcslen(n) : 0;
	for (p = t; t && nl && *p && !found; p++) {
		size_t i;

		for (i = 0; i < nl && p[i] && towlower((wint_t)p[i]) == towlower((wint_t)n[i]); i++)
			;
		/* A word of its own: "bob" in "bob: hi" or "hi bob!", not in "bobcat". */
		found = i == nl && (p == t || !word_char(p[-1])) && !word_char(p[nl]);
	}
	free(t);
	free(n);
	return found;
}

struct cand {
	const char *nick;
	uint64_t spoke;
	bool self;
};

static int cand_cmp(const void *a, const void *b)
{
	const struct cand *x = a, *y = b;

	if (x->self != y->self)
		return x->self ? 1 : -1;
	if (x->spoke != y->spoke)
		return x->spoke > y->spoke ? -1 : 1;
	return strcasecmp(x->nick, y->nick);
}

char **rooms_complete(const struct room *r, const char *prefix, size_t *n)
{
	struct cand *c = calloc(r->nocc + 1, sizeof(*c));
	size_t pl = strlen(prefix), k = 0;
	char **out = NULL;

	*n = 0;
	if (!c)
		return NULL;
	for (size_t i = 0; i < r->nocc; i++)
		if (!strncasecmp(r->occ[i].nick, prefix, pl))
			c[k++] = (struct cand){r->occ[i].nick, r->occ[i].spoke,
			                       r->nick && !strcmp(r->nick, r->occ[i].nick)};
	qsort(c, k, sizeof(*c), cand_cmp);
	out = calloc(k + 1, sizeof(*out));
	for (size_t i = 0; out && i < k; i++) {
		if (!(out[i] = strdup(c[i].nick))) {
			for (size_t j = 0; j < i; j++)
				free(out[j]);
			free(out);
			out = NULL;
		}
	}
	free(c);
	if (out)
		*n = k;
	return out;
}

void rooms_invite_remove(struct rooms *rs, const char *room)
{
	for (size_t i = 0; i < rs->ninvites; i++) {
		if (strcasecmp(rs->invites[i].room, room))
			continue;
		free(rs->invites[i].room);
		free(rs->invites[i].password);
		memmove(&rs->invites[i], &rs->invites[i + 1],
		        (rs->ninvites - i - 1) * sizeof(rs->invites[0]));
		rs->ninvites--;
		return;
	}
}

int rooms_invite_add(struct rooms *rs, const char *room, const char *password)
{
	struct room_invite inv = {0};

	if (set_str(&inv.room, room) || set_str(&inv.password, password)) {
		free(inv.room);
		return -1;
	}
	rooms_invite_remove(rs, room);
	if (rs->ninvites == ROOMS_MAX_INVITES) {
		/* Bounded: a flood of invitations pushes out the oldest. */
		free(rs->invites[0].room);
		free(rs->invites[0].password);
		memmove(&rs->invites[0], &rs->invites[1],
		        (rs->ninvites - 1) * sizeof(rs->invites[0]));
		rs->ninvites--;
	}
	rs->invites[rs->ninvites++] = inv;
	return 0;
}
