/* /info NAME: what natter knows of one contact in one answer — the roster
 * item (name, subscription, groups) and every available resource with its
 * presence, priority and the software its caps name. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "core/core_internal.h"
#include "core/disco.h"
#include "core/info.h"
#include "core/presence.h"
#include "core/roster.h"

struct collect {
	struct core *core;
	struct nt_contact_resource *v;
	char **owned; /* client strings, freed after the event */
	size_t n, cap;
	bool nomem;
};

static void one_resource(const char *full, const char *show, const char *status, int priority,
                         void *ud)
{
	struct collect *c = ud;
	char *raw, *client;

	if (c->nomem)
		return;
	if (c->n == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 4;
		void *v = realloc(c->v, cap * sizeof(*c->v));
		void *o = v ? realloc(c->owned, cap * sizeof(*c->owned)) : NULL;

		if (v)
			c->v = v;
		if (!o) {
			c->nomem = true;
			return;
		}
		c->owned = o;
		c->cap = cap;
	}
	raw = disco_client(c->core, full);
	client = core_clean(raw);
	free(raw);
	c->owned[c->n] = client;
	c->v[c->n++] = (struct nt_contact_resource){full, show, status, client, priority};
}

static int cmd_info(struct cmd_call *call)
{
	struct core *core = CALL_CORE(call);
	struct nt_event ev = {.kind = NT_EV_CONTACT, .origin = call->origin};
	struct collect c = {.core = core};
	struct nt_roster_item item;
	char *jid = roster_resolve(core, CAUSE(call), call->argv[0]);
	void *held;

	if (!jid)
		return -1;
	if (strchr(jid, '/'))
		jid[strcspn(jid, "/")] = '\0';
	held = roster_describe(core, jid, &item);
	presence_resources(core, jid, one_resource, &c);
	if (c.nomem) {
		core_error(core, CAUSE(call), "internal-server-error", "out of memory");
	} else {
		ev.u.contact.jid = jid;
		ev.u.contact.item = held ? &item : NULL;
		ev.u.contact.resources = c.v;
		ev.u.contact.nresources = c.n;
		core_emit(core, &ev);
	}
	for (size_t i = 0; i < c.n; i++)
		free(c.owned[i]);
	free(c.owned);
	free(c.v);
	roster_describe_free(held);
	free(jid);
	return c.nomem ? -1 : 0;
}

static const struct cmd_entry commands[] = {
    {.name = "info",
     .usage = "NAME",
     .help = "what natter knows of a contact: roster, resources, status, client",
     .min_args = 1,
     .max_args = 1,
     .complete = {"@jid"},
     .exec = cmd_info},
};

const struct core_module info_module = {
    .name = "info",
    .title = "Contacts",
    .commands = commands,
    .ncommands = COUNT(commands),
};
