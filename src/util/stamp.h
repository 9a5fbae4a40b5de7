/* XEP-0082 date-times: the one parser natter has for the times peers and
 * servers send (XEP-0203 delay stamps), and the one form it writes them in.
 *
 * Times inside natter are numbers: UTC milliseconds since the epoch.  A
 * string is parsed once, where it arrives (the core), and front ends are
 * handed the number. */
#ifndef NATTER_UTIL_STAMP_H
#define NATTER_UTIL_STAMP_H

#include <stdint.h>

/* Room for stamp_format()'s output and its NUL. */
#define STAMP_LEN 32

/* "CCYY-MM-DDThh:mm:ss[.s...](Z|+hh:mm|-hh:mm)" exactly (XEP-0082
 * DateTime: four-digit year, no spaces, a real calendar date) in UTC
 * milliseconds since the epoch; fractions beyond milliseconds are cut.
 * -1 for anything else, including times before 1970. */
int64_t stamp_parse(const char *s);

/* ms as "CCYY-MM-DDThh:mm:ss.sssZ" (ms >= 0, years up to 9999). */
void stamp_format(int64_t ms, char out[STAMP_LEN]);

#endif
