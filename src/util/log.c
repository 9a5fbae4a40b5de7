/* Diagnostics sink; thread-safe because the network thread logs too. */
#include "config.h"

#include <pthread.h>
#include <stdarg.h>
#include <time.h>

#include "util/log.h"

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static enum log_level log_threshold = LOG_WARN;
static FILE *log_stream;
static int log_stream_set;

void log_set_level(enum log_level level)
{
	log_threshold = level;
}

bool log_enabled(enum log_level level)
{
	return level >= log_threshold;
}

void log_set_stream(FILE *f)
{
	pthread_mutex_lock(&log_lock);
	log_stream = f;
	log_stream_set = 1;
	pthread_mutex_unlock(&log_lock);
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	static const char *const names[] = {"debug", "info", "warning", "error"};
	FILE *out;
	va_list ap;

	if (level < log_threshold)
		return;
	pthread_mutex_lock(&log_lock);
	out = log_stream_set ? log_stream : stderr;
	if (out) {
		struct timespec ts;
		struct tm tm;
		char stamp[32];

		clock_gettime(CLOCK_REALTIME, &ts);
		gmtime_r(&ts.tv_sec, &tm);
		strftime(stamp, sizeof stamp, "%H:%M:%S", &tm);
		fprintf(out, "natter %s %s: ", stamp, names[level]);
		va_start(ap, fmt);
		vfprintf(out, fmt, ap);
		va_end(ap);
		fputc('\n', out);
		fflush(out);
	}
	pthread_mutex_unlock(&log_lock);
}
