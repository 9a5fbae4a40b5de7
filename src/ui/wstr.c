/* UTF-8 <-> wide strings, with the filtering that keeps the screen sane. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "ui/wstr.h"
#include "util/text.h"

/* Zero-width format characters: terminals disagree on whether they take a
 * cell, and a column count that differs from the terminal's corrupts every
 * line after it.  The bidi controls among them could also reorder text. */
static int wstr_invisible(uint32_t cp)
{
	return (cp >= 0x200b && cp <= 0x200f) || (cp >= 0x202a && cp <= 0x202e) ||
	       (cp >= 0x2060 && cp <= 0x206f) || cp == 0xfeff || cp == 0x061c || cp == 0x180e ||
	       cp == 0x00ad;
}

static wchar_t wstr_replacement(void)
{
	return wcwidth(0xfffd) == 1 ? (wchar_t)0xfffd : L'?';
}

/* What code point cp is shown as; 0 drops it. */
static wchar_t wstr_filter(uint32_t cp, int keep_nl)
{
	if (cp == '\n')
		return keep_nl ? L'\n' : L' ';
	if (cp == '\t')
		return L' ';
	if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0))
		return wstr_replacement();
	if (wstr_invisible(cp))
		return 0;
	if (wcwidth((wchar_t)cp) < 0)
		return wstr_replacement();
	return (wchar_t)cp;
}

wchar_t *wstr_from_utf8(const char *s, int keep_nl, size_t *len)
{
	size_t n = s ? strlen(s) : 0, i = 0, o = 0;
	wchar_t *w;

	/* Never more code points than bytes. */
	w = malloc((n + 1) * sizeof(*w));
	if (!w)
		return NULL;
	while (i < n) {
		uint32_t cp;
		size_t k = text_utf8_decode(s + i, n - i, &cp);
		wchar_t wc;

		if (k == 0) {
			k = 1;
			wc = wstr_replacement();
		} else {
			wc = wstr_filter(cp, keep_nl);
		}
		i += k;
		if (wc)
			w[o++] = wc;
	}
	w[o] = 0;
	if (len)
		*len = o;
	return w;
}

char *wstr_to_utf8(const wchar_t *w, size_t n)
{
	size_t i, o = 0;
	char *s = malloc(n * 4 + 1);

	if (!s)
		return NULL;
	for (i = 0; i < n; i++) {
		uint32_t c = (uint32_t)w[i];

		if (c >= 0xd800 && c <= 0xdfff)
			c = 0xfffd;
		if (c < 0x80) {
			s[o++] = (char)c;
		} else if (c < 0x800) {
			s[o++] = (char)(0xc0 | c >> 6);
			s[o++] = (char)(0x80 | (c & 0x3f));
		} else if (c < 0x10000) {
			s[o++] = (char)(0xe0 | c >> 12);
			s[o++] = (char)(0x80 | ((c >> 6) & 0x3f));
			s[o++] = (char)(0x80 | (c & 0x3f));
		} else if (c < 0x110000) {
			s[o++] = (char)(0xf0 | c >> 18);
			s[o++] = (char)(0x80 | ((c >> 12) & 0x3f));
			s[o++] = (char)(0x80 | ((c >> 6) & 0x3f));
			s[o++] = (char)(0x80 | (c & 0x3f));
		}
	}
	s[o] = 0;
	return s;
}

int wstr_cwidth(wchar_t wc)
{
	int w = wcwidth(wc);

	/* Left off the screen (wstr_shown): no cell. */
	if (wstr_invisible((uint32_t)wc))
		return 0;

	return w < 0 ? 1 : w > 2 ? 2 : w;
}

int wstr_width(const wchar_t *w, size_t n)
{
	int cols = 0;
	size_t i;

	for (i = 0; i < n; i++)
		cols += wstr_cwidth(w[i]);
	return cols;
}

/* Bidi embeddings, overrides and isolates: typed into a message they would
 * reorder the text the peer sees (and what follows it). */
static int wstr_bidi_control(uint32_t cp)
{
	return (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

int wstr_typeable(wchar_t wc)
{
	uint32_t cp = (uint32_t)wc;

	/* Zero-width characters stay in what is typed (the joiner that makes
	 * one family emoji of three faces, the non-joiner some scripts
	 * need); only the screen leaves them out (wstr_shown). */
	return cp >= 0x20 && !(cp >= 0x7f && cp < 0xa0) && !(cp >= 0xd800 && cp <= 0xdfff) &&
	       cp < 0x110000 && !wstr_bidi_control(cp) && cp != 0xfeff &&
	       (wcwidth(wc) >= 0 || wstr_invisible(cp));
}

int wstr_shown(wchar_t wc)
{
	return !wstr_invisible((uint32_t)wc);
}
