/* Certificate pins: "sha256:<64 lowercase hex>", the form natter stores in
 * tls_fingerprint and reports in tls_untrusted. */
#ifndef NATTER_XMPP_TLSPIN_H
#define NATTER_XMPP_TLSPIN_H

/* Accepts "sha256:" followed by 64 hex digits, with or without colons, in
 * any case, or the bare 64 hex digits (libstrophe's form).  Returns the
 * canonical malloc'd form, or NULL when invalid or on ENOMEM. */
char *tlspin_normalise(const char *s);

/* 1 when both name the same valid pin. */
int tlspin_equal(const char *a, const char *b);

struct _xmpp_conn_t;

/* The verdict on a connection whose TLS handshake just ended: trusted when
 * the leaf certificate matches pin (when one is set), or when no pin is
 * set and verification recorded no cert_error.  Returns 0 when trusted;
 * otherwise -1 with *why (static text, or cert_error itself), *mismatch,
 * and *fingerprint (malloc'd canonical pin of the leaf, or NULL). */
int tlspin_verdict(struct _xmpp_conn_t *conn, const char *pin, const char *cert_error,
		   char **fingerprint, const char **why, int *mismatch);

#endif
