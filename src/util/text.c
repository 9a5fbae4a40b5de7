/* The sanitiser between the network and the screen (see text.h). */
#include "config.h"

#include <errno.h>
#include <langinfo.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "util/text.h"

#define ESC 0x1b
#define BEL 0x07
#define CAN 0x18
#define SUB 0x1a

/* U+FFFD REPLACEMENT CHARACTER, for ill-formed input. */
static const char replacement[] = "\xef\xbf\xbd";

/* Decodes one code point following Unicode table 3-7, which rules out
 * overlongs, surrogates and values past U+10FFFF by the allowed range of
 * the second byte.  On failure returns 0 and sets *bad to the length of the
 * maximal ill-formed subpart (at least 1), so that a truncated sequence
 * costs one U+FFFD and the byte that broke it is looked at again. */
static size_t utf8_scan(const unsigned char *p, size_t len, uint32_t *cp, size_t *bad)
{
	unsigned char c = p[0], lo = 0x80, hi = 0xbf;
	size_t need, i;
	uint32_t v;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		need = 1;
		v = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		need = 2;
		v = c & 0x0f;
		if (c == 0xe0)
			lo = 0xa0; /* overlong below U+0800 */
		else if (c == 0xed)
			hi = 0x9f; /* surrogates U+D800..U+DFFF */
	} else if (c >= 0xf0 && c <= 0xf4) {
		need = 3;
		v = c & 0x07;
		if (c == 0xf0)
			lo = 0x90; /* overlong below U+10000 */
		else if (c == 0xf4)
			hi = 0x8f; /* beyond U+10FFFF */
	} else {
		*bad = 1; /* continuation byte, C0/C1 overlong lead, or F5..FF */
		return 0;
	}
	for (i = 1; i <= need; i++) {
		if (i >= len || p[i] < lo || p[i] > hi) {
			*bad = i;
			return 0;
		}
		v = (v << 6) | (p[i] & 0x3f);
		lo = 0x80;
		hi = 0xbf;
	}
	*cp = v;
	return need + 1;
}

size_t text_utf8_decode(const char *s, size_t len, uint32_t *cp)
{
	size_t bad;

	if (!s || len == 0)
		return 0;
	return utf8_scan((const unsigned char *)s, len, cp, &bad);
}

int text_utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, n, bad;
	uint32_t cp;

	if (!s)
		return len == 0;
	while (i < len) {
		n = utf8_scan(p + i, len - i, &cp, &bad);
		if (n == 0 || cp == 0)
			return 0;
		i += n;
	}
	return 1;
}

/* Marks and controls that reorder the text around them: a peer could make
 * "evil.exe" read as "exe.live" or flip a URL. */
static int is_bidi_control(uint32_t cp)
{
	return (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069) || cp == 0x200e ||
	       cp == 0x200f || cp == 0x061c;
}

/* The body of a control sequence (after "ESC [" or U+009B): parameter and
 * intermediate bytes up to a final byte.  Returns where normal text resumes.
 * C0 controls inside are swallowed (a terminal would execute them; we drop
 * them anyway); ESC or a non-ASCII byte abandons the sequence and is looked
 * at again, as does CAN/SUB which a terminal treats as "cancel". */
static size_t skip_csi(const unsigned char *p, size_t len, size_t k)
{
	for (; k < len; k++) {
		if (p[k] >= 0x40 && p[k] <= 0x7e)
			return k + 1;
		if (p[k] == CAN || p[k] == SUB)
			return k + 1;
		if (p[k] == ESC || p[k] >= 0x80)
			return k;
	}
	return k;
}

/* The body of OSC/DCS/SOS/PM/APC, which a terminal swallows until the string
 * terminator: "ESC \" or U+009C, or BEL for OSC (xterm's title syntax).
 * Any other ESC ends the string and starts a new sequence. */
static size_t skip_string(const unsigned char *p, size_t len, size_t k, int osc)
{
	for (; k < len; k++) {
		if (p[k] == ESC)
			return k + 1 < len && p[k + 1] == '\\' ? k + 2 : k;
		if (p[k] == 0xc2 && k + 1 < len && p[k + 1] == 0x9c)
			return k + 2;
		if ((osc && p[k] == BEL) || p[k] == CAN || p[k] == SUB)
			return k + 1;
	}
	return k;
}

/* An escape sequence starting at p[i] == ESC.  Returns where normal text
 * resumes. */
