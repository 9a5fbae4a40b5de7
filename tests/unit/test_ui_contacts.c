/* Unit tests for ui/contacts: the roster pane's model, fed as the core's
 * events feed it: sorting, presence per resource and the one shown,
 * contacts outside the roster, and pending subscription requests. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ui/contacts.h"

static int setup(void **state)
{
	*state = calloc(1, sizeof(struct contacts));
	return *state ? 0 : -1;
}

static int teardown(void **state)
{
	contacts_free(*state);
	free(*state);
	return 0;
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

static const char *const friends[] = {"Friends"};

static const struct nt_roster_item roster[] = {
    {.jid = "zed@example.org", .name = "Anna", .subscription = "both"},
    {.jid = "bob@example.org",
     .subscription = "to",
     .ask = "subscribe",
     .groups = friends,
     .ngroups = 1},
    {.jid = "carol@example.org", .name = "carol", .subscription = "from"},
    {.jid = "Amy@example.org", .subscription = "none"},
};

static void order_is(struct contacts *c, const char *const *jids, size_t n)
{
	assert_int_equal(c->n, n);
	for (size_t i = 0; i < n; i++)
		if (strcmp(c->v[i]->jid, jids[i]))
			fail_msg("position %zu: %s, expected %s", i, c->v[i]->jid, jids[i]);
}

static void test_sorted_by_what_the_pane_shows(void **state)
{
	struct contacts *c = *state;
	static const char *const want[] = {"Amy@example.org", "zed@example.org", "bob@example.org",
	                                   "carol@example.org"};
	struct contact *bob;

	assert_int_equal(contacts_replace(c, roster, 4), 0);
	/* By name-or-JID, case-insensitively: Amy@, Anna (zed), bob@, carol. */
	order_is(c, want, 4);
	assert_string_equal(contact_label(c->v[1]), "Anna");
	assert_string_equal(contact_label(c->v[0]), "Amy@example.org");
	bob = contacts_find(c, "BOB@example.org");
	assert_non_null(bob);
	assert_true(bob->ask);
	assert_string_equal(bob->sub, "to");
	assert_int_equal(bob->ngroups, 1);
	assert_string_equal(bob->groups[0], "Friends");
	assert_true(bob->in_roster);
}

static void test_pushes(void **state)
{
	struct contacts *c = *state;
	struct nt_roster_item renamed = {
	    .jid = "bob@example.org", .name = "Aaron", .subscription = "both"};
	struct nt_roster_item removed = {.jid = "carol@example.org", .subscription = "remove"};
	struct nt_roster_item added = {.jid = "dave@example.org", .subscription = "none"};

	contacts_replace(c, roster, 4);
	assert_int_equal(contacts_push(c, &renamed), 0);
	assert_string_equal(c->v[0]->jid, "bob@example.org"); /* Aaron sorts first */
	assert_false(c->v[0]->ask);
	assert_int_equal(c->v[0]->ngroups, 0);
	assert_int_equal(contacts_push(c, &removed), 0);
	assert_null(contacts_find(c, "carol@example.org"));
	assert_int_equal(contacts_push(c, &added), 0);
	assert_non_null(contacts_find(c, "dave@example.org"));
	assert_int_equal(c->n, 4);
}

/* The show of the highest-priority resource; among equals, the most
 * available one. */
