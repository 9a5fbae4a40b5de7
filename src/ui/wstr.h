/* Wide strings for the terminal UI: what the screen is drawn from.
 *
 * Text is kept as wchar_t (UCS-4 on glibc) because drawing and cursor
 * motion work per code point and per cell; UTF-8 is only the format on the
 * way in (events) and out (command lines). */
#ifndef NATTER_UI_WSTR_H
#define NATTER_UI_WSTR_H

#include <stddef.h>
#include <wchar.h>

/* Decodes UTF-8 into a malloc'd, NUL-terminated wide string made safe to
 * draw: invalid bytes and anything wcwidth() cannot measure become
 * U+FFFD (or '?' where the locale cannot show it), zero-width format
 * characters that would make our column count differ from the terminal's
 * are dropped, tabs become a space.  '\n' is kept when keep_nl is set,
 * else it becomes a space.  *len (may be NULL) gets the length.  NULL on
 * ENOMEM; s NULL gives an empty string. */
wchar_t *wstr_from_utf8(const char *s, int keep_nl, size_t *len);

/* Encodes n wide characters as a malloc'd UTF-8 string, or NULL on ENOMEM. */
char *wstr_to_utf8(const wchar_t *w, size_t n);

/* Columns a code point takes: 0 for combining marks and for what is not
 * shown, else 1 or 2.  Only for text that went through wstr_from_utf8()
 * or the input filter. */
int wstr_cwidth(wchar_t wc);

/* Columns taken by w[0..n). */
int wstr_width(const wchar_t *w, size_t n);

/* 1 when a typed code point may enter the input line: everything but
 * controls, surrogates and the bidi embedding/override/isolate controls;
 * zero-width joiners and the like are kept in what is sent. */
int wstr_typeable(wchar_t wc);
/* 1 when the code point is drawn; 0 for the zero-width format characters
 * the screen leaves out (they take no cell, wstr_cwidth() says 0). */
int wstr_shown(wchar_t wc);

#endif
