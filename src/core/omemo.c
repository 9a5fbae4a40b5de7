/* OMEMO (core/omemo.h): the legacy XEP-0384 protocol on PEP, and chats
 * encrypted through the chat module's seam.
 *
 * Whatever needs the network — a contact's device list, the bundles of
 * devices we have no session with — is fetched by a job: a message to
 * send, fingerprints to show, a session to repair.  A job waits until
 * every answer it needs is in (or timed out), then finishes; jobs whose
 * keys are all known finish at once.  What the server says is bounded:
 * device lists, pre-keys per bundle and followed contacts all have caps. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uthash.h>
#include <utlist.h>

#include "config/paths.h"
#include "core/chat.h"
#include "core/core_internal.h"
#include "core/history.h"
#include "core/muc.h"
#include "core/omemo.h"
#include "omemo/axolotl.h"
#include "util/jid.h"
#include "util/log.h"
#include "xmpp/stanza.h"

#define NS_AX           "eu.siacs.conversations.axolotl"
#define NODE_DEVICES    NS_AX ".devicelist"
#define NODE_BUNDLES    NS_AX ".bundles:"
#define NS_PUBSUB       "http://jabber.org/protocol/pubsub"
#define NS_PUBSUB_EVENT NS_PUBSUB "#event"
#define NS_PUBSUB_OWNER NS_PUBSUB "#owner"
#define NS_XDATA        "jabber:x:data"
#define NS_EME          "urn:xmpp:eme:0"
#define NS_HINTS        "urn:xmpp:hints"

#define REQUEST_TIMEOUT_MS 30000
/* Bounds on what others can make us keep. */
#define MAX_DEVICES 64   /* per device list */
#define MAX_PREKEYS 200  /* per bundle read */
#define MAX_PEERS   1024 /* contacts whose devices we follow */
#define MAX_JOBS    256
#define MAX_MEMBERS 256   /* room members one message is encrypted to */
#define MAX_B64     65536 /* one key, payload or pre-key, base64 */
/* Pre-keys used in a burst (a flood of new sessions, a catch-up) are
 * replaced together: one bundle publication per this many ms. */
#define REPUBLISH_MS 1000

#define FALLBACK_BODY                                                                              \
	"I sent you an OMEMO encrypted message but your client doesn't seem to support that. "     \
	"Find more information on https://conversations.im/omemo"

/* A contact (or we ourselves) whose devices we follow. */
struct peer {
	char *jid; /* bare key */
	uint32_t devs[MAX_DEVICES];
	size_t ndevs;
	bool known;                   /* devs came from the server in this session */
	bool fetching;                /* a device list request is out */
	uint32_t asking[MAX_DEVICES]; /* bundle requests out */
	size_t nasking;
	uint32_t repaired[MAX_DEVICES]; /* sessions rebuilt in this session */
	size_t nrepaired;
	uint32_t told[MAX_DEVICES]; /* undecided devices the user heard of */
	size_t ntold;
	UT_hash_handle hh;
};

enum job_kind { JOB_SEND, JOB_FINGERPRINTS, JOB_REPAIR };

struct job {
	enum job_kind kind;
	struct core_cause cause;
	char **jids; /* bare keys whose devices it needs */
	size_t njids;
	bool bundles_asked;
	char *to;     /* JOB_SEND: the contact or room (history, errors) */
	char *xml;    /* JOB_SEND: the message as chat.c built it */
	char *text;   /* JOB_SEND: its plaintext */
	char *id;     /* JOB_SEND: its id */
	uint32_t dev; /* JOB_REPAIR: the device to send a fresh key to */
	struct job *prev, *next;
};

struct omemo_state {
	struct ax *ax;  /* NULL: not opened yet, or unavailable (ax_get) */
	char *dir;      /* where ax lives */
	bool ax_failed; /* opening it failed, and was reported */
	char *me;       /* our bare key */
	bool default_on, manual;
	struct peer *peers;
	struct job *jobs;
	size_t njobs;
	bool running;            /* jobs_run() is on the stack */
	uint64_t republish;      /* timer: the bundle changed, publish it */
	struct chat_pref *prefs; /* ks_chat_get() as last read or set */
	size_t nprefs;
};

/* Whether a chat is encrypted is asked for every message shown (the UI
 * tags it): a query of the OMEMO store each time cost a flood 6% of its
 * CPU.  Bounded, since strangers choose how many JIDs write to us. */
#define PREFS_MAX 1024
struct chat_pref {
	UT_hash_handle hh;
	int on; /* ks_chat_get()'s answer */
	char jid[];
};

struct bundle_req {
	struct core *core;
	char *jid;
	uint32_t dev;
};

static struct omemo_state *ost(struct core *core)
{
	return core_state(core, &omemo_module);
}

static void jobs_run(struct core *core);

/* The OMEMO store, opened when first needed: at the first login, the first
 * encrypted message or the first /omemo command, not at start.  A new
 * account makes its identity then (a key pair and 100 prekeys), which
 * cost a start 2.3 MB of resident memory (OpenSSL's random generator and
 * libomemo-c's code, ../shared/bench) even offline.  NULL when OMEMO is
 * unavailable; the reason is reported once. */
static struct ax *ax_get(struct core *core, struct omemo_state *o)
{
	char *err = NULL;

	if (!o || o->ax || o->ax_failed)
		return o ? o->ax : NULL;
	if (o->dir)
		o->ax = ax_open(o->dir, &err);
	if (!o->ax) {
		o->ax_failed = true;
		core_error(core, NO_CAUSE, "internal-server-error", "OMEMO is not available: %s",
		           err ? err : "no data directory");
	}
	free(err);
	return o->ax;
}

/* ---- small helpers ---- */

static bool has(const uint32_t *v, size_t n, uint32_t x)
{
	for (size_t i = 0; i < n; i++)
		if (v[i] == x)
			return true;
	return false;
}

static void add(uint32_t *v, size_t *n, uint32_t x)
{
	if (!has(v, *n, x) && *n < MAX_DEVICES)
		v[(*n)++] = x;
}

static void drop(uint32_t *v, size_t *n, uint32_t x)
{
	for (size_t i = 0; i < *n; i++)
		if (v[i] == x) {
			v[i] = v[--*n];
			return;
		}
}

/* A device id as XEP-0384 writes it: 1 .. 2^31-1. */
static bool parse_dev(const char *s, uint32_t *out)
{
	char *end;
	unsigned long v;

	if (!s || !*s || !isdigit((unsigned char)*s))
		return false;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v == 0 || v > 0x7fffffffUL)
		return false;
	*out = (uint32_t)v;
	return true;
}

/* Base64 text of an element (whitespace allowed), decoded; 0 or -1. */
static int b64_child(xmpp_stanza_t *el, struct ax_buf *out)
{
	xmpp_ctx_t *ctx = xmpp_stanza_get_context(el);
	char *raw = el ? xmpp_stanza_get_text(el) : NULL, *clean;
	unsigned char *bin = NULL;
	size_t n = 0, j = 0;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (!raw)
		return -1;
	clean = strlen(raw) <= MAX_B64 ? malloc(strlen(raw) + 1) : NULL;
	if (clean) {
		for (const char *p = raw; *p; p++)
			if (!isspace((unsigned char)*p))
				clean[j++] = *p;
		clean[j] = '\0';
		if (j)
			xmpp_base64_decode_bin(ctx, clean, j, &bin, &n);
		if (bin && n) {
			out->data = malloc(n);
			if (out->data) {
				memcpy(out->data, bin, n);
				out->len = n;
				rc = 0;
			}
		}
		free(clean);
	}
	if (bin)
		xmpp_free(ctx, bin);
	xmpp_free(ctx, raw);
	return rc;
}

/* Appends <name [attr=value]>base64(data)</name> to parent; 0 or -1.
 * *added (when not NULL) gets the element. */