static void test_presence_per_resource(void **state)
{
	struct contacts *c = *state;
	struct contact *bob;

	contacts_replace(c, roster, 4);
	bob = contacts_find(c, "bob@example.org");
	assert_int_equal(contact_show(bob), SHOW_OFFLINE);
	assert_true(contacts_presence(c, "bob@example.org/pc", "available", "away", 5));
	assert_true(contacts_presence(c, "bob@example.org/phone", "available", NULL, 1));
	assert_int_equal(bob->nres, 2);
	assert_int_equal(contact_show(bob), SHOW_AWAY);
	assert_true(contacts_presence(c, "bob@example.org/tablet", "available", "chat", 5));
	assert_int_equal(contact_show(bob), SHOW_CHAT);
	/* A presence changes its resource only. */
	assert_true(contacts_presence(c, "bob@example.org/tablet", "available", "dnd", 5));
	assert_int_equal(bob->nres, 3);
	assert_int_equal(contact_show(bob), SHOW_AWAY);
	assert_true(contacts_presence(c, "bob@example.org/pc", "unavailable", NULL, 0));
	assert_true(contacts_presence(c, "bob@example.org/tablet", "unavailable", NULL, 0));
	assert_int_equal(contact_show(bob), SHOW_ONLINE);
	assert_true(contacts_presence(c, "bob@example.org/phone", "unavailable", NULL, 0));
	assert_int_equal(contact_show(bob), SHOW_OFFLINE);
	/* Gone from a resource never seen: nothing changed. */
	assert_false(contacts_presence(c, "bob@example.org/never", "unavailable", NULL, 0));
	/* A show natter does not know counts as online; the bare JID is a
	 * resource of its own (""). */
	assert_true(contacts_presence(c, "bob@example.org", "available", "weird", 0));
	assert_int_equal(contact_show(bob), SHOW_ONLINE);
	assert_string_equal(bob->res[0].res, "");
}

/* Presence from someone outside the roster shows them until they go or
 * natter goes offline; the roster's contacts stay. */
static void test_contacts_outside_the_roster(void **state)
{
	struct contacts *c = *state;
	struct contact *x;

	contacts_replace(c, roster, 4);
	assert_false(contacts_presence(c, "nobody@example.org/x", "unavailable", NULL, 0));
	assert_null(contacts_find(c, "nobody@example.org"));
	assert_true(contacts_presence(c, "stranger@example.org/x", "available", NULL, 0));
	x = contacts_find(c, "stranger@example.org");
	assert_non_null(x);
	assert_false(x->in_roster);
	/* A new roster that lacks them keeps them while they are online. */
	contacts_replace(c, roster, 2);
	assert_non_null(contacts_find(c, "stranger@example.org"));
	assert_null(contacts_find(c, "carol@example.org"));
	contacts_offline_all(c);
	assert_null(contacts_find(c, "stranger@example.org"));
	assert_non_null(contacts_find(c, "zed@example.org"));
	assert_int_equal(contact_show(contacts_find(c, "zed@example.org")), SHOW_OFFLINE);
	/* Removed from the roster while online: still shown, not as a contact. */
	contacts_presence(c, "zed@example.org/x", "available", NULL, 0);
	{
		struct nt_roster_item gone = {.jid = "zed@example.org", .subscription = "remove"};

		contacts_push(c, &gone);
	}
	x = contacts_find(c, "zed@example.org");
	assert_non_null(x);
	assert_false(x->in_roster);
}

static void test_pending_requests(void **state)
{
	struct contacts *c = *state;
	struct nt_sub_request reqs[] = {
	    {.from = "x@example.org"}, {.from = NULL}, {.from = "y@example.org"}};
	struct nt_roster_item allowed = {.jid = "y@example.org", .subscription = "from"};

	assert_int_equal(contacts_pending_add(c, "a@example.org"), 0);
	assert_int_equal(contacts_pending_add(c, "A@example.org"), 0);
	assert_int_equal(contacts_pending_add(c, "b@example.org"), 0);
	assert_int_equal(c->npending, 2);
	/* NULL-terminated: completion reads it as a list. */
	assert_null(c->pending[2]);
	contacts_pending_remove(c, "A@EXAMPLE.ORG");
	assert_int_equal(c->npending, 1);
	assert_string_equal(c->pending[0], "b@example.org");
	assert_null(c->pending[1]);
	assert_int_equal(contacts_pending_replace(c, reqs, 3), 0);
	assert_int_equal(c->npending, 2);
	assert_string_equal(c->pending[0], "x@example.org");
	/* Allowed from another client: settled. */
	contacts_push(c, &allowed);
	assert_int_equal(c->npending, 1);
	assert_string_equal(c->pending[0], "x@example.org");
	assert_int_equal(contacts_pending_replace(c, NULL, 0), 0);
	assert_int_equal(c->npending, 0);
	assert_null(c->pending[0]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_sorted_by_what_the_pane_shows),
	    T(test_pushes),
	    T(test_presence_per_resource),
	    T(test_contacts_outside_the_roster),
	    T(test_pending_requests),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
