/* Parsing and comparing certificate pins. */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "xmpp/tlspin.h"

#define PIN_PREFIX "sha256:"
#define PIN_HEX 64

char *tlspin_normalise(const char *s)
{
	char *out, *o;
	size_t digits = 0;

	if (!s)
		return NULL;
	if (!strncasecmp(s, PIN_PREFIX, strlen(PIN_PREFIX)))
		s += strlen(PIN_PREFIX);
	out = malloc(strlen(PIN_PREFIX) + PIN_HEX + 1);
	if (!out)
		return NULL;
	strcpy(out, PIN_PREFIX);
	o = out + strlen(PIN_PREFIX);
	for (; *s; s++) {
		if (*s == ':')
			continue;
		if (!isxdigit((unsigned char)*s) || digits == PIN_HEX) {
			free(out);
			return NULL;
		}
		*o++ = (char)tolower((unsigned char)*s);
		digits++;
	}
	*o = '\0';
	if (digits != PIN_HEX) {
		free(out);
		return NULL;
	}
	return out;
}

int tlspin_equal(const char *a, const char *b)
{
	char *na = tlspin_normalise(a), *nb = tlspin_normalise(b);
	int eq = na && nb && !strcmp(na, nb);

	free(na);
	free(nb);
	return eq;
}
