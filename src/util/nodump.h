/* Keeping natter's memory to itself.
 *
 * It holds the account's password or token and the messages of the
 * session.  A core dump would write them to disk (or hand them to a crash
 * reporter), and a "dumpable" process can be read through ptrace and
 * /proc/PID/mem by any other process of the same user.  main() calls this
 * unless --debug asks for debuggability. */
#ifndef NATTER_UTIL_NODUMP_H
#define NATTER_UTIL_NODUMP_H

/* No core file (RLIMIT_CORE 0) and not dumpable (PR_SET_DUMPABLE 0).
 * 0, or -1 with errno when either could not be set. */
int nodump_protect(void);

#endif
