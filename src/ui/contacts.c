/* The roster as the UI shows it. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ui/contacts.h"

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
	free(ct->jid);
	free(ct->name);
	free(ct->sub);
	free(ct);
}

void contacts_free(struct contacts *c)
{
	size_t i;

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

static int contacts_cmp(const void *a, const void *b)
{
	const struct contact *x = *(struct contact *const *)a, *y = *(struct contact *const *)b;
	int r = strcasecmp(contact_label(x), contact_label(y));

	return r ? r : strcasecmp(x->jid, y->jid);
}

static void contacts_sort(struct contacts *c)
{
	if (c->n > 1)
		qsort(c->v, c->n, sizeof(*c->v), contacts_cmp);
}

struct contact *contacts_find(const struct contacts *c, const char *bare)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		if (!strcasecmp(c->v[i]->jid, bare))
			return c->v[i];
	return NULL;
}

static struct contact *contacts_add(struct contacts *c, const char *bare)
{
	struct contact **v, *ct = calloc(1, sizeof(*ct));

	if (!ct)
		return NULL;
	ct->jid = strdup(bare);
	v = ct->jid ? realloc(c->v, (c->n + 1) * sizeof(*v)) : NULL;
	if (!v) {
		contact_free(ct);
		return NULL;
	}
	c->v = v;
	c->v[c->n++] = ct;
	return ct;
}

static void contacts_drop(struct contacts *c, size_t i)
{
	contact_free(c->v[i]);
	memmove(c->v + i, c->v + i + 1, (c->n - i - 1) * sizeof(*c->v));
	c->n--;
}

/* Copies an item's fields into ct; all or nothing. */
static int contact_set(struct contact *ct, const struct nt_roster_item *it)
{
	char *name = it->name ? strdup(it->name) : NULL;
	char *sub = strdup(it->subscription ? it->subscription : "none");
	char **groups = it->ngroups ? calloc(it->ngroups, sizeof(*groups)) : NULL;
	size_t i;

	if ((it->name && !name) || !sub || (it->ngroups && !groups))
		goto fail;
	for (i = 0; i < it->ngroups; i++) {
		groups[i] = strdup(it->groups[i] ? it->groups[i] : "");
		if (!groups[i])
			goto fail;
	}
	free(ct->name);
	free(ct->sub);
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
	free(sub);
	contact_free_groups(groups, groups ? it->ngroups : 0);
	return -1;
}

int contacts_push(struct contacts *c, const struct nt_roster_item *it)
{
	struct contact *ct;
	size_t i;

	if (!it->jid)
		return 0;
	if (it->subscription && !strcmp(it->subscription, "remove")) {
		for (i = 0; i < c->n; i++) {
			if (strcasecmp(c->v[i]->jid, it->jid))
				continue;
			/* Presence may still arrive from someone not in the
			 * roster; only the roster entry goes. */
			if (c->v[i]->nres)
				c->v[i]->in_roster = false;
			else
				contacts_drop(c, i);
			break;
		}
		return 0;
	}
	ct = contacts_find(c, it->jid);
	if (!ct)
		ct = contacts_add(c, it->jid);
	if (!ct || contact_set(ct, it))
		return -1;
	/* Allowed: the request it answered is settled. */
	if (!strcmp(ct->sub, "from") || !strcmp(ct->sub, "both"))
		contacts_pending_remove(c, ct->jid);
	contacts_sort(c);
	return 0;
}

int contacts_replace(struct contacts *c, const struct nt_roster_item *items, size_t n)
{
	size_t i;
	int rc = 0;

	for (i = 0; i < c->n; i++)
		c->v[i]->in_roster = false;
	for (i = 0; i < n; i++)
		if (contacts_push(c, &items[i]))
			rc = -1;
	for (i = c->n; i-- > 0;)
		if (!c->v[i]->in_roster && !c->v[i]->nres)
			contacts_drop(c, i);
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
	if (!ct && !gone)
		ct = contacts_add(c, bare);
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
		return true;
	}
	if (!r) {
		char *dup = strdup(res);

		arr = dup ? realloc(ct->res, (ct->nres + 1) * sizeof(*arr)) : NULL;
		if (!arr) {
			free(dup);
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

	for (i = c->n; i-- > 0;) {
		struct contact *ct = c->v[i];

		for (k = 0; k < ct->nres; k++)
			free(ct->res[k].res);
		ct->nres = 0;
		if (!ct->in_roster)
			contacts_drop(c, i);
	}
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
