/* Stanza helpers. */
#include "config.h"

#include <stdbool.h>
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

xmpp_stanza_t *st_copy_into(xmpp_ctx_t *ctx, xmpp_stanza_t *st, int max_depth)
{
	xmpp_stanza_t *out = xmpp_stanza_new(ctx);
	int nattrs;
	const char **attrs = NULL;

	if (!out || max_depth < 0)
		goto fail;
	if (xmpp_stanza_is_text(st)) {
		if (xmpp_stanza_set_text(out, xmpp_stanza_get_text_ptr(st)) != XMPP_EOK)
			goto fail;
		return out;
	}
	if (xmpp_stanza_set_name(out, xmpp_stanza_get_name(st)) != XMPP_EOK)
		goto fail;
	nattrs = xmpp_stanza_get_attribute_count(st);
	if (nattrs > 0) {
		attrs = calloc((size_t)nattrs * 2, sizeof(*attrs));
		if (!attrs)
			goto fail;
		nattrs = xmpp_stanza_get_attributes(st, attrs, nattrs * 2);
		for (int i = 0; i + 1 < nattrs; i += 2)
			if (xmpp_stanza_set_attribute(out, attrs[i], attrs[i + 1]) != XMPP_EOK)
				goto fail;
		free(attrs);
		attrs = NULL;
	}
	for (xmpp_stanza_t *c = xmpp_stanza_get_children(st); c; c = xmpp_stanza_get_next(c)) {
		xmpp_stanza_t *cc = st_copy_into(ctx, c, max_depth - 1);

		if (!cc)
			goto fail;
		if (xmpp_stanza_add_child_ex(out, cc, 0) != XMPP_EOK) {
			xmpp_stanza_release(cc);
			goto fail;
		}
	}
	return out;
fail:
	free(attrs);
	if (out)
		xmpp_stanza_release(out);
	return NULL;
}

bool st_deeper_than(xmpp_stanza_t *st, int max_depth)
{
	if (!xmpp_stanza_is_tag(st))
		return false;
	if (max_depth < 1)
		return true;
	for (xmpp_stanza_t *c = xmpp_stanza_get_children(st); c; c = xmpp_stanza_get_next(c))
		if (st_deeper_than(c, max_depth - 1))
			return true;
	return false;
}

xmpp_stanza_t *st_iq_error(xmpp_ctx_t *ctx, xmpp_stanza_t *iq, const char *condition)
{
	const char *from = xmpp_stanza_get_from(iq), *id = xmpp_stanza_get_id(iq);
	xmpp_stanza_t *res, *err;

	if (!from && !id)
		return NULL;
	/* Not xmpp_stanza_reply_error(): it builds in iq's context, which is
	 * the network thread's and may be gone before the answer is sent. */
	res = xmpp_iq_new(ctx, "error", id);
	if (!res)
		return NULL;
	if ((from && xmpp_stanza_set_to(res, from) != XMPP_EOK) ||
	    !(err = st_add_element(res, "error", NULL)) ||
	    xmpp_stanza_set_type(err, "cancel") != XMPP_EOK ||
	    !st_add_element(err, condition, XMPP_NS_STANZAS_IETF)) {
		xmpp_stanza_release(res);
		return NULL;
	}
	return res;
}

#define NS_STANZAS "urn:ietf:params:xml:ns:xmpp-stanzas"

const char *st_error_condition(xmpp_stanza_t *st, char **text)
{
	xmpp_stanza_t *err = xmpp_stanza_get_child_by_name(st, "error"), *c;
	const char *cond = NULL, *other = NULL;

	if (text)
		*text = NULL;
	for (c = err ? xmpp_stanza_get_children(err) : NULL; c; c = xmpp_stanza_get_next(c)) {
		const char *name = xmpp_stanza_get_name(c), *ns = xmpp_stanza_get_ns(c);

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
		} else if (ns && !strcmp(ns, NS_STANZAS)) {
			if (!cond)
				cond = name;
		} else if (!other) {
			/* A sender that forgot the namespace still meant something. */
			other = name;
		}
	}
	/* The defined condition, not the application-specific one beside it
	 * (<not-authorized/><pending-subscription/>: not-authorized). */
	return cond ? cond : other ? other : "undefined-condition";
}

xmpp_stanza_t *st_error_app_condition(xmpp_stanza_t *st)
{
	xmpp_stanza_t *err = xmpp_stanza_get_child_by_name(st, "error"), *c;
	bool seen_defined = false;
	xmpp_stanza_t *first_other = NULL, *second_other = NULL;

	for (c = err ? xmpp_stanza_get_children(err) : NULL; c; c = xmpp_stanza_get_next(c)) {
		const char *name = xmpp_stanza_get_name(c), *ns = xmpp_stanza_get_ns(c);

		if (!name || !xmpp_stanza_is_tag(c) || !strcmp(name, "text"))
			continue;
		if (ns && !strcmp(ns, NS_STANZAS))
			seen_defined = true;
		else if (!first_other)
			first_other = c;
		else if (!second_other)
			second_other = c;
	}
	/* Without a namespaced defined condition, the first other element
	 * was taken for it by st_error_condition(). */
	return seen_defined ? first_other : second_other;
}
