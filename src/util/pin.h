/* Certificate pins: one rule for every place a pin is read (the accounts
 * file's tls_fingerprint, /tls trust, /register, libstrophe's digest of
 * the server's certificate) and one form they are kept and compared in,
 * "sha256:" and 64 lowercase hex digits. */
#ifndef NATTER_UTIL_PIN_H
#define NATTER_UTIL_PIN_H

#define PIN_LEN (7 + 64) /* "sha256:" and the digits, without the NUL */

/* Accepts an optional "sha256:" (any case) followed by the 64 hex digits
 * of a SHA-256 digest (any case), written together or as 32 pairs
 * separated by single colons ("AB:CD:...", as openssl x509 -fingerprint
 * prints it).  Nothing else: no spaces, no other algorithm, no colon out
 * of place.  Returns the canonical form, malloc'd, or NULL with errno
 * EINVAL when s is not a pin (ENOMEM when out of memory). */
char *pin_parse(const char *s);

#endif
