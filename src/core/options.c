/* /set: the settings of natterrc seen and changed while natter runs.  A
 * change is checked as the file's line would be, applied at once (the
 * core reads its settings when it uses them; front ends apply theirs from
 * the setting event) and saved to natterrc, keeping every other line. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "config/accounts.h"
#include "core/core_internal.h"
#include "core/options.h"

static int cmd_set(struct cmd_call *call)
{
	struct core *core = CALL_CORE(call);
	struct nt_event ev = {.kind = NT_EV_SETTING, .origin = call->origin};
	const char *section, *name, *path = core_settings_path(core);
	char *err = NULL, *text;

	if (call->argc < 2) {
		text = settings_describe(core_settings(core), call->argc ? call->argv[0] : NULL);
		if (!text && errno == ENOENT) {
			core_error(core, CAUSE(call), "item-not-found",
			           "no setting %s (/set lists them)", call->argv[0]);
			return -1;
		}
		if (!text) {
			core_error(core, CAUSE(call), "internal-server-error", "out of memory");
			return -1;
		}
		core_info(core, CAUSE(call), "%s%s", text,
		          call->argc ? "" : "\n(/set NAME VALUE changes one and saves it)");
		free(text);
		return 0;
	}
	if (settings_set(core_settings_mut(core), call->argv[0], call->argv[1], &section, &name,
	                 &err)) {
		core_error(core, CAUSE(call), "bad-request", "%s", err ? err : "out of memory");
		free(err);
		return -1;
	}
	ev.u.setting.section = section;
	ev.u.setting.name = name;
	ev.u.setting.value = call->argv[1];
	core_emit(core, &ev);
	/* The accounts file's INI editor keeps every other line as it was;
	 * natterrc is the same format. */
	if (path && ini_file_set_key(path, section, name, call->argv[1], &err)) {
		core_error(core, CAUSE(call), "internal-server-error",
		           "%s.%s is %s now, but it could not be saved: %s", section, name,
		           call->argv[1], err ? err : "out of memory");
		free(err);
		return -1;
	}
	core_info(core, CAUSE(call), "%s.%s = %s%s", section, name, call->argv[1],
	          path ? " (saved)" : "");
	return 0;
}

static const struct cmd_entry commands[] = {
    {.name = "set",
     .usage = "[NAME [VALUE]]",
     .help = "show the settings, or change one (saved to natterrc): /set ui.bell off",
     .max_args = 2,
     .rest = true,
     .complete = {"connection.connect_timeout|connection.reconnect_min|"
                  "connection.reconnect_max|connection.ping_interval|connection.ping_timeout|"
                  "connection.close_timeout|history.mam_initial|privacy.reveal_os|ui.theme|"
                  "ui.bell|general.account"},
     .exec = cmd_set},
};

const struct core_module options_module = {
    .name = "options",
    .title = "Settings",
    .commands = commands,
    .ncommands = COUNT(commands),
};
