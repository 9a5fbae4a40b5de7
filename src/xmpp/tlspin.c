/* The TLS verdict: the server's certificate against the pin (util/pin.h
 * says what a pin is). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <strophe.h>

#include "util/pin.h"
#include "xmpp/tlspin.h"

int tlspin_verdict(struct _xmpp_conn_t *conn, const char *pin, const char *cert_error,
		   char **fingerprint, const char **why, int *mismatch)
{
	xmpp_tlscert_t *cert = xmpp_conn_get_peer_cert(conn);
	const char *hex = cert ? xmpp_tlscert_get_string(cert, XMPP_CERT_FINGERPRINT_SHA256) : NULL;
	char *fp = hex ? pin_parse(hex) : NULL;
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
