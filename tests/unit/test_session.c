/* Unit tests for xmpp/session and xmpp/stanza: what the session keeps is
 * built in its own context, never in the context of the stanza it answers
 * (the network thread's, which is freed first when natter quits). */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "loop/loop.h"
#include "xmpp/session.h"
#include "xmpp/stanza.h"

#define UNUSED __attribute__((unused))

/* A context whose live allocations are counted. */
static long live_blocks;

static void *count_alloc(size_t size, void *ud)
{
	void *p = malloc(size);

	(void)ud;
	if (p)
		live_blocks++;
	return p;
}

static void count_free(void *p, void *ud)
{
	(void)ud;
	if (p)
		live_blocks--;
	free(p);
}

static void *count_realloc(void *p, size_t size, void *ud)
{
	void *q = realloc(p, size);

	(void)ud;
	if (!p && q)
		live_blocks++;
	return q;
}

static xmpp_mem_t counting = {count_alloc, count_free, count_realloc, NULL};

static void on_online(void *ud, const struct xs_online *o)
{
	(void)ud;
	(void)o;
}

static void on_offline(void *ud, const struct xs_offline *o)
{
	(void)ud;
	(void)o;
}

static void on_registered(void *ud, const char *jid, const struct xs_offline *r)
{
	(void)ud;
	(void)jid;
	(void)r;
}

static void on_stanza(void *ud, xmpp_stanza_t *st)
{
	(void)ud;
	(void)st;
}

static void on_drained(void *ud)
{
	(void)ud;
}

static const struct xs_callbacks cbs = {on_online, on_offline, on_registered, on_stanza,
                                        on_drained};

static xmpp_stanza_t *foreign_iq(xmpp_ctx_t *foreign)
{
	xmpp_stanza_t *iq = xmpp_iq_new(foreign, "get", "q1");

	assert_non_null(iq);
	assert_int_equal(xmpp_stanza_set_from(iq, "mallory@example.org/x"), XMPP_EOK);
	assert_non_null(st_add_element(iq, "query", "urn:example:unknown"));
	return iq;
}

/* The answer to an iq from the network thread waits in the outbox while
 * offline; it must not belong to the iq's context, or releasing it after
 * that context is gone is a use after free (issue: /quit crashed). */
static void test_iq_error_is_built_in_the_session_context(void **state UNUSED)
{
	struct loop *loop = loop_new();
	struct xs *xs = xs_new(loop, &cbs, NULL);
	xmpp_ctx_t *foreign = xmpp_ctx_new(&counting, NULL);
	long empty = live_blocks, before;
	xmpp_stanza_t *iq;

	assert_non_null(xs);
	assert_non_null(foreign);
	iq = foreign_iq(foreign);
	before = live_blocks;
	xs_iq_error(xs, iq, "service-unavailable");
	assert_int_equal(xs_outbox_len(xs), 1);
	assert_int_equal(live_blocks, before);
	xmpp_stanza_release(iq);
	assert_int_equal(live_blocks, empty);
	xmpp_ctx_free(foreign);
	/* Releases the outbox: nothing in it may reach the freed context. */
	xs_free(xs);
	loop_free(loop);
}

static void test_iq_error_shape(void **state UNUSED)
{
	xmpp_ctx_t *ctx = xmpp_ctx_new(NULL, NULL);
	xmpp_ctx_t *foreign = xmpp_ctx_new(&counting, NULL);
	xmpp_stanza_t *iq = foreign_iq(foreign), *err, *e;

	err = st_iq_error(ctx, iq, "service-unavailable");
	assert_non_null(err);
	assert_ptr_equal(xmpp_stanza_get_context(err), ctx);
	assert_string_equal(xmpp_stanza_get_type(err), "error");
	assert_string_equal(xmpp_stanza_get_id(err), "q1");
	assert_string_equal(xmpp_stanza_get_to(err), "mallory@example.org/x");
	e = xmpp_stanza_get_child_by_name(err, "error");
	assert_non_null(e);
	assert_string_equal(xmpp_stanza_get_type(e), "cancel");
	assert_non_null(
	    xmpp_stanza_get_child_by_name_and_ns(e, "service-unavailable", XMPP_NS_STANZAS_IETF));
	assert_string_equal(st_error_condition(err, NULL), "service-unavailable");
	xmpp_stanza_release(err);
	xmpp_stanza_release(iq);
	xmpp_ctx_free(foreign);
	xmpp_ctx_free(ctx);
}