static int add_b64_el(xmpp_stanza_t *parent, const char *name, const char *attr, const char *value,
                      const uint8_t *data, size_t len, xmpp_stanza_t **added)
{
	xmpp_ctx_t *ctx = xmpp_stanza_get_context(parent);
	xmpp_stanza_t *el = st_add_element(parent, name, NULL);
	xmpp_stanza_t *t = el ? xmpp_stanza_new(ctx) : NULL;
	char *b64 = t ? xmpp_base64_encode(ctx, data, len) : NULL;
	int rc = -1;

	if (b64 && (!attr || xmpp_stanza_set_attribute(el, attr, value) == XMPP_EOK) &&
	    xmpp_stanza_set_text(t, b64) == XMPP_EOK && xmpp_stanza_add_child(el, t) == XMPP_EOK)
		rc = 0;
	if (b64)
		xmpp_free(ctx, b64);
	if (t)
		xmpp_stanza_release(t);
	if (added)
		*added = el;
	return rc;
}

static int add_b64(xmpp_stanza_t *parent, const char *name, const char *attr, const char *value,
                   const uint8_t *data, size_t len)
{
	return add_b64_el(parent, name, attr, value, data, len, NULL);
}

static const char *trust_name(enum ks_trust t)
{
	static const char *const names[] = {"undecided", "trusted", "verified", "untrusted"};

	return (unsigned)t < 4 ? names[t] : "undecided";
}

/* ---- peers ---- */

static void peer_free(struct peer *p)
{
	free(p->jid);
	free(p);
}

/* The peer for a bare key, made (with the device list last stored) when
 * create is set; NULL when out of memory or not found. */
static struct peer *peer_get(struct core *core, const char *jid, bool create)
{
	struct omemo_state *o = ost(core);
	struct peer *p = NULL;
	uint32_t *ids = NULL;
	size_t n = 0;

	HASH_FIND_STR(o->peers, jid, p);
	if (p || !create)
		return p;
	if (HASH_COUNT(o->peers) >= MAX_PEERS) {
		/* Forget one that nothing waits for: PEP notifications from
		 * strangers must not grow this. */
		struct peer *q, *tmp;

		HASH_ITER(hh, o->peers, q, tmp)
		{
			if (!q->fetching && !q->nasking && strcmp(q->jid, o->me)) {
				HASH_DEL(o->peers, q);
				peer_free(q);
				break;
			}
		}
	}
	p = calloc(1, sizeof(*p));
	if (!p || !(p->jid = strdup(jid))) {
		free(p);
		return NULL;
	}
	if (ax_get(core, o) && !ks_devices_get(ax_store(o->ax), jid, &ids, &n))
		for (size_t i = 0; i < n; i++)
			add(p->devs, &p->ndevs, ids[i]);
	free(ids);
	HASH_ADD_KEYPTR(hh, o->peers, p->jid, strlen(p->jid), p);
	return p;
}

static void peer_set_devices(struct core *core, struct peer *p, const uint32_t *devs, size_t n)
{
	struct omemo_state *o = ost(core);

	p->ndevs = 0;
	for (size_t i = 0; i < n; i++)
		add(p->devs, &p->ndevs, devs[i]);
	p->known = true;
	ks_devices_set(ax_store(o->ax), p->jid, p->devs, p->ndevs);
}

/* Reads a <list/> of devices. */
static size_t parse_list(xmpp_stanza_t *list, uint32_t *devs)
{
	size_t n = 0;

	for (xmpp_stanza_t *c = list ? xmpp_stanza_get_children(list) : NULL; c;
	     c = xmpp_stanza_get_next(c)) {
		const char *name = xmpp_stanza_get_name(c);
		uint32_t d;

		if (xmpp_stanza_is_tag(c) && name && !strcmp(name, "device") &&
		    parse_dev(xmpp_stanza_get_attribute(c, "id"), &d))
			add(devs, &n, d);
	}
	return n;
}

/* The <list/> in a pubsub <items/> (answer or notification), or NULL. */
static xmpp_stanza_t *items_payload(xmpp_stanza_t *items, const char *name)
{
	xmpp_stanza_t *item = items ? xmpp_stanza_get_child_by_name(items, "item") : NULL;

	return item ? xmpp_stanza_get_child_by_name_and_ns(item, name, NS_AX) : NULL;
}

/* ---- publishing ---- */

/* <iq type=set><pubsub><publish node><item id=current>payload</item>
 * </publish><publish-options> access_model open </publish-options>. */
static xmpp_stanza_t *publish_iq(struct core *core, const char *node, xmpp_stanza_t *payload,
                                 bool options)
{
	xmpp_ctx_t *ctx = core_ctx(core);
	xmpp_stanza_t *iq = xmpp_iq_new(ctx, "set", NULL);
	xmpp_stanza_t *ps = iq ? st_add_element(iq, "pubsub", NS_PUBSUB) : NULL;
	xmpp_stanza_t *pub = ps ? st_add_element(ps, "publish", NULL) : NULL;
	xmpp_stanza_t *item = pub ? st_add_element(pub, "item", NULL) : NULL;
	bool ok = item && xmpp_stanza_set_attribute(pub, "node", node) == XMPP_EOK &&
	          xmpp_stanza_set_attribute(item, "id", "current") == XMPP_EOK &&
	          xmpp_stanza_add_child(item, payload) == XMPP_EOK;

	if (ok && options) {
		/* Contacts must read our keys without a presence subscription
		 * (Prosody's PEP defaults to "presence"). */
		xmpp_stanza_t *po = st_add_element(ps, "publish-options", NULL);
		xmpp_stanza_t *x = po ? st_add_element(po, "x", NS_XDATA) : NULL;
		xmpp_stanza_t *f1 = x ? st_add_element(x, "field", NULL) : NULL;
		xmpp_stanza_t *f2 = f1 ? st_add_element(x, "field", NULL) : NULL;

		ok = f2 && xmpp_stanza_set_attribute(x, "type", "submit") == XMPP_EOK &&
		     xmpp_stanza_set_attribute(f1, "var", "FORM_TYPE") == XMPP_EOK &&
		     xmpp_stanza_set_attribute(f1, "type", "hidden") == XMPP_EOK &&
		     !st_add_text(f1, "value", NS_PUBSUB "#publish-options") &&
		     xmpp_stanza_set_attribute(f2, "var", "pubsub#access_model") == XMPP_EOK &&
		     !st_add_text(f2, "value", "open");
	}
	xmpp_stanza_release(payload);
	if (!ok && iq) {
		xmpp_stanza_release(iq);
		iq = NULL;
	}
	return iq;
}

struct publish {
	char *node;
	char *xml; /* the payload, to publish again after reconfiguring */
	int tries;
};

static void publish_send(struct core *core, struct publish *p);

/* The node exists with another access model: make it open, then again. */
static void configure_node(struct core *core, struct publish *p);

static void publish_answer(struct core *core, xmpp_stanza_t *reply, void *ud)
{
	struct publish *p = ud;
	const char *type = reply ? xmpp_stanza_get_type(reply) : NULL;
	const char *cond = type && !strcmp(type, "error") ? st_error_condition(reply, NULL) : NULL;

	/* XEP-0060 §7.1.5: the node exists with another access model
	 * (Prosody says precondition-not-met, some servers conflict). */
	if (reply && cond && (!strcmp(cond, "precondition-not-met") || !strcmp(cond, "conflict")) &&
	    p->tries < 2) {
		configure_node(core, p);
		return;
	}
	if (!reply || (type && strcmp(type, "result")))
		log_warn("omemo: publishing %s failed: %s", p->node,
		         reply ? (cond ? cond : "error") : "timeout");
	free(p->node);
	free(p->xml);
	free(p);
}

static void configure_answer(struct core *core, xmpp_stanza_t *reply, void *ud)
{
	struct publish *p = ud;

	if (reply && !core_quitting(core)) {
		publish_send(core, p);
		return;
	}
	free(p->node);
	free(p->xml);
	free(p);
}

