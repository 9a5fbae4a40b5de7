/* The network thread: owns the libstrophe context and connection.
 *
 * Everything that touches xmpp_conn_t happens on this thread.  The design
 * works around the libstrophe 0.12.2 traps recorded in
 * ../shared/notes/libstrophe-0.12-and-test-servers.md:
 *  - the socket is known only through the sockopt callback;
 *  - queued output is written only by the next xmpp_run_once();
 *  - bytes decrypted by OpenSSL do not wake poll(), so after the kernel
 *    buffer is empty a few more passes drain the last TLS record;
 *  - the certificate callback has no user data and may fire several times:
 *    it only records the problem, and the decision is taken once the TLS
 *    handshake is over, before any credential leaves (output waits for the
 *    next pass, and we cut the socket in between);
 *  - libstrophe would fall back to PLAIN after a SCRAM failure and would
 *    send PLAIN or a legacy password over a plaintext stream: the stream
 *    features and SASL answers are inspected through the debug log, which
 *    libstrophe emits before it acts on them, and the socket is cut first;
 *  - bug #222: stanzas sent from the CONNECT callback are miscounted, so
 *    the session is declared online only when <enabled/> arrives;
 *  - bug #215: after a failed resumption stale stanzas stay queued, so such
 *    a session is dropped at once and its SM state thrown away;
 *  - what libstrophe had not written when a connection dropped, and what
 *    the server had not acknowledged when a session is not resumed, are
 *    lost with them: natter keeps its own (smqueue.h) and hands it back
 *    to the outbox;
 *  - a hostile server can send a stanza of any size, depth or width, and
 *    libstrophe parses it whole (quadratically in places) and renders it
 *    recursively: see budget.h for the limits natter keeps between passes,
 *    and the thread's stack below;
 *  - after an XML error libstrophe stays "connected" to a stream it can no
 *    longer parse: natter cuts it at once (the parse error is in the log). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "util/jid.h"
#include "util/log.h"
#include "util/text.h"
#include "xmpp/budget.h"
#include "xmpp/castore.h"
#include "xmpp/net.h"
#include "xmpp/probe.h"
#include "xmpp/register.h"
#include "xmpp/rosterstream.h"
#include "xmpp/smqueue.h"
#include "xmpp/stanza.h"
#include "xmpp/tlspin.h"
#include "xmpp/token.h"
#include "xmpp/xmlguard.h"

/* What one incoming top-level element may cost the network thread before
 * natter cuts the connection (see budget.h).  Figures measured on a 2-core
 * x86-64 with Debian's libstrophe 0.12.2, natter --debug logging them:
 *  - memory, counted as what malloc really reserves for each block
 *    (malloc_usable_size(), 1.3 times what libstrophe asks for in its small
 *    blocks): a 10,000-item roster result (1 MiB of XML) held 8.5 MiB
 *    as libstrophe's tree, 20,000 items twice that.  A roster answer's
 *    items now go into a compact list instead (rosterstream.h: about
 *    1 MiB for 10,000, counted too), but any other stanza becomes such a
 *    tree: Prosody relays stanzas of up to 512 KiB from other servers, and
 *    128,000 empty elements fit in that (27 MiB asked for, about 35 MiB
 *    reserved), hence 40 MiB;
 *  - CPU time: that roster's tree took 0.39 s and 20,000 items 2.2 s, since
 *    libstrophe's sibling walk grows with the square of their number: 60,000
 *    empty siblings (240 KiB, 12.6 MiB held) took 5.2 s and 200,000 took
 *    113 s.  The memory limit alone would stop the latter only after some
 *    150,000 siblings and 30 s, hence a limit on time: under the 20 s
 *    keepalive timeout, above the 6 s that the widest stanza Prosody takes
 *    from a client (256 KiB) costs;
 *  - depth: nothing an XMPP extension sends nests deeper than a few dozen
 *    elements; deeper stanzas are refused before libstrophe's recursive
 *    copy, so the core thread never sees them. */
#define ELEMENT_BYTES_MAX ((size_t)40 << 20)
#define ELEMENT_CPU_MAX   10.0
#define STANZA_DEPTH_MAX  128

/* libstrophe renders (xmpp_stanza_to_text), copies and releases stanzas
 * recursively, and renders every incoming one for its debug log before
 * natter sees it.  With the default 8 MiB stack 85,000 nested elements
 * were rendered and 100,000 crashed the process; with 256 MiB, 2,500,000
 * passed and 2,900,000 crashed (about 95 bytes of stack a level).  A level
 * costs the parser at least 190 bytes, so ELEMENT_BYTES_MAX lets at most
 * about 170,000 through: 128 MiB leaves a margin of seven.  The stack is
 * reserved, not committed: it costs address space only. */
#define NET_STACK_SIZE ((size_t)128 << 20)

#define STR_(x) #x
#define STR(x)  STR_(x)

enum net_request_kind {
	NET_Q_CONNECT,
	NET_Q_SEND,
	NET_Q_NONZA,
	NET_Q_CLOSE,
	NET_Q_REGISTER,
	NET_Q_REPLACE,
	NET_Q_QUIT,
};

struct net_request {
	struct net_request *next;
	enum net_request_kind kind;
	struct net_params params;
	xmpp_stanza_t *stanza;
	char *raw; /* NET_Q_NONZA */
};

/* What one connection attempt has learnt so far. */
struct attempt {
	bool secure_features_seen; /* TLS is up and the server has spoken */
	bool tls_checked;
	bool sm_offered;
	bool rosterver;
	bool csi;
	bool resumed, resume_failed;
	bool sm_enabled; /* <enabled/> came: a fresh XEP-0198 session */
	bool h_warned;   /* said that the server's h made no sense */
	bool waiting_enabled;
	bool online;
	bool abort;       /* cut the socket before the next pass */
	bool cut;         /* ... and it has been cut */
	bool over_budget; /* an element went over ELEMENT_*_MAX */
	char *cert_error;
	char *mechanism;
	char *bound_jid; /* a token login's bound JID (raw mode keeps none) */
	enum net_fail fail;
	char *condition, *text;
	struct tlspin_cert cert; /* the refused certificate */
	/* What libstrophe's log said about a lost connection (loss_text). */
	int io_tls;      /* SSL_get_error() code of the first TLS failure */
	int io_errno;    /* the errno behind it, or that of a failed connect */
	char *io_detail; /* OpenSSL's reason for that failure */
	bool io_connect, io_eof, io_send;
};

struct net {
	pthread_t thread;
	bool started;
	pthread_mutex_t lock;
	struct net_request *req_head, *req_tail;
	struct net_report *rep_head, *rep_tail;
	int req_pipe[2], rep_pipe[2];
	/* The core thread will look at the report queue before it sleeps
	 * (see post_reports): a post then needs no wake-up.  Under lock. */
	bool rep_signalled;
	int watch_fd;      /* dup of the socket for net_abort(), under lock */
	int reg_watch_fd;  /* the same for the registration's socket */
	int drained_watch; /* the same for the drained connection's */
	bool quit;

	/* Network thread only. */
	xmpp_log_t logger;
	struct budget budget; /* the allocator of ctx */
	bool guarded;         /* xmlguard sees the parses (libstrophe uses expat) */
	xmpp_ctx_t *ctx;
	xmpp_conn_t *conn;
	int sock;
	bool closing;
	bool discard_sm; /* the next attempt must not resume */
	bool resumable;  /* a dropped session waits to be resumed: probe first */
	struct net_params params;
	struct attempt at;
	struct reg *reg; /* a registration under way, or NULL */
	struct tok *tok; /* token logins (token.c): the raw-mode login and its SM */
	/* What libstrophe's XEP-0198 would lose (smqueue.h); counting while
	 * the current connection's session is enabled or resumed. */
	struct smq smq;
	bool sm_counting;
	bool token_login; /* the current attempt is one */
	/* A connection the server drains (net_replace): read, never written,
	 * released once it has ended. */
	xmpp_conn_t *drained;
	int drained_sock;
	bool drained_done;
	char **cert_sink; /* where on_certfail records, set around each pass */
	/* Reports made during an xmpp_run_once(), posted together once it has
	 * returned: by then libstrophe has let go of every stanza it handed
	 * us, so they can go to the core thread as they are (see on_stanza). */
	bool in_pass;
	struct net_report *held, **held_tail;
};

