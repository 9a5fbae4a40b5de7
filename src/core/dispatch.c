/* Routing an incoming stanza to the modules' handlers.
 *
 * A handler matches on the stanza's name, its type attribute exactly and
 * the namespace of a child; stages run in order (guards, unwrappers, then
 * every other handler), modules in core_modules order within a stage.
 * Only a guard or an unwrapper may stop a stanza; all handlers of the last
 * stage that match it run.  The order is data: nothing depends on which
 * module registered first. */
#include "config.h"

#include <string.h>

#include "core/core_internal.h"
#include "core/dispatch.h"
#include "util/log.h"

static bool matches(const struct core_handler *h, const char *name, const char *type,
                    xmpp_stanza_t *st)
{
	if (strcmp(h->name, name))
		return false;
	if (h->type && strcmp(h->type, type ? type : CORE_TYPE_NONE))
		return false;
	return !h->ns || xmpp_stanza_get_child_by_ns(st, h->ns);
}

void dispatch_stanza(struct core *core, xmpp_stanza_t *st)
{
	const char *name = xmpp_stanza_get_name(st), *type = xmpp_stanza_get_type(st);
	bool handled = false;

	if (!name)
		return;
	for (int stage = CORE_GUARD; stage <= CORE_HANDLE; stage++) {
		for (size_t m = 0; m < core_nmodules; m++) {
			const struct core_module *mod = core_modules[m];

			for (size_t i = 0; i < mod->nhandlers; i++) {
				const struct core_handler *h = &mod->handlers[i];

				if ((int)h->stage != stage || !matches(h, name, type, st))
					continue;
				if (stage == CORE_HANDLE) {
					handled = true;
					h->fn(core, st);
				} else if (h->fn(core, st) == CORE_STOP) {
					return;
				}
			}
		}
	}
	/* RFC 6120 §8.2.3: an iq get/set nobody handles still gets an answer. */
	if (!handled && !strcmp(name, "iq") && type &&
	    (!strcmp(type, "get") || !strcmp(type, "set"))) {
		log_debug("no handler for an iq %s: service-unavailable", type);
		core_iq_error(core, st, "service-unavailable");
	}
}
