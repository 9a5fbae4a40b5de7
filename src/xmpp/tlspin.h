/* Whether the server's certificate is trusted once the TLS handshake is
 * done: against the pin (util/pin.h, the canonical form natter stores in
 * tls_fingerprint and reports in tls_untrusted), or else the CA check. */
#ifndef NATTER_XMPP_TLSPIN_H
#define NATTER_XMPP_TLSPIN_H

#include <stdbool.h>

struct _xmpp_conn_t;

/* A refused certificate as natter shows it, so that the user can judge it
 * before pinning.  Every string is malloc'd or NULL; the names are the
 * server's own words and must be cleaned before anyone sees them. */
struct tlspin_cert {
	char *fingerprint;            /* canonical pin of the leaf */
	char *subject, *issuer;       /* one-line distinguished names */
	char *not_before, *not_after; /* ISO 8601 UTC, "2026-11-21T13:58:35Z" */
	bool pin_mismatch;            /* a pin is set and differs */
};

void tlspin_cert_clear(struct tlspin_cert *c);
/* 0, or -1 on ENOMEM (dst is then empty). */
int tlspin_cert_copy(struct tlspin_cert *dst, const struct tlspin_cert *src);

/* "Nov 21 13:58:35 2026 GMT" (OpenSSL's rendering, which libstrophe
 * passes on) as ISO 8601 UTC, malloc'd; NULL when it is not that. */
char *tlspin_iso_date(const char *openssl_date);

/* The verdict on a connection whose TLS handshake just ended: trusted when
 * the leaf certificate matches pin (when one is set; canonical, as
 * pin_parse() gives it), or when no pin is set and verification recorded
 * no cert_error.  Returns 0 when trusted; otherwise -1 with *why (static
 * text, or cert_error itself) and what is known of the leaf in *refused
 * (cleared first; the caller clears it). */
int tlspin_verdict(struct _xmpp_conn_t *conn, const char *pin, const char *cert_error,
                   struct tlspin_cert *refused, const char **why);

#endif
