/* Headless front end: one command per input line, one JSON object per
 * event on output (doc/headless.md). */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/core.h"
#include "headless/event_json.h"
#include "headless/headless.h"
#include "util/log.h"
#include "util/text.h"

/* A command line longer than this is refused rather than buffered without
 * bound (a /raw stanza of a megabyte is still fine). */
#define MAX_LINE (1024 * 1024) /* said as "1 MiB" in the refusal */

struct headless {
	struct loop *loop;
	int in_fd;
	FILE *out;
	struct core *core;
	char *buf;
	size_t len, cap;
	bool discarding; /* inside an over-long line */
	bool eof;
	uint64_t lines; /* input lines read: the origin of each command */
};

static void emit(void *ud, const struct nt_event *ev)
{
	struct headless *h = ud;
	char *line = event_json(ev);

	if (!line) {
		log_error("out of memory: an event was lost");
		return;
	}
	/* One flush per event: scripts read line by line and must not wait. */
	if (fprintf(h->out, "%s\n", line) < 0 || fflush(h->out)) {
		log_error("standard output is gone (%s): quitting", strerror(errno));
		if (h->core && !core_quitting(h->core))
			core_quit(h->core);
	}
	free(line);
}

struct headless *headless_new(struct loop *loop, int in_fd, FILE *out)
{
	struct headless *h = calloc(1, sizeof(*h));

	if (!h)
		return NULL;
	h->loop = loop;
	h->in_fd = in_fd;
	h->out = out;
	return h;
}

struct nt_frontend headless_frontend(struct headless *h)
{
	return (struct nt_frontend){emit, h};
}

/* An input line refused before it reached the core. */
static void refuse(struct headless *h, const char *text)
{
	struct nt_event ev = {.kind = NT_EV_ERROR, .origin = h->lines};

	ev.u.error.condition = "bad-request";
	ev.u.error.text = text;
	emit(h, &ev);
}

static void run_line(struct headless *h, char *line, size_t len)
{
	h->lines++;
	if (len && line[len - 1] == '\r')
		line[--len] = '\0';
	if (!len)
		return;
	if (!text_utf8_valid(line, len)) {
		refuse(h, "the command line is not valid UTF-8");
		return;
	}
	core_input(h->core, line, h->lines);
}

static void take_lines(struct headless *h)
{
	size_t start = 0;

	for (size_t i = 0; i < h->len; i++) {
		if (h->buf[i] != '\n')
			continue;
		h->buf[i] = '\0';
		if (!h->discarding)
			run_line(h, h->buf + start, i - start);
		h->discarding = false;
		start = i + 1;
		if (core_quitting(h->core))
			break;
	}
	memmove(h->buf, h->buf + start, h->len - start);
	/* The lines run may have held a password (/password, /register). */
	explicit_bzero(h->buf + h->len - start, start);
	h->len -= start;
	if (h->len > MAX_LINE) {
		if (!h->discarding)
			refuse(h, "command line longer than 1 MiB ignored");
		h->discarding = true;
		explicit_bzero(h->buf, h->len);
		h->len = 0;
	}
}

static void on_input(struct loop *loop, int fd, short revents, void *ud)
{
	struct headless *h = ud;
	ssize_t n;

	if (h->cap - h->len < 4096) {
		size_t ncap = h->cap ? h->cap * 2 : 8192;
		char *b = malloc(ncap);

		if (!b) {
			log_error("out of memory reading commands");
			return;
		}
		/* Not realloc(): it would leave the old block, lines and all. */
		if (h->buf) {
			memcpy(b, h->buf, h->len);
			explicit_bzero(h->buf, h->cap);
		}
		free(h->buf);
		h->buf = b;
		h->cap = ncap;
	}
	n = read(fd, h->buf + h->len, h->cap - h->len - 1);
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		/* End of input: a last line without newline still counts. */
		if (h->len && !h->discarding) {
			h->buf[h->len] = '\0';
			run_line(h, h->buf, h->len);
		}
		h->len = 0;
		h->eof = true;
		loop_fd_remove(loop, fd);
		if (!core_quitting(h->core))
			core_quit(h->core);
		return;
	}
	h->len += (size_t)n;
	if (!core_quitting(h->core))
		take_lines(h);
}

int headless_attach(struct headless *h, struct core *core)
{
	h->core = core;
	return loop_fd_add(h->loop, h->in_fd, POLLIN, on_input, h);
}

void headless_free(struct headless *h)
{
	if (!h)
		return;
	if (h->buf)
		explicit_bzero(h->buf, h->cap);
	free(h->buf);
	free(h);
}
