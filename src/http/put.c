/* One HTTPS PUT on the event loop: see put.h. */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#ifdef __linux__
#include <linux/sockios.h>
#endif

#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "http/curl_lazy.h"
#include "http/put.h"
#include "util/log.h"

/* A silent server must not hold a transfer for ever, nor a slow link be
 * cut while it moves: under one byte a second for a minute ends it. */
#define CONNECT_TIMEOUT_S 30
#define STALL_TIME_S      60
#define MAX_FDS           8 /* sockets of one transfer: one, a few while connecting */
#define PIN_PREFIX        "sha256:"

struct http_put {
	struct loop *loop;
	CURLM *multi;
	CURL *easy;
	struct curl_slist *headers;
	struct http_put_callbacks cb;
	void *ud;
	int fd;
	uint64_t size, reported;
	char *host, *cafile, *pin;
	char *tls_error; /* why the certificate was refused, from OpenSSL */
	uint64_t timer;
	int fds[MAX_FDS]; /* descriptors the loop watches for libcurl */
	size_t nfds;
	char errbuf[CURL_ERROR_SIZE]; /* libcurl's own message (CURLOPT_ERRORBUFFER) */
};

/* ---- once per process ---- */

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static const char *init_error;
static int ex_index = -1; /* where an SSL_CTX keeps its transfer */

static void init(void)
{
	const curl_version_info_data *v;

	init_error = curl_lazy_load();
	if (init_error)
		return;
	if (curl_global_init(CURL_GLOBAL_DEFAULT)) {
		init_error = "libcurl could not be initialised";
		return;
	}
	v = curl_version_info(CURLVERSION_NOW);
	/* The certificate checks below are OpenSSL's (CURLOPT_SSL_CTX_FUNCTION). */
	if (!v->ssl_version || strncmp(v->ssl_version, "OpenSSL", 7))
		init_error = "libcurl is not built with OpenSSL (Debian: libcurl4-openssl-dev)";
	ex_index = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL, NULL);
	if (ex_index < 0)
		init_error = "out of memory";
}

/* ---- the certificate ---- */

/* Whether cert is the one pin names. */
static bool pinned(X509 *cert, const char *pin)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	char fp[sizeof(PIN_PREFIX) + 2 * EVP_MAX_MD_SIZE];
	unsigned int len = 0, i;
	char *o = fp + strlen(PIN_PREFIX);

	if (!cert || !pin || !X509_digest(cert, EVP_sha256(), md, &len))
		return false;
	memcpy(fp, PIN_PREFIX, strlen(PIN_PREFIX));
	for (i = 0; i < len; i++) {
		*o++ = hex[md[i] >> 4];
		*o++ = hex[md[i] & 15];
	}
	*o = '\0';
	return !strcmp(fp, pin);
}

static int verify(int ok, X509_STORE_CTX *x)
{
	SSL *ssl = X509_STORE_CTX_get_ex_data(x, SSL_get_ex_data_X509_STORE_CTX_idx());
	struct http_put *p = ssl ? SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), ex_index) : NULL;

	if (!p)
		return 0;
	/* As for the XMPP stream: the pinned certificate is trusted as it is. */
	if (p->pin && pinned(X509_STORE_CTX_get0_cert(x), p->pin)) {
		X509_STORE_CTX_set_error(x, X509_V_OK);
		return 1;
	}
	if (!ok && !p->tls_error)
		p->tls_error = strdup(X509_verify_cert_error_string(X509_STORE_CTX_get_error(x)));
	return ok;
}

/* libcurl's SSL_CTX before the handshake: the account's CA file beside the
 * system's, the host name to check, and verify() to apply the pin.  Host
 * names are checked here rather than by libcurl so that a pinned
 * certificate is trusted as the XMPP stream trusts it (whatever names it
 * holds), as libstrophe does with the same OpenSSL calls. */
