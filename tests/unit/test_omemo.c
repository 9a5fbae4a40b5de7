/* OMEMO: the device on libomemo-c (src/omemo) between two devices of our
 * own making, and the core's OMEMO module through the fake session, with
 * a contact's device played by a second src/omemo device. */
#include "config.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <regex.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strophe.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/chat.h"
#include "core/core.h"
#include "core/omemo.h"
#include "core_harness.h"
#include "omemo/axolotl.h"

#define ME    "alice@example.org"
#define BOB   "bob@example.org"
#define NS_AX "eu.siacs.conversations.axolotl"

static char *tmpdir(void)
{
	char tmpl[] = "/tmp/natter-omemo-XXXXXX";

	assert_non_null(mkdtemp(tmpl));
	return strdup(tmpl);
}

static void rmrf(const char *dir)
{
	char *cmd = NULL;

	assert_true(asprintf(&cmd, "rm -rf '%s'", dir) > 0);
	assert_int_equal(system(cmd), 0);
	free(cmd);
}

static struct ax *device(const char *dir)
{
	char *err = NULL;
	struct ax *ax = ax_open(dir, &err);

	if (!ax)
		fail_msg("ax_open: %s", err ? err : "?");
	return ax;
}

static size_t prekeys(struct ax *ax)
{
	uint32_t *ids = NULL;
	size_t n = 0;

	assert_int_equal(ks_key_ids(ax_store(ax), KS_PREKEY, &ids, &n), 0);
	free(ids);
	return n;
}

/* ---- two devices ---- */

static void test_two_devices_talk_and_prekeys_refill(void **state)
{
	char *da = tmpdir(), *db = tmpdir();
	struct ax *a = device(da), *b = device(db);
	struct ax_bundle bundle;
	struct ax_buf msg, key, reply;
	const char *why = NULL;
	bool prekey = false;
	uint8_t secret[32];

	memset(secret, 0x5a, sizeof secret);
	assert_int_not_equal(ax_device_id(a), ax_device_id(b));
	assert_int_equal(prekeys(b), AX_PREKEYS);
	assert_int_equal(ax_own_bundle(b, &bundle), 0);
	assert_int_equal(bundle.nprekeys, AX_PREKEYS);
	assert_int_equal(ax_start_session(a, BOB, ax_device_id(b), &bundle, &why), 0);
	ax_bundle_clear(&bundle);
	assert_true(ax_has_session(a, BOB, ax_device_id(b)));
	/* The first message carries the key exchange... */
	assert_int_equal(ax_encrypt_key(a, BOB, ax_device_id(b), secret, 32, &msg, &prekey), 0);
	assert_true(prekey);
	assert_int_equal(
	    ax_decrypt_key(b, ME, ax_device_id(a), msg.data, msg.len, true, &key, &why), 0);
	assert_int_equal(key.len, 32);
	assert_memory_equal(key.data, secret, 32);
	/* ...which used up one of b's pre-keys: the bundle must be renewed. */
	assert_int_equal(prekeys(b), AX_PREKEYS - 1);
	assert_true(ax_take_bundle_dirty(b));
	assert_int_equal(ax_refill(b), 0);
	assert_int_equal(prekeys(b), AX_PREKEYS);
	/* The same message again is a duplicate, not a second message. */
	ax_buf_clear(&key);
	assert_int_equal(
	    ax_decrypt_key(b, ME, ax_device_id(a), msg.data, msg.len, true, &key, &why), -1);
	assert_string_equal(why, "a message already decrypted");
	ax_buf_clear(&msg);
	/* b answers without a key exchange; once a has read it, neither needs one. */
	assert_int_equal(ax_encrypt_key(b, ME, ax_device_id(a), secret, 16, &reply, &prekey), 0);
	assert_false(prekey);
	assert_int_equal(
	    ax_decrypt_key(a, BOB, ax_device_id(b), reply.data, reply.len, false, &key, &why), 0);
	assert_int_equal(key.len, 16);
	ax_buf_clear(&key);
	ax_buf_clear(&reply);
	assert_int_equal(ax_encrypt_key(a, BOB, ax_device_id(b), secret, 32, &msg, &prekey), 0);
	assert_false(prekey);
	assert_int_equal(
	    ax_decrypt_key(b, ME, ax_device_id(a), msg.data, msg.len, false, &key, &why), 0);
	ax_buf_clear(&key);
	ax_buf_clear(&msg);
	ax_close(a);
	ax_close(b);
	rmrf(da);
	rmrf(db);
	free(da);
	free(db);
}

