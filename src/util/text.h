/* Text from the network, made safe for a terminal or a JSON event.
 *
 * Every string a peer or server controls (bodies, nicknames, status
 * messages, error texts, disco names...) goes through text_sanitize()
 * before it is drawn or emitted: a peer must not be able to move the
 * cursor, retitle the window, paste into the clipboard (OSC 52), reorder
 * what the user reads with bidi overrides, or hand the JSON encoder bytes
 * that are not UTF-8. */
#ifndef NATTER_UTIL_TEXT_H
#define NATTER_UTIL_TEXT_H

#include <stddef.h>
#include <stdint.h>

enum { TEXT_KEEP_NEWLINES = 1 << 0, TEXT_KEEP_TABS = 1 << 1 };

/* Returns a malloc'd, NUL-terminated copy of s[0..len) that is safe to show:
 * - invalid UTF-8 (overlongs, surrogates, > U+10FFFF, stray continuation
 *   bytes, truncated sequences) becomes U+FFFD, one per maximal ill-formed
 *   subpart as Unicode recommends;
 * - escape sequences are removed whole: CSI "ESC [ ... final", OSC
 *   "ESC ] ... BEL or ST", DCS/SOS/PM/APC strings up to ST, and the short
 *   "ESC [intermediates] final" forms; their 8-bit C1 spellings (U+009B
 *   CSI, U+009D OSC, ...) likewise.  An unterminated string sequence runs to
 *   the end of the input, as it would on a terminal;
 * - C0 controls, DEL and C1 controls are removed, except '\n' with
 *   TEXT_KEEP_NEWLINES ("\r\n" then becomes "\n") and '\t' with
 *   TEXT_KEEP_TABS; without those flags '\n' and '\t' become a space, so
 *   words stay apart on one line.  NUL is removed like any other control;
 * - bidi embeddings, overrides, isolates and marks (U+202A..U+202E,
 *   U+2066..U+2069, U+200E, U+200F, U+061C) are removed.
 * s may be NULL (an empty string is returned).  NULL only on ENOMEM. */
char *text_sanitize(const char *s, size_t len, unsigned flags);
/* text_sanitize() of a NUL-terminated string (NULL allowed). */
char *text_sanitize_str(const char *s, unsigned flags);

/* 1 when s[0..len) is well-formed UTF-8 and contains no NUL byte. */
int text_utf8_valid(const char *s, size_t len);

/* Decodes the code point at the start of s[0..len) into *cp.  Returns the
 * length of the sequence (1..4), or 0 when s does not start with a
 * well-formed sequence (or len is 0); *cp is then left alone. */
size_t text_utf8_decode(const char *s, size_t len, uint32_t *cp);

/* Terminal columns taken by the NUL-terminated string s: wcwidth() of each
 * code point (0 for combining marks, 2 for wide and most emoji).  Needs
 * setlocale() with a UTF-8 LC_CTYPE; without one, counts code points.
 * Controls count 0 and invalid bytes 1 (they will be drawn as U+FFFD once
 * sanitised).  NULL counts 0. */
int text_width(const char *s);

/* A copy of s that an XML 1.0 document can carry: invalid UTF-8 becomes
 * U+FFFD and the characters XML forbids (C0 controls other than tab, line
 * feed and carriage return; U+FFFE, U+FFFF) are dropped.  Everything else,
 * bidi marks included, is the user's and stays.  NULL only on ENOMEM. */
char *text_xml_safe(const char *s);

#endif
