/* XEP-0115 verification strings and hashes, against the XEP's own examples,
 * and the cache's JSON form. */
#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/caps.h"

static xmpp_ctx_t *ctx;

/* XEP-0115 §5.2 */
static const char simple_xml[] = "<query xmlns='http://jabber.org/protocol/disco#info'>"
                                 "<identity category='client' name='Exodus 0.9.1' type='pc'/>"
                                 "<feature var='http://jabber.org/protocol/caps'/>"
                                 "<feature var='http://jabber.org/protocol/disco#info'/>"
                                 "<feature var='http://jabber.org/protocol/disco#items'/>"
                                 "<feature var='http://jabber.org/protocol/muc'/>"
                                 "</query>";

/* XEP-0115 §5.3, in the XEP's order (identities and features unsorted
 * relative to the verification string). */
static const char complex_xml[] =
    "<query xmlns='http://jabber.org/protocol/disco#info'"
    " node='http://psi-im.org#q07IKJEyjvHSyhy//CH0CxmKi8w='>"
    "<identity xml:lang='en' category='client' name='Psi 0.11' type='pc'/>"
    "<identity xml:lang='el' category='client' name='\xce\xa8 0.11' type='pc'/>"
    "<feature var='http://jabber.org/protocol/caps'/>"
    "<feature var='http://jabber.org/protocol/disco#info'/>"
    "<feature var='http://jabber.org/protocol/disco#items'/>"
    "<feature var='http://jabber.org/protocol/muc'/>"
    "<x xmlns='jabber:x:data' type='result'>"
    "<field var='FORM_TYPE' type='hidden'><value>urn:xmpp:dataforms:softwareinfo</value></field>"
    "<field var='ip_version'><value>ipv4</value><value>ipv6</value></field>"
    "<field var='os'><value>Mac</value></field>"
    "<field var='os_version'><value>10.5.1</value></field>"
    "<field var='software'><value>Psi</value></field>"
    "<field var='software_version'><value>0.11</value></field>"
    "</x></query>";

static const char complex_s[] =
    "client/pc/el/\xce\xa8 0.11<client/pc/en/Psi 0.11<http://jabber.org/protocol/caps<"
    "http://jabber.org/protocol/disco#info<http://jabber.org/protocol/disco#items<"
    "http://jabber.org/protocol/muc<urn:xmpp:dataforms:softwareinfo<ip_version<ipv4<ipv6<"
    "os<Mac<os_version<10.5.1<software<Psi<software_version<0.11<";

/* Parses xml (a disco#info <query/>) into *info; the parse's result. */
static int parse(const char *xml, struct caps_info *info)
{
	xmpp_stanza_t *q = xmpp_stanza_new_from_string(ctx, xml);
	int rc;

	assert_non_null(q);
	rc = caps_info_from_query(q, info);
	xmpp_stanza_release(q);
	return rc;
}

/* The hash of xml, malloc'd (NULL when refused). */
static char *hash_of(const char *xml)
{
	struct caps_info info;
	char *h;

	assert_int_equal(parse(xml, &info), 0);
	h = caps_hash(&info);
	caps_info_clear(&info);
	return h;
}

static void simple_example(void **state)
{
	struct caps_info info;
	char *s, *h;

	assert_int_equal(parse(simple_xml, &info), 0);
	s = caps_ver_string(&info);
	assert_string_equal(s, "client/pc//Exodus 0.9.1<http://jabber.org/protocol/caps<"
	                       "http://jabber.org/protocol/disco#info<"
	                       "http://jabber.org/protocol/disco#items<"
	                       "http://jabber.org/protocol/muc<");
	h = caps_hash(&info);
	assert_string_equal(h, "QgayPKawpkPSDYmwT/WM94uAlu0=");
	assert_true(caps_verify(&info, "sha-1", "QgayPKawpkPSDYmwT/WM94uAlu0="));
	free(s);
	free(h);
	caps_info_clear(&info);
}

static void complex_example(void **state)
{
	struct caps_info info;
	char *s, *h;

	assert_int_equal(parse(complex_xml, &info), 0);
	assert_int_equal(info.nidentities, 2);
	assert_int_equal(info.nforms, 1);
	s = caps_ver_string(&info);
	assert_string_equal(s, complex_s);
	h = caps_hash(&info);
	assert_string_equal(h, "q07IKJEyjvHSyhy//CH0CxmKi8w=");
	free(s);
	free(h);
	caps_info_clear(&info);
}

/* The order of the answer does not matter; the byte order of the strings
 * does ("Zeta" before "alpha"), and values sort within their field. */