static void configure_node(struct core *core, struct publish *p)
{
	xmpp_ctx_t *ctx = core_ctx(core);
	xmpp_stanza_t *iq = xmpp_iq_new(ctx, "set", NULL);
	xmpp_stanza_t *ps = iq ? st_add_element(iq, "pubsub", NS_PUBSUB_OWNER) : NULL;
	xmpp_stanza_t *cf = ps ? st_add_element(ps, "configure", NULL) : NULL;
	xmpp_stanza_t *x = cf ? st_add_element(cf, "x", NS_XDATA) : NULL;
	xmpp_stanza_t *f1 = x ? st_add_element(x, "field", NULL) : NULL;
	xmpp_stanza_t *f2 = f1 ? st_add_element(x, "field", NULL) : NULL;

	p->tries++;
	if (!f2 || xmpp_stanza_set_attribute(cf, "node", p->node) != XMPP_EOK ||
	    xmpp_stanza_set_attribute(x, "type", "submit") != XMPP_EOK ||
	    xmpp_stanza_set_attribute(f1, "var", "FORM_TYPE") != XMPP_EOK ||
	    st_add_text(f1, "value", NS_PUBSUB "#node_config") ||
	    xmpp_stanza_set_attribute(f2, "var", "pubsub#access_model") != XMPP_EOK ||
	    st_add_text(f2, "value", "open") ||
	    core_iq_send(core, iq, REQUEST_TIMEOUT_MS, configure_answer, p)) {
		if (iq && !f2)
			xmpp_stanza_release(iq);
		free(p->node);
		free(p->xml);
		free(p);
	}
}

static void publish_send(struct core *core, struct publish *p)
{
	xmpp_stanza_t *payload = xmpp_stanza_new_from_string(core_ctx(core), p->xml);
	xmpp_stanza_t *iq = payload ? publish_iq(core, p->node, payload, true) : NULL;

	p->tries++;
	if (!iq || core_iq_send(core, iq, REQUEST_TIMEOUT_MS, publish_answer, p)) {
		log_warn("omemo: %s not published (offline or out of memory)", p->node);
		free(p->node);
		free(p->xml);
		free(p);
	}
}

/* Publishes payload (taken) on our PEP node. */
static void publish(struct core *core, const char *node, xmpp_stanza_t *payload)
{
	struct publish *p = calloc(1, sizeof(*p));
	char *buf = NULL;
	size_t len;

	if (p && (p->node = strdup(node)) && xmpp_stanza_to_text(payload, &buf, &len) == XMPP_EOK &&
	    (p->xml = strdup(buf))) {
		xmpp_free(core_ctx(core), buf);
		xmpp_stanza_release(payload);
		publish_send(core, p);
		return;
	}
	if (buf)
		xmpp_free(core_ctx(core), buf);
	xmpp_stanza_release(payload);
	if (p) {
		free(p->node);
		free(p);
	}
	log_error("omemo: out of memory: %s not published", node);
}

static void publish_devices(struct core *core, struct peer *me)
{
	xmpp_stanza_t *list = st_element(core_ctx(core), "list", NS_AX);
	char id[16];

	for (size_t i = 0; list && i < me->ndevs; i++) {
		xmpp_stanza_t *d = st_add_element(list, "device", NULL);

		snprintf(id, sizeof id, "%u", (unsigned)me->devs[i]);
		if (!d || xmpp_stanza_set_attribute(d, "id", id) != XMPP_EOK) {
			xmpp_stanza_release(list);
			return;
		}
	}
	if (list)
		publish(core, NODE_DEVICES, list);
}

static void publish_bundle(struct core *core)
{
	struct omemo_state *o = ost(core);
	struct ax_bundle b;
	xmpp_stanza_t *el, *pks;
	char node[64], id[16];
	bool ok;

	if (ax_refill(o->ax) || ax_own_bundle(o->ax, &b)) {
		log_error("omemo: our bundle could not be made");
		return;
	}
	el = st_element(core_ctx(core), "bundle", NS_AX);
	snprintf(id, sizeof id, "%u", (unsigned)b.spk_id);
	ok = el &&
	     !add_b64(el, "signedPreKeyPublic", "signedPreKeyId", id, b.spk.data, b.spk.len) &&
	     !add_b64(el, "signedPreKeySignature", NULL, NULL, b.spk_sig.data, b.spk_sig.len) &&
	     !add_b64(el, "identityKey", NULL, NULL, b.identity.data, b.identity.len) &&
	     (pks = st_add_element(el, "prekeys", NULL));
	for (size_t i = 0; ok && i < b.nprekeys; i++) {
		snprintf(id, sizeof id, "%u", (unsigned)b.prekeys[i].id);
		ok = !add_b64(pks, "preKeyPublic", "preKeyId", id, b.prekeys[i].key.data,
		              b.prekeys[i].key.len);
	}
	ax_bundle_clear(&b);
	snprintf(node, sizeof node, NODE_BUNDLES "%u", (unsigned)ax_device_id(o->ax));
	if (ok)
		publish(core, node, el);
	else if (el)
		xmpp_stanza_release(el);
	ax_take_bundle_dirty(o->ax);
}

/* Our own list must name this device: other clients encrypt only to the
 * devices listed. */
static void own_list_seen(struct core *core, struct peer *me)
{
	struct omemo_state *o = ost(core);

	if (has(me->devs, me->ndevs, ax_device_id(o->ax)))
		return;
	add(me->devs, &me->ndevs, ax_device_id(o->ax));
	ks_devices_set(ax_store(o->ax), me->jid, me->devs, me->ndevs);
	publish_devices(core, me);
}

/* ---- fetching ---- */

static xmpp_stanza_t *items_iq(struct core *core, const char *to, const char *node)
{
	xmpp_stanza_t *iq = xmpp_iq_new(core_ctx(core), "get", NULL);
	xmpp_stanza_t *ps = iq ? st_add_element(iq, "pubsub", NS_PUBSUB) : NULL;
	xmpp_stanza_t *items = ps ? st_add_element(ps, "items", NULL) : NULL;

	if (!items || xmpp_stanza_set_attribute(items, "node", node) != XMPP_EOK ||
	    (to && xmpp_stanza_set_to(iq, to) != XMPP_EOK)) {
		if (iq)
			xmpp_stanza_release(iq);
		return NULL;
	}
	return iq;
}

static xmpp_stanza_t *answer_items(xmpp_stanza_t *reply)
{
	const char *type = reply ? xmpp_stanza_get_type(reply) : NULL;
	xmpp_stanza_t *ps = type && !strcmp(type, "result")
	                        ? xmpp_stanza_get_child_by_name_and_ns(reply, "pubsub", NS_PUBSUB)
	                        : NULL;

	return ps ? xmpp_stanza_get_child_by_name(ps, "items") : NULL;
}

static void list_answer(struct core *core, xmpp_stanza_t *reply, void *ud)
{
	char *jid = ud;
	struct omemo_state *o = ost(core);
	struct peer *p = o ? peer_get(core, jid, false) : NULL;
	uint32_t devs[MAX_DEVICES];
	size_t n;

	if (p) {
		log_debug("omemo: the device list of %s: %s %s", p->jid,
		          reply ? xmpp_stanza_get_type(reply) : "no answer",
		          reply ? st_error_condition(reply, NULL) : "");
		p->fetching = false;
		if (reply) {
			/* An error (item-not-found: no OMEMO) is an empty list. */
			n = parse_list(items_payload(answer_items(reply), "list"), devs);
			peer_set_devices(core, p, devs, n);
			if (!strcmp(p->jid, o->me))
				own_list_seen(core, p);
		} else {
			p->known = true; /* timed out: the stored list will do */
		}
	}
	free(jid);
	if (o)
		jobs_run(core);
}

