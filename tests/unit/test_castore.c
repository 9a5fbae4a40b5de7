/* Unit tests for xmpp/castore: natter's SSL_CTX_set_default_verify_paths
 * stands in front of OpenSSL's for every caller in the process, this test
 * included.  The system's store is replaced by one certificate of ours
 * (SSL_CERT_FILE, and an empty SSL_CERT_DIR), so that what was loaded can
 * be counted. */
#include "config.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <cmocka.h>

#include "xmpp/castore.h"

#define UNUSED __attribute__((unused))

static char dir[] = "/tmp/natter-castore-XXXXXX";
static char file[sizeof(dir) + 16];

static int write_cert(void)
{
	EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	X509 *x = X509_new();
	FILE *f;
	int ok;

	ok = key && x && ASN1_INTEGER_set(X509_get_serialNumber(x), 1) &&
	     X509_gmtime_adj(X509_getm_notBefore(x), 0) &&
	     X509_gmtime_adj(X509_getm_notAfter(x), 3600) && X509_set_pubkey(x, key) &&
	     X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
	                                (const unsigned char *)"natter test CA", -1, -1, 0) &&
	     X509_set_issuer_name(x, X509_get_subject_name(x)) && X509_sign(x, key, EVP_sha256());
	f = ok ? fopen(file, "w") : NULL;
	ok = f && PEM_write_X509(f, x);
	if (f && fclose(f))
		ok = 0;
	X509_free(x);
	EVP_PKEY_free(key);
	return ok ? 0 : -1;
}

static int setup(void UNUSED **state)
{
	if (!mkdtemp(dir))
		return -1;
	snprintf(file, sizeof(file), "%s/ca.pem", dir);
	if (write_cert())
		return -1;
	/* Read by OpenSSL when the default paths are loaded. */
	setenv("SSL_CERT_FILE", file, 1);
	setenv("SSL_CERT_DIR", dir, 1);
	return 0;
}

static int teardown(void UNUSED **state)
{
	unlink(file);
	rmdir(dir);
	return 0;
}

/* The certificates a context's store holds after the default paths were
 * asked for; -1 when that failed. */
static int loaded(void)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	int n = -1;

	if (ctx && SSL_CTX_set_default_verify_paths(ctx) == 1)
		n = sk_X509_OBJECT_num(X509_STORE_get0_objects(SSL_CTX_get_cert_store(ctx)));
	SSL_CTX_free(ctx);
	return n;
}

static void test_unpinned_loads_the_store(void UNUSED **state)
{
	castore_pinned(false);
	assert_int_equal(loaded(), 1);
}

static void test_pinned_skips_it(void UNUSED **state)
{
	castore_pinned(true);
	assert_int_equal(loaded(), 0);
	castore_pinned(false);
	assert_int_equal(loaded(), 1);
}

static void *load_elsewhere(void *out)
{
	*(int *)out = loaded();
	return NULL;
}

/* The HTTP upload's thread never said anything: OpenSSL's behaviour. */
static void test_other_threads_are_not_pinned(void UNUSED **state)
{
	pthread_t t;
	int n = -2;

	castore_pinned(true);
	assert_int_equal(pthread_create(&t, NULL, load_elsewhere, &n), 0);
	pthread_join(t, NULL);
	castore_pinned(false);
	assert_int_equal(n, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_unpinned_loads_the_store),
	    cmocka_unit_test(test_pinned_skips_it),
	    cmocka_unit_test(test_other_threads_are_not_pinned),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
