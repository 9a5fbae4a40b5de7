/* Parsing and comparing certificate pins. */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <strophe.h>

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

int tlspin_verdict(struct _xmpp_conn_t *conn, const char *pin, const char *cert_error,
		   char **fingerprint, const char **why, int *mismatch)
{
	xmpp_tlscert_t *cert = xmpp_conn_get_peer_cert(conn);
	const char *hex = cert ? xmpp_tlscert_get_string(cert, XMPP_CERT_FINGERPRINT_SHA256) : NULL;
	char *fp = hex ? tlspin_normalise(hex) : NULL;
	int rc = -1;

	*fingerprint = NULL;
	*mismatch = 0;
	if (!fp) {
		*why = "the server presented no usable certificate";
	} else if (pin) {
		if (strcmp(fp, pin)) {
			*why = "the server certificate does not match the pinned fingerprint";
			*mismatch = 1;
		} else {
			rc = 0;
		}
	} else if (cert_error) {
		*why = cert_error;
	} else {
		rc = 0;
	}
	if (rc)
		*fingerprint = fp;
	else
		free(fp);
	if (cert)
		xmpp_tlscert_free(cert);
	return rc;
}
