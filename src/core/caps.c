/* XEP-0115 entity capabilities: verification string, hash and the verified
 * cache (see caps.h). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/caps.h"

#define NS_DISCO_INFO "http://jabber.org/protocol/disco#info"
#define NS_DATA       "jabber:x:data"

/* ---- reading a disco#info answer ---- */

/* Makes room for one more element in *arr; 0 or -1 (ENOMEM, or E2BIG past
 * CAPS_MAX_ITEMS). */
static int grow(void *arr, size_t n, size_t size)
{
	void **p = arr, *bigger;
	size_t cap;

	if (n >= CAPS_MAX_ITEMS) {
		errno = E2BIG;
		return -1;
	}
	/* The capacity is implied by n (4, 8, 16, ...): reallocate only when
	 * n reaches it. */
	if (!n)
		cap = 4;
	else if (n >= 4 && !(n & (n - 1)))
		cap = n * 2;
	else
		return 0;
	bigger = realloc(*p, cap * size);
	if (!bigger)
		return -1;
	*p = bigger;
	return 0;
}

static char *dup_attr(xmpp_stanza_t *st, const char *name)
{
	const char *v = xmpp_stanza_get_attribute(st, name);

	return strdup(v ? v : "");
}

/* The element's text, malloc'd with malloc ("" when empty). */
static char *dup_text(xmpp_stanza_t *st)
{
	char *raw = xmpp_stanza_get_text(st), *copy;

	if (!raw)
		return strdup("");
	copy = strdup(raw);
	xmpp_free(xmpp_stanza_get_context(st), raw);
	return copy;
}

static bool is_tag(xmpp_stanza_t *c, const char *name)
{
	const char *n = xmpp_stanza_is_tag(c) ? xmpp_stanza_get_name(c) : NULL;

	return n && !strcmp(n, name);
}

static int add_identity(struct caps_info *info, xmpp_stanza_t *c)
{
	struct caps_identity *id;
	/* libstrophe's parser drops the xml: prefix of attributes; a stanza
	 * we built ourselves still carries it. */
	const char *lang = xmpp_stanza_get_attribute(c, "xml:lang");

	if (!lang)
		lang = xmpp_stanza_get_attribute(c, "lang");
	if (grow(&info->identities, info->nidentities, sizeof(*id)))
		return -1;
	id = &info->identities[info->nidentities];
	*id = (struct caps_identity){dup_attr(c, "category"), dup_attr(c, "type"),
	                             strdup(lang ? lang : ""), dup_attr(c, "name")};
	if (!id->category || !id->type || !id->lang || !id->name) {
		free(id->category);
		free(id->type);
		free(id->lang);
		free(id->name);
		return -1;
	}
	info->nidentities++;
	return 0;
}

static int add_string(char ***arr, size_t *n, char *s)
{
	if (!s)
		return -1;
	if (grow(arr, *n, sizeof(**arr))) {
		free(s);
		return -1;
	}
	(*arr)[(*n)++] = s;
	return 0;
}

static void field_clear(struct caps_field *f)
{
	for (size_t i = 0; i < f->nvalues; i++)
		free(f->values[i]);
	free(f->values);
	free(f->var);
}

static void form_clear(struct caps_form *f)
{
	for (size_t i = 0; i < f->nfields; i++)
		field_clear(&f->fields[i]);
	free(f->fields);
	free(f->form_type);
}

static int read_values(xmpp_stanza_t *field, struct caps_field *f, size_t *budget)
{
	for (xmpp_stanza_t *v = xmpp_stanza_get_children(field); v; v = xmpp_stanza_get_next(v)) {
		if (!is_tag(v, "value"))
			continue;
		if (!*budget) {
			errno = E2BIG;
			return -1;
		}
		(*budget)--;
		if (add_string(&f->values, &f->nvalues, dup_text(v)))
			return -1;
	}
	return 0;
}

/* Reads the FORM_TYPE field into form->form_type; 1 when the form is to be
 * ignored (§5.4 step 3.6), -1 with EINVAL when its values differ. */
