/* XEP-0363 HTTP File Upload: sharing a file.
 *
 * /upload JID PATH finds the server's upload service (disco#items of the
 * server, then disco#info of each item; once a session), refuses a file
 * over the limit the service announces before asking for anything, asks
 * for a slot, PUTs the file there (src/http: libcurl on the event loop,
 * the certificate checked with the account's CA file and pin), and then
 * sends the URL to JID as the body of a chat message with XEP-0066
 * out-of-band data.  upload_progress events follow the transfer (a few a
 * second at most); /upload cancel stops it. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/chat.h"
#include "core/core_internal.h"
#include "core/links.h"
#include "core/upload.h"
#include "http/put.h"
#include "util/log.h"
#include "util/text.h"
#include "xmpp/stanza.h"

#define NS_DISCO_INFO  "http://jabber.org/protocol/disco#info"
#define NS_DISCO_ITEMS "http://jabber.org/protocol/disco#items"
#define NS_DATA        "jabber:x:data"

#define MAX_UPLOADS        4   /* at once */
#define MAX_ITEMS          32  /* server items asked whether they are the service */
#define PROGRESS_MS        250 /* between two upload_progress events */
#define REQUEST_TIMEOUT_MS 30000

enum phase { UP_SERVICE, UP_SLOT, UP_PUT };

struct upload {
	unsigned serial;
	struct core *core;
	struct core_cause cause;
	enum phase phase;
	char *to, *path, *name, *ctype;
	int fd;
	uint64_t size;
	struct http_put *put;
	char *get_url;
	uint64_t shown_at; /* loop time of the last upload_progress */
	uint64_t shown;    /* bytes it said */
};

enum service { SVC_UNKNOWN, SVC_LOOKING, SVC_FOUND, SVC_NONE };

struct upload_state {
	struct upload *ups[MAX_UPLOADS];
	size_t n;
	unsigned next_serial;
	/* The service, learnt once per session. */
	enum service svc;
	char *service;
	uint64_t max_size; /* 0: none announced */
	char **items;      /* the server's items still to ask */
	size_t nitems, next_item;
	unsigned session; /* answers from an earlier session are ignored */
};

static struct upload_state *ust(struct core *core)
{
	return core_state(core, &upload_module);
}

/* ---- sizes and names ---- */

/* "1.5 MiB" (binary units, as file managers say them). */
static void human(uint64_t n, char *buf, size_t len)
{
	static const char *const units[] = {"bytes", "KiB", "MiB", "GiB", "TiB"};
	double v = (double)n;
	size_t u = 0;

	while (v >= 1024 && u + 1 < sizeof(units) / sizeof(units[0])) {
		v /= 1024;
		u++;
	}
	if (u)
		snprintf(buf, len, "%.1f %s", v, units[u]);
	else
		snprintf(buf, len, "%llu bytes", (unsigned long long)n);
}

static const char *content_type(const char *name)
{
	static const struct {
		const char *ext, *type;
	} types[] = {
	    {"jpg", "image/jpeg"},        {"jpeg", "image/jpeg"},
	    {"png", "image/png"},         {"gif", "image/gif"},
	    {"webp", "image/webp"},       {"svg", "image/svg+xml"},
	    {"heic", "image/heic"},       {"mp4", "video/mp4"},
	    {"webm", "video/webm"},       {"mkv", "video/x-matroska"},
	    {"mov", "video/quicktime"},   {"mp3", "audio/mpeg"},
	    {"m4a", "audio/mp4"},         {"ogg", "audio/ogg"},
	    {"opus", "audio/ogg"},        {"flac", "audio/flac"},
	    {"wav", "audio/wav"},         {"pdf", "application/pdf"},
	    {"txt", "text/plain"},        {"md", "text/markdown"},
	    {"csv", "text/csv"},          {"json", "application/json"},
	    {"zip", "application/zip"},   {"gz", "application/gzip"},
	    {"tar", "application/x-tar"}, {"odt", "application/vnd.oasis.opendocument.text"},
	};
	const char *dot = strrchr(name, '.');

	for (size_t i = 0; dot && i < sizeof(types) / sizeof(types[0]); i++)
		if (!strcasecmp(dot + 1, types[i].ext))
			return types[i].type;
	return "application/octet-stream";
}