static void fetch_list(struct core *core, struct peer *p)
{
	struct omemo_state *o = ost(core);
	char *jid = strdup(p->jid);
	xmpp_stanza_t *iq =
	    jid ? items_iq(core, strcmp(p->jid, o->me) ? p->jid : NULL, NODE_DEVICES) : NULL;

	if (iq && !core_iq_send(core, iq, REQUEST_TIMEOUT_MS, list_answer, jid)) {
		log_debug("omemo: asking for the device list of %s", p->jid);
		p->fetching = true;
		return;
	}
	free(jid);
	/* Offline: what we stored last time is the best we know. */
	p->known = true;
}

static int parse_bundle(xmpp_stanza_t *el, struct ax_bundle *b)
{
	xmpp_stanza_t *spk = xmpp_stanza_get_child_by_name(el, "signedPreKeyPublic");
	xmpp_stanza_t *pks = xmpp_stanza_get_child_by_name(el, "prekeys");

	memset(b, 0, sizeof(*b));
	if (!spk || !pks ||
	    !parse_dev(xmpp_stanza_get_attribute(spk, "signedPreKeyId"), &b->spk_id) ||
	    b64_child(spk, &b->spk) ||
	    b64_child(xmpp_stanza_get_child_by_name(el, "signedPreKeySignature"), &b->spk_sig) ||
	    b64_child(xmpp_stanza_get_child_by_name(el, "identityKey"), &b->identity) ||
	    !(b->prekeys = calloc(MAX_PREKEYS, sizeof(*b->prekeys))))
		goto bad;
	for (xmpp_stanza_t *c = xmpp_stanza_get_children(pks); c && b->nprekeys < MAX_PREKEYS;
	     c = xmpp_stanza_get_next(c)) {
		const char *name = xmpp_stanza_get_name(c);
		struct ax_prekey *k = &b->prekeys[b->nprekeys];

		if (xmpp_stanza_is_tag(c) && name && !strcmp(name, "preKeyPublic") &&
		    parse_dev(xmpp_stanza_get_attribute(c, "preKeyId"), &k->id) &&
		    !b64_child(c, &k->key))
			b->nprekeys++;
	}
	if (b->nprekeys)
		return 0;
bad:
	ax_bundle_clear(b);
	return -1;
}

static void settle_trust(struct core *core, const char *jid, uint32_t dev, struct core_cause cause);

static void bundle_answer(struct core *core, xmpp_stanza_t *reply, void *ud)
{
	struct bundle_req *r = ud;
	struct omemo_state *o = ost(core);
	struct peer *p = o ? peer_get(core, r->jid, false) : NULL;
	xmpp_stanza_t *el = items_payload(answer_items(reply), "bundle");
	struct ax_bundle b;
	const char *why = "no bundle";

	if (p)
		drop(p->asking, &p->nasking, r->dev);
	if (o && el && !parse_bundle(el, &b)) {
		if (ax_start_session(o->ax, r->jid, r->dev, &b, &why))
			log_warn("omemo: no session with %s device %u: %s", r->jid,
			         (unsigned)r->dev, why);
		else
			settle_trust(core, r->jid, r->dev, NO_CAUSE);
		ax_bundle_clear(&b);
	} else if (o) {
		log_warn("omemo: %s device %u has no usable bundle", r->jid, (unsigned)r->dev);
	}
	free(r->jid);
	free(r);
	if (o)
		jobs_run(core);
}

static void fetch_bundle(struct core *core, struct peer *p, uint32_t dev)
{
	struct omemo_state *o = ost(core);
	struct bundle_req *r = calloc(1, sizeof(*r));
	char node[64];
	xmpp_stanza_t *iq;

	if (has(p->asking, p->nasking, dev) || !r || !(r->jid = strdup(p->jid))) {
		free(r);
		return;
	}
	r->core = core;
	r->dev = dev;
	snprintf(node, sizeof node, NODE_BUNDLES "%u", (unsigned)dev);
	iq = items_iq(core, strcmp(p->jid, o->me) ? p->jid : NULL, node);
	if (iq && !core_iq_send(core, iq, REQUEST_TIMEOUT_MS, bundle_answer, r)) {
		add(p->asking, &p->nasking, dev);
		return;
	}
	free(r->jid);
	free(r);
}

/* ---- trust ---- */

/* Whether we encrypt to that device: verified, or blindly trusted while
 * none of the contact's devices is verified.  *trust gets what we know. */
static bool usable(struct core *core, const char *jid, uint32_t dev, enum ks_trust *trust)
{
	struct omemo_state *o = ost(core);
	uint8_t *key = NULL;
	size_t len;
	enum ks_trust t = KS_UNDECIDED;
	int rc = ks_identity_get(ax_store(o->ax), jid, dev, &key, &len, &t);

	free(key);
	if (trust)
		*trust = t;
	if (rc != 1)
		return false;
	return t == KS_VERIFIED || (t == KS_TRUSTED && ks_any_verified(ax_store(o->ax), jid) == 0);
}

/* A device whose identity we just learnt: blind trust takes it unless the
 * user trusts manually or has verified another device of that contact;
 * otherwise the user is told, once a session, how to verify it. */
static void settle_trust(struct core *core, const char *jid, uint32_t dev, struct core_cause cause)
{
	struct omemo_state *o = ost(core);
	struct peer *p = peer_get(core, jid, true);
	uint8_t *key = NULL;
	size_t len = 0;
	enum ks_trust t;
	char *fp;

	if (ks_identity_get(ax_store(o->ax), jid, dev, &key, &len, &t) != 1) {
		free(key);
		return;
	}
	if (t == KS_UNDECIDED && !o->manual && ks_any_verified(ax_store(o->ax), jid) == 0) {
		ks_identity_set_trust(ax_store(o->ax), jid, dev, KS_TRUSTED);
	} else if (t == KS_UNDECIDED && p && !has(p->told, p->ntold, dev)) {
		add(p->told, &p->ntold, dev);
		fp = ax_fingerprint(key, len);
		core_info(core, cause,
		          "OMEMO: %s has a device (%u) that is not trusted yet, so nothing is "
		          "encrypted to it; compare its fingerprint %s and type /omemo trust %s %s",
		          jid, (unsigned)dev, fp ? fp : "?", jid, fp ? fp : "FINGERPRINT");
		free(fp);
	}
	free(key);
}

/* ---- jobs ---- */

static void job_free(struct job *j)
{
	for (size_t i = 0; i < j->njids; i++)
		free(j->jids[i]);
	free(j->jids);
	free(j->to);
	free(j->xml);
	if (j->text)
		explicit_bzero(j->text, strlen(j->text));
	free(j->text);
	free(j->id);
	free(j);
}

static struct job *job_new(struct core *core, enum job_kind kind, struct core_cause cause,
                           const char *const *jids, size_t n)
{
	struct omemo_state *o = ost(core);
	struct job *j;

	if (o->njobs >= MAX_JOBS)
		return NULL;
	j = calloc(1, sizeof(*j));
	if (!j || !(j->jids = calloc(n ? n : 1, sizeof(*j->jids)))) {
		free(j);
		return NULL;
	}
	j->kind = kind;
	j->cause = cause;
	for (size_t i = 0; i < n; i++) {
		if (!(j->jids[i] = strdup(jids[i]))) {
			job_free(j);
			return NULL;
		}
		j->njids++;
	}
	DL_APPEND(o->jobs, j);
	o->njobs++;
	return j;
}

/* Whether every answer the job needs is in; asks for what is missing. */
static bool job_ready(struct core *core, struct job *j)
{
	struct omemo_state *o = ost(core);
	bool waiting = false;

	for (size_t i = 0; i < j->njids; i++) {
		struct peer *p = peer_get(core, j->jids[i], true);

		if (!p)
			continue;
		if (!p->known && !p->fetching)
			fetch_list(core, p);
		waiting |= p->fetching;
	}
	if (waiting)
		return false;
	if (!j->bundles_asked) {
		j->bundles_asked = true;
		for (size_t i = 0; i < j->njids; i++) {
			struct peer *p = peer_get(core, j->jids[i], false);
			enum ks_trust t;

			for (size_t k = 0; p && k < p->ndevs; k++) {
				uint32_t d = p->devs[k];

				if (d == ax_device_id(o->ax) && !strcmp(p->jid, o->me))
					continue;
				if (j->kind == JOB_REPAIR ? d == j->dev
				                          : !ax_has_session(o->ax, p->jid, d)) {
					usable(core, p->jid, d, &t);
					if (t != KS_UNTRUSTED)
						fetch_bundle(core, p, d);
				}
			}
		}
	}
	for (size_t i = 0; i < j->njids; i++) {
		struct peer *p = peer_get(core, j->jids[i], false);

		if (p && p->nasking)
			return false;
	}
	return true;
}