static void ordering(void **state)
{
	char *h = hash_of("<query xmlns='http://jabber.org/protocol/disco#info'>"
	                  "<feature var='urn:a'/><feature var='alpha'/>"
	                  "<identity category='client' type='pc' name='x'/>"
	                  "<feature var='Zeta'/></query>");

	assert_string_equal(h, "lJI8X8hV3dgJoJU+AzJztcpx1O4=");
	free(h);

	/* the complex example with everything reversed */
	h = hash_of("<query xmlns='http://jabber.org/protocol/disco#info'>"
	            "<x xmlns='jabber:x:data' type='result'>"
	            "<field var='software_version'><value>0.11</value></field>"
	            "<field var='software'><value>Psi</value></field>"
	            "<field var='os_version'><value>10.5.1</value></field>"
	            "<field var='os'><value>Mac</value></field>"
	            "<field var='ip_version'><value>ipv6</value><value>ipv4</value></field>"
	            "<field var='FORM_TYPE' type='hidden'>"
	            "<value>urn:xmpp:dataforms:softwareinfo</value></field></x>"
	            "<feature var='http://jabber.org/protocol/muc'/>"
	            "<feature var='http://jabber.org/protocol/disco#items'/>"
	            "<feature var='http://jabber.org/protocol/disco#info'/>"
	            "<feature var='http://jabber.org/protocol/caps'/>"
	            "<identity xml:lang='el' category='client' name='\xce\xa8 0.11' type='pc'/>"
	            "<identity xml:lang='en' category='client' name='Psi 0.11' type='pc'/>"
	            "</query>");
	assert_string_equal(h, "q07IKJEyjvHSyhy//CH0CxmKi8w=");
	free(h);
}

/* Characters XML escapes are hashed as the characters, not the escapes. */
static void escaping(void **state)
{
	struct caps_info info;
	char *s, *h;

	assert_int_equal(parse("<query xmlns='http://jabber.org/protocol/disco#info'>"
	                       "<identity category='client' type='pc' name='x'/>"
	                       "<feature var='urn:x&amp;y&lt;z'/></query>",
	                       &info),
	                 0);
	s = caps_ver_string(&info);
	assert_string_equal(s, "client/pc//x<urn:x&y<z<");
	h = caps_hash(&info);
	assert_string_equal(h, "wc3iGzK+KNkJNZKrE+QHZOB+uOc=");
	free(s);
	free(h);
	caps_info_clear(&info);
}

/* An answer that does not hash to the advertised ver must not verify. */
static void tampered(void **state)
{
	struct caps_info info;
	char *xml = strdup(complex_xml), *p;

	/* one value changed: "Mac" becomes "Max" */
	p = strstr(xml, "<value>Mac<");
	assert_non_null(p);
	p[9] = 'x';
	assert_int_equal(parse(xml, &info), 0);
	assert_false(caps_verify(&info, "sha-1", "q07IKJEyjvHSyhy//CH0CxmKi8w="));
	caps_info_clear(&info);
	free(xml);

	/* one feature more */
	assert_int_equal(parse("<query xmlns='http://jabber.org/protocol/disco#info'>"
	                       "<identity category='client' name='Exodus 0.9.1' type='pc'/>"
	                       "<feature var='http://jabber.org/protocol/caps'/>"
	                       "<feature var='http://jabber.org/protocol/disco#info'/>"
	                       "<feature var='http://jabber.org/protocol/disco#items'/>"
	                       "<feature var='http://jabber.org/protocol/muc'/>"
	                       "<feature var='urn:xmpp:evil'/></query>",
	                       &info),
	                 0);
	assert_false(caps_verify(&info, "sha-1", "QgayPKawpkPSDYmwT/WM94uAlu0="));
	caps_info_clear(&info);

	/* the right answer under an algorithm we do not know */
	assert_int_equal(parse(simple_xml, &info), 0);
	assert_false(caps_verify(&info, "md5", "QgayPKawpkPSDYmwT/WM94uAlu0="));
	assert_true(caps_verify(&info, "sha-1", "QgayPKawpkPSDYmwT/WM94uAlu0="));
	caps_info_clear(&info);
}

/* XEP-0115 §5.4: duplicates make an answer ill-formed; forms without a
 * hidden FORM_TYPE are ignored. */
