# Benchmarks print figures; they are never pass/fail tests (make bench).
EXTRA_PROGRAMS = bench/history
bench_history_SOURCES = bench/history.c
bench_history_LDADD = libnatter.a $(NATTER_LIBS)
NATTER_BENCHES = bench/history
if HAVE_CMOCKA
# The core on the unit tests' fake session: libcoreharness.a comes before
# libnatter.a, so the real session and the network thread stay out.
EXTRA_PROGRAMS += bench/core
bench_core_SOURCES = bench/core.c
bench_core_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
bench_core_LDADD = tests/unit/libcoreharness.a libnatter.a $(NATTER_LIBS) $(CMOCKA_LIBS)
NATTER_BENCHES += bench/core
endif
EXTRA_DIST += bench/core.sh
bench: $(NATTER_BENCHES)
	./bench/history
	if test -x bench/core; then $(SHELL) $(top_srcdir)/bench/core.sh ./bench/core; fi
