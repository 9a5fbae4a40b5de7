/* See nodump.h. */
#include "config.h"

#include <sys/prctl.h>
#include <sys/resource.h>

#include "util/nodump.h"

int nodump_protect(void)
{
	const struct rlimit none = {0, 0};
	int rc = 0;

	if (setrlimit(RLIMIT_CORE, &none))
		rc = -1;
	/* Also makes /proc/PID/{mem,environ,maps} root's and refuses ptrace to
	 * the same user; exec'd children (eval_password) start afresh. */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0))
		rc = -1;
	return rc;
}
