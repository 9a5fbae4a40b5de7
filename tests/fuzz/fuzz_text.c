/* libFuzzer target for util/text: whatever bytes a peer sends, the
 * sanitised result must be harmless to a terminal and to a JSON encoder. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* abort() rather than assert(): the invariants must hold in NDEBUG builds. */
#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond))                                                                       \
			abort();                                                                   \
	} while (0)

static int is_bidi_control(uint32_t cp)
{
	return (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069) || cp == 0x200e ||
	       cp == 0x200f || cp == 0x061c;
}

static void check_safe(const char *out, unsigned flags)
{
	size_t len = strlen(out), i = 0, n;
	uint32_t cp = 0;

	CHECK(text_utf8_valid(out, len));
	while (i < len) {
		n = text_utf8_decode(out + i, len - i, &cp);
		CHECK(n > 0);
		if (cp < 0x20)
			CHECK((cp == '\n' && (flags & TEXT_KEEP_NEWLINES)) ||
			      (cp == '\t' && (flags & TEXT_KEEP_TABS)));
		CHECK(cp != 0x7f);
		CHECK(cp < 0x80 || cp > 0x9f);
		CHECK(!is_bidi_control(cp));
		i += n;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* The first byte picks the flags, so all combinations get explored. */
	unsigned flags = size ? data[0] & (TEXT_KEEP_NEWLINES | TEXT_KEEP_TABS) : 0;
	const char *s = (const char *)data;
	char *out, *again;

	out = text_sanitize(s, size, flags);
	if (!out)
		return 0;
	check_safe(out, flags);

	/* Sanitising is idempotent: safe text passes through unchanged. */
	again = text_sanitize_str(out, flags);
	CHECK(again && strcmp(again, out) == 0);
	CHECK(text_width(out) >= 0);

	/* Sanitising never adds bytes, save three for each invalid one. */
	CHECK(strlen(out) <= 3 * size);
	if (text_utf8_valid(s, size))
		CHECK(strlen(out) <= size);

	free(again);
	free(out);
	return 0;
}
