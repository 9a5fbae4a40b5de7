# Terminal UI (ncurses).  Listed here so the UI can grow without touching
# the top-level Makefile.am.
libnatter_a_SOURCES += \
	src/ui/ui.c src/ui/ui.h src/ui/ui_internal.h \
	src/ui/ui_cmds.c src/ui/ui_cmds.h \
	src/ui/winlist.c src/ui/winlist.h \
	src/ui/contacts.c src/ui/contacts.h \
	src/ui/rooms.c src/ui/rooms.h src/ui/ui_rooms.c \
	src/ui/markup.c src/ui/markup.h \
	src/ui/omemo.c src/ui/omemo.h \
	src/ui/backlog.c src/ui/backlog.h \
	src/ui/histview.c src/ui/histview.h \
	src/ui/fcmview.c src/ui/fcmview.h \
	src/ui/notify.c src/ui/notify.h \
	src/ui/prompt.c src/ui/prompt.h \
	src/ui/pubsubwin.c src/ui/pubsubwin.h \
	src/ui/typing.c src/ui/typing.h \
	src/ui/lines.c src/ui/lines.h \
	src/ui/focus.c src/ui/focus.h \
	src/ui/window.c src/ui/window.h \
	src/ui/recall.c src/ui/recall.h \
	src/ui/input.c src/ui/input.h \
	src/ui/keys.c src/ui/keys.h \
	src/ui/draw.c src/ui/draw.h \
	src/ui/theme.c src/ui/theme.h \
	src/ui/wstr.c src/ui/wstr.h

# Installed themes; theme.c looks in $(pkgdatadir)/themes.
themedir = $(pkgdatadir)/themes
dist_theme_DATA = themes/default.theme themes/light.theme themes/mono.theme