static CURLcode on_ssl_ctx(CURL *easy, void *sslctx, void *ud)
{
	SSL_CTX *ctx = sslctx;
	struct http_put *p = ud;
	X509_VERIFY_PARAM *param = SSL_CTX_get0_param(ctx);
	size_t n = strlen(p->host);
	int set;

	(void)easy;
	if (p->cafile && SSL_CTX_load_verify_locations(ctx, p->cafile, NULL) != 1)
		return CURLE_SSL_CACERT_BADFILE;
	X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
	if (p->host[0] == '[' && n > 2) {
		char *ip = strndup(p->host + 1, n - 2);

		set = ip && X509_VERIFY_PARAM_set1_ip_asc(param, ip) == 1;
		free(ip);
	} else if (X509_VERIFY_PARAM_set1_ip_asc(param, p->host) == 1) {
		set = 1;
	} else {
		set = X509_VERIFY_PARAM_set1_host(param, p->host, 0) == 1;
	}
	if (!set || !SSL_CTX_set_ex_data(ctx, ex_index, p))
		return CURLE_SSL_CONNECT_ERROR;
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, verify);
	return CURLE_OK;
}

/* ---- libcurl on the loop ---- */

static void finish(struct http_put *p);

static void on_fd(struct loop *loop, int fd, short revents, void *ud)
{
	struct http_put *p = ud;
	int mask = 0, running;

	(void)loop;
	if (revents & POLLIN)
		mask |= CURL_CSELECT_IN;
	if (revents & POLLOUT)
		mask |= CURL_CSELECT_OUT;
	if (revents & (POLLERR | POLLHUP | POLLNVAL))
		mask |= CURL_CSELECT_ERR;
	curl_multi_socket_action(p->multi, fd, mask, &running);
	finish(p);
}

static void forget_fd(struct http_put *p, int fd)
{
	for (size_t i = 0; i < p->nfds; i++)
		if (p->fds[i] == fd)
			p->fds[i] = p->fds[--p->nfds];
}

static int on_socket(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp)
{
	struct http_put *p = userp;
	short events = 0;
	size_t i;

	(void)easy;
	(void)socketp;
	if (what == CURL_POLL_REMOVE) {
		loop_fd_remove(p->loop, s);
		forget_fd(p, s);
		return 0;
	}
	if (what & CURL_POLL_IN)
		events |= POLLIN;
	if (what & CURL_POLL_OUT)
		events |= POLLOUT;
	for (i = 0; i < p->nfds && p->fds[i] != s; i++)
		;
	if ((i == p->nfds && p->nfds == MAX_FDS) || loop_fd_add(p->loop, s, events, on_fd, p))
		return -1;
	if (i == p->nfds)
		p->fds[p->nfds++] = s;
	return 0;
}

