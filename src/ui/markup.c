/* XHTML-IM to styled terminal text.
 *
 * The input went through the core's whitelist sanitiser and is well-formed,
 * so this is a small tokenizer rather than an XML parser; still, nothing
 * here trusts it: unknown or unbalanced markup degrades to its text. */
#include "config.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ui/markup.h"
#include "ui/window.h"
#include "ui/wstr.h"

#define MARKUP_DEPTH 64 /* nesting tracked; deeper elements only give text */

enum mk_kind { MK_INLINE, MK_BLOCK, MK_PRE, MK_QUOTE, MK_UL, MK_OL, MK_LI, MK_A };

struct mk_elem {
	char name[16];
	enum mk_kind kind;
	unsigned char attr; /* added by this element */
	unsigned items;     /* lists: items so far */
	size_t link_from;   /* a: where its text starts */
	char *href;         /* a: malloc'd, or NULL */
};

struct mk {
	wchar_t *text;
	unsigned char *attrs;
	size_t n, cap;
	struct mk_elem stack[MARKUP_DEPTH];
	size_t depth, overflow;
	bool space; /* a collapsed space is owed before the next visible character */
	bool failed;
};

static unsigned char mk_attr(const struct mk *m)
{
	unsigned char a = 0;
	size_t i;

	for (i = 0; i < m->depth; i++)
		a |= m->stack[i].attr;
	return a;
}

static size_t mk_count(const struct mk *m, enum mk_kind k)
{
	size_t i, n = 0;

	for (i = 0; i < m->depth; i++)
		n += m->stack[i].kind == k;
	return n;
}

static void mk_put(struct mk *m, wchar_t wc, unsigned char attr)
{
	if (m->failed)
		return;
	if (m->n + 1 >= m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 128;
		wchar_t *t = realloc(m->text, cap * sizeof(*t));
		unsigned char *a;

		if (t)
			m->text = t;
		a = t ? realloc(m->attrs, cap) : NULL;
		if (!a) {
			m->failed = true;
			return;
		}
		m->attrs = a;
		m->cap = cap;
	}
	m->text[m->n] = wc;
	m->attrs[m->n] = attr;
	m->n++;
}

static bool mk_line_start(const struct mk *m)
{
	return m->n == 0 || m->text[m->n - 1] == L'\n';
}

/* Quoted lines carry "> " per level, so the quote survives without colour. */
static void mk_quote_prefix(struct mk *m)
{
	size_t q = mk_count(m, MK_QUOTE);

	while (q--) {
		mk_put(m, L'>', 0);
		mk_put(m, L' ', 0);
	}
}

static void mk_newline(struct mk *m)
{
	m->space = false;
	mk_put(m, L'\n', 0);
}

/* Starts a new line unless already at the start of one. */
static void mk_break(struct mk *m)
{
	m->space = false;
	if (!mk_line_start(m))
		mk_newline(m);
}

static void mk_char(struct mk *m, wchar_t wc, unsigned char attr)
{
	bool pre = mk_count(m, MK_PRE) > 0;

	if (wc == L'\n' && pre) {
		mk_newline(m);
		return;
	}
	if (!pre && (wc == L' ' || wc == L'\n')) {
		/* HTML collapses white space, and drops it at the start of a line. */
		if (!mk_line_start(m))
			m->space = true;
		return;
	}
	if (mk_line_start(m))
		mk_quote_prefix(m);
	if (m->space) {
		/* Styled only where both neighbours are: no bold space before a
		 * bold word, no underline running into a link. */
		mk_put(m, L' ', m->n ? (unsigned char)(m->attrs[m->n - 1] & attr) : 0);
		m->space = false;
	}
	mk_put(m, wc, attr);
}

static void mk_utf8(struct mk *m, const char *s, unsigned char attr)
{
	wchar_t *w = wstr_from_utf8(s, 1, NULL), *p;

	if (!w) {
		m->failed = true;
		return;
	}
	for (p = w; *p; p++)
		mk_char(m, *p, attr);
	free(w);
}

