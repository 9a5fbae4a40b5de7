/* expat's XML_Parse, as libstrophe sees it: see xmlguard.h. */
#include "config.h"

#include <dlfcn.h>
#include <expat.h>
#include <pthread.h>
#include <stddef.h>

#include "xmpp/xmlguard.h"

typedef enum XML_Status (*parse_fn)(XML_Parser, const char *, int, int);

static parse_fn real_parse;
static pthread_once_t resolve_once = PTHREAD_ONCE_INIT;

static __thread XML_Parser parsing; /* the parser XML_Parse is running */
static __thread uint64_t parsed;
static __thread bool doctype_refused;
static __thread const char *last_error;

static void resolve(void)
{
	/* The next definition after natter's own: expat's. */
	real_parse = (parse_fn)dlsym(RTLD_NEXT, "XML_Parse");
}

/* Stopping here, at the start of the declaration, means that no entity
 * of the internal subset is ever declared, let alone expanded. */
static void XMLCALL refuse_doctype(void *ud, const XML_Char *name, const XML_Char *sysid,
                                   const XML_Char *pubid, int has_internal_subset)
{
	(void)ud;
	(void)name;
	(void)sysid;
	(void)pubid;
	(void)has_internal_subset;
	doctype_refused = true;
	if (parsing)
		XML_StopParser(parsing, XML_FALSE);
}

/* Declared by expat.h; natter's definition takes precedence over expat's
 * for every caller in the process, libstrophe included. */
enum XML_Status XMLCALL XML_Parse(XML_Parser parser, const char *s, int len, int is_final)
{
	enum XML_Status rc;
	XML_Parser outer = parsing;

	pthread_once(&resolve_once, resolve);
	if (!real_parse)
		return XML_STATUS_ERROR;
	/* Set before every chunk: libstrophe resets its parser (which clears
	 * the handlers) at each stream restart. */
	XML_SetStartDoctypeDeclHandler(parser, refuse_doctype);
	if (len > 0)
		parsed += (uint64_t)len;
	parsing = parser;
	rc = real_parse(parser, s, len, is_final);
	parsing = outer;
	if (rc == XML_STATUS_ERROR)
		last_error = XML_ErrorString(XML_GetErrorCode(parser));
	return rc;
}

XML_Parser xmlguard_parser(void)
{
	return parsing;
}

uint64_t xmlguard_parsed(void)
{
	return parsed;
}

bool xmlguard_take_doctype(void)
{
	bool seen = doctype_refused;

	doctype_refused = false;
	return seen;
}

const char *xmlguard_last_error(void)
{
	return last_error ? last_error : "unknown error";
}