static int read_form_type(xmpp_stanza_t *field, struct caps_form *form)
{
	const char *type = xmpp_stanza_get_type(field);
	struct caps_field f = {0};
	size_t budget = CAPS_MAX_ITEMS;
	int rc = 0;

	if (form->form_type) {
		errno = EINVAL; /* two FORM_TYPE fields in one form */
		return -1;
	}
	if (!type || strcmp(type, "hidden"))
		return 1;
	if (read_values(field, &f, &budget)) {
		field_clear(&f);
		return -1;
	}
	for (size_t i = 1; i < f.nvalues; i++)
		if (strcmp(f.values[i], f.values[0]))
			rc = -1;
	if (!rc && f.nvalues) {
		form->form_type = f.values[0];
		f.values[0] = NULL;
	} else if (!rc) {
		rc = 1;
	} else {
		errno = EINVAL;
	}
	field_clear(&f);
	return rc;
}

/* 0 with *form filled, 1 when the form does not count, -1 on error. */
static int read_form(xmpp_stanza_t *x, struct caps_form *form, size_t *budget)
{
	for (xmpp_stanza_t *c = xmpp_stanza_get_children(x); c; c = xmpp_stanza_get_next(c)) {
		const char *var;
		struct caps_field *f;
		int rc;

		if (!is_tag(c, "field"))
			continue;
		var = xmpp_stanza_get_attribute(c, "var");
		if (var && !strcmp(var, "FORM_TYPE")) {
			if ((rc = read_form_type(c, form)))
				return rc;
			continue;
		}
		if (!*budget) {
			errno = E2BIG;
			return -1;
		}
		(*budget)--;
		if (grow(&form->fields, form->nfields, sizeof(*f)))
			return -1;
		f = &form->fields[form->nfields++];
		*f = (struct caps_field){dup_attr(c, "var"), NULL, 0};
		if (!f->var || read_values(c, f, budget))
			return -1;
	}
	return form->form_type ? 0 : 1;
}

static int add_form(struct caps_info *info, xmpp_stanza_t *x, size_t *budget)
{
	struct caps_form form = {0};
	int rc = read_form(x, &form, budget);

	if (rc) {
		form_clear(&form);
		return rc < 0 ? -1 : 0;
	}
	if (grow(&info->forms, info->nforms, sizeof(form))) {
		form_clear(&form);
		return -1;
	}
	info->forms[info->nforms++] = form;
	return 0;
}

int caps_info_from_query(xmpp_stanza_t *query, struct caps_info *out)
{
	size_t budget = CAPS_MAX_ITEMS; /* fields and values of all forms */
	int rc = 0;

	memset(out, 0, sizeof(*out));
	for (xmpp_stanza_t *c = xmpp_stanza_get_children(query); c && !rc;
	     c = xmpp_stanza_get_next(c)) {
		const char *ns = xmpp_stanza_get_ns(c);

		if (is_tag(c, "identity"))
			rc = add_identity(out, c);
		else if (is_tag(c, "feature"))
			rc = add_string(&out->features, &out->nfeatures, dup_attr(c, "var"));
		else if (is_tag(c, "x") && ns && !strcmp(ns, NS_DATA))
			rc = add_form(out, c, &budget);
	}
	if (rc) {
		int saved = errno;

		caps_info_clear(out);
		errno = saved;
	}
	return rc;
}

void caps_info_clear(struct caps_info *info)
{
	for (size_t i = 0; i < info->nidentities; i++) {
		free(info->identities[i].category);
		free(info->identities[i].type);
		free(info->identities[i].lang);
		free(info->identities[i].name);
	}
	for (size_t i = 0; i < info->nfeatures; i++)
		free(info->features[i]);
	for (size_t i = 0; i < info->nforms; i++)
		form_clear(&info->forms[i]);
	free(info->identities);
	free(info->features);
	free(info->forms);
	memset(info, 0, sizeof(*info));
}

/* ---- the verification string ---- */

/* XEP-0115 sorts with "i;octet": byte order, which strcmp() gives. */
static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int cmp_identity(const void *a, const void *b)
{
	const struct caps_identity *x = a, *y = b;
	int c = strcmp(x->category, y->category);

	if (!c)
		c = strcmp(x->type, y->type);
	if (!c)
		c = strcmp(x->lang, y->lang);
	if (!c)
		c = strcmp(x->name, y->name);
	return c;
}

static int cmp_field(const void *a, const void *b)
{
	return strcmp(((const struct caps_field *)a)->var, ((const struct caps_field *)b)->var);
}