/* One character reference at s ("&amp;", "&#x263a;"), written as UTF-8
 * into out (at least 5 bytes); returns the bytes consumed, 0 if none. */
static size_t mk_entity(const char *s, char *out)
{
	static const struct {
		const char *name;
		char c;
	} named[] = {{"amp;", '&'}, {"lt;", '<'}, {"gt;", '>'}, {"quot;", '"'}, {"apos;", '\''}};
	unsigned long cp;
	char *end;
	size_t i;

	for (i = 0; i < sizeof(named) / sizeof(named[0]); i++) {
		if (!strncmp(s + 1, named[i].name, strlen(named[i].name))) {
			out[0] = named[i].c;
			out[1] = 0;
			return strlen(named[i].name) + 1;
		}
	}
	if (s[1] != '#')
		return 0;
	if (s[2] == 'x' || s[2] == 'X')
		cp = strtoul(s + 3, &end, 16);
	else
		cp = strtoul(s + 2, &end, 10);
	if (*end != ';' || end == s + 2 || cp == 0 || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp < 0xe000))
		return 0;
	if (cp < 0x80) {
		out[0] = (char)cp;
		out[1] = 0;
	} else if (cp < 0x800) {
		out[0] = (char)(0xc0 | cp >> 6);
		out[1] = (char)(0x80 | (cp & 0x3f));
		out[2] = 0;
	} else if (cp < 0x10000) {
		out[0] = (char)(0xe0 | cp >> 12);
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		out[3] = 0;
	} else {
		out[0] = (char)(0xf0 | cp >> 18);
		out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[3] = (char)(0x80 | (cp & 0x3f));
		out[4] = 0;
	}
	return (size_t)(end - s) + 1;
}

/* Text (or an attribute value) with its references decoded; malloc'd. */
static char *mk_decode(const char *s, size_t n)
{
	char *out = malloc(n + 1), *o = out, buf[8];
	size_t i = 0, k;

	if (!out)
		return NULL;
	while (i < n) {
		if (s[i] == '&' && (k = mk_entity(s + i, buf)) > 0 && i + k <= n) {
			/* A reference never decodes longer than it is spelled. */
			memcpy(o, buf, strlen(buf));
			o += strlen(buf);
			i += k;
		} else {
			*o++ = s[i++];
		}
	}
	*o = 0;
	return out;
}

static void mk_text(struct mk *m, const char *s, size_t n)
{
	char *t = mk_decode(s, n);

	if (!t) {
		m->failed = true;
		return;
	}
	mk_utf8(m, t, mk_attr(m));
	free(t);
}

/* The value of attribute name in the tag body [s, e), malloc'd, or NULL. */
static char *mk_tag_attr(const char *s, const char *e, const char *name)
{
	size_t nl = strlen(name);
	const char *p = s;

	while (p < e) {
		const char *an, *v;
		char q;
		size_t al;

		while (p < e && isspace((unsigned char)*p))
			p++;
		an = p;
		while (p < e && *p != '=' && !isspace((unsigned char)*p) && *p != '/')
			p++;
		al = (size_t)(p - an);
		while (p < e && isspace((unsigned char)*p))
			p++;
		if (p >= e || *p != '=') {
			if (p < e)
				p++;
			continue;
		}
		p++;
		while (p < e && isspace((unsigned char)*p))
			p++;
		if (p >= e || (*p != '"' && *p != '\''))
			return NULL;
		q = *p++;
		v = p;
		while (p < e && *p != q)
			p++;
		if (al == nl && !strncasecmp(an, name, nl))
			return mk_decode(v, (size_t)(p - v));
		if (p < e)
			p++;
	}
	return NULL;
}