/* Encrypts keytag for every usable device of the job's JIDs (and of our
 * own account, but never this device) into header; returns how many
 * devices of others than ourselves got it, or -1. */
static int add_keys(struct core *core, struct job *j, xmpp_stanza_t *header,
                    const struct ax_buf *keytag, uint32_t only)
{
	struct omemo_state *o = ost(core);
	int others = 0;

	for (size_t i = 0; i < j->njids; i++) {
		struct peer *p = peer_get(core, j->jids[i], false);
		bool self = !strcmp(j->jids[i], o->me);

		for (size_t k = 0; p && k < p->ndevs; k++) {
			uint32_t d = p->devs[k];
			struct ax_buf ct;
			xmpp_stanza_t *el = NULL;
			bool prekey = false;
			char rid[16];

			if ((self && d == ax_device_id(o->ax)) || (only && d != only) ||
			    !ax_has_session(o->ax, p->jid, d))
				continue;
			if (!only && !usable(core, p->jid, d, NULL)) {
				settle_trust(core, p->jid, d, j->cause);
				continue;
			}
			if (ax_encrypt_key(o->ax, p->jid, d, keytag->data, keytag->len, &ct,
			                   &prekey))
				continue;
			snprintf(rid, sizeof rid, "%u", (unsigned)d);
			if (add_b64_el(header, "key", "rid", rid, ct.data, ct.len, &el) ||
			    (prekey &&
			     xmpp_stanza_set_attribute(el, "prekey", "true") != XMPP_EOK)) {
				ax_buf_clear(&ct);
				return -1;
			}
			ax_buf_clear(&ct);
			others += !self;
		}
	}
	return others;
}

/* The <encrypted/> element: keys for the devices, the IV, and the payload
 * unless ct is NULL (a key transport message). */
static xmpp_stanza_t *encrypted_el(struct core *core, struct job *j, const struct ax_buf *keytag,
                                   const struct ax_buf *iv, const struct ax_buf *ct, uint32_t only,
                                   int *others)
{
	struct omemo_state *o = ost(core);
	xmpp_stanza_t *enc = st_element(core_ctx(core), "encrypted", NS_AX);
	xmpp_stanza_t *header = enc ? st_add_element(enc, "header", NULL) : NULL;
	char sid[16];

	snprintf(sid, sizeof sid, "%u", (unsigned)ax_device_id(o->ax));
	if (!header || xmpp_stanza_set_attribute(header, "sid", sid) != XMPP_EOK ||
	    (*others = add_keys(core, j, header, keytag, only)) < 0 ||
	    add_b64(header, "iv", NULL, NULL, iv->data, iv->len) ||
	    (ct && add_b64(enc, "payload", NULL, NULL, ct->data, ct->len))) {
		if (enc)
			xmpp_stanza_release(enc);
		return NULL;
	}
	return enc;
}

/* The message chat.c built, with its body and markup replaced by enc, the
 * XEP-0380 label, a store hint and the usual fallback body. */
static xmpp_stanza_t *encrypted_message(struct core *core, const char *xml, xmpp_stanza_t *enc)
{
	xmpp_ctx_t *ctx = core_ctx(core);
	xmpp_stanza_t *orig = xmpp_stanza_new_from_string(ctx, xml);
	xmpp_stanza_t *m =
	    orig ? xmpp_message_new(ctx, xmpp_stanza_get_type(orig), xmpp_stanza_get_to(orig),
	                            xmpp_stanza_get_id(orig))
	         : NULL;
	xmpp_stanza_t *eme;
	bool ok = m != NULL;

	for (xmpp_stanza_t *c = orig ? xmpp_stanza_get_children(orig) : NULL; ok && c;
	     c = xmpp_stanza_get_next(c)) {
		const char *name = xmpp_stanza_get_name(c);
		xmpp_stanza_t *copy;

		if (!xmpp_stanza_is_tag(c) ||
		    (name && (!strcmp(name, "body") || !strcmp(name, "html"))))
			continue;
		copy = xmpp_stanza_copy(c);
		ok = copy && xmpp_stanza_add_child(m, copy) == XMPP_EOK;
		if (copy)
			xmpp_stanza_release(copy);
	}
	ok = ok && xmpp_stanza_add_child(m, enc) == XMPP_EOK &&
	     (eme = st_add_element(m, "encryption", NS_EME)) &&
	     xmpp_stanza_set_attribute(eme, "namespace", NS_AX) == XMPP_EOK &&
	     xmpp_stanza_set_attribute(eme, "name", "OMEMO") == XMPP_EOK &&
	     st_add_element(m, "store", NS_HINTS) && !xmpp_message_set_body(m, FALLBACK_BODY);
	if (orig)
		xmpp_stanza_release(orig);
	if (!ok && m) {
		xmpp_stanza_release(m);
		m = NULL;
	}
	return m;
}

static void send_failed(struct core *core, struct job *j, const char *condition, const char *why)
{
	core_error(core, j->cause, condition, "not sent to %s: %s", j->to, why);
	if (j->id)
		history_delivery(core, j->to, j->id, STORE_FAILED);
}

static void finish_send(struct core *core, struct job *j)
{
	struct ax_buf keytag, iv, ct;
	xmpp_stanza_t *enc, *m;
	int others = 0;

	if (ax_payload_encrypt(j->text, strlen(j->text), &keytag, &iv, &ct)) {
		send_failed(core, j, "internal-server-error", "encryption failed");
		return;
	}
	enc = encrypted_el(core, j, &keytag, &iv, &ct, 0, &others);
	ax_buf_clear(&keytag);
	ax_buf_clear(&iv);
	ax_buf_clear(&ct);
	if (!enc) {
		send_failed(core, j, "internal-server-error", "out of memory");
		return;
	}
	if (others == 0) {
		xmpp_stanza_release(enc);
		send_failed(
		    core, j, "not-acceptable",
		    "none of their OMEMO devices is trusted or reachable (/omemo fingerprint "
		    "shows them; /omemo off sends unencrypted)");
		return;
	}
	m = encrypted_message(core, j->xml, enc);
	xmpp_stanza_release(enc);
	if (!m || core_send(core, m))
		send_failed(core, j, "internal-server-error", "out of memory");
}

/* A key transport message to one device: a fresh session for it, after a
 * message from it could not be decrypted (as other clients repair). */
static void finish_repair(struct core *core, struct job *j)
{
	struct ax_buf keytag = {0}, iv = {0}, ct = {0};
	xmpp_stanza_t *enc = NULL, *m = NULL, *eme;
	char *id = core_make_id();
	int others = 0;

	if (!ax_payload_encrypt("", 0, &keytag, &iv, &ct))
		enc = encrypted_el(core, j, &keytag, &iv, NULL, j->dev, &others);
	log_debug("omemo: key transport to %s device %u: %s", j->jids[0], (unsigned)j->dev,
	          enc && others > 0 ? "sent" : "no session");
	if (enc && others > 0 && id &&
	    (m = xmpp_message_new(core_ctx(core), "chat", j->jids[0], id)) &&
	    xmpp_stanza_add_child(m, enc) == XMPP_EOK && st_add_element(m, "store", NS_HINTS) &&
	    (eme = st_add_element(m, "encryption", NS_EME)) &&
	    xmpp_stanza_set_attribute(eme, "namespace", NS_AX) == XMPP_EOK) {
		core_send(core, m);
		m = NULL;
	}
	if (m)
		xmpp_stanza_release(m);
	if (enc)
		xmpp_stanza_release(enc);
	ax_buf_clear(&keytag);
	ax_buf_clear(&iv);
	ax_buf_clear(&ct);
	free(id);
}