/* libstrophe's certificate and socket callbacks carry no user data;
 * natter runs one network thread, and this is it. */
static struct net *the_net;

static void attempt_reset(struct attempt *at)
{
	free(at->cert_error);
	free(at->mechanism);
	free(at->bound_jid);
	free(at->condition);
	free(at->text);
	tlspin_cert_clear(&at->cert);
	free(at->io_detail);
	memset(at, 0, sizeof(*at));
}

void net_params_clear(struct net_params *p)
{
	free(p->jid);
	if (p->password)
		explicit_bzero(p->password, strlen(p->password));
	free(p->password);
	free(p->server);
	free(p->cafile);
	free(p->pin);
	memset(p, 0, sizeof(*p));
}

void net_report_free(struct net_report *r)
{
	if (!r)
		return;
	if (r->stanza)
		xmpp_stanza_release(r->stanza);
	rs_list_free(r->roster);
	free(r->jid);
	free(r->mechanism);
	free(r->condition);
	free(r->text);
	tlspin_cert_clear(&r->cert);
	free(r);
}

static void wake(int fd)
{
	char c = 1;

	/* A full pipe already means "wake up"; nothing else to do. */
	if (write(fd, &c, 1) < 0 && errno != EAGAIN)
		log_warn("wake-up pipe: %s", strerror(errno));
}

static void drain(int fd)
{
	char buf[64];

	while (read(fd, buf, sizeof buf) > 0)
		;
}

/* Appends the list r..last to the queue for the core thread.
 *
 * The pipe is written only when the core thread may be asleep: once it
 * is woken, rep_signalled stays set until net_take_reports() finds the
 * queue empty, and while the core works through one batch, the batches
 * posted meanwhile cost no write (a flood wrote the pipe 787 times for
 * 10,000 messages, once per batch handed over).  Why no report is ever
 * left unseen: rep_signalled is read and set here, and cleared there,
 * under the lock that also guards the queue, and the core clears it only
 * in the same critical section that finds the queue empty.  So a post
 * that finds it set has appended to a queue the core has not yet found
 * empty: the core is working and takes again before it clears (it loops
 * until the queue is empty, see xmpp/session.c), or a byte written by an
 * earlier post still waits in the pipe.  A post that finds it clear
 * writes the byte, after its report is in the queue; the core drains the
 * pipe before it takes, so draining that byte always precedes taking its
 * report.  A byte that comes after its report was taken costs one empty
 * pass, never a lost one. */
static void post_reports(struct net *n, struct net_report *r, struct net_report *last)
{
	bool need_wake;

	pthread_mutex_lock(&n->lock);
	if (n->rep_tail)
		n->rep_tail->next = r;
	else
		n->rep_head = r;
	n->rep_tail = last;
	need_wake = !n->rep_signalled;
	n->rep_signalled = true;
	pthread_mutex_unlock(&n->lock);
	if (need_wake)
		wake(n->rep_pipe[1]);
}

static void post_report(struct net *n, struct net_report *r)
{
	r->next = NULL;
	if (n->in_pass) {
		*n->held_tail = r;
		n->held_tail = &r->next;
		return;
	}
	post_reports(n, r, r);
}

/* After an xmpp_run_once(): what it reported goes, in order, at once. */
static void post_held(struct net *n)
{
	struct net_report *last;

	if (!n->held)
		return;
	last = n->held;
	while (last->next)
		last = last->next;
	post_reports(n, n->held, last);
	n->held = NULL;
	n->held_tail = &n->held;
}

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* Records the first reason an attempt fails; later ones are consequences. */
static void fail(struct net *n, enum net_fail why, const char *condition, const char *text)
{
	struct attempt *at = &n->at;

	if (!at->fail) {
		at->fail = why;
		at->condition = dup_or_null(condition);
		at->text = dup_or_null(text);
	}
	at->abort = true;
}

/* ---- what the debug log tells us ---- */

