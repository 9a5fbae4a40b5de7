/* The invariant every fuzz target checks on text natter would show: valid
 * UTF-8 without C0 controls (but '\n' and '\t' where the flags allow),
 * DEL, C1 controls or bidi controls.  abort() rather than assert(): it
 * must hold in NDEBUG builds too. */
#ifndef NATTER_TESTS_FUZZ_SAFE_TEXT_H
#define NATTER_TESTS_FUZZ_SAFE_TEXT_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/text.h"

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond))                                                                       \
			abort();                                                                   \
	} while (0)

static inline int fuzz_is_bidi_control(uint32_t cp)
{
	return (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069) || cp == 0x200e ||
	       cp == 0x200f || cp == 0x061c;
}

static inline void check_safe(const char *s, unsigned flags)
{
	size_t len = strlen(s), i = 0, n;
	uint32_t cp = 0;

	CHECK(text_utf8_valid(s, len));
	while (i < len) {
		n = text_utf8_decode(s + i, len - i, &cp);
		CHECK(n > 0);
		if (cp < 0x20)
			CHECK((cp == '\n' && (flags & TEXT_KEEP_NEWLINES)) ||
			      (cp == '\t' && (flags & TEXT_KEEP_TABS)));
		CHECK(cp != 0x7f);
		CHECK(cp < 0x80 || cp > 0x9f);
		CHECK(!fuzz_is_bidi_control(cp));
		i += n;
	}
}

#endif
