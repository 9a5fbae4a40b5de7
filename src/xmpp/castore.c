/* OpenSSL's SSL_CTX_set_default_verify_paths, as libstrophe sees it: see
 * castore.h. */
#include "config.h"

#include <dlfcn.h>
#include <openssl/ssl.h>
#include <pthread.h>
#include <stddef.h>

#include "xmpp/castore.h"

typedef int (*paths_fn)(SSL_CTX *);

static paths_fn real_paths;
static pthread_once_t resolve_once = PTHREAD_ONCE_INIT;

static __thread bool pinned;

static void resolve(void)
{
	/* The next definition after natter's own: libssl's. */
	real_paths = (paths_fn)dlsym(RTLD_NEXT, "SSL_CTX_set_default_verify_paths");
}

void castore_pinned(bool on)
{
	pinned = on;
}

/* Declared by openssl/ssl.h; natter's definition takes precedence over
 * libssl's for every caller in the process, libstrophe included. */
int SSL_CTX_set_default_verify_paths(SSL_CTX *ctx)
{
	/* An empty store: the chain check fails, on_certfail() records why,
	 * and the verdict ignores it for the pin's sake. */
	if (pinned)
		return 1;
	pthread_once(&resolve_once, resolve);
	return real_paths ? real_paths(ctx) : 0;
}
