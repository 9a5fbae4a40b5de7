if HAVE_CMOCKA
UNIT_LDADD = libnatter.a $(NATTER_LIBS) $(CMOCKA_LIBS)
UNIT_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)

check_PROGRAMS += tests/unit/test_jid tests/unit/test_text tests/unit/test_accounts \
	tests/unit/test_loop tests/unit/test_cmd tests/unit/test_tlspin tests/unit/test_settings \
	tests/unit/test_xhtml tests/unit/test_caps tests/unit/test_session tests/unit/test_xmlguard \
	tests/unit/test_budget tests/unit/test_evalcmd
TESTS += tests/unit/test_jid tests/unit/test_text tests/unit/test_accounts \
	tests/unit/test_loop tests/unit/test_cmd tests/unit/test_tlspin tests/unit/test_settings \
	tests/unit/test_xhtml tests/unit/test_caps tests/unit/test_session tests/unit/test_xmlguard \
	tests/unit/test_budget tests/unit/test_evalcmd

tests_unit_test_jid_SOURCES = tests/unit/test_jid.c
tests_unit_test_jid_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_jid_LDADD = $(UNIT_LDADD)
tests_unit_test_text_SOURCES = tests/unit/test_text.c
tests_unit_test_text_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_text_LDADD = $(UNIT_LDADD)
tests_unit_test_accounts_SOURCES = tests/unit/test_accounts.c
tests_unit_test_accounts_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_accounts_LDADD = $(UNIT_LDADD)
tests_unit_test_loop_SOURCES = tests/unit/test_loop.c
tests_unit_test_loop_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_loop_LDADD = $(UNIT_LDADD)
tests_unit_test_cmd_SOURCES = tests/unit/test_cmd.c
tests_unit_test_cmd_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_cmd_LDADD = $(UNIT_LDADD)
tests_unit_test_tlspin_SOURCES = tests/unit/test_tlspin.c
tests_unit_test_tlspin_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_tlspin_LDADD = $(UNIT_LDADD)
tests_unit_test_settings_SOURCES = tests/unit/test_settings.c
tests_unit_test_settings_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_settings_LDADD = $(UNIT_LDADD)
tests_unit_test_xhtml_SOURCES = tests/unit/test_xhtml.c
tests_unit_test_xhtml_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_xhtml_LDADD = $(UNIT_LDADD)
tests_unit_test_caps_SOURCES = tests/unit/test_caps.c
tests_unit_test_caps_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_caps_LDADD = $(UNIT_LDADD)
# The core on the fake session: fake_session.o comes before libnatter.a,
# so the real session and the network thread are never linked in.
check_PROGRAMS += tests/unit/test_core
TESTS += tests/unit/test_core
CORE_HARNESS = tests/unit/core_harness.c tests/unit/core_harness.h \
	tests/unit/fake_session.c tests/unit/fake_session.h
tests_unit_test_core_SOURCES = tests/unit/test_core.c $(CORE_HARNESS)
tests_unit_test_core_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_core_LDADD = $(UNIT_LDADD)
check_PROGRAMS += tests/unit/test_everyday
TESTS += tests/unit/test_everyday
tests_unit_test_everyday_SOURCES = tests/unit/test_everyday.c $(CORE_HARNESS)
tests_unit_test_everyday_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_everyday_LDADD = $(UNIT_LDADD)

tests_unit_test_session_SOURCES = tests/unit/test_session.c
tests_unit_test_session_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_session_LDADD = $(UNIT_LDADD)
tests_unit_test_evalcmd_SOURCES = tests/unit/test_evalcmd.c
tests_unit_test_evalcmd_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_evalcmd_LDADD = $(UNIT_LDADD)
tests_unit_test_budget_SOURCES = tests/unit/test_budget.c
tests_unit_test_budget_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_budget_LDADD = $(UNIT_LDADD)
tests_unit_test_xmlguard_SOURCES = tests/unit/test_xmlguard.c
tests_unit_test_xmlguard_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_xmlguard_LDADD = $(UNIT_LDADD)

check_PROGRAMS += tests/unit/test_store
TESTS += tests/unit/test_store
tests_unit_test_store_SOURCES = tests/unit/test_store.c
tests_unit_test_store_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_store_LDADD = $(UNIT_LDADD)
endif
