/* Diagnostics: one line each, to standard error by default.
 *
 * Never pass a password or token here.  The terminal UI points the log at
 * a file so that diagnostics do not scribble over the screen. */
#ifndef NATTER_UTIL_LOG_H
#define NATTER_UTIL_LOG_H

#include <stdbool.h>
#include <stdio.h>

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

void log_set_level(enum log_level level);
/* Whether messages of this level are written (to skip costly formatting). */
bool log_enabled(enum log_level level);
/* NULL silences the log; the stream is not closed by the log. */
void log_set_stream(FILE *f);
void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_INFO, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_WARN, __VA_ARGS__)
#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)

#endif