static void on_timeout(struct loop *loop, void *ud)
{
	struct http_put *p = ud;
	int running;

	(void)loop;
	p->timer = 0;
	curl_multi_socket_action(p->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	finish(p);
}

/* libcurl never runs its own timers: it says when, the loop does it. */
static int on_timer(CURLM *multi, long ms, void *userp)
{
	struct http_put *p = userp;

	(void)multi;
	loop_timer_cancel(p->loop, p->timer);
	p->timer = 0;
	if (ms < 0)
		return 0;
	p->timer = loop_timer_add(p->loop, (uint64_t)ms, on_timeout, p);
	return p->timer ? 0 : -1;
}

static size_t on_read(char *buf, size_t size, size_t n, void *ud)
{
	struct http_put *p = ud;
	ssize_t r;

	do
		r = read(p->fd, buf, size * n);
	while (r < 0 && errno == EINTR);
	return r < 0 ? CURL_READFUNC_ABORT : (size_t)r;
}

static int on_seek(void *ud, curl_off_t offset, int origin)
{
	struct http_put *p = ud;

	return lseek(p->fd, (off_t)offset, origin) < 0 ? CURL_SEEKFUNC_FAIL : CURL_SEEKFUNC_OK;
}

/* The answer's body says nothing we show: read and dropped. */
static size_t on_write(char *buf, size_t size, size_t n, void *ud)
{
	(void)buf;
	(void)ud;
	return size * n;
}

/* What libcurl has written, less what still waits in the socket: the
 * kernel takes megabytes at once, and a bar that says 100% while the
 * file crawls over a slow link would be a lie. */
static uint64_t delivered(struct http_put *p, uint64_t written)
{
	uint64_t waiting = 0;

#ifdef SIOCOUTQ
	/* The sockets libcurl asked the loop to watch: the transfer's own
	 * (while it connects, a second one may still be trying). */
	for (size_t i = 0; i < p->nfds; i++) {
		int queued = 0;

		if (ioctl(p->fds[i], SIOCOUTQ, &queued) == 0 && queued > 0)
			waiting += (uint64_t)queued;
	}
#endif
	return waiting < written ? written - waiting : 0;
}

static int on_progress(void *ud, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
	struct http_put *p = ud;
	uint64_t sent = ulnow > 0 ? delivered(p, (uint64_t)ulnow) : 0;

	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	if (sent > p->reported) {
		p->reported = sent;
		if (p->cb.progress)
			p->cb.progress(p->ud, sent, p->size);
	}
	return 0;
}

/* Reports the end once libcurl has it; p may be gone afterwards. */
static void finish(struct http_put *p)
{
	char *why = NULL;
	long status = 0;
	CURLMsg *msg;
	bool failed;
	int left, rc = 0;

	while ((msg = curl_multi_info_read(p->multi, &left))) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(p->easy, CURLINFO_RESPONSE_CODE, &status);
		failed = msg->data.result != CURLE_OK || status < 200 || status > 299;
		if (msg->data.result != CURLE_OK && p->tls_error)
			rc = asprintf(&why, "the upload server's certificate is not trusted: %s",
			              p->tls_error);
		else if (msg->data.result != CURLE_OK)
			rc = asprintf(&why, "%s",
			              p->errbuf[0] ? p->errbuf
			                           : curl_easy_strerror(msg->data.result));
		else if (failed)
			rc = asprintf(&why, "the upload server answered HTTP %ld", status);
		if (rc < 0)
			why = NULL;
		/* The callback may free p: nothing of p is touched after it. */
		p->cb.done(p->ud, status, failed ? (why ? why : "out of memory") : NULL);
		free(why);
		return;
	}
}

/* ---- the transfer ---- */

char *http_https_host(const char *url)
{
	CURLU *u;
	char *scheme = NULL, *host = NULL, *out = NULL;

	/* libcurl parses the URL: loaded here when no upload has run yet */
	pthread_once(&init_once, init);
	if (init_error)
		return NULL;
	u = curl_url();
	if (u && !curl_url_set(u, CURLUPART_URL, url, 0) &&
	    !curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) && !strcmp(scheme, "https") &&
	    !curl_url_get(u, CURLUPART_HOST, &host, 0) && *host)
		out = strdup(host);
	curl_free(scheme);
	curl_free(host);
	curl_url_cleanup(u);
	return out;
}

static bool add_header(struct http_put *p, const char *line)
{
	struct curl_slist *l = curl_slist_append(p->headers, line);

	if (l)
		p->headers = l;
	return l != NULL;
}

