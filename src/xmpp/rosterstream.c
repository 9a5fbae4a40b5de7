/* expat's handler setters, as libstrophe sees them: see rosterstream.h. */
#include "config.h"

#include <dlfcn.h>
#include <expat.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "xmpp/rosterstream.h"
#include "xmpp/xmlguard.h"

#define NS_SEP     '\x1F' /* libstrophe's namespace separator */
#define NS_ROSTER  "jabber:iq:roster"
#define CHUNK_SIZE ((size_t)64 << 10)

struct chunk {
	struct chunk *next;
	size_t used, size;
	char data[];
};

struct rs_list {
	struct rs_item *items;
	size_t len, cap;
	struct chunk *chunks;
	size_t bytes;    /* everything allocated for the list */
	bool incomplete; /* out of memory: items are missing */
};

/* A growable text: a group's, or the groups of the item being read. */
struct buf {
	char *p;
	size_t len, cap;
};

/* What one expat parser is doing, and the handlers libstrophe gave it. */
struct parser_state {
	struct parser_state *next;
	XML_Parser parser;
	XML_StartElementHandler start;
	XML_EndElementHandler end;
	XML_CharacterDataHandler chars;
	int depth;       /* of the next element to start: 0 is the stream's */
	bool candidate;  /* the top-level element is an iq result */
	bool in_query;   /* inside its first roster query */
	bool query_done; /* ... which has ended */
	bool in_item;    /* inside an <item/> not given to libstrophe */
	bool in_group;   /* inside one of its <group/> children */
	struct rs_item item;
	struct buf group, groups;
	struct rs_list *list; /* set while in_query, and until the iq ends */
};

typedef void (*set_element_fn)(XML_Parser, XML_StartElementHandler, XML_EndElementHandler);
typedef void (*set_chars_fn)(XML_Parser, XML_CharacterDataHandler);
typedef void (*parser_free_fn)(XML_Parser);

static set_element_fn real_set_element;
static set_chars_fn real_set_chars;
static parser_free_fn real_parser_free;
static pthread_once_t resolve_once = PTHREAD_ONCE_INIT;

/* Every parser that has had its element handlers set: a handful at most
 * (one a connection), set at each stream restart. */
static pthread_mutex_t states_lock = PTHREAD_MUTEX_INITIALIZER;
static struct parser_state *states;

/* Bumped whenever a state is freed, so that no thread uses a stale
 * cached pointer. */
static unsigned long states_gen;

static __thread struct parser_state *cached; /* the last one looked up */
static __thread unsigned long cached_gen;
static __thread struct rs_list *delivering;    /* see rosterstream_take() */
static __thread struct parser_state *building; /* whose list is in progress */
static __thread bool enabled;

static void resolve(void)
{
	/* The next definitions after natter's own: expat's. */
	real_set_element = (set_element_fn)dlsym(RTLD_NEXT, "XML_SetElementHandler");
	real_set_chars = (set_chars_fn)dlsym(RTLD_NEXT, "XML_SetCharacterDataHandler");
	real_parser_free = (parser_free_fn)dlsym(RTLD_NEXT, "XML_ParserFree");
}

/* ---- the list ---- */

size_t rs_list_len(const struct rs_list *l)
{
	return l ? l->len : 0;
}

const struct rs_item *rs_list_item(const struct rs_list *l, size_t i)
{
	return l && i < l->len ? &l->items[i] : NULL;
}

const char *rs_next_group(const char *g)
{
	g += strlen(g) + 1;
	return *g ? g : NULL;
}

bool rs_list_complete(const struct rs_list *l)
{
	return l && !l->incomplete;
}

void rs_list_free(struct rs_list *l)
{
	struct chunk *c;

	if (!l)
		return;
	while ((c = l->chunks)) {
		l->chunks = c->next;
		free(c);
	}
	free(l->items);
	free(l);
}

/* A copy of len bytes of s, NUL-terminated, that lives as long as l. */
static char *list_copy(struct rs_list *l, const char *s, size_t len)
{
	struct chunk *c = l->chunks;
	char *p;

	if (!c || c->size - c->used < len + 1) {
		size_t size = len + 1 > CHUNK_SIZE ? len + 1 : CHUNK_SIZE;

		c = malloc(sizeof(*c) + size);
		if (!c)
			return NULL;
		c->size = size;
		c->used = 0;
		c->next = l->chunks;
		l->chunks = c;
		l->bytes += sizeof(*c) + size;
	}
	p = c->data + c->used;
	memcpy(p, s, len);
	p[len] = '\0';
	c->used += len + 1;
	return p;
}

static int list_add(struct rs_list *l, const struct rs_item *it)
{
	if (l->len == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 256;
		struct rs_item *items = realloc(l->items, cap * sizeof(*items));

		if (!items)
			return -1;
		l->bytes += (cap - l->cap) * sizeof(*items);
		l->items = items;
		l->cap = cap;
	}
	l->items[l->len++] = *it;
	return 0;
}

