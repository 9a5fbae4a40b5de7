/* One HTTPS upload (PUT of a file) on natter's event loop.
 *
 * libcurl's multi interface does the HTTP; it is driven from the loop
 * (its sockets are loop descriptors, its timeouts loop timers,
 * curl_multi_socket_action() runs when one of them is due), so a
 * transfer never blocks the thread that reads the keyboard, and nothing
 * polls.  Name lookups run in libcurl's own resolver thread (Debian's
 * libcurl is built with the threaded resolver), never here.
 *
 * The server's certificate is checked as the XMPP connection checks it:
 * the system's CAs plus the account's CA file, for the URL's host name;
 * or, when the account pins a certificate, that certificate wherever it
 * is presented (XMPP servers often share theirs with their upload
 * service).  A refused certificate ends the transfer during the TLS
 * handshake, before one byte of the request is written.  Only https URLs
 * are accepted, and redirects are not followed. */
#ifndef NATTER_HTTP_PUT_H
#define NATTER_HTTP_PUT_H

#include <stdbool.h>
#include <stdint.h>

#include "loop/loop.h"

struct http_put;

struct http_put_params {
	const char *url;            /* https only */
	int fd;                     /* the file, read from where it is; not closed here */
	uint64_t size;              /* bytes to send */
	const char *content_type;   /* NULL: none */
	const char *const *headers; /* "Name: value" lines, NULL-terminated, or NULL */
	const char *cafile;         /* the account's extra CA file, or NULL */
	const char *pin;            /* the account's "sha256:<hex>" pin, or NULL */
};

struct http_put_callbacks {
	/* Bytes sent so far (as often as libcurl reports them). */
	void (*progress)(void *ud, uint64_t sent, uint64_t total);
	/* The end: status is the HTTP status (0 when none came); error is
	 * NULL on a 2xx answer, else why it failed.  The transfer may be freed
	 * from here. */
	void (*done)(void *ud, long status, const char *error);
};

/* Starts the upload; NULL with a malloc'd *err when it cannot start. */
struct http_put *http_put_start(struct loop *loop, const struct http_put_params *p,
                                const struct http_put_callbacks *cb, void *ud, char **err);
/* Stops it if still running (no callback follows) and frees it. */
void http_put_free(struct http_put *put);

/* The host name of an https URL (malloc'd), or NULL when url is no https
 * URL or has no host. */
char *http_https_host(const char *url);

#endif