static void test_iq_error_needs_someone_to_answer(void **state UNUSED)
{
	xmpp_ctx_t *ctx = xmpp_ctx_new(NULL, NULL);
	xmpp_stanza_t *iq = xmpp_iq_new(ctx, "get", NULL);

	assert_null(st_iq_error(ctx, iq, "service-unavailable"));
	xmpp_stanza_release(iq);
	xmpp_ctx_free(ctx);
}

static void test_copy_into_other_context(void **state UNUSED)
{
	xmpp_ctx_t *ctx = xmpp_ctx_new(NULL, NULL);
	xmpp_ctx_t *foreign = xmpp_ctx_new(&counting, NULL);
	long empty = live_blocks;
	xmpp_stanza_t *src = xmpp_stanza_new_from_string(
	    foreign, "<EMAIL xmlns='vcard-temp'><INTERNET/><USERID a='1' b='2'>x@y</USERID>"
	             "</EMAIL>");
	xmpp_stanza_t *copy, *uid;
	char *text = NULL;
	size_t len;
	long before;

	assert_non_null(src);
	before = live_blocks;
	copy = st_copy_into(ctx, src, 8);
	assert_non_null(copy);
	assert_int_equal(live_blocks, before);
	xmpp_stanza_release(src);
	assert_int_equal(live_blocks, empty);
	xmpp_ctx_free(foreign);
	uid = xmpp_stanza_get_child_by_name(copy, "USERID");
	assert_non_null(uid);
	assert_string_equal(xmpp_stanza_get_attribute(uid, "a"), "1");
	assert_int_equal(xmpp_stanza_to_text(copy, &text, &len), XMPP_EOK);
	assert_non_null(strstr(text, ">x@y</USERID>"));
	xmpp_free(ctx, text);
	xmpp_stanza_release(copy);
	xmpp_ctx_free(ctx);
}

static void test_copy_into_refuses_deep_nesting(void **state UNUSED)
{
	xmpp_ctx_t *ctx = xmpp_ctx_new(NULL, NULL);
	xmpp_stanza_t *src = xmpp_stanza_new_from_string(ctx, "<a><b><c><d/></c></b></a>");
	xmpp_stanza_t *copy;

	assert_non_null(src);
	assert_null(st_copy_into(ctx, src, 2));
	copy = st_copy_into(ctx, src, 3);
	assert_non_null(copy);
	xmpp_stanza_release(copy);
	xmpp_stanza_release(src);
	xmpp_ctx_free(ctx);
}

static void test_deeper_than_counts_elements_not_text(void **state UNUSED)
{
	xmpp_ctx_t *ctx = xmpp_ctx_new(NULL, NULL);
	xmpp_stanza_t *src =
	    xmpp_stanza_new_from_string(ctx, "<a><b/><b><c><d>text</d></c></b><e/></a>");

	assert_non_null(src);
	assert_false(st_deeper_than(src, 4));
	assert_true(st_deeper_than(src, 3));
	assert_true(st_deeper_than(src, 0));
	xmpp_stanza_release(src);
	xmpp_ctx_free(ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_iq_error_is_built_in_the_session_context),
	    cmocka_unit_test(test_iq_error_shape),
	    cmocka_unit_test(test_iq_error_needs_someone_to_answer),
	    cmocka_unit_test(test_copy_into_other_context),
	    cmocka_unit_test(test_copy_into_refuses_deep_nesting),
	    cmocka_unit_test(test_deeper_than_counts_elements_not_text),
	};

	xmpp_initialize();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
