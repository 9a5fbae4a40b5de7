/* Unit tests for xmpp/budget: what the owning thread holds for the element
 * in progress, and nothing else. */
#include "config.h"

#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "xmpp/budget.h"

#define UNUSED __attribute__((unused))

static struct budget b;
static xmpp_ctx_t *ctx;

static int setup(void UNUSED **state)
{
	budget_init(&b);
	ctx = xmpp_ctx_new(budget_mem(&b), NULL);
	budget_own_thread(&b);
	budget_element_done(&b);
	return ctx ? 0 : -1;
}

static int teardown(void UNUSED **state)
{
	xmpp_ctx_free(ctx);
	return 0;
}

static void test_held_follows_the_element(void UNUSED **state)
{
	xmpp_stanza_t *st =
	    xmpp_stanza_new_from_string(ctx, "<iq><query><item a='1'/></query></iq>");
	size_t held;

	assert_non_null(st);
	held = budget_held(&b);
	assert_true(held > 0);
	xmpp_stanza_release(st);
	assert_int_equal(budget_held(&b), 0);
}

static void test_done_element_no_longer_counts(void UNUSED **state)
{
	xmpp_stanza_t *st = xmpp_stanza_new_from_string(ctx, "<message><body>hi</body></message>");

	assert_non_null(st);
	budget_element_done(&b);
	assert_int_equal(budget_held(&b), 0);
	/* Freeing it moves the low mark, not the next element's count. */
	xmpp_stanza_release(st);
	assert_int_equal(budget_held(&b), 0);
}

static void *release_elsewhere(void *st)
{
	xmpp_stanza_release(st);
	return NULL;
}

static void *allocate_elsewhere(void *unused)
{
	(void)unused;
	return xmpp_stanza_new(ctx);
}

static void test_handover_and_other_threads_do_not_count(void UNUSED **state)
{
	xmpp_stanza_t *st = xmpp_stanza_new_from_string(ctx, "<message><body>hi</body></message>");
	xmpp_stanza_t *copy, *foreign;
	pthread_t t;
	size_t held;

	assert_non_null(st);
	held = budget_held(&b);
	budget_handover(&b, true);
	copy = xmpp_stanza_copy(st);
	budget_handover(&b, false);
	assert_non_null(copy);
	assert_int_equal(budget_held(&b), held);
	assert_int_equal(pthread_create(&t, NULL, release_elsewhere, copy), 0);
	pthread_join(t, NULL);
	assert_int_equal(budget_held(&b), held);
	assert_int_equal(pthread_create(&t, NULL, allocate_elsewhere, NULL), 0);
	pthread_join(t, (void **)&foreign);
	assert_non_null(foreign);
	assert_int_equal(budget_held(&b), held);
	/* Blocks carry no "counted" mark (budget.h): the other thread frees
	 * what it made, as natter's threads do. */
	assert_int_equal(pthread_create(&t, NULL, release_elsewhere, foreign), 0);
	pthread_join(t, NULL);
	assert_int_equal(budget_held(&b), held);
	xmpp_stanza_release(st);
	assert_int_equal(budget_held(&b), 0);
}

/* libstrophe renders a sent stanza with its own context's allocator and
 * frees the text with the connection's: plain blocks must be freeable. */
static void test_plain_blocks_are_freed_by_the_budget(void UNUSED **state)
{
	xmpp_ctx_t *plain = xmpp_ctx_new(budget_plain_mem(), NULL);
	xmpp_stanza_t *st = xmpp_message_new(plain, "chat", "bob@localhost", "m1");
	char *text = NULL;
	size_t len;

	assert_non_null(st);
	assert_int_equal(xmpp_stanza_to_text(st, &text, &len), XMPP_EOK);
	xmpp_free(ctx, text);
	assert_int_equal(budget_held(&b), 0);
	xmpp_stanza_release(st);
	xmpp_ctx_free(plain);
}

static void spin(double seconds)
{
	struct timespec t0, t;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t0);
	do
		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	while ((double)(t.tv_sec - t0.tv_sec) + (double)(t.tv_nsec - t0.tv_nsec) / 1e9 < seconds);
}

static void test_cpu_counts_parsing_passes_only(void UNUSED **state)
{
	budget_pass_start(&b);
	spin(0.05);
	budget_pass_end(&b, false);
	assert_true(budget_cpu(&b) < 0.01);
	budget_pass_start(&b);
	spin(0.05);
	budget_pass_end(&b, true);
	assert_true(budget_cpu(&b) >= 0.05);
	budget_element_done(&b);
	assert_true(budget_cpu(&b) == 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_held_follows_the_element, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_done_element_no_longer_counts, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_handover_and_other_threads_do_not_count, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_plain_blocks_are_freed_by_the_budget, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_cpu_counts_parsing_passes_only, setup, teardown),
	};

	xmpp_initialize();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
