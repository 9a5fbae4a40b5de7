if HAVE_CMOCKA
UNIT_LDADD = libnatter.a $(NATTER_LIBS) $(CMOCKA_LIBS)
UNIT_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)

check_PROGRAMS += tests/unit/test_jid tests/unit/test_text tests/unit/test_accounts \
	tests/unit/test_loop tests/unit/test_cmd tests/unit/test_pin tests/unit/test_tlspin \
	tests/unit/test_settings tests/unit/test_xhtml tests/unit/test_caps tests/unit/test_session \
	tests/unit/test_stamp tests/unit/test_xmlguard tests/unit/test_rosterstream tests/unit/test_smqueue tests/unit/test_castore tests/unit/test_budget tests/unit/test_evalcmd
TESTS += tests/unit/test_jid tests/unit/test_text tests/unit/test_accounts \
	tests/unit/test_loop tests/unit/test_cmd tests/unit/test_pin tests/unit/test_tlspin \
	tests/unit/test_settings tests/unit/test_xhtml tests/unit/test_caps tests/unit/test_session \
	tests/unit/test_stamp tests/unit/test_xmlguard tests/unit/test_rosterstream tests/unit/test_smqueue tests/unit/test_castore tests/unit/test_budget tests/unit/test_evalcmd

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
tests_unit_test_pin_SOURCES = tests/unit/test_pin.c
tests_unit_test_pin_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_pin_LDADD = $(UNIT_LDADD)
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
# The core on the fake session: libcoreharness.a comes before libnatter.a,
# so its xs_* functions are the ones linked and the real session and the
# network thread never are.  The fuzz target of the core links it too.
noinst_LIBRARIES += tests/unit/libcoreharness.a
tests_unit_libcoreharness_a_SOURCES = tests/unit/core_harness.c tests/unit/core_harness.h \
	tests/unit/fake_session.c tests/unit/fake_session.h
tests_unit_libcoreharness_a_CFLAGS = $(UNIT_CFLAGS)
CORE_LDADD = tests/unit/libcoreharness.a $(UNIT_LDADD)
# One per module (or pair of modules), test_core.c for the host itself.
CORE_TESTS = tests/unit/test_core tests/unit/test_core_chat tests/unit/test_core_mam \
	tests/unit/test_core_roster tests/unit/test_core_presence tests/unit/test_core_disco \
	tests/unit/test_core_connection tests/unit/test_core_vcard tests/unit/test_core_replies \
	tests/unit/test_core_ibr tests/unit/test_core_history tests/unit/test_core_help \
	tests/unit/test_core_muc tests/unit/test_core_autoaway tests/unit/test_core_pubsub tests/unit/test_bounds \
	tests/unit/test_core_fcm
check_PROGRAMS += $(CORE_TESTS)
TESTS += $(CORE_TESTS)
tests_unit_test_core_SOURCES = tests/unit/test_core.c
tests_unit_test_core_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_core_LDADD = $(CORE_LDADD)
tests_unit_test_core_fcm_SOURCES = tests/unit/test_core_fcm.c
tests_unit_test_core_fcm_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_core_fcm_LDADD = $(CORE_LDADD)
tests_unit_test_core_chat_SOURCES = tests/unit/test_core_chat.c
tests_unit_test_core_chat_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_core_chat_LDADD = $(CORE_LDADD)
tests_unit_test_core_mam_SOURCES = tests/unit/test_core_mam.c
tests_unit_test_core_mam_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_core_mam_LDADD = $(CORE_LDADD)
tests_unit_test_core_roster_SOURCES = tests/unit/test_core_roster.c
tests_unit_test_core_roster_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_core_roster_LDADD = $(CORE_LDADD)
tests_unit_test_core_presence_SOURCES = tests/unit/test_core_presence.c
tests_unit_test_core_presence_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_core_presence_LDADD = $(CORE_LDADD)
tests_unit_test_core_disco_SOURCES = tests/unit/test_core_disco.c
tests_unit_test_core_disco_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_core_disco_LDADD = $(CORE_LDADD)
tests_unit_test_core_connection_SOURCES = tests/unit/test_core_connection.c
tests_unit_test_core_connection_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_core_connection_LDADD = $(CORE_LDADD)
tests_unit_test_core_vcard_SOURCES = tests/unit/test_core_vcard.c
tests_unit_test_core_vcard_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_core_vcard_LDADD = $(CORE_LDADD)
tests_unit_test_core_replies_SOURCES = tests/unit/test_core_replies.c
tests_unit_test_core_replies_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_core_replies_LDADD = $(CORE_LDADD)
tests_unit_test_core_ibr_SOURCES = tests/unit/test_core_ibr.c
tests_unit_test_core_ibr_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_core_ibr_LDADD = $(CORE_LDADD)
tests_unit_test_core_history_SOURCES = tests/unit/test_core_history.c
tests_unit_test_core_history_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_core_history_LDADD = $(CORE_LDADD)
tests_unit_test_core_muc_SOURCES = tests/unit/test_core_muc.c
tests_unit_test_core_muc_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_core_muc_LDADD = $(CORE_LDADD)
tests_unit_test_core_autoaway_SOURCES = tests/unit/test_core_autoaway.c
tests_unit_test_core_autoaway_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_core_autoaway_LDADD = $(CORE_LDADD)
tests_unit_test_core_pubsub_SOURCES = tests/unit/test_core_pubsub.c
tests_unit_test_core_pubsub_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_core_pubsub_LDADD = $(CORE_LDADD)
tests_unit_test_core_help_SOURCES = tests/unit/test_core_help.c
tests_unit_test_core_help_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_core_help_LDADD = $(CORE_LDADD)
# What strangers can make natter keep, and how the store writes at scale.
tests_unit_test_bounds_SOURCES = tests/unit/test_bounds.c
tests_unit_test_bounds_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_bounds_LDADD = $(CORE_LDADD)
# The everyday messaging modules (msg_helpers.h is what they share).
MSG_TESTS = \
	tests/unit/test_core_correct \
	tests/unit/test_core_retract \
	tests/unit/test_core_markers \
	tests/unit/test_core_blocking \
	tests/unit/test_core_links \
	tests/unit/test_core_action \
	tests/unit/test_core_csi \
	tests/unit/test_core_upload