static bool starts(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

/* The name of the first child element in namespace ns other than <text>:
 * the condition of a stream error or SASL failure.  Returns malloc'd. */
static char *condition_in(const char *xml, const char *ns)
{
	char attr[128];
	const char *p = xml;

	snprintf(attr, sizeof attr, "xmlns=\"%s\"", ns);
	while ((p = strstr(p, attr))) {
		const char *lt = p, *end;

		while (lt > xml && *lt != '<')
			lt--;
		end = lt + 1;
		while (*end && *end != ' ' && *end != '/' && *end != '>')
			end++;
		if (*lt == '<' && end > lt + 1 && strncmp(lt + 1, "text", 4) &&
		    strncmp(lt + 1, "error", 5) && strncmp(lt + 1, "failure", 7))
			return strndup(lt + 1, (size_t)(end - lt - 1));
		p += strlen(attr);
	}
	return NULL;
}

static char *attribute_in(const char *xml, const char *name)
{
	char key[64];
	const char *p, *end;

	snprintf(key, sizeof key, " %s=\"", name);
	p = strstr(xml, key);
	if (!p)
		return NULL;
	p += strlen(key);
	end = strchr(p, '"');
	return end ? strndup(p, (size_t)(end - p)) : NULL;
}

static void inspect_features(struct net *n, const char *xml)
{
	bool secure = xmpp_conn_is_secured(n->conn);
	bool has_scram = strstr(xml, ">SCRAM-SHA-") != NULL;

	if (secure && !n->at.tls_checked)
		n->at.secure_features_seen = true;
	if (strstr(xml, "urn:xmpp:sm:3"))
		n->at.sm_offered = true;
	if (strstr(xml, "urn:xmpp:features:rosterver"))
		n->at.rosterver = true;
	if (strstr(xml, "urn:xmpp:csi:0"))
		n->at.csi = true;
	/* token.c keeps its own rules: it never sends a token without TLS. */
	if (strstr(xml, "<mechanisms") && !n->token_login) {
		if (!secure && !has_scram)
			fail(n, NET_FAIL_POLICY, "encryption-required",
			     "the server offers no mechanism that keeps the password safe without "
			     "TLS (SCRAM); natter never sends PLAIN over plaintext");
		else if (n->params.auth == AUTH_SCRAM && !has_scram)
			fail(n, NET_FAIL_POLICY, "invalid-mechanism",
			     "auth=scram but the server offers no SCRAM mechanism");
	} else if (strstr(xml, "http://jabber.org/features/iq-auth") && !secure) {
		fail(n, NET_FAIL_POLICY, "encryption-required",
		     "legacy authentication would send the password in plaintext");
	}
}

static bool parse_h(const char *s, uint32_t *h)
{
	char *end;
	unsigned long long v;

	if (!s || *s < '0' || *s > '9')
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (*end || errno || v > UINT32_MAX)
		return false;
	*h = (uint32_t)v;
	return true;
}

/* The server's count of our stanzas: what it has, natter lets go. */
static void sm_count(struct net *n, const char *h_text)
{
	uint32_t h;
	bool ok = parse_h(h_text, &h) && smq_acked(&n->smq, h);

	/* Said once a connection: a server could send thousands. */
	if (!ok && !n->at.h_warned) {
		n->at.h_warned = true;
		log_warn("XEP-0198: the server's count of natter's stanzas is not one natter can "
		         "match; nothing is let go for it");
	}
}

static void inspect_recv(struct net *n, const char *xml)
{
	/* libstrophe prints stream-level elements without their prefix. */
	if (starts(xml, "<features xmlns=\"http://etherx.jabber.org/streams\"")) {
		inspect_features(n, xml);
	} else if (starts(xml, "<failure") && strstr(xml, "urn:ietf:params:xml:ns:xmpp-sasl") &&
	           !n->token_login) {
		char *cond = condition_in(xml, "urn:ietf:params:xml:ns:xmpp-sasl");

		/* Stop here: libstrophe would otherwise retry with PLAIN. */
		fail(n, NET_FAIL_AUTH, cond ? cond : "not-authorized",
		     "the server refused the credentials");
		free(cond);
	} else if (starts(xml, "<resumed") && strstr(xml, XMPP_NS_SM) && !n->token_login) {
		char *h = attribute_in(xml, "h");

		/* Before libstrophe acts on it: what the server has is freed,
		 * the rest libstrophe writes again. */
		sm_count(n, h);
		free(h);
	} else if (starts(xml, "<error xmlns=\"http://etherx.jabber.org/streams\"") &&
	           !n->drained) {
		/* (With a drained connection beside, this could be its goodbye:
		 * the current one's stream error comes with its disconnection.) */
		char *cond = condition_in(xml, "urn:ietf:params:xml:ns:xmpp-streams");

		fail(n, NET_FAIL_STREAM_ERROR, cond ? cond : "undefined-condition",
		     "the server closed the stream with an error");
		free(cond);
	}
}

static void inspect_sent(struct net *n, const char *xml)
{
	if (starts(xml, "<auth") && strstr(xml, "urn:ietf:params:xml:ns:xmpp-sasl")) {
		free(n->at.mechanism);
		n->at.mechanism = attribute_in(xml, "mechanism");
	} else if (starts(xml, "<iq") && strstr(xml, "jabber:iq:auth") &&
	           strstr(xml, "type=\"set\"")) {
		free(n->at.mechanism);
		n->at.mechanism = strdup("legacy");
	}
}

/* libstrophe's lines quote what the server sent (a whole stanza, the bytes
 * of a parse error): escape sequences must not reach the terminal. */
static void log_strophe(enum log_level level, const char *area, const char *msg)
{
	char *clean = text_sanitize(msg, strnlen(msg, 300), 0);

	log_msg(level, "libstrophe %s: %s", area, clean ? clean : "(out of memory)");
	free(clean);
}

/* libstrophe hands the disconnection an errno value or, on a TLS stream,
 * an SSL_get_error() code in the same int, which strerror() turned into
 * "Operation not permitted" (SSL_ERROR_SSL) or "Input/output error"
 * (SSL_ERROR_SYSCALL).  Its debug log tells which it was, and what lay
 * behind it; the first failure of an attempt is the cause. */
static void note_io(struct net *n, const char *area, const char *msg)
{
	struct attempt *at = &n->at;
	const char *reason;
	int code, err;

	if (!strcmp(area, "tls")) {
		if (!at->io_tls && sscanf(msg, "error=%*[^(](%d) errno=%d", &code, &err) == 2) {
			at->io_tls = code;
			at->io_errno = err;
		} else if (!at->io_detail && starts(msg, "error:") &&
		           (reason = strrchr(msg, ':')) && reason[1] &&
		           strcmp(reason + 1, "(null)")) {
			at->io_detail = strdup(reason + 1);
		}
	} else if (!strcmp(msg, "Socket closed by remote host.")) {
		at->io_eof = true;
	} else if (!strcmp(msg, "Send error occurred, disconnecting.")) {
		at->io_send = true;
	} else if (!at->io_connect && sscanf(msg, "connection failed, error %d", &err) == 1) {
		at->io_connect = true;
		at->io_errno = err;
	}
}

/* The end of an element: what it held no longer counts against the next. */
static void element_done(struct net *n)
{
	size_t held = n->budget.held_max;
	double cpu = budget_cpu(&n->budget);

	if (held >= (size_t)1 << 20 || cpu >= 0.1)
		log_debug("an incoming element held %zu KiB while parsed and took %.3f s",
		          held >> 10, cpu);
	budget_element_done(&n->budget);
}

/* libstrophe's parser has failed for good: it would answer <invalid-xml/>
 * and stay connected to a stream it cannot read any more, until the
 * keepalive gives up.  natter cuts it now. */
static void xml_error(struct net *n)
{
	char *text;

	/* libstrophe's log does not say which connection's parser failed: with
	 * a drained one beside the current, both are cut (the drained one was
	 * ending anyway; the current one is tried again). */
	if (n->drained && n->drained_sock >= 0)
		shutdown(n->drained_sock, SHUT_RDWR);
	if (xmlguard_take_doctype()) {
		/* Refusing is the only safe answer, and the server will send the
		 * same header next time: no retry (NET_FAIL_POLICY). */
		fail(n, NET_FAIL_POLICY, "restricted-xml",
		     "the server's stream holds a DOCTYPE, which XMPP forbids (RFC 6120 §11.1); "
		     "natter closed the connection");
		return;
	}
	if (asprintf(&text, "the server sent malformed XML (%s); natter closed the connection",
	             xmlguard_last_error()) < 0)
		text = NULL;
	fail(n, NET_FAIL_PROTOCOL, "invalid-xml",
	     text ? text : "the server sent malformed XML; natter closed the connection");
	free(text);
}

static void on_log(void *ud, xmpp_log_level_t level, const char *area, const char *msg)
{
	struct net *n = ud;

	if (!n->conn)
		return;
	if (level == XMPP_LEVEL_DEBUG) {
		/* natter --debug shows what came in; what went out may hold the
		 * password, so it is never logged. */
		if (!starts(msg, "SENT") && log_enabled(LOG_DEBUG))
			log_strophe(LOG_DEBUG, area, msg);
		/* libstrophe logs every element it has parsed, and every parse
		 * error, in every phase of the session. */
		if (starts(msg, "RECV: "))
			element_done(n);
		else if (starts(msg, "SENT: ")) {
			if (n->sm_counting)
				smq_written(&n->smq, msg + 6);
		} else if (starts(msg, "parse error ["))
			xml_error(n);
		else
			note_io(n, area, msg);
		/* What the log tells about the login ends with the login: after
		 * it, RECV lines carry whatever any stranger chose to send. */
		if (n->at.online)
			return;
		if (starts(msg, "RECV: "))
			inspect_recv(n, msg + 6);
		else if (starts(msg, "SENT: "))
			inspect_sent(n, msg + 6);
		else if (!strcmp(msg, "Session resumed successfully."))
			n->at.resumed = true;
		return;
	}
	if (n->at.online) {
		/* libstrophe's own words after login: warnings, never a verdict. */
	} else if (!strcmp(msg, "Legacy client authentication failed.")) {
		/* Logged by libstrophe's handler for the answer to its own
		 * jabber:iq:auth request (id _xmpp_auth1), and only then. */
		fail(n, NET_FAIL_AUTH, "not-authorized", "legacy authentication was refused");
	} else if (starts(msg, "SM error: Stanza received was: <failed"))
		n->at.resume_failed = true;
	else if (!strcmp(msg, "SSL_CTX_load_verify_locations() failed"))
		/* libstrophe then says "TLS is not supported": the cause is ours. */
		fail(n, NET_FAIL_POLICY, "bad-request",
		     "the CA file (tls_cafile) could not be loaded; natter cannot verify the "
		     "server without it");
	else if (strstr(msg, "TLS is not supported, but set as mandatory"))
		fail(n, NET_FAIL_POLICY, "encryption-required",
		     "the server does not offer TLS (tls=disable allows plaintext)");
	else if (strstr(msg, "Cannot authenticate with known methods"))
		fail(n, NET_FAIL_POLICY, "invalid-mechanism",
		     "the server offers no authentication method natter can use");
	/* Warnings and errors only: the debug lines carry credentials. */
	if (level >= XMPP_LEVEL_WARN && !starts(msg, "SENT"))
		log_strophe(level == XMPP_LEVEL_WARN ? LOG_WARN : LOG_ERROR, area, msg);
}

/* ---- libstrophe callbacks ---- */

static int on_certfail(const xmpp_tlscert_t *cert, const char *errormsg)
{
	struct net *n = the_net;

	if (!n)
		return 0;
	/* The connection whose pass is running: the login or a registration. */
	if (n->cert_sink && !*n->cert_sink)
		*n->cert_sink = strdup(errormsg ? errormsg : "certificate not verified");
	/* Decided in check_certificate() before any credential is sent. */
	return 1;
}

/* The only way to learn the socket.  A dup of it lets the main thread cut
 * the connection (net_abort) without racing libstrophe's close(): the dup
 * keeps the descriptor number ours until we close it. */
static int on_sockopt(xmpp_conn_t *conn, void *sock)
{
	struct net *n = the_net;
	int fd = *(int *)sock, *watch;

	if (n) {
		bool reg = reg_owns(n->reg, conn);

		if (reg)
			reg_set_sock(n->reg, fd);
		else
			n->sock = fd;
		watch = reg ? &n->reg_watch_fd : &n->watch_fd;
		pthread_mutex_lock(&n->lock);
		if (*watch >= 0)
			close(*watch);
		*watch = fcntl(fd, F_DUPFD_CLOEXEC, 3);
		pthread_mutex_unlock(&n->lock);
	}
	return xmpp_sockopt_cb_keepalive(conn, sock);
}

/* Logged in: the password has done its work on this thread.  The next
 * attempt brings its own (the core keeps the one it needs), and the
 * allocator clears libstrophe's copy as it is replaced. */
static void forget_password(struct net *n)
{
	xmpp_conn_set_pass(n->conn, "");
	if (n->params.password) {
		explicit_bzero(n->params.password, strlen(n->params.password));
		free(n->params.password);
		n->params.password = NULL;
	}
}

/* A stanza that was not sent, or that libstrophe would have lost, goes
 * back to the core's outbox. */
static void hand_back(void *ud, xmpp_stanza_t *st)
{
	struct net_report *r = calloc(1, sizeof(*r));

	if (!r) {
		log_error("out of memory: an outgoing stanza was lost");
		xmpp_stanza_release(st);
		return;
	}
	r->kind = NET_R_UNSENT;
	r->stanza = st;
	post_report(ud, r);
}

static void report_online(struct net *n)
{
	struct net_report *r;
	const char *bound = xmpp_conn_get_bound_jid(n->conn);

	/* A session that was not resumed has none of what the last one left
	 * unacknowledged: it goes back to the outbox, ahead of this report,
	 * so that it is sent first. */
	if (!n->token_login) {
		if (!n->at.resumed) {
			smq_take_all(&n->smq, hand_back, n);
			smq_session_start(&n->smq);
		}
		n->sm_counting = n->at.resumed || n->at.sm_enabled;
	}
	r = calloc(1, sizeof(*r));
	n->at.online = true;
	forget_password(n);
	if (!r) {
		log_error("out of memory reporting a login");
		return;
	}
	r->kind = NET_R_ONLINE;
	/* After legacy authentication libstrophe knows no bound JID, nor
	 * after a token login (raw mode), which keeps its own. */
	r->jid = strdup(bound ? bound : n->at.bound_jid ? n->at.bound_jid : n->params.jid);
	r->mechanism =
	    dup_or_null(n->at.mechanism ? n->at.mechanism : (n->at.resumed ? "resumed" : NULL));
	r->resumed = n->at.resumed;
	r->rosterver = n->at.rosterver;
	r->csi = n->at.csi;
	r->secure = xmpp_conn_is_secured(n->conn);
	post_report(n, r);
}

/* Why the connection was lost, in words (see note_io); malloc'd. */
static char *loss_text(const struct attempt *at, int error)
{
	const char *fixed = NULL;
	char *text = NULL;
	int rc = -1;

	if (at->io_connect)
		rc = asprintf(&text, "could not connect: %s", strerror(at->io_errno));
	else if (at->io_tls == SSL_ERROR_SYSCALL && at->io_errno)
		rc = asprintf(&text, "the connection was lost: %s", strerror(at->io_errno));
	else if (at->io_tls == SSL_ERROR_SYSCALL ||
	         (at->io_detail && strstr(at->io_detail, "unexpected eof")))
		fixed = "the server closed the connection without ending the TLS session";
	else if (at->io_tls == SSL_ERROR_ZERO_RETURN)
		fixed = "the server ended the TLS session";
	else if (at->io_tls)
		rc = asprintf(&text, "TLS error: %s",
		              at->io_detail ? at->io_detail : "the TLS protocol failed");
	else if (at->io_eof)
		fixed = "the server closed the connection";
	else if (at->io_send)
		fixed = "the connection was lost while sending";
	else if (error == ETIMEDOUT)
		fixed = "the connection attempt timed out";
	else if (error)
		fixed = strerror(error);
	else
		fixed = "connection closed by the server";
	if (fixed)
		return strdup(fixed);
	return rc < 0 ? NULL : text;
}

static void report_offline(struct net *n, int error)
{
	struct net_report *r = calloc(1, sizeof(*r));
	struct attempt *at = &n->at;

	if (!r) {
		log_error("out of memory reporting a disconnection");
		return;
	}
	r->kind = NET_R_OFFLINE;
	r->fail = at->fail;
	if (!at->fail && !n->closing)
		r->fail = NET_FAIL_NETWORK;
	r->condition = dup_or_null(at->condition);
	if (at->text)
		r->text = strdup(at->text);
	else if (r->fail == NET_FAIL_NETWORK)
		r->text = loss_text(at, error);
	else
		r->text = strdup("closed");
	if (at->cert.fingerprint && tlspin_cert_copy(&r->cert, &at->cert))
		log_error("out of memory: the refused certificate is not described");
	post_report(n, r);
}

/* RFC 6120 §4.9.3's name of a stream error libstrophe parsed: the core
 * decides by it whether reconnecting can help (conflict, not-authorized
 * cannot).  Read from libstrophe's own parse, never from the log, so it
 * holds for stream errors after login too. */
static const char *stream_condition(xmpp_error_type_t type)
{
	static const char *const names[] = {
	    [XMPP_SE_BAD_FORMAT] = "bad-format",
	    [XMPP_SE_BAD_NS_PREFIX] = "bad-namespace-prefix",
	    [XMPP_SE_CONFLICT] = "conflict",
	    [XMPP_SE_CONN_TIMEOUT] = "connection-timeout",
	    [XMPP_SE_HOST_GONE] = "host-gone",
	    [XMPP_SE_HOST_UNKNOWN] = "host-unknown",
	    [XMPP_SE_IMPROPER_ADDR] = "improper-addressing",
	    [XMPP_SE_INTERNAL_SERVER_ERROR] = "internal-server-error",
	    [XMPP_SE_INVALID_FROM] = "invalid-from",
	    [XMPP_SE_INVALID_ID] = "invalid-id",
	    [XMPP_SE_INVALID_NS] = "invalid-namespace",
	    [XMPP_SE_INVALID_XML] = "invalid-xml",
	    [XMPP_SE_NOT_AUTHORIZED] = "not-authorized",
	    [XMPP_SE_POLICY_VIOLATION] = "policy-violation",
	    [XMPP_SE_REMOTE_CONN_FAILED] = "remote-connection-failed",
	    [XMPP_SE_RESOURCE_CONSTRAINT] = "resource-constraint",
	    [XMPP_SE_RESTRICTED_XML] = "restricted-xml",
	    [XMPP_SE_SEE_OTHER_HOST] = "see-other-host",
	    [XMPP_SE_SYSTEM_SHUTDOWN] = "system-shutdown",
	    [XMPP_SE_UNDEFINED_CONDITION] = "undefined-condition",
	    [XMPP_SE_UNSUPPORTED_ENCODING] = "unsupported-encoding",
	    [XMPP_SE_UNSUPPORTED_STANZA_TYPE] = "unsupported-stanza-type",
	    [XMPP_SE_UNSUPPORTED_VERSION] = "unsupported-version",
	    [XMPP_SE_XML_NOT_WELL_FORMED] = "not-well-formed",
	};

	if ((unsigned)type < sizeof(names) / sizeof(names[0]) && names[type])
		return names[type];
	return "undefined-condition";
}

/* ---- a connection the server drains ---- */

static void close_drained_watch(struct net *n)
{
	pthread_mutex_lock(&n->lock);
	if (n->drained_watch >= 0)
		close(n->drained_watch);
	n->drained_watch = -1;
	pthread_mutex_unlock(&n->lock);
}

static void post_drained(struct net *n)
{
	struct net_report *r = calloc(1, sizeof(*r));

	if (!r) {
		log_error("out of memory reporting the end of a drained connection");
		return;
	}
	r->kind = NET_R_DRAINED;
	post_report(n, r);
}

/* Its DISCONNECT: released after the pass (not inside its own callback). */
static void drained_ended(struct net *n)
{
	if (n->drained_done)
		return;
	n->drained_done = true;
	n->drained_sock = -1;
	close_drained_watch(n);
	post_drained(n);
}

/* Gone now, whatever its state; report says whether the core hears of it. */
static void drop_drained(struct net *n, bool report)
{
	xmpp_conn_t *d = n->drained;
	bool was_done = n->drained_done;

	if (!d)
		return;
	/* Cleared first: releasing a connected conn calls its handler. */
	n->drained = NULL;
	n->drained_done = false;
	n->drained_sock = -1;
	close_drained_watch(n);
	xmpp_conn_release(d);
	if (report && !was_done)
		post_drained(n);
}

static void on_conn_event(xmpp_conn_t *conn, xmpp_conn_event_t ev, int error,
                          xmpp_stream_error_t *se, void *ud)
{
	struct net *n = ud;

	if (conn != n->conn) {
		if (conn == n->drained && ev == XMPP_CONN_DISCONNECT)
			drained_ended(n);
		return;
	}
	/* A token login's stream events are token.c's (raw mode: CONNECT
	 * comes with every stream header). */
	if (n->token_login && (ev == XMPP_CONN_CONNECT || ev == XMPP_CONN_RAW_CONNECT)) {
		tok_stream_event(n->tok, conn, ev);
		return;
	}
	if (ev == XMPP_CONN_CONNECT) {
		if (n->at.resumed) {
			report_online(n);
#ifndef HAVE_STROPHE_SM_FIXED
		} else if (n->at.resume_failed) {
			/* #215: the old queue would be replayed into this session. */
			fail(n, NET_FAIL_RESUME, NULL, "stream resumption failed");
		} else if (n->at.sm_offered) {
			n->at.waiting_enabled = true;
#endif
		} else {
			/* 0.13 and later call CONNECT only once <enabled/> has come,
			 * so there is nothing to wait for. */
			report_online(n);
		}
		return;
	}
	if (ev == XMPP_CONN_RAW_CONNECT)
		return;
	pthread_mutex_lock(&n->lock);
	if (n->watch_fd >= 0)
		close(n->watch_fd);
	n->watch_fd = -1;
	pthread_mutex_unlock(&n->lock);
	n->sock = -1;
	/* What libstrophe had not written goes with the connection, even if
	 * the session is resumed: back to the outbox. */
	if (!n->token_login) {
		smq_take_unwritten(&n->smq, hand_back, n);
		n->sm_counting = false;
	}
	if (se && !n->at.fail)
		fail(n, NET_FAIL_STREAM_ERROR, stream_condition(se->type),
		     se->text ? se->text : "the server closed the stream with an error");
	/* After a resumption failure, and after natter cut a stream whose
	 * last stanza it refused: resuming would have the server send that
	 * stanza again. */
	if (n->at.fail == NET_FAIL_RESUME || n->at.fail == NET_FAIL_PROTOCOL)
		n->discard_sm = true;
	if (n->token_login)
		tok_disconnected(n->tok, n->closing);
	/* Lost, not closed: the server may still hold the session. */
	if (n->at.online && !n->closing && (!n->at.fail || n->at.fail == NET_FAIL_NETWORK) &&
	    (n->token_login ? tok_resumable(n->tok) : n->at.sm_offered))
		n->resumable = true;
	report_offline(n, error);
	n->closing = false;
	attempt_reset(&n->at);
}

/* <enabled/> (or <failed/> to our <enable/>) ends the login; see #222. */
static void sm_answered(struct net *n)
{
	if (n->at.waiting_enabled) {
		n->at.waiting_enabled = false;
		report_online(n);
	}
}

/* Two functions, because libstrophe refuses a second registration of the
 * same handler and user data. */
static int on_sm_enabled(xmpp_conn_t *conn, xmpp_stanza_t *stanza, void *ud)
{
	struct net *n = ud;

	if (conn == n->conn)
		n->at.sm_enabled = true;
	sm_answered(ud);
	return 1;
}

static int on_sm_ack(xmpp_conn_t *conn, xmpp_stanza_t *stanza, void *ud)
{
	struct net *n = ud;

	if (conn == n->conn && n->sm_counting)
		sm_count(n, xmpp_stanza_get_attribute(stanza, "h"));
	return 1;
}

static int on_sm_failed(xmpp_conn_t *conn, xmpp_stanza_t *stanza, void *ud)
{
	sm_answered(ud);
	return 1;
}

static int on_stanza(xmpp_conn_t *conn, xmpp_stanza_t *stanza, void *ud)
{
	struct net *n = ud;
	const char *name = xmpp_stanza_get_name(stanza);
	struct net_report *r;

	/* Once natter has decided to cut, nothing more of this stream counts;
	 * a drained connection goes on delivering whatever the new one does. */
	if (n->at.abort && conn == n->conn)
		return 1;
	/* A token login's own traffic (bind, session) is not the core's. */
	if (n->token_login && conn == n->conn && tok_consumes(n->tok, stanza))
		return 1;
	if (!name || (strcmp(name, "message") && strcmp(name, "presence") && strcmp(name, "iq")))
		return 1;
	/* libstrophe's copy recurses without a bound, and so do the core's
	 * release and its readers. */
	if (st_deeper_than(stanza, STANZA_DEPTH_MAX)) {
		fail(n, NET_FAIL_PROTOCOL, "policy-violation",
		     "the server sent a stanza nested deeper than " STR(
		         STANZA_DEPTH_MAX) " elements; natter closed the connection");
		return 1;
	}
	r = calloc(1, sizeof(*r));
	/* A reference, not a copy: the report is held until xmpp_run_once()
	 * returns (post_report), when the parser has released its own
	 * reference and ours is the only one left; the core thread then owns
	 * the stanza outright.  (A top-level stanza: keeping a clone of a
	 * child after its parent is released is a use-after-free in 0.12.2.)
	 * Copying every stanza cost 5% of a flood's CPU and a second copy of
	 * a 10,000-item roster.  Its bytes stay counted in the budget, which
	 * only moves the low mark: the element has ended, and the core thread
	 * frees them uncounted (budget.c). */
	if (!r || !(r->stanza = xmpp_stanza_clone(stanza))) {
		free(r);
		log_error("out of memory: an incoming %s was dropped", name);
		return 1;
	}
	r->kind = NET_R_STANZA;
	/* A roster answer's items, read as they were parsed. */
	r->roster = rosterstream_take();
	post_report(n, r);
	return 1;
}

/* ---- after every pass ---- */

static void check_certificate(struct net *n)
{
	const char *why = NULL;
	struct tlspin_cert refused;

	n->at.tls_checked = true;
	if (!tlspin_verdict(n->conn, n->params.pin, n->at.cert_error, &refused, &why))
		return;
	fail(n, NET_FAIL_TLS_UNTRUSTED, "policy-violation", why);
	if (!n->at.cert.fingerprint)
		n->at.cert = refused;
	else
		tlspin_cert_clear(&refused);
}

/* What the element being parsed has cost so far, against the limits. */
static void check_budget(struct net *n)
{
	size_t held = budget_held(&n->budget) + rosterstream_held();
	double cpu = budget_cpu(&n->budget);
	char *text = NULL;
	int rc = -1;

	/* Once disconnected, what the parser still holds is only waiting for
	 * the next connection to reset it. */
	if (n->at.over_budget || !n->conn || xmpp_conn_is_disconnected(n->conn))
		return;
	if (held > ELEMENT_BYTES_MAX)
		rc = asprintf(&text,
		              "the server sent a stanza that needs more than %zu MiB of memory; "
		              "natter closed the connection",
		              ELEMENT_BYTES_MAX >> 20);
	else if (cpu > ELEMENT_CPU_MAX)
		rc =
		    asprintf(&text,
		             "the server sent a stanza that took more than %.0f s to parse; natter "
		             "closed the connection",
		             ELEMENT_CPU_MAX);
	else
		return;
	n->at.over_budget = true;
	log_warn("an incoming element went over its limits: %zu KiB held, %.1f s of CPU",
	         held >> 10, cpu);
	fail(n, NET_FAIL_PROTOCOL, "policy-violation",
	     rc < 0 ? "the server sent a stanza too large to parse; natter closed the connection"
	            : text);
	free(text);
}

/* Cuts the connection so that libstrophe reads nothing more from it.
 * shutdown() alone stops the peer, but reads still return what the kernel
 * holds (megabytes of a hostile stanza, parsed on), so the descriptor
 * libstrophe reads becomes a socket at its end of file.  (Not an
 * unconnected socket: OpenSSL takes its ENOTCONN for "try again".)  The
 * connection itself ends when its last descriptor, the watched dup, is
 * closed at the disconnection. */
static void cut(struct net *n)
{
	int ends[2];

	shutdown(n->sock, SHUT_RDWR);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ends) < 0) {
		log_warn("could not stop reading the connection at once: %s", strerror(errno));
	} else {
		close(ends[1]);
		if (dup3(ends[0], n->sock, O_CLOEXEC) < 0)
			log_warn("could not stop reading the connection at once: %s",
			         strerror(errno));
		close(ends[0]);
	}
	n->at.cut = true;
}

