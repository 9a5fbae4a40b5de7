/* Unit tests for upload.c through the fake session: the XMPP half of
 * XEP-0363 (finding the service, its size limit refused before any request,
 * the slot's checks); the HTTPS half is in the integration tests. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "core_harness.h"
#include "msg_helpers.h"

#define T(f) cmocka_unit_test_setup_teardown(f, harness_setup, harness_teardown)

#define ME    HARNESS_JID
#define BOB   "bob@example.org"
#define PHONE BOB "/phone"

static char *file_of(size_t size)
{
	char tmpl[] = "/tmp/natter-upload-XXXXXX";
	int fd = mkstemp(tmpl);
	char *buf = calloc(1, size + 1);

	assert_true(fd >= 0);
	assert_non_null(buf);
	assert_int_equal(write(fd, buf, size), (ssize_t)size);
	close(fd);
	free(buf);
	return strdup(tmpl);
}

/* /upload up to the slot request: the server lists upload.example.org,
 * which takes files of at most max bytes. */
static void find_service(struct harness *h, const char *max)
{
	char *id = fake_sent_id(h->xs, 0);
	size_t i;

	assert_non_null(strstr(fake_sent(h->xs, 0), "disco#items"));
	assert_non_null(strstr(fake_sent(h->xs, 0), "to=\"example.org\""));
	fake_receivef(h->xs,
	              "<iq type='result' id='%s' from='example.org'><query "
	              "xmlns='http://jabber.org/protocol/disco#items'><item jid='muc.example.org'/>"
	              "<item jid='upload.example.org'/></query></iq>",
	              id);
	free(id);
	assert_non_null(fake_find_sent(h->xs, 1, "to=\"muc.example.org\"", &i));
	id = fake_sent_id(h->xs, i);
	fake_receivef(
	    h->xs,
	    "<iq type='error' id='%s' from='muc.example.org'><error type='cancel'>"
	    "<service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>",
	    id);
	free(id);
	assert_non_null(fake_find_sent(h->xs, i + 1, "to=\"upload.example.org\"", &i));
	id = fake_sent_id(h->xs, i);
	fake_receivef(
	    h->xs,
	    "<iq type='result' id='%s' from='upload.example.org'><query "
	    "xmlns='http://jabber.org/protocol/disco#info'><identity category='store' "
	    "type='file'/><feature var='urn:xmpp:http:upload:0'/><x xmlns='jabber:x:data' "
	    "type='result'><field var='FORM_TYPE' type='hidden'><value>urn:xmpp:http:upload:0"
	    "</value></field><field var='max-file-size'><value>%s</value></field></x>"
	    "</query></iq>",
	    id, max);
	free(id);
}

static void test_upload_over_the_limit(void **state)
{
	struct harness *h = *state;
	char *path = file_of(2000), *cmd = NULL;
	json_t *ev;

	harness_online_quiet(h);
	assert_true(asprintf(&cmd, "/upload " BOB " %s", path) > 0);
	assert_int_equal(harness_input(h, cmd, 4), 0);
	find_service(h, "1000");
	ev = harness_expect(h, "error", 0);
	assert_string_equal(harness_str(ev, "condition"), "not-acceptable");
	assert_non_null(strstr(harness_str(ev, "text"), "1000 bytes"));
	assert_non_null(strstr(harness_str(ev, "text"), "2000 bytes"));
	json_decref(ev);
	assert_null(fake_find_sent(h->xs, 0, "urn:xmpp:http:upload:0\" filename", NULL));
	assert_null(fake_find_sent(h->xs, 0, "<request", NULL));
	/* The service is known now: the next one is refused at once. */
	fake_clear_sent(h->xs);
	assert_int_equal(harness_input(h, cmd, 5), 0);
	assert_int_equal(fake_sent_count(h->xs), 0);
	assert_int_equal(harness_count(h, "error", 0), 2);
	unlink(path);
	free(path);
	free(cmd);
}

static void test_upload_slot_checks(void **state)
{
	struct harness *h = *state;
	char *path = file_of(10), *cmd = NULL, *id;
	size_t i;
	json_t *ev;

	harness_online_quiet(h);
	assert_true(asprintf(&cmd, "/upload " BOB " %s", path) > 0);
	assert_int_equal(harness_input(h, cmd, 4), 0);
	find_service(h, "1000");
	assert_non_null(fake_find_sent(h->xs, 0, "<request", &i));
	assert_non_null(strstr(fake_sent(h->xs, i), "size=\"10\""));
	id = fake_sent_id(h->xs, i);
	/* Plain HTTP is refused (XEP-0363 §4). */
	fake_receivef(h->xs,
	              "<iq type='result' id='%s' from='upload.example.org'><slot "
	              "xmlns='urn:xmpp:http:upload:0'><put url='http://upload.example.org/x'/>"
	              "<get url='http://upload.example.org/x'/></slot></iq>",
	              id);
	free(id);
	ev = harness_expect(h, "error", 0);
	assert_string_equal(harness_str(ev, "condition"), "bad-request");
	json_decref(ev);
	assert_int_equal(harness_find(h, "upload_progress", 0), -1);
	/* The service's own limit, named. */
	assert_int_equal(harness_input(h, cmd, 5), 0);
	assert_non_null(fake_find_sent(h->xs, i + 1, "<request", &i));
	id = fake_sent_id(h->xs, i);
	fake_receivef(
	    h->xs,
	    "<iq type='error' id='%s' from='upload.example.org'><error type='modify'>"
	    "<not-acceptable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>"
	    "<file-too-large xmlns='urn:xmpp:http:upload:0'><max-file-size>5</max-file-size>"
	    "</file-too-large></error></iq>",
	    id);
	free(id);
	ev = harness_expect(h, "error", (size_t)harness_find(h, "error", 0) + 1);
	assert_string_equal(harness_str(ev, "condition"), "not-acceptable");
	assert_non_null(strstr(harness_str(ev, "text"), "5 bytes"));
	json_decref(ev);
	/* An error that says nothing is still an error. */
	assert_int_equal(harness_input(h, cmd, 6), 0);
	assert_non_null(fake_find_sent(h->xs, i + 1, "<request", &i));
	id = fake_sent_id(h->xs, i);
	fake_receivef(h->xs, "<iq type='error' id='%s' from='upload.example.org'/>", id);
	free(id);
	assert_int_equal(harness_count(h, "error", 0), 3);
	unlink(path);
	free(path);
	free(cmd);
}

static void test_upload_without_service(void **state)
{
	struct harness *h = *state;
	char *path = file_of(10), *cmd = NULL, *id;
	json_t *ev;

	harness_online_quiet(h);
	assert_true(asprintf(&cmd, "/upload " BOB " %s", path) > 0);
	assert_int_equal(harness_input(h, cmd, 4), 0);
	id = fake_sent_id(h->xs, 0);
	fake_receivef(h->xs,
	              "<iq type='result' id='%s' from='example.org'><query "
	              "xmlns='http://jabber.org/protocol/disco#items'/></iq>",
	              id);
	free(id);
	ev = harness_expect(h, "error", 0);
	assert_string_equal(harness_str(ev, "condition"), "feature-not-implemented");
	json_decref(ev);
	/* A file that is not there: said before anything is asked. */
	fake_clear_sent(h->xs);
	assert_int_equal(harness_input(h, "/upload " BOB " /nonexistent/file", 5), -1);
	assert_int_equal(fake_sent_count(h->xs), 0);
	unlink(path);
	free(path);
	free(cmd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_upload_over_the_limit),
	    T(test_upload_slot_checks),
	    T(test_upload_without_service),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
