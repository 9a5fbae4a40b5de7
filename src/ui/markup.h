/* XHTML-IM (XEP-0071) as terminal text: the markup the core's sanitiser
 * kept, turned into wide characters with a style per character.
 *
 * Bold, italic and underline (strong/b, em/i, u and the matching CSS
 * properties) become attributes, code and pre a code style, links an
 * underline with the address after them when it differs from the text;
 * paragraphs, line breaks, quotes and list items become lines.  Elements
 * it does not know contribute their text only: markup is never shown. */
#ifndef NATTER_UI_MARKUP_H
#define NATTER_UI_MARKUP_H

#include <wchar.h>

/* Renders xhtml into malloc'd *text (NUL-terminated, already made safe
 * like wstr_from_utf8 with newlines kept) and *attrs (STY_* bits from
 * window.h, one per character of *text).  0, or -1 on ENOMEM.  An empty
 * *text means there was nothing to show: use the plain body. */
int markup_render(const char *xhtml, wchar_t **text, unsigned char **attrs);

#endif