static void after_pass(struct net *n)
{
	if (n->at.secure_features_seen && !n->at.tls_checked)
		check_certificate(n);
	check_budget(n);
	/* The queued output (credentials) has not been written yet. */
	if (n->at.abort && !n->at.cut && n->sock >= 0)
		cut(n);
}

static void one_pass(struct net *n)
{
	uint64_t parsed = xmlguard_parsed();

	budget_pass_start(&n->budget);
	n->in_pass = true;
	xmpp_run_once(n->ctx, 0);
	n->in_pass = false;
	/* Without xmlguard natter cannot tell a pass that parsed from one that
	 * only wrote, and counts them all. */
	budget_pass_end(&n->budget, !n->guarded || xmlguard_parsed() != parsed);
	after_pass(n);
	post_held(n);
}

/* One batch of libstrophe passes: everything the kernel holds, then enough
 * extra passes to drain one TLS record (16 KiB) held inside OpenSSL, which
 * poll() cannot see; xmpp_run_once reads 4 KiB at a time. */
static void run_passes(struct net *n)
{
	int i, avail;

	n->cert_sink = &n->at.cert_error;
	castore_pinned(n->params.pin != NULL);
	for (i = 0; i < 1024; i++) {
		one_pass(n);
		avail = 0;
		if (n->sock < 0 || ioctl(n->sock, FIONREAD, &avail) < 0 || avail <= 0)
			break;
	}
	for (i = 0; i < 4; i++)
		one_pass(n);
	n->cert_sink = NULL;
	castore_pinned(false);
}

