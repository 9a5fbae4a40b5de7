/* What natter enforces inside the XML parser libstrophe uses.
 *
 * libstrophe 0.12.2 (built with expat, as Debian ships it) gives natter no
 * access to its parser.  natter defines expat's XML_Parse itself: the
 * dynamic linker then resolves libstrophe's calls to natter's function,
 * which adds its guards and calls expat's.  Everything here is per thread:
 * each thread reads what its own parses did.
 *
 *  - A DOCTYPE is refused (RFC 6120 §11.1: an XMPP stream has none; expat
 *    would otherwise declare and expand the entities it defines): the parse
 *    stops at the declaration, before any entity is read, and libstrophe
 *    sees a parse error.
 *  - The bytes fed to parsers are counted, so that the network thread can
 *    tell a pass that parsed from one that only wrote. */
#ifndef NATTER_XMPP_XMLGUARD_H
#define NATTER_XMPP_XMLGUARD_H

#include <expat.h>
#include <stdbool.h>
#include <stdint.h>

/* The parser XML_Parse is running on this thread, or NULL outside it:
 * the one whose handlers expat is calling. */
XML_Parser xmlguard_parser(void);
/* Bytes this thread has fed to XML parsers so far. */
uint64_t xmlguard_parsed(void);
/* Whether this thread refused a DOCTYPE since the last call. */
bool xmlguard_take_doctype(void);
/* Expat's words for this thread's last parse error ("not well-formed
 * (invalid token)"), or "unknown error". */
const char *xmlguard_last_error(void);

#endif