/* ---- uploads ---- */

static struct upload *find(struct upload_state *us, unsigned serial)
{
	for (size_t i = 0; us && i < us->n; i++)
		if (us->ups[i]->serial == serial)
			return us->ups[i];
	return NULL;
}

static void drop(struct upload_state *us, struct upload *up)
{
	for (size_t i = 0; i < us->n; i++) {
		if (us->ups[i] == up) {
			us->ups[i] = us->ups[--us->n];
			break;
		}
	}
	http_put_free(up->put);
	if (up->fd >= 0)
		close(up->fd);
	free(up->to);
	free(up->path);
	free(up->name);
	free(up->ctype);
	free(up->get_url);
	free(up);
}

/* Ends an upload with an error for the command that started it. */
static __attribute__((format(printf, 3, 4))) void fail(struct upload *up, const char *condition,
                                                       const char *fmt, ...)
{
	struct core *core = up->core;
	char *text = NULL;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&text, fmt, ap) < 0)
		text = NULL;
	va_end(ap);
	core_error(core, up->cause, condition, "upload of %s: %s", up->path,
	           text ? text : "out of memory");
	free(text);
	drop(ust(core), up);
}

static void emit_progress(struct upload *up, uint64_t sent)
{
	struct nt_event ev = {.kind = NT_EV_UPLOAD_PROGRESS, .origin = up->cause.origin};

	up->shown_at = loop_time(core_loop(up->core));
	up->shown = sent;
	ev.u.upload_progress.path = up->path;
	ev.u.upload_progress.to = up->to;
	ev.u.upload_progress.sent = sent;
	ev.u.upload_progress.total = up->size;
	core_emit(up->core, &ev);
}

static void on_progress(void *ud, uint64_t sent, uint64_t total)
{
	struct upload *up = ud;

	(void)total;
	if (sent == up->size || loop_time(core_loop(up->core)) - up->shown_at >= PROGRESS_MS)
		emit_progress(up, sent);
}

/* The file is there: the contact gets its URL. */
static void on_put_done(void *ud, long status, const char *error)
{
	struct upload *up = ud;
	struct core *core = up->core;
	struct nt_event ev = {.kind = NT_EV_UPLOAD, .origin = up->cause.origin};
	struct chat_out o = {0};

	(void)status;
	if (error) {
		fail(up, strstr(error, "certificate") ? "policy-violation" : "service-unavailable",
		     "%s", error);
		return;
	}
	if (up->shown != up->size)
		emit_progress(up, up->size);
	o.to = up->to;
	o.text = up->get_url;
	o.oob_url = up->get_url;
	if (!chat_send_out(core, &o, up->cause)) {
		ev.u.upload.path = up->path;
		ev.u.upload.to = up->to;
		ev.u.upload.url = up->get_url;
		ev.u.upload.size = up->size;
		core_emit(core, &ev);
	}
	drop(ust(core), up);
}

/* XEP-0363 §5: only these headers, and no line breaks in them. */
static char *header_line(xmpp_stanza_t *h)
{
	static const char *const allowed[] = {"Authorization", "Cookie", "Expires"};
	const char *name = xmpp_stanza_get_attribute(h, "name");
	char *value = xmpp_stanza_get_text(h), *line = NULL, *p;
	size_t i;

	for (i = 0; name && i < sizeof(allowed) / sizeof(allowed[0]); i++)
		if (!strcasecmp(name, allowed[i]))
			break;
	if (value && name && i < sizeof(allowed) / sizeof(allowed[0])) {
		for (p = value; *p; p++)
			if (*p == '\r' || *p == '\n')
				*p = ' ';
		if (asprintf(&line, "%s: %s", allowed[i], value) < 0)
			line = NULL;
	}
	if (value)
		xmpp_free(xmpp_stanza_get_context(h), value);
	return line;
}

