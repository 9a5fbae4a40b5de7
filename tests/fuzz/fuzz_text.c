/* libFuzzer target for util/text: whatever bytes a peer sends, the
 * sanitised result must be harmless to a terminal and to a JSON encoder. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "safe_text.h"
#include "util/text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

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
