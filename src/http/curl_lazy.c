/* See curl_lazy.h. */
#include "config.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stddef.h>

#define CURL_LAZY_IMPL
#include "http/curl_lazy.h"
#include "util/log.h"

struct curl_lazy curl_lazy;

/* The library libcurl4-openssl-dev links against (libcurl3-gnutls's is
 * libcurl-gnutls.so.4: put.c's certificate checks are OpenSSL's). */
#define CURL_SONAME "libcurl.so.4"

static pthread_once_t once = PTHREAD_ONCE_INIT;
static const char *why;

#define SYM(field, name)                                                                           \
	{                                                                                          \
		offsetof(struct curl_lazy, field), name                                            \
	}

static void load(void)
{
	static const struct {
		size_t offset;
		const char *name;
	} syms[] = {
	    SYM(global_init, "curl_global_init"),
	    SYM(version_info, "curl_version_info"),
	    SYM(easy_init, "curl_easy_init"),
	    SYM(easy_cleanup, "curl_easy_cleanup"),
	    SYM(easy_setopt, "curl_easy_setopt"),
	    SYM(easy_getinfo, "curl_easy_getinfo"),
	    SYM(easy_strerror, "curl_easy_strerror"),
	    SYM(free, "curl_free"),
	    SYM(multi_init, "curl_multi_init"),
	    SYM(multi_add_handle, "curl_multi_add_handle"),
	    SYM(multi_remove_handle, "curl_multi_remove_handle"),
	    SYM(multi_cleanup, "curl_multi_cleanup"),
	    SYM(multi_info_read, "curl_multi_info_read"),
	    SYM(multi_setopt, "curl_multi_setopt"),
	    SYM(multi_socket_action, "curl_multi_socket_action"),
	    SYM(slist_append, "curl_slist_append"),
	    SYM(slist_free_all, "curl_slist_free_all"),
	    SYM(url, "curl_url"),
	    SYM(url_cleanup, "curl_url_cleanup"),
	    SYM(url_get, "curl_url_get"),
	    SYM(url_set, "curl_url_set"),
	};
	/* Never closed: libcurl keeps global state until the process ends. */
	void *lib = dlopen(CURL_SONAME, RTLD_NOW | RTLD_LOCAL);

	if (!lib) {
		log_warn("http: %s", dlerror());
		why = "libcurl (" CURL_SONAME ") could not be loaded: install the Debian package "
		      "libcurl4";
		return;
	}
	for (size_t i = 0; i < sizeof(syms) / sizeof(syms[0]); i++) {
		void *fn = dlsym(lib, syms[i].name);

		if (!fn) {
			log_warn("http: %s has no %s", CURL_SONAME, syms[i].name);
			why = "the libcurl installed is too old (7.85 or later is needed)";
			return;
		}
		/* POSIX: a function's address from dlsym converts to its type. */
		*(void **)((char *)&curl_lazy + syms[i].offset) = fn;
	}
}

const char *curl_lazy_load(void)
{
	pthread_once(&once, load);
	return why;
}