static void emit_fingerprints(struct core *core, const char *jid, struct core_cause cause)
{
	struct omemo_state *o = ost(core);
	struct peer *p = peer_get(core, jid, false);
	bool self = !strcmp(jid, o->me);
	size_t n = p ? p->ndevs : 0, k = 0;
	struct nt_omemo_device *devs = calloc(n + 1, sizeof(*devs));
	char **fps = calloc(n + 1, sizeof(*fps));
	struct nt_event ev = {.kind = NT_EV_OMEMO_FINGERPRINTS, .origin = cause.origin};

	if (!devs || !fps) {
		core_error(core, cause, "internal-server-error", "out of memory");
		free(devs);
		free(fps);
		return;
	}
	if (self) {
		const struct ax_buf *id = ax_own_identity(o->ax);

		fps[k] = ax_fingerprint(id->data, id->len);
		devs[k++] = (struct nt_omemo_device){ax_device_id(o->ax), fps[0], "verified", true};
	}
	for (size_t i = 0; i < n; i++) {
		uint8_t *key = NULL;
		size_t len;
		enum ks_trust t = KS_UNDECIDED;

		if (self && p->devs[i] == ax_device_id(o->ax))
			continue;
		if (ks_identity_get(ax_store(o->ax), jid, p->devs[i], &key, &len, &t) != 1) {
			free(key);
			continue; /* no bundle: nothing to show */
		}
		fps[k] = ax_fingerprint(key, len);
		free(key);
		devs[k] = (struct nt_omemo_device){
		    p->devs[i], fps[k] ? fps[k] : "?",
		    usable(core, jid, p->devs[i], NULL) && t == KS_TRUSTED ? "trusted"
		                                                           : trust_name(t),
		    false};
		k++;
	}
	ev.u.omemo_fingerprints.jid = jid;
	ev.u.omemo_fingerprints.devices = devs;
	ev.u.omemo_fingerprints.count = k;
	core_emit(core, &ev);
	for (size_t i = 0; i < k; i++)
		free(fps[i]);
	free(fps);
	free(devs);
}

static void job_finish(struct core *core, struct job *j)
{
	switch (j->kind) {
	case JOB_SEND:
		finish_send(core, j);
		break;
	case JOB_FINGERPRINTS:
		emit_fingerprints(core, j->jids[0], j->cause);
		break;
	case JOB_REPAIR:
		finish_repair(core, j);
		break;
	}
}

static void republish_due(struct loop *loop, void *ud)
{
	struct core *core = ud;
	struct omemo_state *o = ost(core);

	(void)loop;
	if (!o)
		return;
	o->republish = 0;
	publish_bundle(core);
}

/* Finishes every job whose answers are in.  An answer may finish several
 * jobs; finishing one may start requests that finish others later. */
static void jobs_run(struct core *core)
{
	struct omemo_state *o = ost(core);
	struct job *j, *tmp;
	bool again = true;

	if (!o || o->running)
		return;
	o->running = true;
	while (again) {
		again = false;
		DL_FOREACH_SAFE(o->jobs, j, tmp)
		{
			if (!job_ready(core, j))
				continue;
			DL_DELETE(o->jobs, j);
			o->njobs--;
			job_finish(core, j);
			job_free(j);
			again = true;
			break;
		}
	}
	if (ax_take_bundle_dirty(o->ax) && !o->republish)
		o->republish = loop_timer_add(core_loop(core), REPUBLISH_MS, republish_due, core);
	o->running = false;
}

/* ---- the chat seam ---- */

/* Whether OMEMO can work in room: only where every occupant's real JID
 * is known to all (non-anonymous) and the members are a list the room
 * keeps (members-only), as Conversations and Dino require; a message is
 * encrypted to the members' accounts, never to a nick.  *why: what is
 * missing, for the user. */
static bool room_fit(struct core *core, const char *room, const char **why)
{
	struct muc_room_info info;
	const char *w = NULL;

	if (!muc_room_info(core, room, &info) || !info.known)
		w = "its configuration is not known yet (join it first)";
	else if (!info.nonanonymous)
		w = "it does not show occupants' real JIDs to everyone (it is not non-anonymous)";
	else if (!info.membersonly)
		w = "it is not members-only";
	if (why)
		*why = w;
	return !w;
}

static void prefs_forget(struct omemo_state *o, const char *jid)
{
	struct chat_pref *p, *tmp;

	HASH_ITER(hh, o->prefs, p, tmp)
	{
		if (jid && strcmp(p->jid, jid))
			continue;
		HASH_DEL(o->prefs, p);
		free(p);
		o->nprefs--;
	}
}

static int pref_get(struct omemo_state *o, const char *jid)
{
	struct chat_pref *p;
	size_t n = strlen(jid);
	int on;

	HASH_FIND(hh, o->prefs, jid, n, p);
	if (p)
		return p->on;
	on = ks_chat_get(ax_store(o->ax), jid);
	if (o->nprefs >= PREFS_MAX)
		prefs_forget(o, NULL);
	/* (not kept when there is no memory: asked again next time) */
	if ((p = malloc(sizeof(*p) + n + 1))) {
		p->on = on;
		memcpy(p->jid, jid, n + 1);
		HASH_ADD(hh, o->prefs, jid[0], n, p);
		o->nprefs++;
	}
	return on;
}

static bool omemo_enabled(struct core *core, const char *peer)
{
	struct omemo_state *o = ost(core);
	int on;

	if (!ax_get(core, o))
		return false;
	on = pref_get(o, peer);
	/* A room only on request (the account's default is for chats), and
	 * only while it is one whose members' keys can be found. */
	if (muc_is_room(core, peer))
		return on == 1 && room_fit(core, peer, NULL);
	return on < 0 ? o->default_on : on == 1;
}

/* Takes m (whose body is text) to encrypt to every device of jids (and
 * of our own account): the job sends it once the keys are in.  to names
 * the conversation (a contact or a room) for errors and the history. */
static int send_to(struct core *core, xmpp_stanza_t *m, const char *to, const char *const *jids,
                   size_t n, const char *text, struct core_cause cause)
{
	struct omemo_state *o = ost(core);
	struct job *j = job_new(core, JOB_SEND, cause, jids, n);
	char *buf = NULL;
	size_t len;
	int rc = -1;

	if (j && xmpp_stanza_to_text(m, &buf, &len) == XMPP_EOK && (j->xml = strdup(buf)) &&
	    (j->text = strdup(text)) && (j->to = strdup(to)) &&
	    (!xmpp_stanza_get_id(m) || (j->id = strdup(xmpp_stanza_get_id(m))))) {
		rc = 1;
	} else if (j) {
		DL_DELETE(o->jobs, j);
		o->njobs--;
		job_free(j);
	}
	if (buf)
		xmpp_free(core_ctx(core), buf);
	xmpp_stanza_release(m);
	if (rc < 0)
		core_error(core, cause, "internal-server-error",
		           "not sent: out of memory or too many messages waiting for keys");
	else
		jobs_run(core);
	return rc;
}

static int omemo_send(struct core *core, xmpp_stanza_t *m, const char *peer, const char *text,
                      struct core_cause cause)
{
	struct omemo_state *o = ost(core);
	const char *jids[2] = {peer, o ? o->me : NULL};

	/* A private message to a room's occupant (peer is the room here) has
	 * no account whose keys we could look up: it goes as it is. */
	if (muc_is_room(core, peer) || !omemo_enabled(core, peer))
		return 0;
	return send_to(core, m, peer, jids, strcmp(peer, o->me) ? 2 : 1, text, cause);
}