static void close_reg_watch(struct net *n)
{
	pthread_mutex_lock(&n->lock);
	if (n->reg_watch_fd >= 0)
		close(n->reg_watch_fd);
	n->reg_watch_fd = -1;
	pthread_mutex_unlock(&n->lock);
}

/* A registration's passes; its traffic is small, so a few suffice. */
static void run_reg_passes(struct net *n)
{
	n->cert_sink = reg_cert_error(n->reg);
	for (int i = 0; i < 8; i++)
		xmpp_run_once(reg_ctx(n->reg), 0);
	n->cert_sink = NULL;
	if (reg_done(n->reg)) {
		struct net_report *r = reg_result(n->reg);

		/* One more pass writes the closing tag. */
		xmpp_run_once(reg_ctx(n->reg), 0);
		close_reg_watch(n);
		reg_free(n->reg);
		n->reg = NULL;
		if (r)
			post_report(n, r);
	}
}

static void do_register(struct net *n, struct net_params *p)
{
	const char *why = NULL;
	struct net_report *r;

	if (!n->reg) {
		n->reg = reg_start(p, on_certfail, on_sockopt, &why);
		if (n->reg)
			return;
	} else {
		why = "a registration is already under way";
		net_params_clear(p);
	}
	r = calloc(1, sizeof(*r));
	if (!r) {
		log_error("out of memory reporting a registration");
		return;
	}
	r->kind = NET_R_REGISTER;
	r->fail = NET_FAIL_NETWORK;
	r->text = strdup(why ? why : "registration failed");
	post_report(n, r);
}

