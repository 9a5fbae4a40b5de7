/* Giving memory back to the system after a large, passing need. */
#ifndef NATTER_UTIL_MEMTRIM_H
#define NATTER_UTIL_MEMTRIM_H

/* Returns the free pages inside the heap to the system (glibc's
 * malloc_trim), where the C library can; nothing elsewhere.  For after a
 * burst that freed megabytes in the middle of the heap (a roster of
 * 10,000 read from one stanza), which free() alone leaves resident. */
void memtrim(void);

#endif