/* A room is the list of its members: each member's devices and ours. */
static int omemo_send_group(struct core *core, xmpp_stanza_t *m, const char *room,
                            const char *const *members, size_t n, const char *text,
                            struct core_cause cause)
{
	struct omemo_state *o = ost(core);
	const char **jids = ax_get(core, o) ? calloc(n + 1, sizeof(*jids)) : NULL;
	size_t k = 0;
	int rc;

	if (!jids) {
		xmpp_stanza_release(m);
		core_error(core, cause,
		           o && o->ax ? "internal-server-error" : "service-unavailable",
		           "not sent: %s", o && o->ax ? "out of memory" : "OMEMO is not available");
		return -1;
	}
	jids[k++] = o->me;
	for (size_t i = 0; i < n && k <= MAX_MEMBERS; i++) {
		bool dup = false;

		for (size_t d = 0; d < k && !dup; d++)
			dup = !strcmp(jids[d], members[i]);
		if (!dup)
			jids[k++] = members[i];
	}
	rc = send_to(core, m, room, jids, k, text, cause);
	free(jids);
	return rc;
}

/* Starts repairing the session with a device whose message we could not
 * decrypt: once per device and session, so two clients cannot loop. */
static void repair(struct core *core, const char *jid, uint32_t dev)
{
	struct omemo_state *o = ost(core);
	struct peer *p = peer_get(core, jid, true);
	struct job *j;

	if (!p || has(p->repaired, p->nrepaired, dev))
		return;
	add(p->repaired, &p->nrepaired, dev);
	ax_drop_session(o->ax, jid, dev);
	j = job_new(core, JOB_REPAIR, NO_CAUSE, &jid, 1);
	if (j) {
		j->dev = dev;
		jobs_run(core);
	}
}

/* The key in header meant for this device, and whether it is a pre-key
 * message. */
static xmpp_stanza_t *our_key(struct omemo_state *o, xmpp_stanza_t *header, bool *prekey)
{
	for (xmpp_stanza_t *c = xmpp_stanza_get_children(header); c; c = xmpp_stanza_get_next(c)) {
		const char *name = xmpp_stanza_get_name(c), *pk;
		uint32_t rid;

		if (!xmpp_stanza_is_tag(c) || !name || strcmp(name, "key") ||
		    !parse_dev(xmpp_stanza_get_attribute(c, "rid"), &rid) ||
		    rid != ax_device_id(o->ax))
			continue;
		pk = xmpp_stanza_get_attribute(c, "prekey");
		*prekey = pk && (!strcmp(pk, "true") || !strcmp(pk, "1"));
		return c;
	}
	return NULL;
}

static int omemo_receive(struct core *core, xmpp_stanza_t *st, const struct chat_via *via,
                         char **text)
{
	struct omemo_state *o = ost(core);
	xmpp_stanza_t *enc = xmpp_stanza_get_child_by_name_and_ns(st, "encrypted", NS_AX);
	xmpp_stanza_t *header = enc ? xmpp_stanza_get_child_by_name(enc, "header") : NULL;
	xmpp_stanza_t *payload = enc ? xmpp_stanza_get_child_by_name(enc, "payload") : NULL;
	xmpp_stanza_t *key;
	const char *from = xmpp_stanza_get_from(st), *type = xmpp_stanza_get_type(st), *why = NULL;
	struct ax_buf kt = {0}, iv = {0}, ct = {0}, plain = {0};
	char *sender;
	struct peer *p;
	uint32_t sid;
	bool prekey = false;
	int rc = -1;

	*text = NULL;
	if (!enc)
		return 0;
	if (!ax_get(core, o) || !header ||
	    !parse_dev(xmpp_stanza_get_attribute(header, "sid"), &sid)) {
		log_warn("omemo: an encrypted message from %s is malformed", from ? from : "?");
		return -1;
	}
	if (type && !strcmp(type, "groupchat") && !(via && via->real_jid)) {
		/* Keys belong to the sender's account: an anonymous occupant's are
		 * not to be found. */
		log_warn("omemo: a room message from %s: its sender's real JID is unknown", from);
		return -1;
	}
	sender = jid_bare_key(type && !strcmp(type, "groupchat")
	                          ? via->real_jid
	                          : (from ? from : core_account(core)->jid),
	                      NULL);
	if (!sender)
		return -1;
	if (!strcmp(sender, o->me) && sid == ax_device_id(o->ax)) {
		/* Our own message come back (a room's copy, its archive): a
		 * device never encrypts to itself, and the history has the text. */
		free(sender);
		return -1;
	}
	p = peer_get(core, sender, true);
	/* A device not in its owner's list: the list changed. */
	if (p && !has(p->devs, p->ndevs, sid))
		p->known = false;
	key = our_key(o, header, &prekey);
	if (!key) {
		log_warn("omemo: a message from %s device %u was not encrypted for this device",
		         sender, (unsigned)sid);
		goto out;
	}
	if (b64_child(key, &ct) ||
	    ax_decrypt_key(o->ax, sender, sid, ct.data, ct.len, prekey, &kt, &why)) {
		log_warn("omemo: %s device %u: %s", sender, (unsigned)sid, why ? why : "bad key");
		/* A duplicate is an archive copy of what we decrypted live. */
		if (why && strcmp(why, "a message already decrypted"))
			repair(core, sender, sid);
		goto out;
	}
	settle_trust(core, sender, sid, NO_CAUSE);
	if (!payload) {
		/* A key transport message: the session is repaired, nothing to show. */
		rc = 1;
		goto out;
	}
	ax_buf_clear(&ct);
	if (b64_child(xmpp_stanza_get_child_by_name(header, "iv"), &iv) ||
	    b64_child(payload, &ct) ||
	    ax_payload_decrypt(&kt, iv.data, iv.len, ct.data, ct.len, &plain)) {
		log_warn("omemo: the payload from %s device %u does not decrypt", sender,
		         (unsigned)sid);
		goto out;
	}
	*text = (char *)plain.data;
	plain.data = NULL;
	rc = 1;
out:
	ax_buf_clear(&kt);
	ax_buf_clear(&iv);
	ax_buf_clear(&ct);
	ax_buf_clear(&plain);
	free(sender);
	jobs_run(core);
	return rc;
}

static const struct chat_e2e e2e = {
    .name = "omemo",
    .enabled = omemo_enabled,
    .send = omemo_send,
    .receive = omemo_receive,
    .send_group = omemo_send_group,
};

/* ---- PEP notifications ---- */

static int on_event(struct core *core, xmpp_stanza_t *st)
{
	struct omemo_state *o = ost(core);
	xmpp_stanza_t *ev = xmpp_stanza_get_child_by_name_and_ns(st, "event", NS_PUBSUB_EVENT);
	xmpp_stanza_t *items = ev ? xmpp_stanza_get_child_by_name(ev, "items") : NULL;
	const char *node = items ? xmpp_stanza_get_attribute(items, "node") : NULL;
	const char *from = xmpp_stanza_get_from(st);
	uint32_t devs[MAX_DEVICES];
	struct peer *p;
	char *jid;

	if (!o || !node || strcmp(node, NODE_DEVICES) || !ax_get(core, o))
		return CORE_PASS;
	/* Only the account's own PEP service speaks for it. */
	if (from && strchr(from, '/'))
		return CORE_PASS;
	jid = jid_bare_key(from ? from : core_account(core)->jid, NULL);
	p = jid ? peer_get(core, jid, true) : NULL;
	if (p) {
		peer_set_devices(core, p, devs, parse_list(items_payload(items, "list"), devs));
		if (!strcmp(p->jid, o->me))
			own_list_seen(core, p);
	}
	free(jid);
	jobs_run(core);
	return CORE_PASS;
}

/* ---- the module ---- */

static void omemo_login(struct core *core, const struct core_login *l)
{
	struct omemo_state *o = ost(core);
	struct peer *p, *tmp, *me;

	if (!ax_get(core, o))
		return;
	/* Device lists may have changed while we were away. */
	HASH_ITER(hh, o->peers, p, tmp)
	{
		p->known = p->fetching = false;
		p->nasking = 0;
	}
	me = peer_get(core, o->me, true);
	if (me)
		fetch_list(core, me);
	publish_bundle(core);
}