/* Bold, italic and underline from a style attribute's CSS properties. */
static unsigned char mk_style(const char *style)
{
	unsigned char a = 0;
	char *dup = strdup(style), *save = NULL, *decl;

	if (!dup)
		return 0;
	for (decl = strtok_r(dup, ";", &save); decl; decl = strtok_r(NULL, ";", &save)) {
		char *colon = strchr(decl, ':'), *prop = decl, *val;

		if (!colon)
			continue;
		*colon = 0;
		val = colon + 1;
		while (isspace((unsigned char)*prop))
			prop++;
		while (isspace((unsigned char)*val))
			val++;
		if (!strncasecmp(prop, "font-weight", 11) &&
		    (!strncasecmp(val, "bold", 4) || atoi(val) >= 600))
			a |= STY_BOLD;
		else if (!strncasecmp(prop, "font-style", 10) &&
		         (!strncasecmp(val, "italic", 6) || !strncasecmp(val, "oblique", 7)))
			a |= STY_ITALIC;
		else if (!strncasecmp(prop, "text-decoration", 15) && strcasestr(val, "underline"))
			a |= STY_UNDERLINE;
	}
	free(dup);
	return a;
}

static const struct {
	const char *name;
	enum mk_kind kind;
	unsigned char attr;
} mk_elems[] = {
    {"p", MK_BLOCK, 0},
    {"div", MK_BLOCK, 0},
    {"blockquote", MK_QUOTE, 0},
    {"pre", MK_PRE, STY_CODE},
    {"ul", MK_UL, 0},
    {"ol", MK_OL, 0},
    {"li", MK_LI, 0},
    {"a", MK_A, STY_LINK},
    {"strong", MK_INLINE, STY_BOLD},
    {"b", MK_INLINE, STY_BOLD},
    {"em", MK_INLINE, STY_ITALIC},
    {"i", MK_INLINE, STY_ITALIC},
    {"u", MK_INLINE, STY_UNDERLINE},
    {"code", MK_INLINE, STY_CODE},
};

static void mk_open(struct mk *m, const char *name, const char *as, const char *ae, bool empty)
{
	struct mk_elem *e;
	char *style, *v;
	size_t i;

	if (!strcasecmp(name, "br")) {
		if (mk_line_start(m))
			mk_quote_prefix(m);
		mk_newline(m);
		return;
	}
	if (!strcasecmp(name, "img")) {
		v = mk_tag_attr(as, ae, "alt");
		mk_utf8(m, v && *v ? "[image: " : "[image", mk_attr(m));
		if (v && *v)
			mk_utf8(m, v, mk_attr(m));
		mk_utf8(m, "]", mk_attr(m));
		free(v);
		return;
	}
	if (empty)
		return;
	if (m->depth == MARKUP_DEPTH) {
		m->overflow++;
		return;
	}
	e = &m->stack[m->depth];
	memset(e, 0, sizeof(*e));
	snprintf(e->name, sizeof e->name, "%s", name);
	e->kind = MK_INLINE;
	for (i = 0; i < sizeof(mk_elems) / sizeof(mk_elems[0]); i++) {
		if (!strcasecmp(name, mk_elems[i].name)) {
			e->kind = mk_elems[i].kind;
			e->attr = mk_elems[i].attr;
		}
	}
	style = mk_tag_attr(as, ae, "style");
	if (style)
		e->attr |= mk_style(style);
	free(style);
	if (e->kind != MK_INLINE && e->kind != MK_A)
		mk_break(m);
	if (e->kind == MK_LI) {
		struct mk_elem *list = NULL;
		char num[24];

		for (i = m->depth; i-- > 0;) {
			if (m->stack[i].kind == MK_UL || m->stack[i].kind == MK_OL) {
				list = &m->stack[i];
				break;
			}
		}
		if (list && list->kind == MK_OL)
			snprintf(num, sizeof num, "%u. ", ++list->items);
		else
			snprintf(num, sizeof num, "- ");
		/* Put directly: through mk_char the marker's space would collapse. */
		if (mk_line_start(m))
			mk_quote_prefix(m);
		for (i = 0; num[i]; i++)
			mk_put(m, (wchar_t)num[i], 0);
		m->space = false;
	}
	if (e->kind == MK_A) {
		e->href = mk_tag_attr(as, ae, "href");
		e->link_from = m->n;
	}
	m->depth++;
}