check_PROGRAMS += $(MSG_TESTS)
TESTS += $(MSG_TESTS)
tests_unit_test_core_correct_SOURCES = tests/unit/test_core_correct.c tests/unit/msg_helpers.h
tests_unit_test_core_correct_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_core_correct_LDADD = $(CORE_LDADD)
tests_unit_test_core_retract_SOURCES = tests/unit/test_core_retract.c tests/unit/msg_helpers.h
tests_unit_test_core_retract_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_core_retract_LDADD = $(CORE_LDADD)
tests_unit_test_core_markers_SOURCES = tests/unit/test_core_markers.c tests/unit/msg_helpers.h
tests_unit_test_core_markers_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_core_markers_LDADD = $(CORE_LDADD)
tests_unit_test_core_blocking_SOURCES = tests/unit/test_core_blocking.c tests/unit/msg_helpers.h
tests_unit_test_core_blocking_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_core_blocking_LDADD = $(CORE_LDADD)
tests_unit_test_core_links_SOURCES = tests/unit/test_core_links.c tests/unit/msg_helpers.h
tests_unit_test_core_links_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_core_links_LDADD = $(CORE_LDADD)
tests_unit_test_core_action_SOURCES = tests/unit/test_core_action.c tests/unit/msg_helpers.h
tests_unit_test_core_action_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_core_action_LDADD = $(CORE_LDADD)
tests_unit_test_core_csi_SOURCES = tests/unit/test_core_csi.c tests/unit/msg_helpers.h
tests_unit_test_core_csi_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_core_csi_LDADD = $(CORE_LDADD)
tests_unit_test_core_upload_SOURCES = tests/unit/test_core_upload.c tests/unit/msg_helpers.h
tests_unit_test_core_upload_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_core_upload_LDADD = $(CORE_LDADD)

check_PROGRAMS += tests/unit/test_omemo
TESTS += tests/unit/test_omemo
tests_unit_test_omemo_SOURCES = tests/unit/test_omemo.c
tests_unit_test_omemo_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_omemo_LDADD = $(CORE_LDADD)

# The terminal UI's parts that need no terminal (ncurses is linked, never
# started).
UI_TESTS = tests/unit/test_ui_wstr tests/unit/test_ui_input tests/unit/test_ui_markup \
	tests/unit/test_ui_contacts tests/unit/test_ui_window tests/unit/test_ui_theme
check_PROGRAMS += $(UI_TESTS)
TESTS += $(UI_TESTS)
tests_unit_test_ui_wstr_SOURCES = tests/unit/test_ui_wstr.c
tests_unit_test_ui_wstr_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_ui_wstr_LDADD = $(UNIT_LDADD)
tests_unit_test_ui_input_SOURCES = tests/unit/test_ui_input.c
tests_unit_test_ui_input_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_ui_input_LDADD = $(UNIT_LDADD)
tests_unit_test_ui_markup_SOURCES = tests/unit/test_ui_markup.c
tests_unit_test_ui_markup_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_ui_markup_LDADD = $(UNIT_LDADD)
tests_unit_test_ui_contacts_SOURCES = tests/unit/test_ui_contacts.c
tests_unit_test_ui_contacts_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_ui_contacts_LDADD = $(UNIT_LDADD)
tests_unit_test_ui_window_SOURCES = tests/unit/test_ui_window.c
tests_unit_test_ui_window_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_ui_window_LDADD = $(UNIT_LDADD)
tests_unit_test_ui_theme_SOURCES = tests/unit/test_ui_theme.c
tests_unit_test_ui_theme_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_ui_theme_LDADD = $(UNIT_LDADD)

tests_unit_test_stamp_SOURCES = tests/unit/test_stamp.c
tests_unit_test_stamp_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_stamp_LDADD = $(UNIT_LDADD)

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
tests_unit_test_rosterstream_SOURCES = tests/unit/test_rosterstream.c
tests_unit_test_rosterstream_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_rosterstream_LDADD = $(UNIT_LDADD)
tests_unit_test_smqueue_SOURCES = tests/unit/test_smqueue.c
tests_unit_test_smqueue_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_smqueue_LDADD = $(UNIT_LDADD)
tests_unit_test_castore_SOURCES = tests/unit/test_castore.c
tests_unit_test_castore_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_castore_LDADD = $(UNIT_LDADD)

check_PROGRAMS += tests/unit/test_store
TESTS += tests/unit/test_store
tests_unit_test_store_SOURCES = tests/unit/test_store.c
tests_unit_test_store_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_store_LDADD = $(UNIT_LDADD)
endif
