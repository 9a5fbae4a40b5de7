/* The full-text index's tokenizer: unicode61 for scripts that separate
 * words, one token per character for those that do not.
 *
 * unicode61 splits at spaces and punctuation, so "日本語のテキスト" is one
 * token and a search for 日本語 finds nothing.  Chinese, Japanese, Thai,
 * Lao, Khmer, Myanmar and Tibetan write words without spaces, and Korean
 * glues particles to words: a user searching them wants substrings.
 * Indexing their characters one by one makes a searched word a phrase of
 * consecutive characters, which FTS5 answers from the index: substring
 * search for those scripts, unchanged words for the others, and no index
 * growth for text without them (a trigram index would triple the index of
 * every message to serve the few written in these scripts). */
#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "store/fts_tokenizer.h"

struct ntok {
	fts5_tokenizer inner_api;
	Fts5Tokenizer *inner;
};

struct split {
	void *ctx;
	int (*token)(void *ctx, int flags, const char *tok, int ntok, int start, int end);
};

/* Scripts written without spaces between words (or, for Hangul, with
 * particles joined to them). */
static bool spaceless(uint32_t c)
{
	static const uint32_t ranges[][2] = {
	    {0x0E00, 0x0EFF},   /* Thai, Lao */
	    {0x0F00, 0x0FFF},   /* Tibetan */
	    {0x1000, 0x109F},   /* Myanmar */
	    {0x1100, 0x11FF},   /* Hangul Jamo */
	    {0x1780, 0x17FF},   /* Khmer */
	    {0x2E80, 0x2FDF},   /* CJK radicals, Kangxi */
	    {0x3040, 0x31FF},   /* Hiragana, Katakana, Bopomofo, Hangul compatibility Jamo */
	    {0x3400, 0x4DBF},   /* CJK extension A */
	    {0x4E00, 0x9FFF},   /* CJK unified ideographs */
	    {0xA960, 0xA97F},   /* Hangul Jamo extended A */
	    {0xAC00, 0xD7FF},   /* Hangul syllables, Jamo extended B */
	    {0xF900, 0xFAFF},   /* CJK compatibility ideographs */
	    {0xFF66, 0xFFDC},   /* half-width Katakana and Hangul */
	    {0x20000, 0x3FFFF}, /* CJK extensions B and later */
	};

	for (size_t i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++)
		if (c >= ranges[i][0] && c <= ranges[i][1])
			return true;
	return false;
}

/* The length of the UTF-8 sequence at s (at most n bytes) and its code
 * point; an invalid byte counts as one character of its own. */
static int utf8_next(const unsigned char *s, int n, uint32_t *c)
{
	int len = s[0] < 0x80 ? 1 : s[0] >= 0xF0 ? 4 : s[0] >= 0xE0 ? 3 : s[0] >= 0xC0 ? 2 : 1;

	if (len > n) {
		*c = s[0];
		return 1;
	}
	*c = len == 1 ? s[0] : s[0] & (0x7F >> len);
	for (int i = 1; i < len; i++) {
		if ((s[i] & 0xC0) != 0x80) {
			*c = s[0];
			return 1;
		}
		*c = *c << 6 | (s[i] & 0x3F);
	}
	return len;
}

/* unicode61's token, split where it holds spaceless characters. */
static int split_token(void *p, int flags, const char *tok, int ntok, int start, int end)
{
	struct split *sp = p;
	const unsigned char *u = (const unsigned char *)tok;
	int i = 0, run = 0, rc = SQLITE_OK;
	bool wide = false;

	/* Every spaceless script lies above U+0DFF, which UTF-8 writes with
	 * a lead byte of 0xE0 or more: most tokens need no decoding. */
	for (int k = 0; k < ntok && !wide; k++)
		wide = u[k] >= 0xE0;
	if (!wide)
		return sp->token(sp->ctx, flags, tok, ntok, start, end);
	/* The pieces keep the whole token's offsets: natter orders by row
	 * id and highlights itself, so FTS5's offsets are never read. */
	while (i < ntok && rc == SQLITE_OK) {
		uint32_t c;
		int len = utf8_next(u + i, ntok - i, &c);

		if (spaceless(c)) {
			if (run)
				rc = sp->token(sp->ctx, flags, tok + i - run, run, start, end);
			if (rc == SQLITE_OK)
				rc = sp->token(sp->ctx, flags, tok + i, len, start, end);
			run = 0;
			/* a synonym flag belongs to the first piece only */
			flags &= ~FTS5_TOKEN_COLOCATED;
		} else {
			run += len;
		}
		i += len;
	}
	if (rc == SQLITE_OK && run)
		rc = sp->token(sp->ctx, flags, tok + i - run, run, start, end);
	return rc;
}

static int ntok_tokenize(Fts5Tokenizer *t, void *ctx, int flags, const char *text, int len,
                         int (*token)(void *, int, const char *, int, int, int))
{
	struct ntok *nt = (struct ntok *)t;
	struct split sp = {ctx, token};

	return nt->inner_api.xTokenize(nt->inner, &sp, flags, text, len, split_token);
}

static void ntok_delete(Fts5Tokenizer *t)
{
	struct ntok *nt = (struct ntok *)t;

	if (!nt)
		return;
	if (nt->inner)
		nt->inner_api.xDelete(nt->inner);
	free(nt);
}

/* The arguments are unicode61's ("remove_diacritics 2"). */
static int ntok_create(void *ud, const char **argv, int argc, Fts5Tokenizer **out)
{
	fts5_api *api = ud;
	struct ntok *nt = calloc(1, sizeof(*nt));
	void *inner_ud = NULL;
	int rc;

	*out = NULL;
	if (!nt)
		return SQLITE_NOMEM;
	rc = api->xFindTokenizer(api, "unicode61", &inner_ud, &nt->inner_api);
	if (rc == SQLITE_OK)
		rc = nt->inner_api.xCreate(inner_ud, argv, argc, &nt->inner);
	if (rc != SQLITE_OK) {
		ntok_delete((Fts5Tokenizer *)nt);
		return rc;
	}
	*out = (Fts5Tokenizer *)nt;
	return SQLITE_OK;
}

static fts5_api *fts5_api_of(sqlite3 *db)
{
	fts5_api *api = NULL;
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(db, "SELECT fts5(?1)", -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_pointer(st, 1, &api, "fts5_api_ptr", NULL);
		sqlite3_step(st);
		sqlite3_finalize(st);
	}
	return api;
}

int fts_tokenizer_register(sqlite3 *db)
{
	fts5_tokenizer t = {ntok_create, ntok_delete, ntok_tokenize};
	fts5_api *api = fts5_api_of(db);

	if (!api)
		return SQLITE_ERROR;
	return api->xCreateTokenizer(api, FTS_TOKENIZER, api, &t, NULL);
}

int fts_tokenizer_find(sqlite3 *db, void **ud, fts5_tokenizer *t)
{
	fts5_api *api = fts5_api_of(db);

	if (!api)
		return SQLITE_ERROR;
	return api->xFindTokenizer(api, FTS_TOKENIZER, ud, t);
}
