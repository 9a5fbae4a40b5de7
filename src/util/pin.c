/* Certificate pins (see pin.h). */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/pin.h"

#define PIN_PREFIX "sha256:"
#define PIN_HEX    64

char *pin_parse(const char *s)
{
	size_t plen = strlen(PIN_PREFIX), n, k = plen;
	char *out;
	int colons;

	errno = EINVAL;
	if (!s)
		return NULL;
	if (!strncasecmp(s, PIN_PREFIX, plen))
		s += plen;
	n = strlen(s);
	/* 64 digits, or 32 pairs and the 31 colons between them. */
	if (n != PIN_HEX && n != PIN_HEX + PIN_HEX / 2 - 1)
		return NULL;
	colons = n != PIN_HEX;
	out = malloc(PIN_LEN + 1);
	if (!out)
		return NULL;
	memcpy(out, PIN_PREFIX, plen);
	for (size_t i = 0; i < n; i++) {
		if (colons && i % 3 == 2) {
			if (s[i] != ':')
				goto bad;
			continue;
		}
		if (!isxdigit((unsigned char)s[i]))
			goto bad;
		out[k++] = (char)tolower((unsigned char)s[i]);
	}
	out[k] = '\0';
	return out;
bad:
	free(out);
	errno = EINVAL;
	return NULL;
}