static void start_put(struct upload *up, xmpp_stanza_t *put)
{
	struct account *a = core_account(up->core);
	struct http_put_params pp = {.fd = up->fd,
	                             .size = up->size,
	                             .content_type = up->ctype,
	                             .cafile = a->tls_cafile,
	                             .pin = a->tls_fingerprint};
	struct http_put_callbacks cb = {on_progress, on_put_done};
	char *lines[8] = {0}, *err = NULL;
	size_t n = 0;

	pp.url = xmpp_stanza_get_attribute(put, "url");
	for (xmpp_stanza_t *h = xmpp_stanza_get_children(put); h && n < 7;
	     h = xmpp_stanza_get_next(h)) {
		const char *hn = xmpp_stanza_get_name(h);

		if (xmpp_stanza_is_tag(h) && hn && !strcmp(hn, "header") &&
		    (lines[n] = header_line(h)))
			n++;
	}
	pp.headers = (const char *const *)lines;
	up->phase = UP_PUT;
	up->put = http_put_start(core_loop(up->core), &pp, &cb, up, &err);
	for (size_t i = 0; i < n; i++)
		free(lines[i]);
	if (!up->put) {
		fail(up, "internal-server-error", "%s", err ? err : "out of memory");
		free(err);
		return;
	}
	emit_progress(up, 0);
}

/* The service's answer to our slot request.  ud: the upload's serial. */
static void on_slot(struct core *core, xmpp_stanza_t *reply, void *ud)
{
	struct upload_state *us = ust(core);
	struct upload *up = find(us, (unsigned)(uintptr_t)ud);
	xmpp_stanza_t *slot, *put, *get, *err, *big, *max;
	const char *put_url, *get_url;
	char *host = NULL, *limit;
	const char *type = reply ? xmpp_stanza_get_type(reply) : NULL;

	if (!up)
		return; /* cancelled */
	if (type && !strcmp(type, "error") &&
	    (err = xmpp_stanza_get_child_by_name(reply, "error")) &&
	    (big = xmpp_stanza_get_child_by_name_and_ns(err, "file-too-large", NS_UPLOAD)) &&
	    (max = xmpp_stanza_get_child_by_name(big, "max-file-size")) &&
	    (limit = xmpp_stanza_get_text(max))) {
		char *clean = core_clean(limit);

		xmpp_free(xmpp_stanza_get_context(max), limit);
		fail(up, "not-acceptable", "the upload service takes files of at most %s bytes",
		     clean ? clean : "?");
		free(clean);
		return;
	}
	if (core_iq_failed(core, up->cause, us->service, reply)) {
		drop(us, up);
		return;
	}
	slot = xmpp_stanza_get_child_by_name_and_ns(reply, "slot", NS_UPLOAD);
	put = slot ? xmpp_stanza_get_child_by_name(slot, "put") : NULL;
	get = slot ? xmpp_stanza_get_child_by_name(slot, "get") : NULL;
	put_url = put ? xmpp_stanza_get_attribute(put, "url") : NULL;
	get_url = get ? xmpp_stanza_get_attribute(get, "url") : NULL;
	/* XEP-0363 §4: both over HTTPS; what the contact gets must be a link
	 * natter itself would show. */
	if (!put_url || !(host = http_https_host(put_url)) || !get_url || !links_is_url(get_url) ||
	    strncasecmp(get_url, "https://", 8)) {
		free(host);
		fail(up, "bad-request", "the upload service offered no https slot");
		return;
	}
	free(host);
	up->get_url = core_clean(get_url);
	if (!up->get_url) {
		fail(up, "internal-server-error", "out of memory");
		return;
	}
	start_put(up, put);
}

static void request_slot(struct core *core, struct upload *up)
{
	struct upload_state *us = ust(core);
	xmpp_stanza_t *iq = xmpp_iq_new(core_ctx(core), "get", NULL), *r;
	char size[32];

	snprintf(size, sizeof size, "%llu", (unsigned long long)up->size);
	r = iq ? st_add_element(iq, "request", NS_UPLOAD) : NULL;
	if (!r || xmpp_stanza_set_to(iq, us->service) ||
	    xmpp_stanza_set_attribute(r, "filename", up->name) ||
	    xmpp_stanza_set_attribute(r, "size", size) ||
	    xmpp_stanza_set_attribute(r, "content-type", up->ctype)) {
		if (iq)
			xmpp_stanza_release(iq);
		fail(up, "internal-server-error", "out of memory");
		return;
	}
	up->phase = UP_SLOT;
	if (core_iq_send(core, iq, REQUEST_TIMEOUT_MS, on_slot, (void *)(uintptr_t)up->serial))
		fail(up, "not-connected", "not connected");
}

