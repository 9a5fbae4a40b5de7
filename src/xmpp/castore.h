/* Whether libstrophe loads the system's CA store for a TLS connection.
 *
 * libstrophe 0.12.2 calls SSL_CTX_set_default_verify_paths() for every
 * connection it secures, and on Debian that parses the whole CA bundle
 * (/etc/ssl/certs/ca-certificates.crt, some 140 certificates): 475 million
 * instructions, about 0.1 s, and 1 MB of heap kept for as long as the
 * connection lasts, at every login and every reconnection.  When the
 * account pins the server's certificate (tls_fingerprint), natter's
 * verdict looks at the pin alone (tlspin.h), so that work is wasted.
 *
 * natter defines SSL_CTX_set_default_verify_paths() itself, as xmlguard.c
 * defines expat's XML_Parse: the dynamic linker resolves libstrophe's call
 * to natter's function, which calls OpenSSL's unless the thread setting up
 * the connection said it is pinned.  A thread that never says so (the
 * HTTP upload, a registration) gets OpenSSL's behaviour unchanged. */
#ifndef NATTER_XMPP_CASTORE_H
#define NATTER_XMPP_CASTORE_H

#include <stdbool.h>

/* For the connections this thread sets up from now on: pinned ones skip
 * the CA store. */
void castore_pinned(bool pinned);

#endif