static int cmp_form(const void *a, const void *b)
{
	return strcmp(((const struct caps_form *)a)->form_type,
	              ((const struct caps_form *)b)->form_type);
}

/* Sorts everything; false when §5.4 makes the answer ill-formed. */
static bool sort_and_check(struct caps_info *info)
{
	if (info->nidentities)
		qsort(info->identities, info->nidentities, sizeof(*info->identities), cmp_identity);
	if (info->nfeatures)
		qsort(info->features, info->nfeatures, sizeof(char *), cmp_str);
	if (info->nforms)
		qsort(info->forms, info->nforms, sizeof(*info->forms), cmp_form);
	for (size_t i = 1; i < info->nidentities; i++)
		if (!cmp_identity(&info->identities[i - 1], &info->identities[i]))
			return false;
	for (size_t i = 1; i < info->nfeatures; i++)
		if (!strcmp(info->features[i - 1], info->features[i]))
			return false;
	for (size_t i = 0; i < info->nforms; i++) {
		struct caps_form *f = &info->forms[i];

		if (i && !cmp_form(&info->forms[i - 1], f))
			return false;
		if (f->nfields)
			qsort(f->fields, f->nfields, sizeof(*f->fields), cmp_field);
		for (size_t j = 0; j < f->nfields; j++)
			if (f->fields[j].nvalues)
				qsort(f->fields[j].values, f->fields[j].nvalues, sizeof(char *),
				      cmp_str);
	}
	return true;
}

char *caps_ver_string(struct caps_info *info)
{
	char *s = NULL;
	size_t len = 0;
	FILE *f;

	if (!sort_and_check(info)) {
		errno = EINVAL;
		return NULL;
	}
	f = open_memstream(&s, &len);
	if (!f)
		return NULL;
	for (size_t i = 0; i < info->nidentities; i++) {
		const struct caps_identity *id = &info->identities[i];

		fprintf(f, "%s/%s/%s/%s<", id->category, id->type, id->lang, id->name);
	}
	for (size_t i = 0; i < info->nfeatures; i++)
		fprintf(f, "%s<", info->features[i]);
	for (size_t i = 0; i < info->nforms; i++) {
		const struct caps_form *form = &info->forms[i];

		fprintf(f, "%s<", form->form_type);
		for (size_t j = 0; j < form->nfields; j++) {
			fprintf(f, "%s<", form->fields[j].var);
			for (size_t k = 0; k < form->fields[j].nvalues; k++)
				fprintf(f, "%s<", form->fields[j].values[k]);
		}
	}
	if (ferror(f)) {
		fclose(f);
		free(s);
		errno = ENOMEM;
		return NULL;
	}
	if (fclose(f)) {
		free(s);
		return NULL;
	}
	return s;
}

char *caps_hash(struct caps_info *info)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	char *s = caps_ver_string(info), *b64;

	if (!s)
		return NULL;
	if (!EVP_Digest(s, strlen(s), md, &mdlen, EVP_sha1(), NULL)) {
		free(s);
		errno = ENOMEM;
		return NULL;
	}
	free(s);
	b64 = malloc(4 * ((mdlen + 2) / 3) + 1);
	if (b64)
		EVP_EncodeBlock((unsigned char *)b64, md, (int)mdlen);
	return b64;
}

bool caps_verify(struct caps_info *info, const char *hash, const char *ver)
{
	char *mine;
	bool ok;

	if (!hash || strcmp(hash, "sha-1") || !ver)
		return false;
	mine = caps_hash(info);
	ok = mine && !strcmp(mine, ver);
	free(mine);
	return ok;
}

bool caps_sorted_has(char *const *sorted, size_t n, const char *s)
{
	return n && bsearch(&s, sorted, n, sizeof(char *), cmp_str);
}

/* ---- feature tables ---- */

static void entry_free(struct caps_entry *e)
{
	for (size_t i = 0; i < e->nfeatures; i++)
		free(e->features[i]);
	free(e->features);
	free(e->key);
	free(e);
}

