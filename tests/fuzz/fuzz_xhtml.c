/* libFuzzer target for core/xhtml: whatever markup a peer sends, what the
 * sanitiser lets through must be harmless text in well-formed markup made
 * only of whitelisted elements with, at most, a style attribute. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <strophe.h>

#include "core/xhtml.h"
#include "safe_text.h"
#include "util/text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const whitelist[] = {
    "p", "br",  "span",       "strong", "em",  "b",  "i",  "u",
    "a", "img", "blockquote", "code",   "pre", "ul", "ol", "li",
};

static xmpp_ctx_t *ctx;

static void check_tree(xmpp_stanza_t *el)
{
	for (xmpp_stanza_t *c = xmpp_stanza_get_children(el); c; c = xmpp_stanza_get_next(c)) {
		const char *name = xmpp_stanza_get_name(c);
		const char *attrs[8];
		int found = 0, nattr;

		if (!xmpp_stanza_is_tag(c))
			continue;
		for (size_t i = 0; i < sizeof(whitelist) / sizeof(whitelist[0]); i++)
			found |= !strcmp(name, whitelist[i]);
		CHECK(found && strcmp(name, "img"));
		nattr = xmpp_stanza_get_attributes(c, attrs, 8);
		for (int i = 0; i < nattr; i += 2)
			CHECK(!strcmp(attrs[i], "style") || !strcmp(attrs[i], "xmlns"));
		check_tree(c);
	}
}

static void check_html(xmpp_stanza_t *html)
{
	static const char head[] = "<body xmlns='http://www.w3.org/1999/xhtml'>",
	                  tail[] = "</body>";
	char *x = NULL, *t = NULL, *doc;
	xmpp_stanza_t *body;
	size_t xl;

	if (xhtml_sanitize(html, &x, &t)) {
		CHECK(!x && !t);
		return;
	}
	CHECK(x && t && *t);
	check_safe(x, 0);
	check_safe(t, TEXT_KEEP_NEWLINES);
	/* The markup must parse back, holding nothing but the whitelist. */
	xl = strlen(x);
	doc = malloc(sizeof(head) + xl + sizeof(tail));
	CHECK(doc);
	memcpy(doc, head, sizeof(head) - 1);
	memcpy(doc + sizeof(head) - 1, x, xl);
	memcpy(doc + sizeof(head) - 1 + xl, tail, sizeof(tail));
	body = xmpp_stanza_new_from_string(ctx, doc);
	CHECK(body);
	check_tree(body);
	xmpp_stanza_release(body);
	free(doc);
	free(x);
	free(t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s;
	xmpp_stanza_t *root;

	if (!ctx) {
		xmpp_initialize();
		ctx = xmpp_ctx_new(NULL, NULL);
		CHECK(ctx);
	}
	s = malloc(size + 1);
	CHECK(s);
	memcpy(s, data, size);
	s[size] = '\0';
	root = xmpp_stanza_new_from_string(ctx, s);
	free(s);
	if (!root)
		return 0;
	/* The input may be the <html/> itself or a message carrying it. */
	check_html(root);
	for (xmpp_stanza_t *c = xmpp_stanza_get_children(root); c; c = xmpp_stanza_get_next(c))
		if (xmpp_stanza_is_tag(c))
			check_html(c);
	xmpp_stanza_release(root);
	return 0;
}