static void ill_formed(void **state)
{
	struct caps_info info;
	char *h;

	assert_int_equal(parse("<query xmlns='http://jabber.org/protocol/disco#info'>"
	                       "<identity category='client' type='pc'/>"
	                       "<feature var='a'/><feature var='a'/></query>",
	                       &info),
	                 0);
	errno = 0;
	assert_null(caps_hash(&info));
	assert_int_equal(errno, EINVAL);
	caps_info_clear(&info);

	assert_int_equal(parse("<query xmlns='http://jabber.org/protocol/disco#info'>"
	                       "<identity category='client' type='pc' name='n'/>"
	                       "<identity category='client' type='pc' name='n'/></query>",
	                       &info),
	                 0);
	assert_null(caps_hash(&info));
	caps_info_clear(&info);

	errno = 0;
	assert_int_equal(parse("<query xmlns='http://jabber.org/protocol/disco#info'>"
	                       "<x xmlns='jabber:x:data' type='result'>"
	                       "<field var='FORM_TYPE' type='hidden'><value>a</value>"
	                       "<value>b</value></field></x></query>",
	                       &info),
	                 -1);
	assert_int_equal(errno, EINVAL);

	/* a visible FORM_TYPE: the form does not count */
	h = hash_of("<query xmlns='http://jabber.org/protocol/disco#info'>"
	            "<identity category='client' name='Exodus 0.9.1' type='pc'/>"
	            "<feature var='http://jabber.org/protocol/caps'/>"
	            "<feature var='http://jabber.org/protocol/disco#info'/>"
	            "<feature var='http://jabber.org/protocol/disco#items'/>"
	            "<feature var='http://jabber.org/protocol/muc'/>"
	            "<x xmlns='jabber:x:data' type='result'>"
	            "<field var='FORM_TYPE'><value>urn:x</value></field>"
	            "<field var='f'><value>v</value></field></x></query>");
	assert_string_equal(h, "QgayPKawpkPSDYmwT/WM94uAlu0=");
	free(h);
}

/* A hostile answer cannot make us take more than CAPS_MAX_ITEMS. */
static void limits(void **state)
{
	size_t n = CAPS_MAX_ITEMS + 1, len = 0;
	char *xml = malloc(n * 32 + 128);
	struct caps_info info;

	assert_non_null(xml);
	len += sprintf(xml, "<query xmlns='http://jabber.org/protocol/disco#info'>");
	for (size_t i = 0; i < n; i++)
		len += sprintf(xml + len, "<feature var='f%zu'/>", i);
	strcpy(xml + len, "</query>");
	errno = 0;
	assert_int_equal(parse(xml, &info), -1);
	assert_int_equal(errno, E2BIG);
	free(xml);
}

static void cache_round_trip(void **state)
{
	struct caps_entry *t = NULL, *back = NULL, *e;
	char *f1[] = {"urn:b", "urn:a", "urn:b"};
	char *f2[] = {"jabber:iq:version"};
	char *text;

	assert_int_equal(caps_entry_put(&t, "http://x#ver1", f1, 3), 0);
	assert_int_equal(caps_entry_put(&t, "http://y#ver2", f2, 1), 0);
	e = caps_entry_find(t, "http://x#ver1");
	assert_non_null(e);
	assert_int_equal(e->nfeatures, 2); /* sorted, repeats dropped */
	assert_string_equal(e->features[0], "urn:a");
	text = caps_cache_format(t);
	assert_non_null(text);

	assert_int_equal(caps_cache_parse(text, &back), 0);
	e = caps_entry_find(back, "http://x#ver1");
	assert_non_null(e);
	assert_true(caps_sorted_has(e->features, e->nfeatures, "urn:a"));
	assert_true(caps_sorted_has(e->features, e->nfeatures, "urn:b"));
	assert_false(caps_sorted_has(e->features, e->nfeatures, "urn:c"));
	e = caps_entry_find(back, "http://y#ver2");
	assert_non_null(e);
	assert_int_equal(e->nfeatures, 1);
	caps_entry_free_all(&t);
	caps_entry_free_all(&back);
	free(text);
}

static void cache_bad_text(void **state)
{
	struct caps_entry *t = NULL;

	/* Entries that are not lists of strings are skipped, the rest kept. */
	assert_int_equal(caps_cache_parse("{\"a#1\": [\"ok\"], \"b#2\": 7, \"c#3\": [1, 2]}", &t),
	                 0);
	assert_non_null(caps_entry_find(t, "a#1"));
	assert_null(caps_entry_find(t, "b#2"));
	assert_null(caps_entry_find(t, "c#3"));
	caps_entry_free_all(&t);
	assert_int_equal(caps_cache_parse("not json", &t), -1);
	assert_null(t);
	assert_int_equal(caps_cache_parse("[1]", &t), -1);
	assert_null(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(simple_example), cmocka_unit_test(complex_example),
	    cmocka_unit_test(ordering),       cmocka_unit_test(escaping),
	    cmocka_unit_test(tampered),       cmocka_unit_test(ill_formed),
	    cmocka_unit_test(limits),         cmocka_unit_test(cache_round_trip),
	    cmocka_unit_test(cache_bad_text),
	};
	int rc;

	xmpp_initialize();
	ctx = xmpp_ctx_new(NULL, NULL);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	xmpp_ctx_free(ctx);
	xmpp_shutdown();
	return rc;
}