/* Where the service is known: on to the slot, unless the file is too big
 * for it, which is said before anything is sent. */
static void proceed(struct core *core, struct upload *up)
{
	struct upload_state *us = ust(core);
	char have[32], may[32];

	if (us->svc == SVC_NONE) {
		fail(up, "feature-not-implemented",
		     "your server offers no file upload service (XEP-0363)");
	} else if (us->max_size && up->size > us->max_size) {
		human(up->size, have, sizeof have);
		human(us->max_size, may, sizeof may);
		fail(up, "not-acceptable",
		     "%s is %s (%llu bytes): %s takes files of at most %s (%llu bytes)", up->name,
		     have, (unsigned long long)up->size, us->service, may,
		     (unsigned long long)us->max_size);
	} else {
		request_slot(core, up);
	}
}

/* ---- finding the service ---- */

static void items_clear(struct upload_state *us)
{
	for (size_t i = 0; i < us->nitems; i++)
		free(us->items[i]);
	free(us->items);
	us->items = NULL;
	us->nitems = us->next_item = 0;
}

/* Every upload waiting for the service goes on (or fails with it). */
static void service_known(struct core *core, enum service svc, const char *why)
{
	struct upload_state *us = ust(core);

	us->svc = svc;
	items_clear(us);
	for (size_t i = us->n; i-- > 0;) {
		struct upload *up = us->ups[i];

		if (up->phase != UP_SERVICE)
			continue;
		if (why)
			fail(up, "remote-server-timeout", "%s", why);
		else
			proceed(core, up);
		/* fail() may have moved the array: start again from the end. */
		if (i > us->n)
			i = us->n;
	}
}

/* max-file-size from the service's XEP-0128 form, 0 when it gives none. */
static uint64_t max_size(xmpp_stanza_t *query)
{
	for (xmpp_stanza_t *x = xmpp_stanza_get_children(query); x; x = xmpp_stanza_get_next(x)) {
		const char *name = xmpp_stanza_get_name(x), *ns = xmpp_stanza_get_ns(x);
		bool ours = false;
		uint64_t max = 0;

		if (!xmpp_stanza_is_tag(x) || !name || strcmp(name, "x") || !ns ||
		    strcmp(ns, NS_DATA))
			continue;
		for (xmpp_stanza_t *f = xmpp_stanza_get_children(x); f;
		     f = xmpp_stanza_get_next(f)) {
			const char *var =
			    xmpp_stanza_is_tag(f) ? xmpp_stanza_get_attribute(f, "var") : NULL;
			char *v = var ? st_child_text(f, "value") : NULL;

			if (v && !strcmp(var, "FORM_TYPE"))
				ours = !strcmp(v, NS_UPLOAD);
			else if (v && !strcmp(var, "max-file-size"))
				max = strtoull(v, NULL, 10);
			free(v);
		}
		if (ours)
			return max;
	}
	return 0;
}

static void ask_next_item(struct core *core);

static void on_item_info(struct core *core, xmpp_stanza_t *reply, void *ud)
{
	struct upload_state *us = ust(core);
	xmpp_stanza_t *q;
	bool upload = false;

	if (!us || (unsigned)(uintptr_t)ud != us->session || us->svc != SVC_LOOKING)
		return;
	q = reply && !strcmp(xmpp_stanza_get_type(reply) ? xmpp_stanza_get_type(reply) : "",
	                     "result")
	        ? xmpp_stanza_get_child_by_ns(reply, NS_DISCO_INFO)
	        : NULL;
	for (xmpp_stanza_t *f = q ? xmpp_stanza_get_children(q) : NULL; f && !upload;
	     f = xmpp_stanza_get_next(f)) {
		const char *name = xmpp_stanza_get_name(f), *var;

		var = xmpp_stanza_is_tag(f) && name && !strcmp(name, "feature")
		          ? xmpp_stanza_get_attribute(f, "var")
		          : NULL;
		upload = var && !strcmp(var, NS_UPLOAD);
	}
	if (!upload) {
		ask_next_item(core);
		return;
	}
	free(us->service);
	us->service = strdup(us->items[us->next_item - 1]);
	us->max_size = max_size(q);
	service_known(core, us->service ? SVC_FOUND : SVC_UNKNOWN,
	              us->service ? NULL : "out of memory");
}

