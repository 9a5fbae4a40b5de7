/* Whether the server's certificate is trusted once the TLS handshake is
 * done: against the pin (util/pin.h, the canonical form natter stores in
 * tls_fingerprint and reports in tls_untrusted), or else the CA check. */
#ifndef NATTER_XMPP_TLSPIN_H
#define NATTER_XMPP_TLSPIN_H

struct _xmpp_conn_t;

/* The verdict on a connection whose TLS handshake just ended: trusted when
 * the leaf certificate matches pin (when one is set), or when no pin is
 * set and verification recorded no cert_error.  Returns 0 when trusted;
 * otherwise -1 with *why (static text, or cert_error itself), *mismatch,
 * and *fingerprint (malloc'd canonical pin of the leaf, or NULL). */
int tlspin_verdict(struct _xmpp_conn_t *conn, const char *pin, const char *cert_error,
		   char **fingerprint, const char **why, int *mismatch);

#endif
