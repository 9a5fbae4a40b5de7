# libFuzzer targets for every parser of untrusted input: configure with
# CC=clang --enable-fuzz (and, for coverage-guided libnatter.a, CFLAGS with
# -fsanitize=fuzzer-no-link,address,undefined).  'make' builds them;
# 'make fuzz-run' runs each for FUZZ_TIME seconds from the seed corpus.
EXTRA_DIST += tests/fuzz/corpus tests/fuzz/safe_text.h

if ENABLE_FUZZ
noinst_PROGRAMS = tests/fuzz/fuzz_jid tests/fuzz/fuzz_text tests/fuzz/fuzz_xhtml \
	tests/fuzz/fuzz_rosterstream
# UB aborts, so that libFuzzer records it as a crash rather than a log line.
FUZZ_FLAGS = -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
tests_fuzz_fuzz_jid_SOURCES = tests/fuzz/fuzz_jid.c
tests_fuzz_fuzz_jid_CFLAGS = $(AM_CFLAGS) $(FUZZ_FLAGS)
tests_fuzz_fuzz_jid_LDFLAGS = $(FUZZ_FLAGS)
tests_fuzz_fuzz_jid_LDADD = libnatter.a $(NATTER_LIBS)
tests_fuzz_fuzz_text_SOURCES = tests/fuzz/fuzz_text.c
tests_fuzz_fuzz_text_CFLAGS = $(AM_CFLAGS) $(FUZZ_FLAGS)
tests_fuzz_fuzz_text_LDFLAGS = $(FUZZ_FLAGS)
tests_fuzz_fuzz_text_LDADD = libnatter.a $(NATTER_LIBS)
tests_fuzz_fuzz_xhtml_SOURCES = tests/fuzz/fuzz_xhtml.c
tests_fuzz_fuzz_xhtml_CFLAGS = $(AM_CFLAGS) $(FUZZ_FLAGS)
tests_fuzz_fuzz_xhtml_LDFLAGS = $(FUZZ_FLAGS)
tests_fuzz_fuzz_xhtml_LDADD = libnatter.a $(NATTER_LIBS)
tests_fuzz_fuzz_rosterstream_SOURCES = tests/fuzz/fuzz_rosterstream.c
tests_fuzz_fuzz_rosterstream_CFLAGS = $(AM_CFLAGS) $(FUZZ_FLAGS)
tests_fuzz_fuzz_rosterstream_LDFLAGS = $(FUZZ_FLAGS)
tests_fuzz_fuzz_rosterstream_LDADD = libnatter.a $(NATTER_LIBS)
# The whole core on the unit tests' fake session (tests/unit/local.mk
# builds it, with cmocka).
if HAVE_CMOCKA
noinst_PROGRAMS += tests/fuzz/fuzz_core
tests_fuzz_fuzz_core_SOURCES = tests/fuzz/fuzz_core.c
tests_fuzz_fuzz_core_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests/unit
tests_fuzz_fuzz_core_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) $(FUZZ_FLAGS)
tests_fuzz_fuzz_core_LDFLAGS = $(FUZZ_FLAGS)
tests_fuzz_fuzz_core_LDADD = tests/unit/libcoreharness.a libnatter.a $(NATTER_LIBS) $(CMOCKA_LIBS)
FUZZ_CORE = core
endif

FUZZ_TIME = 30
# New inputs go to a scratch directory, never into the checked-in seeds.
fuzz-run: $(noinst_PROGRAMS)
	@work=`mktemp -d` || exit 1; \
	for t in jid text xhtml rosterstream $(FUZZ_CORE); do \
		mkdir -p "$$work/$$t" && \
		tests/fuzz/fuzz_$$t -max_total_time=$(FUZZ_TIME) "$$work/$$t" \
			$(srcdir)/tests/fuzz/corpus/$$t || { rm -rf "$$work"; exit 1; }; \
	done; \
	rm -rf "$$work"
endif
