# Benchmarks print figures; they are never pass/fail tests (make bench).
EXTRA_PROGRAMS = bench/history
bench_history_SOURCES = bench/history.c
bench_history_LDADD = libnatter.a $(NATTER_LIBS)
bench: bench/history
	./bench/history