/* After a link, its address when the text does not already say it. */
static void mk_link_end(struct mk *m, struct mk_elem *e)
{
	wchar_t *href;
	size_t n;

	if (!e->href || !*e->href)
		return;
	href = wstr_from_utf8(e->href, 0, &n);
	if (!href) {
		m->failed = true;
		return;
	}
	/* The space owed before the link was put with its first character. */
	while (e->link_from < m->n && m->text[e->link_from] == L' ')
		e->link_from++;
	if (m->n - e->link_from != n || wmemcmp(m->text + e->link_from, href, n)) {
		unsigned char a = mk_attr(m) & ~(STY_LINK | STY_UNDERLINE);
		wchar_t *p;

		mk_char(m, L' ', a);
		mk_char(m, L'(', a);
		for (p = href; *p; p++)
			mk_char(m, *p, a);
		mk_char(m, L')', a);
	}
	free(href);
}

static void mk_close(struct mk *m, const char *name)
{
	size_t i;

	if (m->overflow) {
		m->overflow--;
		return;
	}
	for (i = m->depth; i-- > 0;)
		if (!strcasecmp(m->stack[i].name, name))
			break;
	if (i == (size_t)-1)
		return; /* never opened: ignore it */
	while (m->depth > i) {
		struct mk_elem *e = &m->stack[m->depth - 1];
		enum mk_kind k = e->kind;

		if (k == MK_A)
			mk_link_end(m, e);
		free(e->href);
		e->href = NULL;
		m->depth--;
		if (k != MK_INLINE && k != MK_A)
			mk_break(m);
	}
}

/* One "<...>" starting at s; returns the character after it. */
static const char *mk_tag(struct mk *m, const char *s)
{
	const char *p = s + 1, *end, *as;
	char name[16];
	bool closing = false, empty;
	size_t n;
	char q = 0;

	if (!strncmp(s, "<!--", 4)) {
		end = strstr(s + 4, "-->");
		return end ? end + 3 : s + strlen(s);
	}
	/* Find the '>' that ends the tag, skipping quoted attribute values. */
	for (end = p; *end && (q || *end != '>'); end++)
		if (*end == '"' || *end == '\'')
			q = q == *end ? 0 : (q ? q : *end);
	if (*p == '/') {
		closing = true;
		p++;
	}
	for (n = 0; isalnum((unsigned char)p[n]) || p[n] == '-' || p[n] == ':'; n++)
		;
	as = p + n;
	if (n > 0 && n < sizeof name && *p != '!' && *p != '?') {
		memcpy(name, p, n);
		name[n] = 0;
		empty = end > as && end[-1] == '/';
		if (closing)
			mk_close(m, name);
		else
			mk_open(m, name, as, empty ? end - 1 : end, empty);
	}
	return *end ? end + 1 : end;
}

int markup_render(const char *xhtml, wchar_t **text, unsigned char **attrs)
{
	struct mk m;
	const char *s = xhtml;

	memset(&m, 0, sizeof(m));
	*text = NULL;
	*attrs = NULL;
	while (*s && !m.failed) {
		if (*s == '<') {
			s = mk_tag(&m, s);
		} else {
			size_t n = strcspn(s, "<");

			mk_text(&m, s, n);
			s += n;
		}
	}
	while (m.depth > 0)
		free(m.stack[--m.depth].href);
	/* No trailing blank lines or spaces from closing blocks. */
	while (m.n > 0 && (m.text[m.n - 1] == L'\n' || m.text[m.n - 1] == L' '))
		m.n--;
	mk_put(&m, 0, 0);
	if (m.failed) {
		free(m.text);
		free(m.attrs);
		return -1;
	}
	*text = m.text;
	*attrs = m.attrs;
	return 0;
}
