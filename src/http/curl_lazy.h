/* libcurl, loaded when the first upload starts rather than with natter.
 *
 * Linked in, libcurl brings 26 shared libraries (GnuTLS through librtmp,
 * Kerberos, LDAP, SSH, ...) into every start: 6 MB of resident memory and
 * milliseconds before the first screen, for a feature many sessions never
 * use.  put.c calls curl_* as usual; the names below make those calls go
 * through the table that curl_lazy_load() fills. */
#ifndef NATTER_HTTP_CURL_LAZY_H
#define NATTER_HTTP_CURL_LAZY_H

/* curl.h's type-checking macros would wrap curl_easy_setopt & co. */
#define CURL_DISABLE_TYPECHECK 1
#include <curl/curl.h>

struct curl_lazy {
	CURLcode (*global_init)(long flags);
	curl_version_info_data *(*version_info)(CURLversion age);
	CURL *(*easy_init)(void);
	void (*easy_cleanup)(CURL *curl);
	CURLcode (*easy_setopt)(CURL *curl, CURLoption option, ...);
	CURLcode (*easy_getinfo)(CURL *curl, CURLINFO info, ...);
	const char *(*easy_strerror)(CURLcode code);
	void (*free)(void *p);
	CURLM *(*multi_init)(void);
	CURLMcode (*multi_add_handle)(CURLM *multi, CURL *curl);
	CURLMcode (*multi_remove_handle)(CURLM *multi, CURL *curl);
	CURLMcode (*multi_cleanup)(CURLM *multi);
	CURLMsg *(*multi_info_read)(CURLM *multi, int *left);
	CURLMcode (*multi_setopt)(CURLM *multi, CURLMoption option, ...);
	CURLMcode (*multi_socket_action)(CURLM *multi, curl_socket_t s, int ev_bitmask,
	                                 int *running);
	struct curl_slist *(*slist_append)(struct curl_slist *list, const char *s);
	void (*slist_free_all)(struct curl_slist *list);
	CURLU *(*url)(void);
	void (*url_cleanup)(CURLU *url);
	CURLUcode (*url_get)(const CURLU *url, CURLUPart what, char **part, unsigned int flags);
	CURLUcode (*url_set)(CURLU *url, CURLUPart what, const char *part, unsigned int flags);
};

extern struct curl_lazy curl_lazy;

/* Loads libcurl once; NULL when it is there, else why not (static). */
const char *curl_lazy_load(void);

#ifndef CURL_LAZY_IMPL
/* curl.h names these as macros of themselves even without type checks */
#undef curl_easy_setopt
#undef curl_easy_getinfo
#undef curl_multi_setopt
#define curl_global_init         curl_lazy.global_init
#define curl_version_info        curl_lazy.version_info
#define curl_easy_init           curl_lazy.easy_init
#define curl_easy_cleanup        curl_lazy.easy_cleanup
#define curl_easy_setopt         curl_lazy.easy_setopt
#define curl_easy_getinfo        curl_lazy.easy_getinfo
#define curl_easy_strerror       curl_lazy.easy_strerror
#define curl_free                curl_lazy.free
#define curl_multi_init          curl_lazy.multi_init
#define curl_multi_add_handle    curl_lazy.multi_add_handle
#define curl_multi_remove_handle curl_lazy.multi_remove_handle
#define curl_multi_cleanup       curl_lazy.multi_cleanup
#define curl_multi_info_read     curl_lazy.multi_info_read
#define curl_multi_setopt        curl_lazy.multi_setopt
#define curl_multi_socket_action curl_lazy.multi_socket_action
#define curl_slist_append        curl_lazy.slist_append
#define curl_slist_free_all      curl_lazy.slist_free_all
#define curl_url                 curl_lazy.url
#define curl_url_cleanup         curl_lazy.url_cleanup
#define curl_url_get             curl_lazy.url_get
#define curl_url_set             curl_lazy.url_set
#endif

#endif
