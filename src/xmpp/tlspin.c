/* The TLS verdict: the server's certificate against the pin (util/pin.h
 * says what a pin is), and what natter shows of a refused certificate. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <stdio.h>

#include <strophe.h>

#include "util/pin.h"
#include "xmpp/tlspin.h"

void tlspin_cert_clear(struct tlspin_cert *c)
{
	free(c->fingerprint);
	free(c->subject);
	free(c->issuer);
	free(c->not_before);
	free(c->not_after);
	memset(c, 0, sizeof(*c));
}

static int dup_into(char **dst, const char *src)
{
	*dst = src ? strdup(src) : NULL;
	return src && !*dst ? -1 : 0;
}

int tlspin_cert_copy(struct tlspin_cert *dst, const struct tlspin_cert *src)
{
	memset(dst, 0, sizeof(*dst));
	dst->pin_mismatch = src->pin_mismatch;
	if (dup_into(&dst->fingerprint, src->fingerprint) ||
	    dup_into(&dst->subject, src->subject) || dup_into(&dst->issuer, src->issuer) ||
	    dup_into(&dst->not_before, src->not_before) ||
	    dup_into(&dst->not_after, src->not_after)) {
		tlspin_cert_clear(dst);
		return -1;
	}
	return 0;
}

char *tlspin_iso_date(const char *s)
{
	/* Read by hand: strptime's %b follows LC_TIME, and natter runs in
	 * the user's locale while OpenSSL always writes English months. */
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	char mon[4] = "", tail[4] = "";
	const char *m;
	int day, h, min, sec, year, n = 0;
	char *out;

	if (!s ||
	    sscanf(s, "%3s %d %d:%d:%d %d %3s%n", mon, &day, &h, &min, &sec, &year, tail, &n) !=
	        7 ||
	    s[n] || strcmp(tail, "GMT") || strlen(mon) != 3 || !(m = strstr(months, mon)) ||
	    (m - months) % 3 || day < 1 || day > 31 || h < 0 || h > 23 || min < 0 || min > 59 ||
	    sec < 0 || sec > 60 || year < 0 || year > 9999)
		return NULL;
	/* Room for what %d could print, though the checks above bound it. */
	out = malloc(64);
	if (out)
		snprintf(out, 64, "%04d-%02d-%02dT%02d:%02d:%02dZ", year, (int)(m - months) / 3 + 1,
		         day, h, min, sec);
	return out;
}

/* What the user needs to judge the certificate; a part that cannot be
 * read (or copied) is left out rather than failing the whole report. */
static void describe(xmpp_tlscert_t *cert, struct tlspin_cert *c)
{
	const char *subject = xmpp_tlscert_get_string(cert, XMPP_CERT_SUBJECT);
	const char *issuer = xmpp_tlscert_get_string(cert, XMPP_CERT_ISSUER);

	c->subject = subject ? strdup(subject) : NULL;
	c->issuer = issuer ? strdup(issuer) : NULL;
	c->not_before = tlspin_iso_date(xmpp_tlscert_get_string(cert, XMPP_CERT_NOTBEFORE));
	c->not_after = tlspin_iso_date(xmpp_tlscert_get_string(cert, XMPP_CERT_NOTAFTER));
}

int tlspin_verdict(struct _xmpp_conn_t *conn, const char *pin, const char *cert_error,
                   struct tlspin_cert *refused, const char **why)
{
	xmpp_tlscert_t *cert = xmpp_conn_get_peer_cert(conn);
	const char *hex = cert ? xmpp_tlscert_get_string(cert, XMPP_CERT_FINGERPRINT_SHA256) : NULL;
	char *fp = hex ? pin_parse(hex) : NULL;
	int rc = -1;

	memset(refused, 0, sizeof(*refused));
	if (!fp) {
		*why = "the server presented no usable certificate";
	} else if (pin) {
		if (strcmp(fp, pin)) {
			*why = "the server certificate does not match the pinned fingerprint";
			refused->pin_mismatch = true;
		} else {
			rc = 0;
		}
	} else if (cert_error) {
		*why = cert_error;
	} else {
		rc = 0;
	}
	if (rc) {
		refused->fingerprint = fp;
		if (cert)
			describe(cert, refused);
	} else {
		free(fp);
	}
	if (cert)
		xmpp_tlscert_free(cert);
	return rc;
}