static int omemo_init(struct core *core)
{
	struct omemo_state *o = calloc(1, sizeof(*o));
	const struct account *a = core_account(core);

	if (!o)
		return -1;
	core_set_state(core, &omemo_module, o);
	o->me = jid_bare_key(a->jid, NULL);
	if (!o->me)
		return -1;
	o->default_on = a->omemo && !strcmp(a->omemo, "on");
	o->manual = a->omemo_trust && !strcmp(a->omemo_trust, "manual");
	if ((a->omemo && strcmp(a->omemo, "on") && strcmp(a->omemo, "off")) ||
	    (a->omemo_trust && strcmp(a->omemo_trust, "manual") && strcmp(a->omemo_trust, "btbv")))
		core_error(core, NO_CAUSE, "bad-request",
		           "account keys: omemo is on or off, omemo_trust is btbv or manual");
	o->dir = paths_data_dir(o->me);
	return 0;
}

static void omemo_free(struct core *core)
{
	struct omemo_state *o = ost(core);
	struct peer *p, *tmp;
	struct job *j, *jt;

	if (!o)
		return;
	loop_timer_cancel(core_loop(core), o->republish);
	DL_FOREACH_SAFE(o->jobs, j, jt)
	{
		DL_DELETE(o->jobs, j);
		job_free(j);
	}
	HASH_ITER(hh, o->peers, p, tmp)
	{
		HASH_DEL(o->peers, p);
		peer_free(p);
	}
	prefs_forget(o, NULL);
	ax_close(o->ax);
	free(o->dir);
	free(o->me);
	free(o);
	core_set_state(core, &omemo_module, NULL);
}

/* ---- commands ---- */

static bool available(struct cmd_call *call)
{
	struct omemo_state *o = ost(CALL_CORE(call));

	if (ax_get(CALL_CORE(call), o))
		return true;
	core_error(CALL_CORE(call), CAUSE(call), "service-unavailable",
	           "OMEMO is not available (see the error before this one)");
	return false;
}

static int cmd_onoff(struct cmd_call *call, bool on)
{
	struct core *core = CALL_CORE(call);
	const char *why = NULL;
	char *jid;
	int rc;

	if (!available(call))
		return -1;
	if (!call->argc && !core_current_chat(core)) {
		core_error(core, CAUSE(call), "bad-request", "with whom? /omemo %s JID",
		           on ? "on" : "off");
		return -1;
	}
	jid = core_checked_bare(core, CAUSE(call),
	                        call->argc ? call->argv[0] : core_current_chat(core));
	if (!jid)
		return -1;
	if (on && muc_is_room(core, jid) && !room_fit(core, jid, &why)) {
		core_error(core, CAUSE(call), "not-acceptable",
		           "OMEMO in %s is not possible: %s; its messages go unencrypted", jid,
		           why);
		free(jid);
		return -1;
	}
	rc = ks_chat_set(ax_store(ost(core)->ax), jid, on);
	prefs_forget(ost(core), jid);
	if (rc)
		core_error(core, CAUSE(call), "internal-server-error", "could not be saved");
	else
		core_info(core, CAUSE(call), "OMEMO %s for %s%s", on ? "on" : "off", jid,
		          on ? ": messages are end-to-end encrypted" : ": messages go unencrypted");
	free(jid);
	return rc;
}

static int cmd_on(struct cmd_call *call)
{
	return cmd_onoff(call, true);
}

static int cmd_off(struct cmd_call *call)
{
	return cmd_onoff(call, false);
}

static int cmd_fingerprint(struct cmd_call *call)
{
	struct core *core = CALL_CORE(call);
	struct omemo_state *o;
	struct job *j;
	char *jid;

	if (!available(call))
		return -1;
	o = ost(core);
	jid = call->argc ? core_checked_bare(core, CAUSE(call), call->argv[0]) : strdup(o->me);
	if (!jid)
		return -1;
	j = job_new(core, JOB_FINGERPRINTS, CAUSE(call), (const char *const *)&jid, 1);
	free(jid);
	if (!j) {
		core_error(core, CAUSE(call), "internal-server-error", "out of memory");
		return -1;
	}
	jobs_run(core);
	return 0;
}

static int cmd_trust_set(struct cmd_call *call, enum ks_trust trust)
{
	struct core *core = CALL_CORE(call);
	struct omemo_state *o;
	struct peer *p;
	char *jid;
	int found = 0;

	if (!available(call) || !(jid = core_checked_bare(core, CAUSE(call), call->argv[0])))
		return -1;
	o = ost(core);
	p = peer_get(core, jid, true);
	for (size_t i = 0; p && i < p->ndevs && !found; i++) {
		uint8_t *key = NULL;
		size_t len;

		if (ks_identity_get(ax_store(o->ax), jid, p->devs[i], &key, &len, NULL) == 1 &&
		    ax_fingerprint_matches(call->argv[1], key, len)) {
			found =
			    ks_identity_set_trust(ax_store(o->ax), jid, p->devs[i], trust) ? -1 : 1;
			if (found == 1)
				core_info(core, CAUSE(call), "OMEMO: %s device %u is %s", jid,
				          (unsigned)p->devs[i], trust_name(trust));
		}
		free(key);
	}
	if (found == 0)
		core_error(
		    core, CAUSE(call), "item-not-found",
		    "no device of %s has that fingerprint (/omemo fingerprint %s lists them)", jid,
		    jid);
	else if (found < 0)
		core_error(core, CAUSE(call), "internal-server-error", "could not be saved");
	free(jid);
	return found == 1 ? 0 : -1;
}

static int cmd_trust(struct cmd_call *call)
{
	return cmd_trust_set(call, KS_VERIFIED);
}

static int cmd_distrust(struct cmd_call *call)
{
	return cmd_trust_set(call, KS_UNTRUSTED);
}

static const struct cmd_entry commands[] = {
    {.name = "omemo on",
     .usage = "[JID]",
     .help = "encrypt the chat with JID (the current one without JID) with OMEMO, remembered",
     .max_args = 1,
     .complete = {"@jid"},
     .exec = cmd_on},
    {.name = "omemo off",
     .usage = "[JID]",
     .help = "stop encrypting the chat with JID (the current one without JID)",
     .max_args = 1,
     .complete = {"@jid"},
     .exec = cmd_off},
    {.name = "omemo fingerprint",
     .usage = "[JID]",
     .help = "show the OMEMO fingerprints of JID's devices (ours without JID)",
     .max_args = 1,
     .complete = {"@jid"},
     .exec = cmd_fingerprint},
    {.name = "omemo trust",
     .usage = "JID FINGERPRINT",
     .help = "verify a device of JID: from now on only verified devices of JID are used",
     .min_args = 2,
     .max_args = 2,
     .rest = true,
     .complete = {"@jid"},
     .exec = cmd_trust},
    {.name = "omemo distrust",
     .usage = "JID FINGERPRINT",
     .help = "never encrypt to that device of JID again",
     .min_args = 2,
     .max_args = 2,
     .rest = true,
     .complete = {"@jid"},
     .exec = cmd_distrust},
};

static const struct core_handler handlers[] = {
    {CORE_HANDLE, "message", NULL, NS_PUBSUB_EVENT, on_event},
};

/* +notify: the server sends us contacts' device lists as they change. */
static const char *const features[] = {NODE_DEVICES "+notify", NULL};

const struct core_module omemo_module = {
    .name = "omemo",
    .title = "End-to-end encryption (OMEMO)",
    .init = omemo_init,
    .free = omemo_free,
    .login = omemo_login,
    .commands = commands,
    .ncommands = COUNT(commands),
    .handlers = handlers,
    .nhandlers = COUNT(handlers),
    .features = features,
    .e2e = &e2e,
};
