/* The line editor behind the input line. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <wctype.h>

#include "ui/input.h"
#include "ui/wstr.h"

void input_init(struct input *in)
{
	memset(in, 0, sizeof(*in));
}

void input_free(struct input *in)
{
	free(in->buf);
	input_init(in);
}

static int input_reserve(struct input *in, size_t need)
{
	size_t cap = in->cap ? in->cap : 64;
	wchar_t *b;

	if (need <= in->cap)
		return 0;
	while (cap < need)
		cap *= 2;
	b = realloc(in->buf, cap * sizeof(*b));
	if (!b)
		return -1;
	in->buf = b;
	in->cap = cap;
	return 0;
}

int input_insert(struct input *in, const wchar_t *w, size_t n)
{
	size_t i, k = 0;

	if (in->len + n > INPUT_MAX) {
		in->dropped += in->len + n - INPUT_MAX;
		n = INPUT_MAX - in->len;
	}
	if (input_reserve(in, in->len + n + 1))
		return -1;
	memmove(in->buf + in->cur + n, in->buf + in->cur, (in->len - in->cur) * sizeof(wchar_t));
	/* Line breaks come only from pastes: they are sent as typed. */
	for (i = 0; i < n; i++)
		if (wstr_typeable(w[i]) || w[i] == L'\n')
			in->buf[in->cur + k++] = w[i];
	/* Close the gap left by anything that was filtered out. */
	memmove(in->buf + in->cur + k, in->buf + in->cur + n,
	        (in->len - in->cur) * sizeof(wchar_t));
	in->len += k;
	in->cur += k;
	return 0;
}

/* Start of the character the cursor is after, skipping its combining marks. */
static size_t input_prev(const struct input *in, size_t i)
{
	while (i > 0) {
		i--;
		if (wstr_cwidth(in->buf[i]) > 0)
			break;
	}
	return i;
}

static size_t input_next(const struct input *in, size_t i)
{
	if (i < in->len)
		i++;
	while (i < in->len && wstr_cwidth(in->buf[i]) == 0)
		i++;
	return i;
}

static void input_cut(struct input *in, size_t from, size_t to)
{
	memmove(in->buf + from, in->buf + to, (in->len - to) * sizeof(wchar_t));
	in->len -= to - from;
	if (in->cur > to)
		in->cur -= to - from;
	else if (in->cur > from)
		in->cur = from;
}

void input_left(struct input *in)
{
	in->cur = input_prev(in, in->cur);
}

void input_right(struct input *in)
{
	in->cur = input_next(in, in->cur);
}

void input_home(struct input *in)
{
	in->cur = 0;
}

void input_end(struct input *in)
{
	in->cur = in->len;
}

void input_backspace(struct input *in)
{
	input_cut(in, input_prev(in, in->cur), in->cur);
}

void input_delete(struct input *in)
{
	input_cut(in, in->cur, input_next(in, in->cur));
}

void input_kill_end(struct input *in)
{
	input_cut(in, in->cur, in->len);
}

void input_kill_start(struct input *in)
{
	input_cut(in, 0, in->cur);
}

void input_kill_word(struct input *in)
{
	size_t i = in->cur;

	while (i > 0 && iswspace(in->buf[i - 1]))
		i--;
	while (i > 0 && !iswspace(in->buf[i - 1]))
		i--;
	input_cut(in, i, in->cur);
}

void input_clear(struct input *in)
{
	/* What was typed may have been a password. */
	if (in->buf)
		explicit_bzero(in->buf, in->len * sizeof(*in->buf));
	in->len = in->cur = in->view = 0;
}

int input_set(struct input *in, const char *utf8)
{
	size_t n;
	/* A recalled multi-line message keeps its line breaks. */
	wchar_t *w = wstr_from_utf8(utf8, 1, &n);

	if (!w)
		return -1;
	input_clear(in);
	if (input_insert(in, w, n)) {
		free(w);
		return -1;
	}
	free(w);
	return 0;
}

char *input_text(const struct input *in)
{
	return wstr_to_utf8(in->buf, in->len);
}

char *input_text_to_cursor(const struct input *in)
{
	return wstr_to_utf8(in->buf, in->cur);
}

int input_replace_before_cursor(struct input *in, size_t from, const char *utf8)
{
	size_t n;
	wchar_t *w;
	int rc;

	if (from > in->cur)
		return 0;
	w = wstr_from_utf8(utf8, 0, &n);
	if (!w)
		return -1;
	input_cut(in, from, in->cur);
	in->cur = from;
	rc = input_insert(in, w, n);
	free(w);
	return rc;
}

void input_scroll_to_cursor(struct input *in, int cols)
{
	int margin = cols > 8 ? cols / 8 : 0;

	if (cols <= 0)
		return;
	if (in->view > in->cur)
		in->view = in->cur;
	/* Keep a little context left of the cursor when scrolling back. */
	while (in->view > 0 && in->view + margin > in->cur)
		in->view--;
	while (in->view < in->cur && wstr_width(in->buf + in->view, in->cur - in->view) >= cols)
		in->view = input_next(in, in->view);
	/* A wide view over a short tail wastes space: pull back while it fits. */
	while (in->view > 0 && wstr_width(in->buf + in->view - 1, in->len - in->view + 1) < cols)
		in->view--;
}