/* ---- requests ---- */

static long conn_flags(const struct net_params *p)
{
	long flags = 0;

	if (p->tls == TLS_REQUIRE)
		flags |= XMPP_CONN_FLAG_MANDATORY_TLS;
	else if (p->tls == TLS_DIRECT)
		flags |= XMPP_CONN_FLAG_LEGACY_SSL;
	else
		flags |= XMPP_CONN_FLAG_DISABLE_TLS;
	if (p->auth == AUTH_LEGACY)
		flags |= XMPP_CONN_FLAG_LEGACY_AUTH;
#ifdef HAVE_STROPHE_COMPRESSION
	/* XEP-0138 (doc/compression.md); the core refuses compression = true
	 * with a libstrophe that cannot do it, so the flag is never dropped
	 * silently. */
	if (p->compression)
		flags |= XMPP_CONN_FLAG_ENABLE_COMPRESSION;
#endif
	return flags;
}

static int new_conn(struct net *n)
{
	n->conn = xmpp_conn_new(n->ctx);
	if (!n->conn)
		return -1;
	xmpp_conn_set_certfail_handler(n->conn, on_certfail);
	xmpp_conn_set_sockopt_callback(n->conn, on_sockopt);
	xmpp_handler_add(n->conn, on_stanza, NULL, NULL, NULL, n);
	xmpp_handler_add(n->conn, on_sm_enabled, XMPP_NS_SM, "enabled", NULL, n);
	xmpp_handler_add(n->conn, on_sm_failed, XMPP_NS_SM, "failed", NULL, n);
	xmpp_handler_add(n->conn, on_sm_ack, XMPP_NS_SM, "a", NULL, n);
	return 0;
}

/* Every attempt gets a fresh xmpp_conn_t, and so a fresh parser: 0.12.2's
 * parser reset frees the text of an unfinished element but keeps its
 * length, so after a stream lost in the middle of a text node the next
 * stream's first text is built on uninitialised memory (a garbled SASL
 * mechanism name), or strncat()ed into NULL when it is one or two bytes
 * long.  The resumption state moves over to the new conn, which is what
 * xmpp_conn_get_sm_state() is for; a fresh conn also avoids the leaks of
 * setting the CA file twice (#219) and a conn stuck half-way (profanity
 * #1846). */
static int renew_conn(struct net *n)
{
	xmpp_sm_state_t *sm = NULL;

	if (n->conn) {
		sm = xmpp_conn_get_sm_state(n->conn);
		if (sm && n->discard_sm) {
			xmpp_free_sm_state(sm);
			sm = NULL;
		}
		/* Nothing will be resumed: what the server did not acknowledge
		 * goes back to the outbox now, not at the next login. */
		if (n->discard_sm)
			smq_take_all(&n->smq, hand_back, n);
		xmpp_conn_release(n->conn);
		n->conn = NULL;
	}
	n->discard_sm = false;
	if (new_conn(n)) {
		if (sm)
			xmpp_free_sm_state(sm);
		return -1;
	}
	if (sm && xmpp_conn_set_sm_state(n->conn, sm) != XMPP_EOK)
		xmpp_free_sm_state(sm);
	return 0;
}

static void connect_failed(struct net *n, const char *text)
{
	fail(n, NET_FAIL_NETWORK, NULL, text);
	report_offline(n, 0);
	attempt_reset(&n->at);
}

#define PROBE_TIMEOUT_MS 5000

/* While a session waits to be resumed, libstrophe may only try when the
 * server answers (see probe.h); 0 when it may. */
static int probe_before_resume(struct net *n)
{
	const char *why = NULL;
	struct jid j;
	int rc;

	if (!n->resumable || !n->params.server)
		return 0;
	if (jid_parse(n->params.jid, &j, NULL))
		return 0;
	rc = probe_server(n->params.server, n->params.port, j.domain, n->params.tls == TLS_DIRECT,
	                  PROBE_TIMEOUT_MS, &why);
	jid_clear(&j);
	if (rc)
		connect_failed(n, why);
	else
		n->resumable = false;
	return rc;
}

/* ---- token logins: the hook into token.c ---- */

static bool tok_tls_trusted(void *ud)
{
	struct net *n = ud;

	if (!n->at.tls_checked)
		check_certificate(n);
	return !n->at.abort;
}

static void tok_online(void *ud, const char *jid, const char *mechanism, bool resumed)
{
	struct net *n = ud;

	free(n->at.mechanism);
	free(n->at.bound_jid);
	n->at.mechanism = dup_or_null(mechanism);
	n->at.bound_jid = dup_or_null(jid);
	n->at.resumed = resumed;
	report_online(n);
}

static void tok_failed(void *ud, enum net_fail why, const char *condition, const char *text)
{
	fail(ud, why, condition, text);
}

static const struct tok_ops tok_ops = {tok_tls_trusted, tok_online, tok_failed, hand_back};

/* A login libstrophe cannot do itself, on a raw connection: token.c
 * drives it, the rest of this file sees a connection like any other. */
static void do_connect_token(struct net *n)
{
	bool discard = n->discard_sm;
	const char *why = NULL;

	if (renew_conn(n) || xmpp_conn_set_flags(n->conn, 0)) {
		connect_failed(n, "out of memory");
		return;
	}
	if (discard)
		tok_forget(n->tok);
	xmpp_conn_set_jid(n->conn, n->params.jid);
	if (n->params.cafile)
		xmpp_conn_set_cafile(n->conn, n->params.cafile);
	if (tok_connect(n->tok, n->conn, &n->params, on_conn_event, n, &why)) {
		fail(n, n->params.tls == TLS_DISABLE ? NET_FAIL_POLICY : NET_FAIL_NETWORK,
		     n->params.tls == TLS_DISABLE ? "encryption-required" : NULL, why);
		report_offline(n, 0);
		attempt_reset(&n->at);
		return;
	}
	budget_element_done(&n->budget);
}