static void test_identity_and_sessions_survive_a_restart(void **state)
{
	char *da = tmpdir(), *db = tmpdir();
	struct ax *a = device(da), *b = device(db);
	struct ax_bundle bundle;
	struct ax_buf msg, key, id1 = {0};
	const char *why;
	bool prekey;
	uint32_t dev = ax_device_id(a);
	uint8_t secret[32] = {1, 2, 3};

	assert_int_equal(ax_own_bundle(b, &bundle), 0);
	assert_int_equal(ax_start_session(a, BOB, ax_device_id(b), &bundle, &why), 0);
	ax_bundle_clear(&bundle);
	id1.len = ax_own_identity(a)->len;
	id1.data = malloc(id1.len);
	memcpy(id1.data, ax_own_identity(a)->data, id1.len);
	ax_close(a);
	a = device(da);
	assert_int_equal(ax_device_id(a), dev);
	assert_memory_equal(ax_own_identity(a)->data, id1.data, id1.len);
	assert_true(ax_has_session(a, BOB, ax_device_id(b)));
	assert_int_equal(ax_encrypt_key(a, BOB, ax_device_id(b), secret, 32, &msg, &prekey), 0);
	assert_int_equal(
	    ax_decrypt_key(b, ME, ax_device_id(a), msg.data, msg.len, prekey, &key, &why), 0);
	assert_memory_equal(key.data, secret, 32);
	ax_buf_clear(&key);
	ax_buf_clear(&msg);
	ax_buf_clear(&id1);
	ax_close(a);
	ax_close(b);
	rmrf(da);
	rmrf(db);
	free(da);
	free(db);
}

