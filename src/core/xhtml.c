/* XEP-0071 XHTML-IM.  A peer's markup is never trusted: one walk over the
 * tree rebuilds it from a whitelist (and renders it as plain text at the
 * same time), so nothing the walk does not know how to make harmless can
 * come out of it. */
#include "config.h"

#include <ctype.h>
#include <strings.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/xhtml.h"
#include "util/text.h"

#define NS_XHTML_IM "http://jabber.org/protocol/xhtml-im"
#define NS_XHTML    "http://www.w3.org/1999/xhtml"

/* Deeper subtrees are dropped: libstrophe builds any depth a peer sends, and
 * both the walk and a renderer recurse. */
#define MAX_DEPTH 32

/* ---- growing strings ---- */

struct buf {
	char *s;
	size_t len, cap;
	bool oom;
};

static void buf_add(struct buf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 64;
		char *p;

		while (cap < b->len + n + 1)
			cap *= 2;
		p = realloc(b->s, cap);
		if (!p) {
			b->oom = true;
			return;
		}
		b->s = p;
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

static void buf_str(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

/* XML-escapes s (for text and double-quoted attribute values alike). */
static void buf_esc(struct buf *b, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		switch (s[i]) {
		case '&':
			buf_str(b, "&amp;");
			break;
		case '<':
			buf_str(b, "&lt;");
			break;
		case '>':
			buf_str(b, "&gt;");
			break;
		case '"':
			buf_str(b, "&quot;");
			break;
		default:
			buf_add(b, s + i, 1);
		}
	}
}

/* Strips leading and trailing spaces and line breaks in place. */
static void buf_trim(struct buf *b)
{
	size_t start = 0;

	if (!b->s)
		return;
	while (b->len && (b->s[b->len - 1] == ' ' || b->s[b->len - 1] == '\n'))
		b->len--;
	while (start < b->len && (b->s[start] == ' ' || b->s[start] == '\n'))
		start++;
	memmove(b->s, b->s + start, b->len - start);
	b->len -= start;
	b->s[b->len] = '\0';
}

/* ---- the walk ---- */

enum kind {
	K_INLINE, /* span strong em b i u code */
	K_BLOCK,  /* p */
	K_BR,
	K_A,
	K_IMG,
	K_QUOTE, /* blockquote */
	K_PRE,
	K_LIST,  /* ul */
	K_OLIST, /* ol */
	K_ITEM,  /* li */
};

static const struct {
	const char *name;
	enum kind kind;
} allowed[] = {
    {"p", K_BLOCK},   {"br", K_BR},    {"span", K_INLINE},      {"strong", K_INLINE},
    {"em", K_INLINE}, {"b", K_INLINE}, {"i", K_INLINE},         {"u", K_INLINE},
    {"a", K_A},       {"img", K_IMG},  {"blockquote", K_QUOTE}, {"code", K_INLINE},
    {"pre", K_PRE},   {"ul", K_LIST},  {"ol", K_OLIST},         {"li", K_ITEM},
};

/* Elements dropped with everything in them: their text is code, styling or
 * a document head, never part of the message. */
static const char *const dropped[] = {
    "script", "style",    "head",     "title", "iframe", "object", "embed",
    "applet", "noscript", "template", "svg",   "math",   "frame",  "frameset",
};

/* Unknown elements that still end a line in the plain rendering. */
static const char *const breaking[] = {
    "div", "h1", "h2", "h3",      "h4",      "h5",     "h6",     "hr",      "table",  "tr",
    "dl",  "dt", "dd", "section", "article", "header", "footer", "address", "center",
};

static const char *const style_props[] = {"color", "font-weight", "font-style", "text-decoration"};

/* Schemes worth showing; anything else (javascript:, data:, vbscript:, a
 * relative reference with no base to resolve it) is not shown at all. */
static const char *const href_schemes[] = {"http", "https", "ftp", "mailto", "xmpp", "tel", "geo"};

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static bool in_list(const char *const *list, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (!strcasecmp(list[i], s))
			return true;
	return false;
}

struct render {
	struct buf x;    /* sanitised markup */
	struct buf t;    /* plain text */
	bool line_start; /* t is at the start of a line */
	bool space;      /* a space is due in t before the next word */
	bool xspace;     /* the last thing written to x is a collapsed space */
	unsigned quote;  /* blockquote depth: "> " per level in t */
	unsigned pre;    /* inside pre: white space is kept */
};

static void t_break(struct render *r)
{
	buf_str(&r->t, "\n");
	r->line_start = true;
	r->space = false;
}

/* Ends the current line of t unless it is empty: block boundaries. */
static void t_block(struct render *r)
{
	if (!r->line_start)
		t_break(r);
	r->space = false;
}

static void t_word(struct render *r, const char *s, size_t n)
{
	if (r->line_start) {
		for (unsigned i = 0; i < r->quote; i++)
			buf_str(&r->t, "> ");
		r->line_start = false;
	} else if (r->space) {
		buf_str(&r->t, " ");
	}
	r->space = false;
	buf_add(&r->t, s, n);
}

/* Text already sanitised: goes to both renderings, white space collapsed
 * outside pre as HTML does. */
static void emit_text(struct render *r, const char *s)
{
	while (*s) {
		size_t n;

		if (*s == '\n' && r->pre) {
			buf_str(&r->x, "&#10;");
			t_break(r);
			s++;
			continue;
		}
		if (*s == ' ' && !r->pre) {
			if (!r->xspace)
				buf_str(&r->x, " ");
			r->xspace = true;
			if (!r->line_start)
				r->space = true;
			s++;
			continue;
		}
		n = strcspn(s, r->pre ? "\n" : " ");
		buf_esc(&r->x, s, n);
		r->xspace = false;
		t_word(r, s, n);
		s += n;
	}
}

/* Sanitises untrusted text (a text node, an alt, an href) and emits it. */
static void emit_untrusted(struct render *r, const char *raw)
{
	char *s = text_sanitize_str(raw, r->pre ? TEXT_KEEP_NEWLINES : 0);

	if (!s) {
		r->x.oom = true;
		return;
	}
	/* Tabs became spaces; inside pre they stay as wide as one. */
	emit_text(r, s);
	free(s);
}

static void x_open(struct render *r, const char *name, const char *style)
{
	buf_str(&r->x, "<");
	buf_str(&r->x, name);
	if (style && *style) {
		buf_str(&r->x, " style=\"");
		buf_esc(&r->x, style, strlen(style));
		buf_str(&r->x, "\"");
	}
	buf_str(&r->x, ">");
	r->xspace = false;
}

static void x_close(struct render *r, const char *name)
{
	buf_str(&r->x, "</");
	buf_str(&r->x, name);
	buf_str(&r->x, ">");
	r->xspace = false;
}

/* A CSS value we can pass on: a keyword, a number, a #colour or an
 * rgb()/hsl() colour.  No url(), expression(), escapes or quotes. */
static bool safe_css_value(const char *v, size_t n)
{
	static const char *const fns[] = {"rgb(", "rgba(", "hsl(", "hsla("};
	size_t start = 0;

	if (!n || n > 64)
		return false;
	for (size_t i = 0; i < ARRAY_LEN(fns); i++) {
		size_t fl = strlen(fns[i]);

		if (n > fl && !strncasecmp(v, fns[i], fl) && v[n - 1] == ')') {
			start = fl;
			n--;
			break;
		}
	}
	for (size_t i = start; i < n; i++) {
		unsigned char c = (unsigned char)v[i];

		if (!isalnum(c) && !strchr(" #,.%-", c))
			return false;
	}
	return true;
}

/* Keeps the whitelisted properties of a style attribute, normalised as
 * "prop: value; prop: value" (malloc'd, may be empty), NULL on ENOMEM. */
static char *filter_style(const char *style)
{
	struct buf out = {0};
	const char *p = style;

	buf_str(&out, "");
	while (p && *p) {
		const char *end = strchr(p, ';'), *colon;
		size_t len = end ? (size_t)(end - p) : strlen(p);
		const char *name, *val;
		size_t nlen, vlen;

		colon = memchr(p, ':', len);
		if (colon) {
			name = p;
			nlen = (size_t)(colon - p);
			val = colon + 1;
			vlen = len - nlen - 1;
			while (nlen && isspace((unsigned char)*name))
				name++, nlen--;
			while (nlen && isspace((unsigned char)name[nlen - 1]))
				nlen--;
			while (vlen && isspace((unsigned char)*val))
				val++, vlen--;
			while (vlen && isspace((unsigned char)val[vlen - 1]))
				vlen--;
			for (size_t i = 0; i < ARRAY_LEN(style_props); i++) {
				if (strlen(style_props[i]) != nlen ||
				    strncasecmp(style_props[i], name, nlen) ||
				    !safe_css_value(val, vlen))
					continue;
				if (out.len)
					buf_str(&out, "; ");
				buf_str(&out, style_props[i]);
				buf_str(&out, ": ");
				buf_add(&out, val, vlen);
			}
		}
		p = end ? end + 1 : NULL;
	}
	if (out.oom) {
		free(out.s);
		return NULL;
	}
	return out.s;
}

static bool safe_href(const char *h)
{
	size_t n = 0;

	while (isalnum((unsigned char)h[n]) || h[n] == '+' || h[n] == '-' || h[n] == '.')
		n++;
	if (!n || h[n] != ':')
		return false;
	for (size_t i = 0; i < ARRAY_LEN(href_schemes); i++)
		if (strlen(href_schemes[i]) == n && !strncasecmp(href_schemes[i], h, n))
			return true;
	return false;
}

/* The element's local name when it is in the XHTML namespace (or none),
 * else NULL: a foreign element is unknown whatever it is called. */
static const char *xhtml_name(xmpp_stanza_t *el)
{
	const char *ns = xmpp_stanza_get_ns(el), *name = xmpp_stanza_get_name(el);

	if (!name || (ns && strcmp(ns, NS_XHTML)))
		return NULL;
	return name;
}

static void walk(struct render *r, xmpp_stanza_t *el, unsigned depth, unsigned *olnum);

static void walk_children(struct render *r, xmpp_stanza_t *el, unsigned depth, unsigned *olnum)
{
	for (xmpp_stanza_t *c = xmpp_stanza_get_children(el); c && !r->x.oom && !r->t.oom;
	     c = xmpp_stanza_get_next(c)) {
		if (xmpp_stanza_is_text(c)) {
			const char *s = xmpp_stanza_get_text_ptr(c);

			if (s)
				emit_untrusted(r, s);
		} else if (xmpp_stanza_is_tag(c)) {
			walk(r, c, depth + 1, olnum);
		}
	}
}

static void walk_a(struct render *r, xmpp_stanza_t *el, const char *style, unsigned depth)
{
	const char *href = xmpp_stanza_get_attribute(el, "href");
	size_t start = r->t.len;

	x_open(r, "a", style);
	walk_children(r, el, depth, NULL);
	x_close(r, "a");
	if (!href)
		return;
	while (isspace((unsigned char)*href))
		href++;
	if (!safe_href(href))
		return;
	/* A bare link already shows its address. */
	if (r->t.s && r->t.len - start >= strlen(href) &&
	    !strcmp(r->t.s + r->t.len - strlen(href), href))
		return;
	r->space = !r->line_start;
	if (!r->xspace)
		buf_str(&r->x, " ");
	r->xspace = true;
	emit_text(r, "(");
	emit_untrusted(r, href);
	emit_text(r, ")");
}

static void walk(struct render *r, xmpp_stanza_t *el, unsigned depth, unsigned *olnum)
{
	const char *name = xmpp_stanza_get_name(el), *xname = xhtml_name(el), *local;
	enum kind kind = K_INLINE;
	bool known = false;
	char *style = NULL;
	unsigned num = 0;

	if (depth > MAX_DEPTH || !name)
		return;
	/* A prefixed name from a sloppy serialiser is judged by its local part. */
	local = strrchr(name, ':') ? strrchr(name, ':') + 1 : name;
	if (in_list(dropped, ARRAY_LEN(dropped), local))
		return;
	for (size_t i = 0; xname && i < ARRAY_LEN(allowed); i++) {
		if (!strcmp(allowed[i].name, xname)) {
			kind = allowed[i].kind;
			known = true;
			break;
		}
	}
	if (!known) {
		bool brk = in_list(breaking, ARRAY_LEN(breaking), local);

		if (brk)
			t_block(r);
		walk_children(r, el, depth, olnum);
		if (brk)
			t_block(r);
		return;
	}
	if (xmpp_stanza_get_attribute(el, "style")) {
		style = filter_style(xmpp_stanza_get_attribute(el, "style"));
		if (!style) {
			r->x.oom = true;
			return;
		}
	}
	switch (kind) {
	case K_BR:
		buf_str(&r->x, "<br/>");
		r->xspace = false;
		t_break(r);
		break;
	case K_IMG: {
		const char *alt = xmpp_stanza_get_attribute(el, "alt");

		if (alt)
			emit_untrusted(r, alt);
		break;
	}
	case K_A:
		walk_a(r, el, style, depth);
		break;
	case K_INLINE:
		x_open(r, xname, style);
		walk_children(r, el, depth, olnum);
		x_close(r, xname);
		break;
	default:
		t_block(r);
		x_open(r, xname, style);
		if (kind == K_ITEM) {
			char mark[24];

			if (olnum)
				snprintf(mark, sizeof(mark), "%u.", ++*olnum);
			t_word(r, olnum ? mark : "-", strlen(olnum ? mark : "-"));
			r->space = true;
		}
		r->quote += kind == K_QUOTE;
		r->pre += kind == K_PRE;
		walk_children(r, el, depth, kind == K_OLIST ? &num : kind == K_LIST ? NULL : olnum);
		r->quote -= kind == K_QUOTE;
		r->pre -= kind == K_PRE;
		x_close(r, xname);
		t_block(r);
	}
	free(style);
}

/* Renders the children of an XHTML <body/>; 0, or -1 on ENOMEM or when no
 * text came out of it. */
static int render_body(xmpp_stanza_t *body, char **xhtml, char **text)
{
	struct render r = {.line_start = true, .xspace = true};

	buf_str(&r.x, "");
	buf_str(&r.t, "");
	walk_children(&r, body, 0, NULL);
	buf_trim(&r.x);
	buf_trim(&r.t);
	if (r.x.oom || r.t.oom || !r.t.len) {
		free(r.x.s);
		free(r.t.s);
		return -1;
	}
	if (xhtml)
		*xhtml = r.x.s;
	else
		free(r.x.s);
	if (text)
		*text = r.t.s;
	else
		free(r.t.s);
	return 0;
}

static xmpp_stanza_t *find_body(xmpp_stanza_t *html)
{
	/* Several bodies are translations (xml:lang); the first will do. */
	for (xmpp_stanza_t *c = xmpp_stanza_get_children(html); c; c = xmpp_stanza_get_next(c)) {
		const char *name = xmpp_stanza_get_name(c), *ns = xmpp_stanza_get_ns(c);

		if (xmpp_stanza_is_tag(c) && name && !strcmp(name, "body") &&
		    (!ns || !strcmp(ns, NS_XHTML)))
			return c;
	}
	return NULL;
}

int xhtml_sanitize(xmpp_stanza_t *html, char **xhtml, char **text)
{
	xmpp_stanza_t *body = html ? find_body(html) : NULL;

	if (xhtml)
		*xhtml = NULL;
	if (text)
		*text = NULL;
	return body ? render_body(body, xhtml, text) : -1;
}

xmpp_stanza_t *xhtml_build(xmpp_ctx_t *ctx, const char *markup, char **text, const char **why)
{
	static const char head[] = "<html xmlns='" NS_XHTML_IM "'><body xmlns='" NS_XHTML "'>",
	                  tail[] = "</body></html>";
	char *safe = text_xml_safe(markup), *doc = NULL, *plain = NULL;
	xmpp_stanza_t *html = NULL, *body, *c;
	unsigned nbody = 0;

	*text = NULL;
	*why = "out of memory";
	if (!safe || asprintf(&doc, "%s%s%s", head, safe, tail) < 0) {
		doc = NULL;
		goto fail;
	}
	html = xmpp_stanza_new_from_string(ctx, doc);
	if (!html) {
		*why = "not a well-formed XML fragment";
		goto fail;
	}
	/* Markup that closes our wrapper early ("</body><body>...") parses, but
	 * not as one body. */
	for (c = xmpp_stanza_get_children(html); c; c = xmpp_stanza_get_next(c))
		nbody++;
	body = find_body(html);
	if (nbody != 1 || !body || strcmp(xmpp_stanza_get_name(html), "html")) {
		*why = "the markup closes elements it did not open";
		goto fail;
	}
	if (render_body(body, NULL, &plain)) {
		*why = "the markup has no text to send as the plain body";
		goto fail;
	}
	free(safe);
	free(doc);
	*text = plain;
	*why = NULL;
	return html;
fail:
	if (html)
		xmpp_stanza_release(html);
	free(safe);
	free(doc);
	return NULL;
}