static void do_connect(struct net *n, struct net_params *p)
{
	net_params_clear(&n->params);
	n->params = *p;
	memset(p, 0, sizeof(*p));
	attempt_reset(&n->at);
	n->closing = false;

	if (n->conn && !xmpp_conn_is_disconnected(n->conn)) {
		connect_failed(n, "still connected");
		return;
	}
	if (probe_before_resume(n))
		return;
	n->token_login = tok_mechanism(n->params.auth);
	if (n->token_login) {
		do_connect_token(n);
		return;
	}
	if (renew_conn(n) || xmpp_conn_set_flags(n->conn, conn_flags(&n->params))) {
		connect_failed(n, "out of memory");
		return;
	}
	xmpp_conn_set_jid(n->conn, n->params.jid);
	xmpp_conn_set_pass(n->conn, n->params.password ? n->params.password : "");
	if (n->params.cafile)
		xmpp_conn_set_cafile(n->conn, n->params.cafile);
	if (xmpp_connect_client(n->conn, n->params.server, n->params.port, on_conn_event, n))
		connect_failed(n, "could not start connecting (address lookup failed?)");
	/* A new parser: nothing of the last stream is in progress. */
	budget_element_done(&n->budget);
}

static void do_send(struct net *n, xmpp_stanza_t *st)
{
	if (n->conn && n->at.online && xmpp_conn_is_connected(n->conn)) {
		char *text = NULL;

		if (n->token_login)
			tok_send(n->tok, st); /* counted for its own XEP-0198 */
		else if (!budget_send(n->conn, st, n->sm_counting ? &text : NULL))
			log_error("out of memory: an outgoing stanza was lost");
		else if (n->sm_counting) {
			smq_sent(&n->smq, st, text); /* takes st */
			return;
		}
		xmpp_stanza_release(st);
		return;
	}
	/* libstrophe would drop it silently: hand it back to the outbox. */
	hand_back(n, st);
}

/* A top-level element that is not a stanza (XEP-0352's <active/>).
 * libstrophe counts everything sent through its API as a stanza for
 * XEP-0198 (0.12.2, and 0.14 still), while the server counts stanzas
 * only; one such nonza would put the counts out of step for the rest of
 * the session, and the last stanza of every acknowledgement would be
 * sent again on resumption.  Written in one piece with a ping to the
 * server, it is counted once by both sides.  Offline it is dropped: its
 * owner sends the state again at login. */
static void do_nonza(struct net *n, const char *xml)
{
	static unsigned serial;

	if (!n->conn || !n->at.online || !xmpp_conn_is_connected(n->conn))
		return;
	/* A token login counts its own XEP-0198 (token.c), stanzas only:
	 * there the nonza goes alone. */
	if (n->at.sm_offered && !n->token_login) {
		char *text = NULL;
		int len =
		    asprintf(&text,
		             "<iq type='get' id='natter-nonza-%u'><ping xmlns='urn:xmpp:ping'/>"
		             "</iq>%s",
		             ++serial, xml);

		if (len < 0) {
			log_error("out of memory: a state for the server was not sent");
			return;
		}
		xmpp_send_raw(n->conn, text, (size_t)len);
		/* Counted by both sides as the one stanza it holds. */
		if (n->sm_counting)
			smq_sent(&n->smq, NULL, text);
		else
			free(text);
	} else
		xmpp_send_raw_string(n->conn, "%s", xml);
}

static void do_close(struct net *n)
{
	if (!n->conn || xmpp_conn_is_disconnected(n->conn)) {
		n->closing = true;
		report_offline(n, 0);
		n->closing = false;
		attempt_reset(&n->at);
		return;
	}
	n->closing = true;
	xmpp_disconnect(n->conn);
}

/* The current connection is set aside to be drained and a new one made
 * with p; without an established connection this is a plain connect. */
static void do_replace(struct net *n, struct net_params *p)
{
	if (!n->conn || !n->at.online || !xmpp_conn_is_connected(n->conn)) {
		do_connect(n, p);
		return;
	}
	drop_drained(n, true);
	n->drained = n->conn;
	n->drained_sock = n->sock;
	n->drained_done = false;
	pthread_mutex_lock(&n->lock);
	n->drained_watch = n->watch_fd;
	n->watch_fd = -1;
	pthread_mutex_unlock(&n->lock);
	/* Its session is over for natter: nothing of it is resumed, and what
	 * smqueue kept of it is let go, not sent again: the drained
	 * connection may still deliver it. */
	if (n->token_login)
		tok_disconnected(n->tok, true);
	else {
		smq_clear(&n->smq);
		n->sm_counting = false;
	}
	n->conn = NULL;
	n->sock = -1;
	n->resumable = false;
	attempt_reset(&n->at);
	do_connect(n, p);
}

static struct net_request *take_requests(struct net *n)
{
	struct net_request *head;

	pthread_mutex_lock(&n->lock);
	head = n->req_head;
	n->req_head = n->req_tail = NULL;
	pthread_mutex_unlock(&n->lock);
	return head;
}

static bool handle_requests(struct net *n)
{
	struct net_request *q = take_requests(n), *next;
	bool quit = false;

	for (; q; q = next) {
		next = q->next;
		switch (q->kind) {
		case NET_Q_CONNECT:
			do_connect(n, &q->params);
			break;
		case NET_Q_SEND:
			do_send(n, q->stanza);
			q->stanza = NULL;
			break;
		case NET_Q_NONZA:
			do_nonza(n, q->raw);
			break;
		case NET_Q_CLOSE:
			do_close(n);
			break;
		case NET_Q_REGISTER:
			do_register(n, &q->params);
			break;
		case NET_Q_REPLACE:
			do_replace(n, &q->params);
			break;
		case NET_Q_QUIT:
			quit = true;
			break;
		}
		net_params_clear(&q->params);
		if (q->stanza)
			xmpp_stanza_release(q->stanza);
		free(q->raw);
		free(q);
	}
	return quit;
}

static void *net_main(void *arg)
{
	struct net *n = arg;

	budget_own_thread(&n->budget);
	rosterstream_enable(true);
	for (;;) {
		struct pollfd pfd[4];
		int nfds = 1, timeout = -1;

		if (handle_requests(n))
			break;
		if ((n->conn && !xmpp_conn_is_disconnected(n->conn)) || n->drained)
			run_passes(n);
		if (n->drained && n->drained_done)
			drop_drained(n, false);
		if (n->reg)
			run_reg_passes(n);
		pfd[0] = (struct pollfd){n->req_pipe[0], POLLIN, 0};
		if (n->conn && n->sock >= 0 && !xmpp_conn_is_disconnected(n->conn)) {
			pfd[1] = (struct pollfd){n->sock, POLLIN, 0};
			if (xmpp_conn_send_queue_len(n->conn) > 0)
				pfd[1].events |= POLLOUT;
			nfds = 2;
		}
		/* Connecting and closing run libstrophe's own timers (connect
		 * timeout, close clean-up), so those phases tick; an
		 * established session sleeps until the socket or a request
		 * wakes it. */
		if (n->conn && !xmpp_conn_is_disconnected(n->conn) &&
		    (!xmpp_conn_is_connected(n->conn) || n->closing || !n->at.online))
			timeout = 50;
		if (n->drained && n->drained_sock >= 0)
			pfd[nfds++] = (struct pollfd){n->drained_sock, POLLIN, 0};
		/* A registration is short-lived and also runs libstrophe timers. */
		if (n->reg) {
			if (reg_sock(n->reg) >= 0)
				pfd[nfds++] = (struct pollfd){reg_sock(n->reg), POLLIN, 0};
			timeout = 50;
		}
		if (poll(pfd, nfds, timeout) < 0 && errno != EINTR) {
			log_error("network thread poll: %s", strerror(errno));
			timeout = 50;
		}
		drain(n->req_pipe[0]);
	}
	drop_drained(n, false);
	if (n->conn)
		xmpp_conn_release(n->conn);
	n->conn = NULL;
	reg_free(n->reg);
	n->reg = NULL;
	return NULL;
}