static int send_disco(struct core *core, const char *to, const char *ns, core_iq_fn fn)
{
	xmpp_stanza_t *iq = xmpp_iq_new(core_ctx(core), "get", NULL);

	if (!iq || (to && xmpp_stanza_set_to(iq, to)) || !st_add_element(iq, "query", ns)) {
		if (iq)
			xmpp_stanza_release(iq);
		return -1;
	}
	return core_iq_send(core, iq, REQUEST_TIMEOUT_MS, fn,
	                    (void *)(uintptr_t)ust(core)->session);
}

static void ask_next_item(struct core *core)
{
	struct upload_state *us = ust(core);

	while (us->next_item < us->nitems) {
		if (!send_disco(core, us->items[us->next_item++], NS_DISCO_INFO, on_item_info))
			return;
	}
	service_known(core, SVC_NONE, NULL);
}

static void on_items(struct core *core, xmpp_stanza_t *reply, void *ud)
{
	struct upload_state *us = ust(core);
	xmpp_stanza_t *q;

	if (!us || (unsigned)(uintptr_t)ud != us->session || us->svc != SVC_LOOKING)
		return;
	if (!reply ||
	    strcmp(xmpp_stanza_get_type(reply) ? xmpp_stanza_get_type(reply) : "", "result")) {
		service_known(core, SVC_UNKNOWN,
		              "your server did not say which services it has (disco#items)");
		return;
	}
	q = xmpp_stanza_get_child_by_ns(reply, NS_DISCO_ITEMS);
	items_clear(us);
	us->items = calloc(MAX_ITEMS, sizeof(*us->items));
	for (xmpp_stanza_t *i = q ? xmpp_stanza_get_children(q) : NULL;
	     i && us->items && us->nitems < MAX_ITEMS; i = xmpp_stanza_get_next(i)) {
		const char *name = xmpp_stanza_get_name(i);
		const char *jid = xmpp_stanza_is_tag(i) && name && !strcmp(name, "item")
		                      ? xmpp_stanza_get_attribute(i, "jid")
		                      : NULL;

		/* Items with a node are the server's own corners, not services. */
		if (jid && !xmpp_stanza_get_attribute(i, "node") &&
		    (us->items[us->nitems] = core_clean(jid)))
			us->nitems++;
	}
	ask_next_item(core);
}

static void find_service(struct core *core)
{
	struct upload_state *us = ust(core);
	/* Named: an iq without "to" would ask our own account, not the server. */
	char *server = core_server(core);

	us->svc = SVC_LOOKING;
	if (!server || send_disco(core, server, NS_DISCO_ITEMS, on_items))
		service_known(core, SVC_UNKNOWN, "could not ask your server for its services");
	free(server);
}

/* ---- commands ---- */

/* PATH as typed, with a leading ~/ for the home directory (malloc'd). */
static char *expand(const char *path)
{
	const char *home = getenv("HOME");
	char *out = NULL;

	if (!strncmp(path, "~/", 2) && home && *home) {
		if (asprintf(&out, "%s/%s", home, path + 2) < 0)
			out = NULL;
		return out;
	}
	return strdup(path);
}

/* Opens the file: a regular one, readable.  0, or -1 after an error. */
static int open_file(struct cmd_call *call, struct upload *up)
{
	struct core *core = CALL_CORE(call);
	char *real = expand(up->path);
	const char *base;
	struct stat st;

	up->fd = real ? open(real, O_RDONLY | O_CLOEXEC | O_NOCTTY) : -1;
	if (up->fd < 0 || fstat(up->fd, &st) || !S_ISREG(st.st_mode)) {
		core_error(core, CAUSE(call), "item-not-found", "cannot upload %s: %s", up->path,
		           !real         ? "out of memory"
		           : up->fd >= 0 ? "not a regular file"
		                         : strerror(errno));
		free(real);
		return -1;
	}
	base = strrchr(real, '/') ? strrchr(real, '/') + 1 : real;
	up->size = (uint64_t)st.st_size;
	/* The name travels in XML and is shown to the contact. */
	up->name = text_xml_safe(base);
	up->ctype = strdup(content_type(base));
	free(real);
	if (!up->name || !*up->name || !up->ctype) {
		core_error(core, CAUSE(call), "bad-request",
		           "cannot upload %s: no usable file name", up->path);
		return -1;
	}
	return 0;
}

