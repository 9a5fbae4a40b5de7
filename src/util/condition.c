/* XMPP error conditions in words: the terminal says what went wrong, the
 * headless events keep the condition names scripts match on. */
#include "config.h"

#include <string.h>

#include "util/condition.h"

static const struct {
	const char *condition, *words;
} table[] = {
    {"bad-request", "the request was not understood"},
    {"conflict", "it conflicts with what is there already"},
    {"feature-not-implemented", "that is not supported there"},
    {"forbidden", "that is forbidden"},
    {"gone", "that address is gone"},
    {"internal-server-error", "the server failed"},
    {"item-not-found", "there is no such item"},
    {"jid-malformed", "the address is malformed"},
    {"not-acceptable", "that was not accepted"},
    {"not-allowed", "that is not allowed"},
    {"not-authorized", "not authorized"},
    {"policy-violation", "refused by the server's policy"},
    {"recipient-unavailable", "the recipient is not available"},
    {"redirect", "it has moved"},
    {"registration-required", "registration is required first"},
    {"remote-server-not-found", "their server cannot be found"},
    {"remote-server-timeout", "no answer came"},
    {"resource-constraint", "the server is too busy"},
    {"service-unavailable", "that service is not available there"},
    {"subscription-required", "a presence subscription is required first"},
    {"undefined-condition", "an error without a reason"},
    {"unexpected-request", "that was not expected now"},
};

const char *condition_words(const char *condition)
{
	for (size_t i = 0; condition && i < sizeof(table) / sizeof(table[0]); i++)
		if (!strcmp(table[i].condition, condition))
			return table[i].words;
	return condition ? condition : "an error";
}
