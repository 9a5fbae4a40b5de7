/* libFuzzer target for util/jid: every JID a server or peer sends goes
 * through jid_parse(), so it must neither crash nor accept something that
 * does not survive being printed and parsed again. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/jid.h"
#include "util/text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* abort() rather than assert(): the invariants must hold in NDEBUG builds. */
#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond))                                                                       \
			abort();                                                                   \
	} while (0)

static int same(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static void check_part(const char *p)
{
	size_t n;

	if (!p)
		return;
	n = strlen(p);
	CHECK(n > 0 && n <= 1023);
	CHECK(text_utf8_valid(p, n));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct jid j, k;
	const char *why = NULL;
	char *s, *full, *bare, *again, *key;

	/* A JID arrives as a NUL-terminated attribute value. */
	s = malloc(size + 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';

	if (jid_parse(s, &j, &why) != 0) {
		CHECK(why && *why);
		CHECK(!j.local && !j.domain && !j.resource);
		CHECK(!jid_bare_of(s, NULL));
		free(s);
		return 0;
	}
	CHECK(j.domain);
	check_part(j.local);
	check_part(j.domain);
	check_part(j.resource);
	CHECK(!j.local || !strpbrk(j.local, "\"&'/:<>@ "));
	CHECK(!strpbrk(j.domain, "@/ "));
	CHECK(j.domain[strlen(j.domain) - 1] != '.');

	full = jid_full(&j);
	bare = jid_bare(&j);
	CHECK(full && bare);
	CHECK(strncmp(full, bare, strlen(bare)) == 0);

	/* Normalised output parses to the same parts: normalisation is
	 * idempotent and the separators are where they were. */
	CHECK(jid_parse(full, &k, &why) == 0);
	CHECK(same(j.local, k.local) && same(j.domain, k.domain) && same(j.resource, k.resource));
	again = jid_full(&k);
	CHECK(again && strcmp(again, full) == 0);

	CHECK(jid_bare_equal(s, full));
	CHECK(jid_bare_equal(s, bare));
	key = jid_bare_key(s, NULL);
	CHECK(key && text_utf8_valid(key, strlen(key)));

	free(key);
	free(again);
	free(bare);
	free(full);
	jid_clear(&k);
	jid_clear(&j);
	free(s);
	return 0;
}