static int cmd_upload(struct cmd_call *call)
{
	struct core *core = CALL_CORE(call);
	struct upload_state *us = ust(core);
	struct upload *up;

	if (us->n == MAX_UPLOADS) {
		core_error(core, CAUSE(call), "resource-constraint",
		           "%d uploads are under way already", MAX_UPLOADS);
		return -1;
	}
	up = calloc(1, sizeof(*up));
	if (!up || !(up->path = strdup(call->argv[1]))) {
		free(up);
		core_error(core, CAUSE(call), "internal-server-error", "out of memory");
		return -1;
	}
	up->fd = -1;
	up->core = core;
	up->cause = CAUSE(call);
	up->serial = ++us->next_serial;
	us->ups[us->n++] = up;
	if (!(up->to = core_checked_jid(core, CAUSE(call), call->argv[0])) || open_file(call, up)) {
		drop(us, up);
		return -1;
	}
	up->phase = UP_SERVICE;
	if (us->svc == SVC_UNKNOWN)
		find_service(core);
	else if (us->svc != SVC_LOOKING)
		proceed(core, up);
	return 0;
}

static int cmd_cancel(struct cmd_call *call)
{
	struct core *core = CALL_CORE(call);
	struct upload_state *us = ust(core);
	size_t cancelled = 0;

	for (size_t i = us->n; i-- > 0;) {
		struct upload *up = us->ups[i];

		if (call->argc && strcmp(up->path, call->argv[0]))
			continue;
		core_info(core, CAUSE(call), "upload of %s cancelled", up->path);
		fail(up, "cancelled", "cancelled");
		cancelled++;
	}
	if (!cancelled) {
		core_error(core, CAUSE(call), "item-not-found", "no upload%s%s under way",
		           call->argc ? " of " : "", call->argc ? call->argv[0] : "");
		return -1;
	}
	return 0;
}

/* ---- the module ---- */

static void upload_login(struct core *core, const struct core_login *l)
{
	struct upload_state *us = ust(core);

	(void)l;
	/* Another session, perhaps another server behind the same name. */
	us->session++;
	us->svc = SVC_UNKNOWN;
	items_clear(us);
	free(us->service);
	us->service = NULL;
	us->max_size = 0;
	for (size_t i = 0; i < us->n; i++)
		if (us->ups[i]->phase == UP_SERVICE)
			us->svc = SVC_LOOKING;
	if (us->svc == SVC_LOOKING)
		find_service(core);
}

static int upload_init(struct core *core)
{
	struct upload_state *us = calloc(1, sizeof(*us));

	if (!us)
		return -1;
	core_set_state(core, &upload_module, us);
	return 0;
}

static void upload_free(struct core *core)
{
	struct upload_state *us = ust(core);

	if (!us)
		return;
	while (us->n)
		drop(us, us->ups[0]);
	items_clear(us);
	free(us->service);
	free(us);
	core_set_state(core, &upload_module, NULL);
}

static const struct cmd_entry commands[] = {
    {.name = "upload",
     .usage = "JID PATH",
     .help = "share a file: upload it to your server's HTTP upload service (XEP-0363) and "
             "send JID its link",
     .min_args = 2,
     .max_args = 2,
     .rest = true,
     .complete = {"@jid"},
     .flags = CMD_ONLINE,
     .exec = cmd_upload},
    {.name = "upload cancel",
     .usage = "[PATH]",
     .help = "stop the upload of PATH (of every file without it)",
     .max_args = 1,
     .rest = true,
     .exec = cmd_cancel},
};

const struct core_module upload_module = {
    .name = "upload",
    .title = "Files",
    .init = upload_init,
    .free = upload_free,
    .login = upload_login,
    .commands = commands,
    .ncommands = COUNT(commands),
};