static void test_store_is_private(void **state)
{
	char *d = tmpdir(), *path = NULL, *err = NULL;
	struct ax *a = device(d);
	struct stat st;

	assert_true(asprintf(&path, "%s/omemo.db", d) > 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	ax_close(a);
	/* Open to others: refused rather than used. */
	assert_int_equal(chmod(path, 0644), 0);
	assert_null(ax_open(d, &err));
	assert_non_null(err);
	assert_non_null(strstr(err, "chmod 600"));
	free(err);
	free(path);
	rmrf(d);
	free(d);
}

static void test_payload(void **state)
{
	struct ax_buf kt, iv, ct, text, key16;
	const char *msg = "ünïcode & <xml> \n second line";

	assert_int_equal(ax_payload_encrypt(msg, strlen(msg), &kt, &iv, &ct), 0);
	assert_int_equal(kt.len, 32);
	assert_int_equal(iv.len, 12);
	assert_int_equal(ct.len, strlen(msg));
	assert_null(memmem(ct.data, ct.len, "second", 6));
	assert_int_equal(ax_payload_decrypt(&kt, iv.data, iv.len, ct.data, ct.len, &text), 0);
	assert_string_equal((char *)text.data, msg);
	ax_buf_clear(&text);
	/* Older clients: a 16-byte key, the tag after the ciphertext. */
	key16.data = malloc(16 + ct.len + 16);
	memcpy(key16.data, kt.data, 16);
	key16.len = 16;
	{
		uint8_t *joined = malloc(ct.len + 16);

		memcpy(joined, ct.data, ct.len);
		memcpy(joined + ct.len, kt.data + 16, 16);
		assert_int_equal(
		    ax_payload_decrypt(&key16, iv.data, iv.len, joined, ct.len + 16, &text), 0);
		assert_string_equal((char *)text.data, msg);
		ax_buf_clear(&text);
		free(joined);
	}
	/* Tampering is caught by the tag. */
	ct.data[0] ^= 1;
	assert_int_equal(ax_payload_decrypt(&kt, iv.data, iv.len, ct.data, ct.len, &text), -1);
	ax_buf_clear(&key16);
	ax_buf_clear(&kt);
	ax_buf_clear(&iv);
	ax_buf_clear(&ct);
}

static void test_fingerprints(void **state)
{
	uint8_t key[33];
	char *fp, typed[200];
	regex_t re;

	key[0] = 0x05;
	for (int i = 1; i < 33; i++)
		key[i] = (uint8_t)(i * 7);
	fp = ax_fingerprint(key, sizeof key);
	assert_int_equal(regcomp(&re, "^[0-9a-f]{8}( [0-9a-f]{8}){7}$", REG_EXTENDED), 0);
	assert_int_equal(regexec(&re, fp, 0, NULL, 0), 0);
	regfree(&re);
	assert_true(ax_fingerprint_matches(fp, key, sizeof key));
	/* As other clients or a person may type it. */
	snprintf(typed, sizeof typed, "%.8s-%s", fp, fp + 9);
	for (char *p = typed; *p; p++)
		if (*p >= 'a' && *p <= 'f')
			*p -= 'a' - 'A';
	assert_true(ax_fingerprint_matches(typed, key, sizeof key));
	assert_false(ax_fingerprint_matches("00000000", key, sizeof key));
	typed[3] = typed[3] == '0' ? '1' : '0';
	assert_false(ax_fingerprint_matches(typed, key, sizeof key));
	free(fp);
}

/* ---- the module, through the fake session ---- */

struct ctx {
	struct harness *h;
	char *bdir;
	struct ax *bob; /* the contact's device */
	xmpp_ctx_t *xml;
};

static int setup(void **state)
{
	struct ctx *c = calloc(1, sizeof(*c));

	c->h = harness_new(ME, "[history]\nmam_initial = 0\n");
	c->bdir = tmpdir();
	c->bob = device(c->bdir);
	c->xml = xmpp_ctx_new(NULL, NULL);
	*state = c;
	return 0;
}

static int teardown(void **state)
{
	struct ctx *c = *state;

	harness_free(c->h);
	ax_close(c->bob);
	rmrf(c->bdir);
	free(c->bdir);
	xmpp_ctx_free(c->xml);
	free(c);
	return 0;
}

static char *b64(const uint8_t *data, size_t len)
{
	char *out = malloc(4 * ((len + 2) / 3) + 1);

	EVP_EncodeBlock((unsigned char *)out, data, (int)len);
	return out;
}

static struct ax_buf unb64(const char *s)
{
	struct ax_buf b;
	size_t n = strlen(s);
	int len;

	b.data = malloc(n + 1);
	len = EVP_DecodeBlock(b.data, (const unsigned char *)s, (int)n);
	assert_true(len >= 0);
	while (n && s[n - 1] == '=') {
		len--;
		n--;
	}
	b.len = (size_t)len;
	return b;
}

/* The bundle of bob's device as its server would hand it out, answering
 * request id. */
static char *bundle_answer(struct ctx *c, const char *id)
{
	struct ax_bundle b;
	char *xml = NULL, *spk, *sig, *ik;
	size_t len = 0;
	FILE *f = open_memstream(&xml, &len);

	assert_int_equal(ax_own_bundle(c->bob, &b), 0);
	spk = b64(b.spk.data, b.spk.len);
	sig = b64(b.spk_sig.data, b.spk_sig.len);
	ik = b64(b.identity.data, b.identity.len);
	fprintf(f,
	        "<iq type='result' id='%s' from='" BOB "'><pubsub "
	        "xmlns='http://jabber.org/protocol/pubsub'><items node='" NS_AX ".bundles:%u'>"
	        "<item id='current'><bundle xmlns='" NS_AX "'><signedPreKeyPublic "
	        "signedPreKeyId='%u'>%s</signedPreKeyPublic><signedPreKeySignature>%s"
	        "</signedPreKeySignature><identityKey>%s</identityKey><prekeys>",
	        id, (unsigned)ax_device_id(c->bob), (unsigned)b.spk_id, spk, sig, ik);
	for (size_t i = 0; i < 5; i++) {
		char *k = b64(b.prekeys[i].key.data, b.prekeys[i].key.len);

		fprintf(f, "<preKeyPublic preKeyId='%u'>\n  %s\n</preKeyPublic>",
		        (unsigned)b.prekeys[i].id, k);
		free(k);
	}
	fputs("</prekeys></bundle></item></items></pubsub></iq>", f);
	fclose(f);
	free(spk);
	free(sig);
	free(ik);
	ax_bundle_clear(&b);
	return xml;
}

/* A message bob's device writes to our device dev: type and from as
 * given, text encrypted (malloc'd XML). */
static char *bob_writes(struct ctx *c, const char *type, const char *from, uint32_t dev,
                        const char *text, bool want_prekey)
{
	struct ax_buf kt, iv, ct, msg;
	char *xml = NULL, *k, *b64iv, *b64ct;
	bool prekey = false;

	assert_int_equal(ax_payload_encrypt(text, strlen(text), &kt, &iv, &ct), 0);
	assert_int_equal(ax_encrypt_key(c->bob, ME, dev, kt.data, kt.len, &msg, &prekey), 0);
	assert_int_equal(prekey, want_prekey);
	k = b64(msg.data, msg.len);
	b64iv = b64(iv.data, iv.len);
	b64ct = b64(ct.data, ct.len);
	assert_true(asprintf(&xml,
	                     "<message type='%s' id='w%u' from='%s' to='" ME "/natter'><encrypted "
	                     "xmlns='" NS_AX
	                     "'><header sid='%u'><key rid='%u'%s>%s</key><iv>%s</iv>"
	                     "</header><payload>%s</payload></encrypted><body>fallback</body>"
	                     "</message>",
	                     type, (unsigned)rand(), from, (unsigned)ax_device_id(c->bob),
	                     (unsigned)dev, prekey ? " prekey='true'" : "", k, b64iv, b64ct) > 0);
	free(k);
	free(b64iv);
	free(b64ct);
	ax_buf_clear(&kt);
	ax_buf_clear(&iv);
	ax_buf_clear(&ct);
	ax_buf_clear(&msg);
	return xml;
}

#define LIST_ANSWER                                                                                \
	"<iq type='result' id='%s' from='" BOB "'><pubsub "                                        \
	"xmlns='http://jabber.org/protocol/pubsub'><items node='" NS_AX ".devicelist'><item "      \
	"id='current'><list xmlns='" NS_AX "'><device id='%u'/></list></item></items></pubsub>"    \
	"</iq>"

/* Answers the core's request for bob's device list: one device. */
static void answer_list(struct ctx *c)
{
	size_t i;
	char *id;

	if (!fake_find_sent(c->h->xs, 0, NS_AX ".devicelist\"", &i))
		fail_msg("bob's device list was not asked for");
	id = fake_sent_id(c->h->xs, i);
	fake_receivef(c->h->xs, LIST_ANSWER, id, (unsigned)ax_device_id(c->bob));
	free(id);
}

/* Answers the first bundle request sent from index from on. */
static void answer_bundle(struct ctx *c, size_t from)
{
	size_t i;
	char *id, *xml;

	if (!fake_find_sent(c->h->xs, from, ".bundles:", &i))
		fail_msg("no bundle was asked for");
	id = fake_sent_id(c->h->xs, i);
	xml = bundle_answer(c, id);
	fake_receive(c->h->xs, xml);
	free(xml);
	free(id);
}

static xmpp_stanza_t *child(xmpp_stanza_t *st, const char *name)
{
	xmpp_stanza_t *c = xmpp_stanza_get_child_by_name(st, name);

	if (!c)
		fail_msg("no <%s/>", name);
	return c;
}

static char *text_of(xmpp_stanza_t *st)
{
	return xmpp_stanza_get_text(st);
}

/* bob's device reads the encrypted message the core sent. */
static char *bob_reads(struct ctx *c, const char *sent, bool want_prekey)
{
	xmpp_stanza_t *m = xmpp_stanza_new_from_string(c->xml, sent);
	xmpp_stanza_t *enc = xmpp_stanza_get_child_by_name_and_ns(m, "encrypted", NS_AX);
	xmpp_stanza_t *header = child(enc, "header"), *k;
	struct ax_buf key, kt, iv, ct, text;
	char *s, rid[16];
	const char *why = NULL;
	uint32_t sid = (uint32_t)strtoul(xmpp_stanza_get_attribute(header, "sid"), NULL, 10);

	snprintf(rid, sizeof rid, "%u", (unsigned)ax_device_id(c->bob));
	for (k = xmpp_stanza_get_children(header); k; k = xmpp_stanza_get_next(k))
		if (xmpp_stanza_get_attribute(k, "rid") &&
		    !strcmp(xmpp_stanza_get_attribute(k, "rid"), rid))
			break;
	assert_non_null(k);
	assert_int_equal(xmpp_stanza_get_attribute(k, "prekey") != NULL, want_prekey);
	s = text_of(k);
	key = unb64(s);
	xmpp_free(c->xml, s);
	if (ax_decrypt_key(c->bob, ME, sid, key.data, key.len, want_prekey, &kt, &why))
		fail_msg("bob cannot decrypt the key: %s", why);
	s = text_of(child(header, "iv"));
	iv = unb64(s);
	xmpp_free(c->xml, s);
	s = text_of(child(enc, "payload"));
	ct = unb64(s);
	xmpp_free(c->xml, s);
	assert_int_equal(ax_payload_decrypt(&kt, iv.data, iv.len, ct.data, ct.len, &text), 0);
	ax_buf_clear(&key);
	ax_buf_clear(&kt);
	ax_buf_clear(&iv);
	ax_buf_clear(&ct);
	xmpp_stanza_release(m);
	return (char *)text.data;
}

static void test_chat_encrypted_to_the_contact_never_in_clear(void **state)
{
	struct ctx *c = *state;
	const char *sent;
	char *text;

	harness_online_quiet(c->h);
	assert_int_equal(harness_input(c->h, "/omemo on " BOB, 1), 0);
	assert_int_equal(harness_input(c->h, "/msg " BOB " the secret plan", 2), 0);
	/* Nothing goes out before the keys are in; then only ciphertext. */
	assert_null(fake_find_sent(c->h->xs, 0, "<message", NULL));
	answer_list(c);
	answer_bundle(c, 0);
	sent = fake_find_sent(c->h->xs, 0, "<message", NULL);
	assert_non_null(sent);
	assert_null(strstr(sent, "secret"));
	assert_non_null(strstr(sent, "urn:xmpp:eme:0"));
	assert_non_null(strstr(sent, "<store xmlns=\"urn:xmpp:hints\""));
	assert_non_null(strstr(sent, "OMEMO encrypted message"));
	text = bob_reads(c, sent, true);
	assert_string_equal(text, "the secret plan");
	free(text);
	{
		json_t *ev = harness_expect(c->h, "message", 0);

		assert_string_equal(json_string_value(json_object_get(ev, "encrypted")), "omemo");
		json_decref(ev);
	}
	/* The next message needs no fetch at all. */
	fake_clear_sent(c->h->xs);
	assert_int_equal(harness_input(c->h, "/msg " BOB " second", 3), 0);
	sent = fake_find_sent(c->h->xs, 0, "<message", NULL);
	assert_non_null(sent);
	assert_null(strstr(sent, "second"));
	text = bob_reads(c, sent, true);
	assert_string_equal(text, "second");
	free(text);
}

static void test_without_trusted_device_nothing_is_sent(void **state)
{
	struct ctx *c = *state;
	json_t *ev;

	harness_online_quiet(c->h);
	assert_int_equal(harness_input(c->h, "/omemo on " BOB, 1), 0);
	assert_int_equal(harness_input(c->h, "/msg " BOB " hello?", 2), 0);
	/* bob has no OMEMO at all. */
	{
		size_t i;
		char *id;

		assert_non_null(fake_find_sent(c->h->xs, 0, NS_AX ".devicelist\"", &i));
		id = fake_sent_id(c->h->xs, i);
		fake_receivef(
		    c->h->xs,
		    "<iq type='error' id='%s' from='" BOB "'><error type='cancel'>"
		    "<item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>",
		    id);
		free(id);
	}
	assert_null(fake_find_sent(c->h->xs, 0, "<message", NULL));
	ev = harness_expect(c->h, "error", 0);
	assert_string_equal(json_string_value(json_object_get(ev, "condition")), "not-acceptable");
	assert_int_equal(json_integer_value(json_object_get(ev, "origin")), 2);
	json_decref(ev);
}

static void test_undecryptable_is_reported_never_the_fallback(void **state)
{
	struct ctx *c = *state;
	json_t *ev;

	harness_online_quiet(c->h);
	/* Encrypted for another device only. */
	fake_receive(c->h->xs,
	             "<message type='chat' id='u1' from='" BOB "/phone' to='" ME "/natter'>"
	             "<encrypted xmlns='" NS_AX "'><header sid='4242'><key rid='1'>AAAA</key>"
	             "<iv>AAAAAAAAAAAAAAAA</iv></header><payload>AAAA</payload></encrypted>"
	             "<body>I sent you an OMEMO encrypted message</body></message>");
	ev = harness_expect(c->h, "message", 0);
	assert_true(json_is_true(json_object_get(ev, "undecryptable")));
	assert_string_equal(json_string_value(json_object_get(ev, "encrypted")), "omemo");
	assert_null(json_object_get(ev, "body"));
	json_decref(ev);
	for (size_t i = 0; i < c->h->nevents; i++)
		assert_null(strstr(c->h->events[i], "I sent you"));
}

/* A contact's first message uses one of our pre-keys: it decrypts, and our
 * bundle is filled up and published again. */
static void test_prekey_message_decrypts_and_bundle_is_refilled(void **state)
{
	struct ctx *c = *state;
	xmpp_stanza_t *iq, *bundle, *pks, *spk;
	struct ax_bundle ours = {0};
	const char *why = NULL, *sent;
	char *xml = NULL, *s;
	size_t i, n = 0;
	json_t *ev;

	harness_online(c->h);
	/* Our bundle, as published at login. */
	sent = fake_find_sent(c->h->xs, 0, NS_AX ".bundles:", &i);
	assert_non_null(sent);
	iq = xmpp_stanza_new_from_string(c->xml, sent);
	bundle = xmpp_stanza_get_child_by_name_and_ns(
	    child(child(child(iq, "pubsub"), "publish"), "item"), "bundle", NS_AX);
	assert_non_null(bundle);
	spk = child(bundle, "signedPreKeyPublic");
	ours.spk_id = (uint32_t)atoi(xmpp_stanza_get_attribute(spk, "signedPreKeyId"));
	s = text_of(spk), ours.spk = unb64(s), xmpp_free(c->xml, s);
	s = text_of(child(bundle, "signedPreKeySignature")), ours.spk_sig = unb64(s),
	xmpp_free(c->xml, s);
	s = text_of(child(bundle, "identityKey")), ours.identity = unb64(s), xmpp_free(c->xml, s);
	pks = child(bundle, "prekeys");
	ours.prekeys = calloc(200, sizeof(*ours.prekeys));
	for (xmpp_stanza_t *p = xmpp_stanza_get_children(pks); p; p = xmpp_stanza_get_next(p)) {
		ours.prekeys[ours.nprekeys].id =
		    (uint32_t)atoi(xmpp_stanza_get_attribute(p, "preKeyId"));
		s = text_of(p);
		ours.prekeys[ours.nprekeys++].key = unb64(s);
		xmpp_free(c->xml, s);
	}
	assert_int_equal(ours.nprekeys, AX_PREKEYS);
	{
		const char *node =
		    xmpp_stanza_get_attribute(child(child(iq, "pubsub"), "publish"), "node");
		uint32_t dev = (uint32_t)strtoul(strrchr(node, ':') + 1, NULL, 10);

		xmpp_stanza_release(iq);
		assert_int_equal(ax_start_session(c->bob, ME, dev, &ours, &why), 0);
		ax_bundle_clear(&ours);
		xml = bob_writes(c, "chat", BOB "/phone", dev, "hi alice", true);
	}
	fake_clear_sent(c->h->xs);
	harness_clear(c->h);
	fake_receive(c->h->xs, xml);
	free(xml);
	ev = harness_expect(c->h, "message", 0);
	assert_string_equal(json_string_value(json_object_get(ev, "body")), "hi alice");
	assert_string_equal(json_string_value(json_object_get(ev, "encrypted")), "omemo");
	json_decref(ev);
	/* The used pre-key is replaced and the bundle published again, full
	 * (a burst of new sessions makes one publication). */
	assert_null(fake_find_sent(c->h->xs, 0, NS_AX ".bundles:", NULL));
	harness_advance(c->h, 1000);
	sent = fake_find_sent(c->h->xs, 0, NS_AX ".bundles:", NULL);
	assert_non_null(sent);
	for (const char *p = sent; (p = strstr(p, "<preKeyPublic")); p++)
		n++;
	assert_int_equal(n, AX_PREKEYS);
}

/* A node made earlier with another access model is reconfigured to open. */
static void test_publish_reconfigures_a_closed_node(void **state)
{
	struct ctx *c = *state;
	size_t i;
	char *id;

	harness_online(c->h);
	assert_non_null(fake_find_sent(c->h->xs, 0, "publish-options", &i));
	assert_non_null(strstr(fake_sent(c->h->xs, i), "pubsub#access_model"));
	id = fake_sent_id(c->h->xs, i);
	fake_receivef(c->h->xs,
	              "<iq type='error' id='%s'><error type='cancel'><precondition-not-met "
	              "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>",
	              id);
	free(id);
	assert_non_null(fake_find_sent(c->h->xs, i, "pubsub#owner", &i));
	assert_non_null(strstr(fake_sent(c->h->xs, i), "<value>open</value>"));
	id = fake_sent_id(c->h->xs, i);
	fake_receivef(c->h->xs, "<iq type='result' id='%s'/>", id);
	free(id);
	assert_non_null(fake_find_sent(c->h->xs, i, "publish-options", NULL));
}

static void test_device_list_notifications_and_caps(void **state)
{
	struct ctx *c = *state;
	json_t *ev;

	harness_online_quiet(c->h);
	fake_receive(c->h->xs, "<iq type='get' id='d1' from='" BOB "/b'>"
	                       "<query xmlns='http://jabber.org/protocol/disco#info'/></iq>");
	assert_non_null(fake_find_sent(c->h->xs, 0, NS_AX ".devicelist+notify", NULL));
	fake_receivef(c->h->xs,
	              "<message from='" BOB "' type='headline'><event "
	              "xmlns='http://jabber.org/protocol/pubsub#event'><items node='" NS_AX
	              ".devicelist'><item id='current'><list xmlns='" NS_AX "'><device id='%u'/>"
	              "</list></item></items></event></message>",
	              (unsigned)ax_device_id(c->bob));
	/* Known from the notification: a fingerprint request asks only for the bundle. */
	fake_clear_sent(c->h->xs);
	assert_int_equal(harness_input(c->h, "/omemo fingerprint " BOB, 4), 0);
	assert_null(fake_find_sent(c->h->xs, 0, ".devicelist\"", NULL));
	assert_non_null(fake_find_sent(c->h->xs, 0, ".bundles:", NULL));
	answer_bundle(c, 0);
	ev = harness_expect(c->h, "omemo_fingerprints", 0);
	{
		json_t *d = json_array_get(json_object_get(ev, "devices"), 0);
		char *fp =
		    ax_fingerprint(ax_own_identity(c->bob)->data, ax_own_identity(c->bob)->len);

		assert_string_equal(json_string_value(json_object_get(d, "fingerprint")), fp);
		assert_string_equal(json_string_value(json_object_get(d, "trust")), "trusted");
		free(fp);
	}
	json_decref(ev);
	/* A notification from a full JID is no PEP service's: ignored. */
	fake_receive(c->h->xs, "<message from='" BOB "/evil' type='headline'><event "
	                       "xmlns='http://jabber.org/protocol/pubsub#event'><items node='" NS_AX
	                       ".devicelist'><item><list xmlns='" NS_AX "'/></item></items></event>"
	                       "</message>");
	harness_clear(c->h);
	assert_int_equal(harness_input(c->h, "/omemo fingerprint " BOB, 5), 0);
	ev = harness_expect(c->h, "omemo_fingerprints", 0);
	assert_int_equal(json_array_size(json_object_get(ev, "devices")), 1);
	json_decref(ev);
}

/* A room is its members' real JIDs: a message reaches every device of each
 * (here bob's), and a member's message is decrypted by the real JID the
 * room gives for its sender. */
static void test_room_needs_only_the_members_real_jids(void **state)
{
	struct ctx *c = *state;
	xmpp_stanza_t *m;
	const char *members[] = {BOB, ME}, *sent;
	struct chat_via via = {.real_jid = BOB "/laptop"};
	char *text, *xml = NULL;
	uint32_t dev;
	json_t *ev;

	harness_online_quiet(c->h);
	m = xmpp_message_new(core_ctx(c->h->core), "groupchat", "room@muc.example.org", "g1");
	xmpp_message_set_body(m, "to the whole room");
	assert_int_equal(omemo_module.e2e->send_group(c->h->core, m, "room@muc.example.org",
	                                              members, 2, "to the whole room",
	                                              (struct core_cause){NULL, 7}),
	                 1);
	answer_list(c);
	answer_bundle(c, 0);
	sent = fake_find_sent(c->h->xs, 0, "<message", NULL);
	assert_non_null(sent);
	assert_non_null(strstr(sent, "type=\"groupchat\""));
	assert_null(strstr(sent, "whole room"));
	text = bob_reads(c, sent, true);
	assert_string_equal(text, "to the whole room");
	free(text);
	/* bob answers in the room; the room names him. */
	{
		xmpp_stanza_t *st = xmpp_stanza_new_from_string(c->xml, sent);
		xmpp_stanza_t *h = xmpp_stanza_get_child_by_name(
		    xmpp_stanza_get_child_by_name_and_ns(st, "encrypted", NS_AX), "header");

		dev = (uint32_t)strtoul(xmpp_stanza_get_attribute(h, "sid"), NULL, 10);
		xmpp_stanza_release(st);
	}
	xml = bob_writes(c, "groupchat", "room@muc.example.org/bob", dev, "room reply", false);
	harness_clear(c->h);
	{
		xmpp_stanza_t *st = xmpp_stanza_new_from_string(core_ctx(c->h->core), xml);

		assert_int_equal(chat_receive(c->h->core, st, &via), 1);
		ev = harness_expect(c->h, "message", 0);
		assert_string_equal(json_string_value(json_object_get(ev, "body")), "room reply");
		assert_string_equal(json_string_value(json_object_get(ev, "encrypted")), "omemo");
		json_decref(ev);
		/* Without the real JID (an anonymous room) it cannot be decrypted. */
		harness_clear(c->h);
		xmpp_stanza_set_id(st, "r2");
		assert_int_equal(chat_receive(c->h->core, st, NULL), 1);
		ev = harness_expect(c->h, "message", 0);
		assert_true(json_is_true(json_object_get(ev, "undecryptable")));
		json_decref(ev);
		xmpp_stanza_release(st);
	}
	free(xml);
}

/* ---- rooms, through the group-chat module ---- */

#define ROOM  "room@muc.example.org"
#define MUC_X "<x xmlns='http://jabber.org/protocol/muc#user'>"
/* what a room whose members' keys can be found says of itself */
#define PRIVATE_ROOM                                                                               \
	"<feature var='http://jabber.org/protocol/muc'/><feature var='muc_nonanonymous'/>"         \
	"<feature var='muc_membersonly'/>"
/* an open room that hides real JIDs from everyone but its moderators */
#define PUBLIC_ROOM                                                                                \
	"<feature var='http://jabber.org/protocol/muc'/><feature var='muc_semianonymous'/>"        \
	"<feature var='muc_open'/>"

/* The first stanza sent (from index from on) containing a and b. */
static size_t sent_with(struct ctx *c, size_t from, const char *a, const char *b)
{
	for (size_t i = from; i < fake_sent_count(c->h->xs); i++) {
		const char *s = fake_sent(c->h->xs, i);

		if (strstr(s, a) && (!b || strstr(s, b)))
			return i;
	}
	fail_msg("nothing sent with %s and %s", a, b ? b : "");
	return 0;
}

/* Online and in ROOM as "me", bob there as "bob" (his real JID shown
 * when the room shows them); the room's disco#info says features. */
static void in_room(struct ctx *c, const char *features, bool real_jids)
{
	size_t i;
	char *id;

	harness_online_quiet(c->h);
	assert_int_equal(harness_input(c->h, "/join " ROOM "/me", 5), 0);
	i = sent_with(c, 0, "disco#info", "to=\"" ROOM "\"");
	id = fake_sent_id(c->h->xs, i);
	fake_receivef(
	    c->h->xs,
	    "<iq type='result' id='%s' from='" ROOM "'><query "
	    "xmlns='http://jabber.org/protocol/disco#info'><identity category='conference' "
	    "type='text'/>%s</query></iq>",
	    id, features);
	free(id);
	fake_receivef(c->h->xs,
	              "<presence from='" ROOM "/bob' to='" ME "/natter'>" MUC_X
	              "<item affiliation='member' role='participant'%s/></x></presence>",
	              real_jids ? " jid='" BOB "/phone'" : "");
	fake_receive(c->h->xs, "<presence from='" ROOM "/me' to='" ME "/natter'>" MUC_X
	                       "<item affiliation='owner' role='moderator' jid='" ME "/natter'/>"
	                       "<status code='110'/><status code='100'/></x></presence>");
	json_decref(harness_expect(c->h, "muc_joined", 0));
	harness_clear(c->h);
	fake_clear_sent(c->h->xs);
}

static void test_room_without_real_jids_is_refused(void **state)
{
	struct ctx *c = *state;
	json_t *ev;
	size_t i;

	in_room(c, PUBLIC_ROOM, false);
	assert_int_equal(harness_input(c->h, "/omemo on " ROOM, 6), -1);
	ev = harness_expect(c->h, "error", 0);
	assert_string_equal(json_string_value(json_object_get(ev, "condition")), "not-acceptable");
	assert_non_null(strstr(json_string_value(json_object_get(ev, "text")), "real JIDs"));
	json_decref(ev);
	/* ... and the room's messages go as they are, not held for keys. */
	assert_int_equal(harness_input(c->h, "/msg " ROOM " open words", 7), 0);
	i = sent_with(c, 0, "<message", "groupchat");
	assert_non_null(strstr(fake_sent(c->h->xs, i), "open words"));
	assert_null(strstr(fake_sent(c->h->xs, i), NS_AX));
}

static void test_members_only_room_is_encrypted_to_the_members(void **state)
{
	struct ctx *c = *state;
	const char *sent;
	char *text, *xml;
	size_t before;
	json_t *ev;
	uint32_t dev;

	in_room(c, PRIVATE_ROOM, true);
	assert_int_equal(harness_input(c->h, "/omemo on " ROOM, 6), 0);
	assert_int_equal(harness_input(c->h, "/msg " ROOM " for members only", 7), 0);
	/* bob's keys are found by his real JID; only ciphertext goes out. */
	assert_null(fake_find_sent(c->h->xs, 0, "<message", NULL));
	answer_list(c);
	answer_bundle(c, 0);
	sent = fake_sent(c->h->xs, sent_with(c, 0, "<message", "groupchat"));
	assert_non_null(strstr(sent, "to=\"" ROOM "\""));
	assert_null(strstr(sent, "members only"));
	assert_non_null(strstr(sent, "origin-id"));
	text = bob_reads(c, sent, true);
	assert_string_equal(text, "for members only");
	free(text);
	ev = harness_expect(c->h, "message", 0);
	assert_string_equal(json_string_value(json_object_get(ev, "encrypted")), "omemo");
	assert_string_equal(json_string_value(json_object_get(ev, "room")), ROOM);
	assert_string_equal(json_string_value(json_object_get(ev, "body")), "for members only");
	json_decref(ev);
	{
		xmpp_stanza_t *st = xmpp_stanza_new_from_string(c->xml, sent);
		xmpp_stanza_t *h = xmpp_stanza_get_child_by_name(
		    xmpp_stanza_get_child_by_name_and_ns(st, "encrypted", NS_AX), "header");

		dev = (uint32_t)strtoul(xmpp_stanza_get_attribute(h, "sid"), NULL, 10);
		/* The room's copy of it comes back: neither shown again nor
		 * "repaired" (a device never encrypts to itself). */
		harness_clear(c->h);
		before = fake_sent_count(c->h->xs);
		xmpp_stanza_set_from(st, ROOM "/me");
		xmpp_stanza_set_to(st, ME "/natter");
		fake_receive_stanza(c->h->xs, st);
		assert_int_equal(harness_find(c->h, "message", 0), -1);
		assert_int_equal(fake_sent_count(c->h->xs), before);
		xmpp_stanza_release(st);
	}
	/* bob answers in the room: decrypted with his real JID's keys. */
	xml = bob_writes(c, "groupchat", ROOM "/bob", dev, "reply to members", false);
	fake_receive(c->h->xs, xml);
	free(xml);
	ev = harness_expect(c->h, "message", 0);
	assert_string_equal(json_string_value(json_object_get(ev, "body")), "reply to members");
	assert_string_equal(json_string_value(json_object_get(ev, "encrypted")), "omemo");
	assert_string_equal(json_string_value(json_object_get(ev, "nick")), "bob");
	json_decref(ev);
	/* From a nick the room does not know (no real JID): undecryptable,
	 * never its fallback. */
	harness_clear(c->h);
	xml = bob_writes(c, "groupchat", ROOM "/ghost", dev, "who am I", false);
	fake_receive(c->h->xs, xml);
	free(xml);
	ev = harness_expect(c->h, "message", 0);
	assert_true(json_is_true(json_object_get(ev, "undecryptable")));
	assert_null(json_object_get(ev, "body"));
	json_decref(ev);
	/* A private message with an occupant is no chat with the room's JID:
	 * it goes as it is, not to the members' devices. */
	fake_clear_sent(c->h->xs);
	assert_int_equal(harness_input(c->h, "/msg " ROOM "/bob psst", 8), 0);
	sent = fake_sent(c->h->xs, sent_with(c, 0, "<message", "psst"));
	assert_null(strstr(sent, NS_AX));
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_two_devices_talk_and_prekeys_refill),
	    cmocka_unit_test(test_identity_and_sessions_survive_a_restart),
	    cmocka_unit_test(test_store_is_private),
	    cmocka_unit_test(test_payload),
	    cmocka_unit_test(test_fingerprints),
	    T(test_chat_encrypted_to_the_contact_never_in_clear),
	    T(test_without_trusted_device_nothing_is_sent),
	    T(test_undecryptable_is_reported_never_the_fallback),
	    T(test_prekey_message_decrypts_and_bundle_is_refilled),
	    T(test_publish_reconfigures_a_closed_node),
	    T(test_device_list_notifications_and_caps),
	    T(test_room_needs_only_the_members_real_jids),
	    T(test_room_without_real_jids_is_refused),
	    T(test_members_only_room_is_encrypted_to_the_members),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