static int configure(struct http_put *p, const struct http_put_params *pp)
{
	CURL *e = p->easy;
	char *ctype = NULL;
	bool ok = true;

	/* libcurl would otherwise ask for "100 Continue" first on large
	 * files, which not every upload service answers. */
	ok &= add_header(p, "Expect:");
	if (pp->content_type) {
		ok &= asprintf(&ctype, "Content-Type: %s", pp->content_type) >= 0 &&
		      add_header(p, ctype);
		free(ctype);
	}
	for (size_t i = 0; pp->headers && pp->headers[i]; i++)
		ok &= add_header(p, pp->headers[i]);
	if (!ok)
		return -1;
	return curl_easy_setopt(e, CURLOPT_URL, pp->url) ||
	               curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "https") ||
	               curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L) ||
	               curl_easy_setopt(e, CURLOPT_UPLOAD, 1L) ||
	               curl_easy_setopt(e, CURLOPT_INFILESIZE_LARGE, (curl_off_t)pp->size) ||
	               curl_easy_setopt(e, CURLOPT_READFUNCTION, on_read) ||
	               curl_easy_setopt(e, CURLOPT_READDATA, p) ||
	               curl_easy_setopt(e, CURLOPT_SEEKFUNCTION, on_seek) ||
	               curl_easy_setopt(e, CURLOPT_SEEKDATA, p) ||
	               curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_write) ||
	               curl_easy_setopt(e, CURLOPT_HTTPHEADER, p->headers) ||
	               curl_easy_setopt(e, CURLOPT_NOPROGRESS, 0L) ||
	               curl_easy_setopt(e, CURLOPT_XFERINFOFUNCTION, on_progress) ||
	               curl_easy_setopt(e, CURLOPT_XFERINFODATA, p) ||
	               curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L) ||
	               /* checked in on_ssl_ctx, where the pin can stand for it */
	               curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L) ||
	               curl_easy_setopt(e, CURLOPT_SSL_CTX_FUNCTION, on_ssl_ctx) ||
	               curl_easy_setopt(e, CURLOPT_SSL_CTX_DATA, p) ||
	               curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, (long)CONNECT_TIMEOUT_S) ||
	               curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 1L) ||
	               curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, (long)STALL_TIME_S) ||
	               curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L) ||
	               curl_easy_setopt(e, CURLOPT_ERRORBUFFER, p->errbuf) ||
	               curl_easy_setopt(e, CURLOPT_USERAGENT, PACKAGE_NAME "/" PACKAGE_VERSION)
	           ? -1
	           : 0;
}

struct http_put *http_put_start(struct loop *loop, const struct http_put_params *pp,
                                const struct http_put_callbacks *cb, void *ud, char **err)
{
	struct http_put *p;

	*err = NULL;
	pthread_once(&init_once, init);
	if (init_error) {
		*err = strdup(init_error);
		return NULL;
	}
	p = calloc(1, sizeof(*p));
	if (!p) {
		*err = strdup("out of memory");
		return NULL;
	}
	p->loop = loop;
	p->cb = *cb;
	p->ud = ud;
	p->fd = pp->fd;
	p->size = pp->size;
	p->host = http_https_host(pp->url);
	if (!p->host) {
		*err = strdup("not an https URL");
		goto fail;
	}
	if ((pp->cafile && !(p->cafile = strdup(pp->cafile))) ||
	    (pp->pin && !(p->pin = strdup(pp->pin))) || !(p->multi = curl_multi_init()) ||
	    !(p->easy = curl_easy_init())) {
		*err = strdup("out of memory");
		goto fail;
	}
	if (lseek(p->fd, 0, SEEK_SET) < 0) {
		if (asprintf(err, "cannot read the file: %s", strerror(errno)) < 0)
			*err = NULL;
		goto fail;
	}
	if (configure(p, pp) || curl_multi_setopt(p->multi, CURLMOPT_SOCKETFUNCTION, on_socket) ||
	    curl_multi_setopt(p->multi, CURLMOPT_SOCKETDATA, p) ||
	    curl_multi_setopt(p->multi, CURLMOPT_TIMERFUNCTION, on_timer) ||
	    curl_multi_setopt(p->multi, CURLMOPT_TIMERDATA, p) ||
	    curl_multi_add_handle(p->multi, p->easy)) {
		*err = strdup("the transfer could not be set up");
		goto fail;
	}
	/* libcurl has asked for a timer (0 ms): the loop starts it. */
	return p;
fail:
	if (!*err)
		*err = strdup("out of memory");
	http_put_free(p);
	return NULL;
}

void http_put_free(struct http_put *p)
{
	if (!p)
		return;
	if (p->multi && p->easy)
		curl_multi_remove_handle(p->multi, p->easy);
	curl_easy_cleanup(p->easy);
	/* Closing sockets tells on_socket, which stops watching them. */
	curl_multi_cleanup(p->multi);
	for (size_t i = 0; i < p->nfds; i++)
		loop_fd_remove(p->loop, p->fds[i]);
	loop_timer_cancel(p->loop, p->timer);
	curl_slist_free_all(p->headers);
	free(p->host);
	free(p->cafile);
	free(p->pin);
	free(p->tls_error);
	free(p);
}
