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

#endif
