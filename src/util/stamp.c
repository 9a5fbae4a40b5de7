/* XEP-0082 date-times (see stamp.h).  Calendar arithmetic is done here
 * rather than with timegm()/gmtime_r(): no time zone, locale or time_t
 * range is involved, and a stamp either is one or is not. */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>

#include "util/stamp.h"

#define MAX_YEAR 9999

/* n digits at *p as a number, moving *p past them; -1 unless all are
 * digits. */
static int digits(const char **p, int n)
{
	int v = 0;

	for (int i = 0; i < n; i++, (*p)++) {
		if (**p < '0' || **p > '9')
			return -1;
		v = v * 10 + (**p - '0');
	}
	return v;
}

static bool leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int month_days(int y, int m)
{
	static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	return m == 2 && leap(y) ? 29 : days[m - 1];
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian; Howard Hinnant's
 * days_from_civil). */
static int64_t days_from_civil(int y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* The inverse, for days >= 0. */
static void civil_from_days(int64_t z, int *y, int *m, int *d)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = z / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

/* Expects the character c at *p. */
static bool lit(const char **p, char c)
{
	if (**p != c)
		return false;
	(*p)++;
	return true;
}

int64_t stamp_parse(const char *s)
{
	int y, mo, d, h, mi, sec, ms = 0, oh = 0, om = 0, sign = 0, n = 0;
	int64_t t;

	if (!s)
		return -1;
	y = digits(&s, 4);
	if (y < 0 || !lit(&s, '-') || (mo = digits(&s, 2)) < 0 || !lit(&s, '-') ||
	    (d = digits(&s, 2)) < 0 || !lit(&s, 'T') || (h = digits(&s, 2)) < 0 || !lit(&s, ':') ||
	    (mi = digits(&s, 2)) < 0 || !lit(&s, ':') || (sec = digits(&s, 2)) < 0)
		return -1;
	if (*s == '.') {
		/* At least one digit; any number of them, milliseconds kept. */
		for (s++; *s >= '0' && *s <= '9'; s++, n++)
			if (n < 3)
				ms = ms * 10 + (*s - '0');
		if (!n)
			return -1;
		for (; n < 3; n++)
			ms *= 10;
	}
	if (*s == '+' || *s == '-') {
		sign = *s++ == '+' ? 1 : -1;
		if ((oh = digits(&s, 2)) < 0 || !lit(&s, ':') || (om = digits(&s, 2)) < 0 ||
		    oh > 23 || om > 59)
			return -1;
	} else if (!lit(&s, 'Z')) {
		return -1;
	}
	if (*s || y < 1 || mo < 1 || mo > 12 || d < 1 || d > month_days(y, mo) || h > 23 ||
	    mi > 59 || sec > 60)
		return -1;
	/* A leap second is the last moment of its minute. */
	if (sec == 60)
		sec = 59, ms = 999;
	t = ((days_from_civil(y, mo, d) * 24 + h) * 60 + mi) * 60 + sec;
	t -= (int64_t)sign * (oh * 3600 + om * 60);
	return t < 0 ? -1 : t * 1000 + ms;
}

void stamp_format(int64_t ms, char out[STAMP_LEN])
{
	int64_t secs, days;
	int y, m, d, rem;

	if (ms < 0)
		ms = 0;
	secs = ms / 1000;
	days = secs / 86400;
	rem = (int)(secs % 86400);
	civil_from_days(days, &y, &m, &d);
	if (y > MAX_YEAR) {
		y = MAX_YEAR, m = 12, d = 31, rem = 86399, ms = 999;
	}
	snprintf(out, STAMP_LEN, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", y, m, d, rem / 3600,
	         rem / 60 % 60, rem % 60, (int)(ms % 1000));
}
