/* Small helpers the tests of the message modules (correct, retract,
 * markers, blocking, links, action) share, on top of core_harness.h. */
#ifndef NATTER_TESTS_MSG_HELPERS_H
#define NATTER_TESTS_MSG_HELPERS_H

#include <jansson.h>
#include <string.h>

#include "core_harness.h"

/* A chat message from the full JID from to the harness's resource, with
 * extra (may be NULL) after its body. */
static inline void msg_chat_from(struct harness *h, const char *from, const char *id,
                                 const char *body, const char *extra)
{
	fake_receivef(h->xs,
	              "<message type='chat' from='%s' to='%s/natter' id='%s'><body>%s</body>%s"
	              "</message>",
	              from, h->jid, id, body, extra ? extra : "");
}

/* The history event cmd ("/history JID", "/history search WORDS")
 * answers with (json_decref it). */
static inline json_t *msg_history(struct harness *h, const char *cmd)
{
	size_t mark = harness_mark(h);

	assert_int_equal(harness_input(h, cmd, 1), 0);
	return harness_expect(h, "history", mark);
}

/* Once online, a peer's disco#info query is answered with feature var. */
static inline void msg_feature_offered(struct harness *h, const char *var)
{
	const char *s;

	harness_online_quiet(h);
	fake_receive(h->xs, "<iq type='get' id='d1' from='bob@example.org/phone'>"
	                    "<query xmlns='http://jabber.org/protocol/disco#info'/></iq>");
	s = fake_sent(h->xs, 0);
	assert_non_null(s);
	if (!strstr(s, var))
		fail_msg("disco#info lacks %s: %s", var, s);
}

#endif
