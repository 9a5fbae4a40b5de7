/* Headless mode: commands on standard input, JSON Lines events on standard
 * output (doc/headless.md). */
#ifndef NATTER_HEADLESS_HEADLESS_H
#define NATTER_HEADLESS_HEADLESS_H

#include <stdio.h>

#include "core/event.h"
#include "loop/loop.h"

struct core;
struct headless;

struct headless *headless_new(struct loop *loop, int in_fd, FILE *out);
struct nt_frontend headless_frontend(struct headless *h);
/* Starts reading commands for core; end of input quits cleanly. */
int headless_attach(struct headless *h, struct core *core);
void headless_free(struct headless *h);

#endif
