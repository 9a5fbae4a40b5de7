/* libFuzzer target for xmpp/rosterstream: whatever a server sends in a
 * client stream, the parser's handlers behind the wrappers see balanced
 * elements, the items read come out as a list that can be walked, and
 * nothing is left held once the parser is gone.  The first byte says how
 * the rest is cut into the chunks XML_Parse is fed, as the network thread
 * feeds it what each read returned. */
#include "config.h"

#include <expat.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "safe_text.h"
#include "xmpp/rosterstream.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char head[] =
    "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>";

struct seen {
	int depth;
	size_t lists;
};

static void check_list(struct rs_list *l)
{
	size_t n = rs_list_len(l);

	for (size_t i = 0; i < n; i++) {
		const struct rs_item *it = rs_list_item(l, i);
		size_t groups = 0;

		CHECK(it);
		/* Every string is whole (ASan reads it to its end). */
		CHECK(!it->jid || strlen(it->jid) < (size_t)1 << 30);
		CHECK(!it->name || strlen(it->name) < (size_t)1 << 30);
		CHECK(!it->subscription || strlen(it->subscription) < (size_t)1 << 30);
		CHECK(!it->ask || strlen(it->ask) < (size_t)1 << 30);
		for (const char *g = it->groups; g; g = rs_next_group(g)) {
			CHECK(*g);
			groups++;
		}
		CHECK(!it->groups || groups > 0);
	}
	CHECK(!rs_list_item(l, n));
	rs_list_free(l);
}

static void XMLCALL on_start(void *ud, const XML_Char *name, const XML_Char **attrs)
{
	(void)name;
	(void)attrs;
	((struct seen *)ud)->depth++;
}

static void XMLCALL on_end(void *ud, const XML_Char *name)
{
	struct seen *seen = ud;
	struct rs_list *l;

	(void)name;
	CHECK(seen->depth > 0);
	if (--seen->depth == 1) {
		l = rosterstream_take();
		if (l) {
			seen->lists++;
			check_list(l);
		}
		CHECK(!rosterstream_take());
	}
}

static void XMLCALL on_text(void *ud, const XML_Char *s, int len)
{
	(void)ud;
	CHECK(len >= 0 && (len == 0 || s));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct seen seen = {0};
	XML_Parser p;
	size_t step, off;

	if (size < 1)
		return 0;
	step = (size_t)data[0] + 1;
	data++;
	size--;
	rosterstream_enable(true);
	p = XML_ParserCreateNS(NULL, '\x1F');
	if (!p)
		return 0;
	XML_SetUserData(p, &seen);
	XML_SetElementHandler(p, on_start, on_end);
	XML_SetCharacterDataHandler(p, on_text);
	if (XML_Parse(p, head, (int)strlen(head), 0) != XML_STATUS_OK)
		abort();
	for (off = 0; off < size; off += step) {
		size_t n = size - off < step ? size - off : step;

		if (XML_Parse(p, (const char *)data + off, (int)n, 0) != XML_STATUS_OK)
			break;
	}
	XML_ParserFree(p);
	CHECK(rosterstream_held() == 0);
	CHECK(!rosterstream_take());
	return 0;
}
