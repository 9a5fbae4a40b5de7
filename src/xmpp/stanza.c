/* Stanza helpers. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "xmpp/stanza.h"

xmpp_stanza_t *st_element(xmpp_ctx_t *ctx, const char *name, const char *ns)
{
	xmpp_stanza_t *el = xmpp_stanza_new(ctx);

	if (!el)
		return NULL;
	if (xmpp_stanza_set_name(el, name) != XMPP_EOK ||
	    (ns && xmpp_stanza_set_ns(el, ns) != XMPP_EOK)) {
		xmpp_stanza_release(el);
		return NULL;
	}
	return el;
}

xmpp_stanza_t *st_add_element(xmpp_stanza_t *parent, const char *name, const char *ns)
{
	xmpp_stanza_t *el = st_element(xmpp_stanza_get_context(parent), name, ns);

	if (!el)
		return NULL;
	if (xmpp_stanza_add_child(parent, el) != XMPP_EOK) {
		xmpp_stanza_release(el);
		return NULL;
	}
	/* The parent holds its own reference now. */
	xmpp_stanza_release(el);
	return el;
}

int st_add_text(xmpp_stanza_t *parent, const char *name, const char *text)
{
	xmpp_stanza_t *el = st_add_element(parent, name, NULL), *t;

	if (!el || !(t = xmpp_stanza_new(xmpp_stanza_get_context(parent))))
		return -1;
	if (xmpp_stanza_set_text(t, text) != XMPP_EOK || xmpp_stanza_add_child(el, t) != XMPP_EOK) {
		xmpp_stanza_release(t);
		return -1;
	}
	xmpp_stanza_release(t);
	return 0;
}

char *st_child_text(xmpp_stanza_t *st, const char *name)
{
	xmpp_stanza_t *c = xmpp_stanza_get_child_by_name(st, name);
	char *raw, *copy;

	if (!c || !(raw = xmpp_stanza_get_text(c)))
		return NULL;
	/* libstrophe allocates with the stanza's context; callers free(). */
	copy = strdup(raw);
	xmpp_free(xmpp_stanza_get_context(st), raw);
	return copy;
}

const char *st_error_condition(xmpp_stanza_t *st, char **text)
{
	xmpp_stanza_t *err = xmpp_stanza_get_child_by_name(st, "error"), *c;
	const char *cond = "undefined-condition";

	if (text)
		*text = NULL;
	for (c = err ? xmpp_stanza_get_children(err) : NULL; c; c = xmpp_stanza_get_next(c)) {
		const char *name = xmpp_stanza_get_name(c);

		if (!name || !xmpp_stanza_is_tag(c))
			continue;
		if (!strcmp(name, "text")) {
			if (text && !*text) {
				char *raw = xmpp_stanza_get_text(c);

				if (raw) {
					*text = strdup(raw);
					xmpp_free(xmpp_stanza_get_context(st), raw);
				}
			}
		} else {
			cond = name;
		}
	}
	return cond;
}