static int buf_add(struct buf *b, const char *s, size_t len)
{
	if (b->cap - b->len < len + 1) {
		size_t cap = b->cap ? b->cap : 64;
		char *p;

		while (cap - b->len < len + 1)
			cap *= 2;
		p = realloc(b->p, cap);
		if (!p)
			return -1;
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, len);
	b->len += len;
	b->p[b->len] = '\0';
	return 0;
}

static void buf_clear(struct buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

/* ---- parser states ---- */

static void state_reset(struct parser_state *s)
{
	if (building == s)
		building = NULL;
	rs_list_free(s->list);
	s->list = NULL;
	buf_clear(&s->group);
	buf_clear(&s->groups);
	s->depth = 0;
	s->candidate = s->in_query = s->query_done = s->in_item = s->in_group = false;
}

/* Where p's state is linked, or the list's end; under states_lock. */
static struct parser_state **slot_locked(XML_Parser p)
{
	struct parser_state **pp = &states;

	while (*pp && (*pp)->parser != p)
		pp = &(*pp)->next;
	return pp;
}

static struct parser_state *state_find(XML_Parser p)
{
	struct parser_state *s;
	unsigned long gen = __atomic_load_n(&states_gen, __ATOMIC_ACQUIRE);

	if (cached && cached_gen == gen && cached->parser == p)
		return cached;
	pthread_mutex_lock(&states_lock);
	s = *slot_locked(p);
	gen = states_gen;
	pthread_mutex_unlock(&states_lock);
	cached = s;
	cached_gen = gen;
	return s;
}

/* The state of the parser this thread is running (handlers are called
 * only from within XML_Parse, which xmlguard.c watches). */
static struct parser_state *current(void)
{
	XML_Parser p = xmlguard_parser();

	return p ? state_find(p) : NULL;
}

/* ---- matching names ---- */

/* Whether an expat name ("namespace<SEP>local") is ns's local. */
static bool is(const XML_Char *name, const char *ns, const char *local)
{
	size_t n = strlen(ns);

	return !strncmp(name, ns, n) && name[n] == NS_SEP && !strcmp(name + n + 1, local);
}

static const char *local_name(const XML_Char *name)
{
	const char *sep = strchr(name, NS_SEP);

	return sep ? sep + 1 : name;
}

/* An attribute's value by local name, as libstrophe keeps it (it drops
 * attributes' namespaces; the last of two same names wins). */
static const char *attr(const XML_Char **attrs, const char *name)
{
	const char *v = NULL;

	for (; attrs && *attrs; attrs += 2)
		if (!strcmp(local_name(attrs[0]), name))
			v = attrs[1];
	return v;
}

/* ---- reading an item ---- */

static void stream_fail(struct parser_state *s)
{
	/* The rest of this answer is lost: a roster read in part would drop
	 * contacts, so the list says so and the core keeps its own. */
	s->list->incomplete = true;
	buf_clear(&s->group);
	buf_clear(&s->groups);
}

static const char *copy_attr(struct parser_state *s, const XML_Char **attrs, const char *name)
{
	const char *v = attr(attrs, name);
	const char *c;

	if (!v || s->list->incomplete)
		return NULL;
	c = list_copy(s->list, v, strlen(v));
	if (!c)
		stream_fail(s);
	return c;
}

static void item_start(struct parser_state *s, const XML_Char **attrs)
{
	s->in_item = true;
	memset(&s->item, 0, sizeof(s->item));
	s->groups.len = 0;
	if (s->list->incomplete)
		return;
	s->item.jid = copy_attr(s, attrs, "jid");
	s->item.name = copy_attr(s, attrs, "name");
	s->item.subscription = copy_attr(s, attrs, "subscription");
	s->item.ask = copy_attr(s, attrs, "ask");
}

static void item_end(struct parser_state *s)
{
	s->in_item = false;
	if (s->list->incomplete)
		return;
	if (s->groups.len) {
		/* The empty string that ends the groups. */
		s->item.groups = list_copy(s->list, s->groups.p, s->groups.len);
		if (!s->item.groups) {
			stream_fail(s);
			return;
		}
	}
	if (list_add(s->list, &s->item))
		stream_fail(s);
}

static void group_end(struct parser_state *s)
{
	s->in_group = false;
	/* <group/> and <group></group> are ignored, as RFC 6121 §2.1.2.5
	 * says; libstrophe's tree would have held no text for them. */
	if (s->list->incomplete || !s->group.len)
		return;
	if (buf_add(&s->groups, s->group.p, s->group.len + 1))
		stream_fail(s);
}

/* ---- the wrappers ---- */

static void XMLCALL on_start(void *ud, const XML_Char *name, const XML_Char **attrs)
{
	struct parser_state *s = current();
	int d;

	if (!s) /* cannot happen: only parsers with a state get these */
		return;
	d = s->depth++;
	if (s->in_item) {
		/* Directly under the item: its groups; deeper: ignored. */
		if (d == 4 && is(name, NS_ROSTER, "group")) {
			s->in_group = true;
			s->group.len = 0;
		}
		return;
	}
	if (d == 1) {
		const char *type = attr(attrs, "type");

		s->candidate =
		    enabled && is(name, "jabber:client", "iq") && type && !strcmp(type, "result");
		s->in_query = s->query_done = false;
	} else if (d == 2 && s->candidate && !s->query_done && is(name, NS_ROSTER, "query")) {
		/* Without a list (ENOMEM) libstrophe reads the items as before. */
		rs_list_free(s->list);
		s->list = calloc(1, sizeof(*s->list));
		s->in_query = s->list != NULL;
		if (s->list)
			building = s;
	} else if (d == 3 && s->in_query && is(name, NS_ROSTER, "item")) {
		item_start(s, attrs);
		return;
	}
	if (s->start)
		s->start(ud, name, attrs);
}

static void XMLCALL on_end(void *ud, const XML_Char *name)
{
	struct parser_state *s = current();
	struct rs_list *mine;
	int d;

	if (!s)
		return;
	d = --s->depth;
	if (s->in_item) {
		if (d == 3)
			item_end(s);
		else if (d == 4 && s->in_group)
			group_end(s);
		return;
	}
	if (d == 2 && s->in_query) {
		s->in_query = false;
		s->query_done = true;
	}
	if (d != 1) {
		if (s->end)
			s->end(ud, name);
		return;
	}
	/* A top-level element ends: libstrophe calls the stanza handlers
	 * from its handler, and one of them may take the list. */
	s->candidate = s->query_done = false;
	mine = s->list;
	s->list = NULL;
	if (building == s)
		building = NULL;
	buf_clear(&s->group);
	buf_clear(&s->groups);
	delivering = mine;
	if (s->end)
		s->end(ud, name);
	rs_list_free(delivering);
	delivering = NULL;
}

static void XMLCALL on_chars(void *ud, const XML_Char *text, int len)
{
	struct parser_state *s = current();

	if (!s)
		return;
	if (s->in_item) {
		/* A group's own text, not that of elements inside it. */
		if (s->in_group && s->depth == 5 && !s->list->incomplete && len > 0 &&
		    buf_add(&s->group, text, (size_t)len))
			stream_fail(s);
		return;
	}
	/* Directly inside the streamed query: the whitespace between items. */
	if (s->in_query && s->depth == 3)
		return;
	if (s->chars)
		s->chars(ud, text, len);
}

/* Finds or makes the state of p; NULL on ENOMEM. */
static struct parser_state *state_for(XML_Parser p)
{
	struct parser_state *s;

	pthread_mutex_lock(&states_lock);
	s = *slot_locked(p);
	if (!s && (s = calloc(1, sizeof(*s)))) {
		s->parser = p;
		s->next = states;
		states = s;
	}
	pthread_mutex_unlock(&states_lock);
	return s;
}

/* Declared by expat.h; natter's definitions take precedence over expat's
 * for every caller in the process, libstrophe included. */
void XMLCALL XML_SetElementHandler(XML_Parser p, XML_StartElementHandler start,
                                   XML_EndElementHandler end)
{
	struct parser_state *s;

	pthread_once(&resolve_once, resolve);
	if (!real_set_element)
		return;
	s = state_for(p);
	if (!s) {
		/* Without a state the parser simply does not stream. */
		real_set_element(p, start, end);
		return;
	}
	/* libstrophe sets its handlers once a stream (after each reset):
	 * whatever was in progress belonged to the previous one. */
	state_reset(s);
	s->start = start;
	s->end = end;
	real_set_element(p, on_start, on_end);
}

void XMLCALL XML_SetCharacterDataHandler(XML_Parser p, XML_CharacterDataHandler chars)
{
	struct parser_state *s;

	pthread_once(&resolve_once, resolve);
	if (!real_set_chars)
		return;
	s = state_find(p);
	if (!s) {
		real_set_chars(p, chars);
		return;
	}
	s->chars = chars;
	real_set_chars(p, on_chars);
}

void XMLCALL XML_ParserFree(XML_Parser p)
{
	struct parser_state *s, **pp;

	pthread_once(&resolve_once, resolve);
	pthread_mutex_lock(&states_lock);
	pp = slot_locked(p);
	s = *pp;
	if (s) {
		*pp = s->next;
		__atomic_add_fetch(&states_gen, 1, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&states_lock);
	if (s) {
		state_reset(s);
		free(s);
	}
	if (real_parser_free)
		real_parser_free(p);
}

void rosterstream_enable(bool on)
{
	enabled = on;
}

struct rs_list *rosterstream_take(void)
{
	struct rs_list *l = delivering;

	delivering = NULL;
	return l;
}

size_t rosterstream_held(void)
{
	const struct parser_state *s;
	size_t held = 0;

	if (!building)
		return 0;
	/* Once a pass, so the lock costs nothing: it makes sure the parser
	 * was not freed meanwhile (it never is on another thread in natter). */
	pthread_mutex_lock(&states_lock);
	for (s = states; s && s != building; s = s->next)
		;
	if (s && s->list)
		held = s->list->bytes + s->group.cap + s->groups.cap;
	pthread_mutex_unlock(&states_lock);
	return held;
}