/* ---- the main thread's side ---- */

static int pipe_nonblock(int p[2])
{
	if (pipe2(p, O_CLOEXEC | O_NONBLOCK))
		return -1;
	return 0;
}

/* Parses a first document with ctx.  libstrophe lets expat allocate
 * through the first context that ever creates a parser (one per process),
 * so this makes the network thread's the one, and expat's buffers count in
 * its budget.  Whether xmlguard saw that parse tells whether it works. */
static bool parser_is_guarded(xmpp_ctx_t *ctx)
{
	uint64_t before = xmlguard_parsed();
	xmpp_stanza_t *st = xmpp_stanza_new_from_string(ctx, "<natter/>");

	if (st)
		xmpp_stanza_release(st);
	return xmlguard_parsed() != before;
}

static int start_thread(struct net *n)
{
	pthread_attr_t attr;
	int rc;

	if (pthread_attr_init(&attr))
		return pthread_create(&n->thread, NULL, net_main, n);
	rc = pthread_attr_setstacksize(&attr, NET_STACK_SIZE);
	if (!rc)
		rc = pthread_create(&n->thread, &attr, net_main, n);
	pthread_attr_destroy(&attr);
	if (rc) {
		log_warn("no %zu MiB stack for the network thread (%s): deep stanzas may crash",
		         NET_STACK_SIZE >> 20, strerror(rc));
		rc = pthread_create(&n->thread, NULL, net_main, n);
	}
	return rc;
}

struct net *net_new(int *report_fd)
{
	struct net *n = calloc(1, sizeof(*n));

	if (!n)
		return NULL;
	n->req_pipe[0] = n->req_pipe[1] = n->rep_pipe[0] = n->rep_pipe[1] = -1;
	n->held_tail = &n->held;
	n->watch_fd = n->reg_watch_fd = n->drained_watch = -1;
	n->sock = n->drained_sock = -1;
	pthread_mutex_init(&n->lock, NULL);
	if (pipe_nonblock(n->req_pipe) || pipe_nonblock(n->rep_pipe))
		goto fail;
	n->logger.handler = on_log;
	n->logger.userdata = n;
	budget_init(&n->budget);
	n->ctx = xmpp_ctx_new(budget_mem(&n->budget), &n->logger);
	if (!n->ctx)
		goto fail;
	smq_init(&n->smq);
	n->tok = tok_new(&tok_ops, n);
	if (!n->tok)
		goto fail;
	n->guarded = parser_is_guarded(n->ctx);
	if (!n->guarded)
		log_warn("libstrophe does not parse with expat here: natter cannot refuse a "
		         "DOCTYPE or time the parsing of a stanza");
	the_net = n;
	if (start_thread(n)) {
		the_net = NULL;
		goto fail;
	}
	n->started = true;
	*report_fd = n->rep_pipe[0];
	return n;
fail:
	net_free(n);
	return NULL;
}

static int enqueue(struct net *n, struct net_request *q)
{
	pthread_mutex_lock(&n->lock);
	if (n->req_tail)
		n->req_tail->next = q;
	else
		n->req_head = q;
	n->req_tail = q;
	pthread_mutex_unlock(&n->lock);
	wake(n->req_pipe[1]);
	return 0;
}

static struct net_request *request(enum net_request_kind kind)
{
	struct net_request *q = calloc(1, sizeof(*q));

	if (q)
		q->kind = kind;
	return q;
}

/* A request that carries connection parameters (taken over). */
static int enqueue_params(struct net *n, enum net_request_kind kind, struct net_params *params)
{
	struct net_request *q = request(kind);

	if (!q) {
		net_params_clear(params);
		return -1;
	}
	q->params = *params;
	memset(params, 0, sizeof(*params));
	return enqueue(n, q);
}

int net_connect(struct net *n, struct net_params *params)
{
	return enqueue_params(n, NET_Q_CONNECT, params);
}

int net_send(struct net *n, xmpp_stanza_t *stanza)
{
	struct net_request *q = request(NET_Q_SEND);

	if (!q) {
		xmpp_stanza_release(stanza);
		return -1;
	}
	q->stanza = stanza;
	return enqueue(n, q);
}

int net_send_nonza(struct net *n, const char *xml)
{
	struct net_request *q = request(NET_Q_NONZA);

	if (!q || !(q->raw = strdup(xml))) {
		free(q);
		return -1;
	}
	return enqueue(n, q);
}

static void cut_watched(struct net *n, const int *fd)
{
	pthread_mutex_lock(&n->lock);
	if (*fd >= 0)
		shutdown(*fd, SHUT_RDWR);
	pthread_mutex_unlock(&n->lock);
}

int net_replace(struct net *n, struct net_params *params)
{
	return enqueue_params(n, NET_Q_REPLACE, params);
}

void net_drop_drained(struct net *n)
{
	cut_watched(n, &n->drained_watch);
}

int net_register(struct net *n, struct net_params *params)
{
	return enqueue_params(n, NET_Q_REGISTER, params);
}

void net_abort_register(struct net *n)
{
	cut_watched(n, &n->reg_watch_fd);
}

int net_close(struct net *n)
{
	struct net_request *q = request(NET_Q_CLOSE);

	return q ? enqueue(n, q) : -1;
}

/* shutdown() of a watched dup reaches the socket libstrophe holds. */
void net_abort(struct net *n)
{
	cut_watched(n, &n->watch_fd);
}

struct net_report *net_take_reports(struct net *n, unsigned max)
{
	struct net_report *head, *last = NULL, *r;

	/* Drained first: the byte of a report posted from now on comes after
	 * this, and its report is in the queue before its byte (post_reports). */
	drain(n->rep_pipe[0]);
	pthread_mutex_lock(&n->lock);
	head = n->rep_head;
	for (r = head; r && max; r = r->next, max--)
		last = r;
	if (last) {
		n->rep_head = last->next;
		if (!n->rep_head)
			n->rep_tail = NULL;
		last->next = NULL;
	} else {
		/* Found empty: the core may sleep now, so the next post wakes it. */
		n->rep_signalled = false;
	}
	pthread_mutex_unlock(&n->lock);
	return last ? head : NULL;
}

void net_reports_later(struct net *n)
{
	bool more;

	pthread_mutex_lock(&n->lock);
	more = n->rep_head != NULL;
	if (!more)
		n->rep_signalled = false;
	pthread_mutex_unlock(&n->lock);
	if (more)
		wake(n->rep_pipe[1]);
}

/* Waits for the thread at most about two seconds: a thread stuck in an
 * address lookup must not hold up the user's /quit. */
static bool join_bounded(struct net *n)
{
	struct timespec deadline;

	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += 2;
	return pthread_timedjoin_np(n->thread, NULL, &deadline) == 0;
}

void net_free(struct net *n)
{
	struct net_request *q;
	struct net_report *r;

	if (!n)
		return;
	if (n->started) {
		struct net_request *quit = request(NET_Q_QUIT);

		net_abort(n);
		if (quit)
			enqueue(n, quit);
		if (!join_bounded(n)) {
			log_warn("network thread did not stop in time; leaving it behind");
			return;
		}
	}
	while ((q = n->req_head)) {
		n->req_head = q->next;
		net_params_clear(&q->params);
		if (q->stanza)
			xmpp_stanza_release(q->stanza);
		free(q->raw);
		free(q);
	}
	while ((r = n->rep_head)) {
		n->rep_head = r->next;
		net_report_free(r);
	}
	if (n->watch_fd >= 0)
		close(n->watch_fd);
	if (n->reg_watch_fd >= 0)
		close(n->reg_watch_fd);
	if (n->drained_watch >= 0)
		close(n->drained_watch);
	attempt_reset(&n->at);
	net_params_clear(&n->params);
	/* The stanzas it kept for resumption are the session's (the core
	 * thread's context, which outlives this one). */
	tok_free(n->tok);
	smq_clear(&n->smq);
	if (n->ctx)
		xmpp_ctx_free(n->ctx);
	for (int i = 0; i < 2; i++) {
		if (n->req_pipe[i] >= 0)
			close(n->req_pipe[i]);
		if (n->rep_pipe[i] >= 0)
			close(n->rep_pipe[i]);
	}
	pthread_mutex_destroy(&n->lock);
	if (the_net == n)
		the_net = NULL;
	free(n);
}