static size_t skip_escape(const unsigned char *p, size_t len, size_t i)
{
	size_t k = i + 1;

	if (k >= len)
		return k;
	switch (p[k]) {
	case '[':
		return skip_csi(p, len, k + 1);
	case ']':
		return skip_string(p, len, k + 1, 1);
	case 'P': /* DCS */
	case 'X': /* SOS */
	case '^': /* PM */
	case '_': /* APC */
		return skip_string(p, len, k + 1, 0);
	}
	/* "ESC intermediates* final", e.g. ESC ( B or ESC 7 or ESC c. */
	while (k < len && p[k] >= 0x20 && p[k] <= 0x2f)
		k++;
	if (k < len && p[k] >= 0x30 && p[k] <= 0x7e)
		return k + 1;
	/* Not a sequence: drop the ESC (and intermediates), keep what follows. */
	return k;
}

/* A C1 control U+0080..U+009F whose encoding ends just before p[k]: the
 * 8-bit forms of CSI and the string introducers carry a body as well. */
static size_t skip_c1(const unsigned char *p, size_t len, size_t k, uint32_t cp)
{
	switch (cp) {
	case 0x9b: /* CSI */
		return skip_csi(p, len, k);
	case 0x9d: /* OSC */
		return skip_string(p, len, k, 1);
	case 0x90: /* DCS */
	case 0x98: /* SOS */
	case 0x9e: /* PM */
	case 0x9f: /* APC */
		return skip_string(p, len, k, 0);
	}
	return k;
}

char *text_sanitize(const char *s, size_t len, unsigned flags)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, o = 0, n, bad;
	uint32_t cp;
	char *out, *shrunk;

	if (!s)
		len = 0;
	/* Worst case: every byte is ill-formed and becomes three bytes. */
	if (len > (SIZE_MAX - 1) / 3) {
		errno = ENOMEM;
		return NULL;
	}
	out = malloc(len * 3 + 1);
	if (!out)
		return NULL;
	while (i < len) {
		n = utf8_scan(p + i, len - i, &cp, &bad);
		if (n == 0) {
			memcpy(out + o, replacement, 3);
			o += 3;
			i += bad;
		} else if (cp == ESC) {
			i = skip_escape(p, len, i);
		} else if (cp >= 0x80 && cp <= 0x9f) {
			i = skip_c1(p, len, i + n, cp);
		} else if (cp < 0x20 || cp == 0x7f) {
			if ((cp == '\n' && (flags & TEXT_KEEP_NEWLINES)) ||
			    (cp == '\t' && (flags & TEXT_KEEP_TABS)))
				out[o++] = (char)cp;
			/* On one line, a line break or tab still separates words. */
			else if (cp == '\n' || cp == '\t')
				out[o++] = ' ';
			/* A lone '\r' is dropped: it would let text overwrite the
			 * start of its own line.  Before '\n' it is redundant. */
			i++;
		} else if (is_bidi_control(cp)) {
			i += n;
		} else {
			memcpy(out + o, p + i, n);
			o += n;
			i += n;
		}
	}
	out[o] = '\0';
	shrunk = realloc(out, o + 1);
	return shrunk ? shrunk : out;
}

char *text_sanitize_str(const char *s, unsigned flags)
{
	return text_sanitize(s, s ? strlen(s) : 0, flags);
}

int text_width(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t len, i = 0, n, bad;
	int utf8_locale, width = 0, w;
	uint32_t cp;

	if (!s)
		return 0;
	/* wcwidth() only knows non-ASCII characters under a UTF-8 LC_CTYPE. */
	utf8_locale = strcmp(nl_langinfo(CODESET), "UTF-8") == 0;
	len = strlen(s);
	while (i < len) {
		n = utf8_scan(p + i, len - i, &cp, &bad);
		if (n == 0) {
			w = 1; /* drawn as U+FFFD once sanitised */
			n = bad;
		} else if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f)) {
			w = 0;
		} else if (!utf8_locale) {
			w = 1;
		} else {
			w = wcwidth((wchar_t)cp);
			/* Unassigned code points: terminals draw one cell. */
			if (w < 0)
				w = 1;
		}
		if (width > INT_MAX - w)
			return INT_MAX;
		width += w;
		i += n;
	}
	return width;
}

char *text_xml_safe(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t len = s ? strlen(s) : 0, i = 0, o = 0, n, bad;
	uint32_t cp;
	char *out = malloc(len * 3 + 1); /* each bad byte may become U+FFFD */

	if (!out)
		return NULL;
	while (i < len) {
		n = utf8_scan(p + i, len - i, &cp, &bad);
		if (n == 0) {
			memcpy(out + o, replacement, 3);
			o += 3;
			i += bad;
			continue;
		}
		/* XML 1.0 §2.2: no C0 control but tab, line feed and carriage
		 * return, and no U+FFFE/U+FFFF. */
		if (!((cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r') || cp == 0xfffe ||
		      cp == 0xffff)) {
			memcpy(out + o, p + i, n);
			o += n;
		}
		i += n;
	}
	out[o] = '\0';
	return out;
}
