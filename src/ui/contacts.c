/* The roster as the UI shows it. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ui/contacts.h"

/* The index's key: ASCII letters lower-cased, as strcasecmp() compares
 * (bytes beyond ASCII are left as they are); jid itself when it has no
 * capital, as JIDs from the core usually have none. */
static char *contact_key(char *jid)
{
	char *k;

	if (!strpbrk(jid, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
		return jid;
	k = strdup(jid);
	for (char *p = k; p && *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p += 'a' - 'A';
	return k;
}

static void contact_free_groups(char **groups, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(groups[i]);
	free(groups);
}

static void contact_free(struct contact *ct)
{
	size_t i;

	if (!ct)
		return;
	for (i = 0; i < ct->nres; i++)
		free(ct->res[i].res);
	free(ct->res);
	contact_free_groups(ct->groups, ct->ngroups);
	if (ct->key != ct->jid)
		free(ct->key);
	free(ct->jid);
	free(ct->name);
	free(ct);
}

void contacts_free(struct contacts *c)
{
	size_t i;

	HASH_CLEAR(hh, c->index);
	for (i = 0; i < c->n; i++)
		contact_free(c->v[i]);
	free(c->v);
	for (i = 0; i < c->npending; i++)
		free(c->pending[i]);
	free(c->pending);
	memset(c, 0, sizeof(*c));
}

const char *contact_label(const struct contact *ct)
{
	return ct->name && *ct->name ? ct->name : ct->jid;
}

static int contact_cmp(const struct contact *x, const struct contact *y)
{
	int r = strcasecmp(contact_label(x), contact_label(y));

	return r ? r : strcasecmp(x->jid, y->jid);
}

static int contacts_cmp(const void *a, const void *b)
{
	return contact_cmp(*(struct contact *const *)a, *(struct contact *const *)b);
}

static void contacts_sort(struct contacts *c)
{
	if (c->n > 1)
		qsort(c->v, c->n, sizeof(*c->v), contacts_cmp);
}

/* Where ct belongs in the sorted list (ct itself not in it). */
static size_t contacts_slot(const struct contacts *c, const struct contact *ct)
{
	size_t lo = 0, hi = c->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (contact_cmp(c->v[mid], ct) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static size_t contacts_position(const struct contacts *c, const struct contact *ct)
{
	size_t i;

	for (i = 0; i < c->n && c->v[i] != ct; i++)
		;
	return i;
}

static void contacts_insert(struct contacts *c, struct contact *ct)
{
	size_t at = contacts_slot(c, ct);

	memmove(c->v + at + 1, c->v + at, (c->n - at) * sizeof(*c->v));
	c->v[at] = ct;
	c->n++;
}

/* One contact whose label changed goes to its new place. */
static void contacts_resort_one(struct contacts *c, struct contact *ct)
{
	size_t at = contacts_position(c, ct);

	if (at == c->n)
		return;
	memmove(c->v + at, c->v + at + 1, (c->n - at - 1) * sizeof(*c->v));
	c->n--;
	contacts_insert(c, ct);
}

struct contact *contacts_find(const struct contacts *c, const char *bare)
{
	struct contact *ct = NULL;
	char small[256], *key = small;
	size_t n = strlen(bare);

	if (n >= sizeof small && !(key = malloc(n + 1)))
		return NULL;
	for (size_t i = 0; i <= n; i++)
		key[i] = bare[i] >= 'A' && bare[i] <= 'Z' ? bare[i] + ('a' - 'A') : bare[i];
	HASH_FIND_STR(c->index, key, ct);
	if (key != small)
		free(key);
	return ct;
}

/* A new contact for bare, in the index and at the end of the list (the
 * caller puts it in order); NULL on ENOMEM. */
static struct contact *contacts_add(struct contacts *c, const char *bare)
{
	struct contact *ct = calloc(1, sizeof(*ct));

	if (!ct || !(ct->jid = strdup(bare)) || !(ct->key = contact_key(ct->jid)))
		goto fail;
	if (c->n == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 64;
		struct contact **v = realloc(c->v, cap * sizeof(*v));

		if (!v)
			goto fail;
		c->v = v;
		c->cap = cap;
	}
	HASH_ADD_KEYPTR(hh, c->index, ct->key, strlen(ct->key), ct);
	return ct;
fail:
	contact_free(ct);
	return NULL;
}

/* Drops every contact that is neither in the roster nor online, keeping
 * the order: one pass, however many go. */
static void contacts_sweep(struct contacts *c)
{
	size_t i, k = 0;

	for (i = 0; i < c->n; i++) {
		struct contact *ct = c->v[i];

		if (!ct->in_roster && !ct->nres) {
			HASH_DEL(c->index, ct);
			contact_free(ct);
		} else {
			c->v[k++] = ct;
		}
	}
	c->n = k;
}

/* One of the few subscription states, kept once rather than per contact. */
static const char *contact_sub(const char *sub)
{
	static const char *const known[] = {"none", "to", "from", "both"};

	for (size_t i = 0; sub && i < sizeof(known) / sizeof(known[0]); i++)
		if (!strcmp(sub, known[i]))
			return known[i];
	return known[0];
}

/* Copies an item's fields into ct; all or nothing. */
static int contact_set(struct contact *ct, const struct nt_roster_item *it)
{
	char *name = it->name ? strdup(it->name) : NULL;
	const char *sub = contact_sub(it->subscription);
	char **groups = it->ngroups ? calloc(it->ngroups, sizeof(*groups)) : NULL;
	size_t i;

	if ((it->name && !name) || (it->ngroups && !groups))
		goto fail;
	for (i = 0; i < it->ngroups; i++) {
		groups[i] = strdup(it->groups[i] ? it->groups[i] : "");
		if (!groups[i])
			goto fail;
	}
	free(ct->name);
	contact_free_groups(ct->groups, ct->ngroups);
	ct->name = name;
	ct->sub = sub;
	ct->groups = groups;
	ct->ngroups = it->ngroups;
	ct->ask = it->ask && !strcmp(it->ask, "subscribe");
	ct->in_roster = true;
	return 0;
fail:
	free(name);
	contact_free_groups(groups, groups ? it->ngroups : 0);
	return -1;
}

/* Adds or updates one item; a new contact is appended (*added). */
static int contacts_set(struct contacts *c, const struct nt_roster_item *it, bool *added)
{
	struct contact *ct = contacts_find(c, it->jid);

	*added = false;
	if (!ct) {
		ct = contacts_add(c, it->jid);
		if (!ct)
			return -1;
		c->v[c->n++] = ct;
		*added = true;
	}
	if (contact_set(ct, it)) {
		if (*added) {
			/* nothing else knows it yet */
			c->n--;
			HASH_DEL(c->index, ct);
			contact_free(ct);
			*added = false;
		}
		return -1;
	}
	/* Allowed: the request it answered is settled. */
	if (!strcmp(ct->sub, "from") || !strcmp(ct->sub, "both"))
		contacts_pending_remove(c, ct->jid);
	return 0;
}

int contacts_push(struct contacts *c, const struct nt_roster_item *it)
{
	struct contact *ct;
	bool added;

	if (!it->jid)
		return 0;
	if (it->subscription && !strcmp(it->subscription, "remove")) {
		ct = contacts_find(c, it->jid);
		if (ct) {
			/* Presence may still arrive from someone not in the
			 * roster; only the roster entry goes. */
			ct->in_roster = false;
			contacts_sweep(c);
		}
		return 0;
	}
	if (contacts_set(c, it, &added))
		return -1;
	ct = contacts_find(c, it->jid);
	if (added) {
		c->n--; /* appended at the end: take it out and insert in order */
		contacts_insert(c, ct);
	} else {
		contacts_resort_one(c, ct);
	}
	return 0;
}

int contacts_replace(struct contacts *c, const struct nt_roster_item *items, size_t n)
{
	size_t i;
	bool added;
	int rc = 0;

	for (i = 0; i < c->n; i++)
		c->v[i]->in_roster = false;
	/* New contacts go to the end; one sort puts everything in order. */
	for (i = 0; i < n; i++)
		if (items[i].jid && contacts_set(c, &items[i], &added))
			rc = -1;
	contacts_sweep(c);
	contacts_sort(c);
	return rc;
}

static enum contact_show contacts_parse_show(const char *show)
{
	if (!show || !*show)
		return SHOW_ONLINE;
	if (!strcmp(show, "chat"))
		return SHOW_CHAT;
	if (!strcmp(show, "away"))
		return SHOW_AWAY;
	if (!strcmp(show, "xa"))
		return SHOW_XA;
	if (!strcmp(show, "dnd"))
		return SHOW_DND;
	return SHOW_ONLINE;
}

bool contacts_presence(struct contacts *c, const char *from, const char *type, const char *show,
                       int priority)
{
	size_t blen = strcspn(from, "/"), i;
	const char *res = from[blen] == '/' ? from + blen + 1 : "";
	bool gone = type && strcmp(type, "available");
	struct contact_res *r = NULL, *arr;
	struct contact *ct;
	char *bare;

	bare = strndup(from, blen);
	if (!bare)
		return false;
	ct = contacts_find(c, bare);
	if (!ct && !gone) {
		ct = contacts_add(c, bare);
		if (ct)
			contacts_insert(c, ct);
	}
	free(bare);
	if (!ct)
		return false;
	for (i = 0; i < ct->nres; i++)
		if (!strcmp(ct->res[i].res, res))
			r = &ct->res[i];
	if (gone) {
		if (!r)
			return false;
		free(r->res);
		*r = ct->res[--ct->nres];
		/* Someone not in the roster who went offline is forgotten. */
		if (!ct->nres && !ct->in_roster)
			contacts_sweep(c);
		return true;
	}
	if (!r) {
		char *dup = strdup(res);

		arr = dup ? realloc(ct->res, (ct->nres + 1) * sizeof(*arr)) : NULL;
		if (!arr) {
			free(dup);
			if (!ct->nres && !ct->in_roster)
				contacts_sweep(c);
			return false;
		}
		ct->res = arr;
		r = &ct->res[ct->nres++];
		r->res = dup;
	}
	r->priority = priority;
	r->show = contacts_parse_show(show);
	return true;
}

void contacts_offline_all(struct contacts *c)
{
	size_t i, k;

	for (i = 0; i < c->n; i++) {
		struct contact *ct = c->v[i];

		for (k = 0; k < ct->nres; k++)
			free(ct->res[k].res);
		ct->nres = 0;
	}
	contacts_sweep(c);
}

enum contact_show contact_show(const struct contact *ct)
{
	const struct contact_res *best = NULL;
	size_t i;

	/* XMPP routes to the highest priority; among equals, show the most
	 * available so "online on the phone" wins over an idle desktop. */
	for (i = 0; i < ct->nres; i++) {
		const struct contact_res *r = &ct->res[i];

		if (!best || r->priority > best->priority ||
		    (r->priority == best->priority && r->show > best->show))
			best = r;
	}
	return best ? best->show : SHOW_OFFLINE;
}

int contacts_pending_add(struct contacts *c, const char *bare)
{
	char **v, *dup;
	size_t i;

	for (i = 0; i < c->npending; i++)
		if (!strcasecmp(c->pending[i], bare))
			return 0;
	/* The oldest gives way; the core's /sub pending has the truth. */
	if (c->npending == CONTACTS_PENDING_MAX) {
		free(c->pending[0]);
		memmove(c->pending, c->pending + 1, c->npending * sizeof(*c->pending));
		c->npending--;
	}
	dup = strdup(bare);
	/* Kept NULL-terminated: completion reads it as a list. */
	v = dup ? realloc(c->pending, (c->npending + 2) * sizeof(*v)) : NULL;
	if (!v) {
		free(dup);
		return -1;
	}
	c->pending = v;
	c->pending[c->npending++] = dup;
	c->pending[c->npending] = NULL;
	return 0;
}

void contacts_pending_remove(struct contacts *c, const char *bare)
{
	size_t i;

	for (i = 0; i < c->npending; i++) {
		if (strcasecmp(c->pending[i], bare))
			continue;
		free(c->pending[i]);
		memmove(c->pending + i, c->pending + i + 1,
		        (c->npending - i) * sizeof(*c->pending));
		c->npending--;
		return;
	}
}

int contacts_pending_replace(struct contacts *c, const struct nt_sub_request *items, size_t n)
{
	size_t i;
	int rc = 0;

	for (i = 0; i < c->npending; i++)
		free(c->pending[i]);
	c->npending = 0;
	if (c->pending)
		c->pending[0] = NULL;
	for (i = 0; i < n; i++)
		if (items[i].from && contacts_pending_add(c, items[i].from))
			rc = -1;
	return rc;
}