int caps_entry_put(struct caps_entry **table, const char *key, char *const *features, size_t n)
{
	struct caps_entry *e = calloc(1, sizeof(*e)), *old;

	if (!e || !(e->key = strdup(key)) || (n && !(e->features = calloc(n, sizeof(char *)))))
		goto fail;
	for (size_t i = 0; i < n; i++) {
		if (!(e->features[i] = strdup(features[i])))
			goto fail;
		e->nfeatures++;
	}
	if (n)
		qsort(e->features, n, sizeof(char *), cmp_str);
	/* drop repeats so that lookups and the saved file stay small */
	e->nfeatures = 0;
	for (size_t i = 0; i < n; i++) {
		if (e->nfeatures && !strcmp(e->features[i], e->features[e->nfeatures - 1]))
			free(e->features[i]);
		else
			e->features[e->nfeatures++] = e->features[i];
	}
	HASH_FIND_STR(*table, key, old);
	if (old)
		caps_entry_del(table, old);
	HASH_ADD_KEYPTR(hh, *table, e->key, strlen(e->key), e);
	return 0;
fail:
	if (e)
		entry_free(e);
	return -1;
}

struct caps_entry *caps_entry_find(struct caps_entry *table, const char *key)
{
	struct caps_entry *e;

	HASH_FIND_STR(table, key, e);
	return e;
}

void caps_entry_del(struct caps_entry **table, struct caps_entry *e)
{
	HASH_DEL(*table, e);
	entry_free(e);
}

void caps_entry_free_all(struct caps_entry **table)
{
	struct caps_entry *e, *tmp;

	HASH_ITER(hh, *table, e, tmp)
	caps_entry_del(table, e);
}

/* ---- the cache's JSON form ---- */

static int load_entry(struct caps_entry **table, const char *key, json_t *arr)
{
	size_t n = json_array_size(arr), i;
	char **f;
	int rc;

	if (!json_is_array(arr) || n > CAPS_MAX_ITEMS)
		return 0;
	f = calloc(n ? n : 1, sizeof(char *));
	if (!f)
		return -1;
	for (i = 0; i < n; i++) {
		f[i] = (char *)json_string_value(json_array_get(arr, i));
		if (!f[i]) {
			free(f);
			return 0;
		}
	}
	rc = caps_entry_put(table, key, f, n);
	free(f);
	return rc;
}

int caps_cache_parse(const char *text, struct caps_entry **table)
{
	json_error_t err;
	json_t *root, *arr;
	const char *key;
	size_t count = 0;
	int rc = 0;

	root = json_loads(text, 0, &err);
	if (!json_is_object(root)) {
		json_decref(root);
		errno = EINVAL;
		return -1;
	}
	json_object_foreach(root, key, arr)
	{
		if (count++ >= CAPS_MAX_ITEMS)
			break;
		if ((rc = load_entry(table, key, arr)))
			break;
	}
	json_decref(root);
	return rc;
}

int caps_entry_parse(const char *key, const char *text, struct caps_entry **table)
{
	json_t *arr = json_loads(text, 0, NULL);
	int rc;

	if (!json_is_array(arr)) {
		json_decref(arr);
		errno = EINVAL;
		return -1;
	}
	rc = load_entry(table, key, arr);
	json_decref(arr);
	return rc;
}

static json_t *entry_json(const struct caps_entry *e)
{
	json_t *arr = json_array();

	for (size_t i = 0; arr && i < e->nfeatures; i++) {
		if (json_array_append_new(arr, json_string(e->features[i]))) {
			json_decref(arr);
			return NULL;
		}
	}
	return arr;
}

char *caps_entry_format(const struct caps_entry *e)
{
	json_t *arr = entry_json(e);
	char *text = arr ? json_dumps(arr, JSON_COMPACT) : NULL;

	json_decref(arr);
	return text;
}

static json_t *table_json(struct caps_entry *table)
{
	json_t *root = json_object();
	struct caps_entry *e, *tmp;

	HASH_ITER(hh, table, e, tmp)
	{
		json_t *arr = entry_json(e);

		if (!root || !arr || json_object_set_new(root, e->key, arr)) {
			json_decref(root);
			return NULL;
		}
	}
	return root;
}

char *caps_cache_format(struct caps_entry *table)
{
	json_t *root = table_json(table);
	char *text = root ? json_dumps(root, JSON_SORT_KEYS | JSON_COMPACT) : NULL;

	json_decref(root);
	return text;
}
