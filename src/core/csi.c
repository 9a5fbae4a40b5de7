/* XEP-0352 Client State Indication: while nobody looks at natter (the
 * terminal lost focus, or no key for a while: the terminal UI decides and
 * calls core_client_state), the server is told so and may hold back what
 * is not urgent (presence floods) until somebody does.  The state belongs
 * to the stream: a fresh session starts active, so an inactive state is
 * said again at login; a resumed one keeps it. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "core/core_internal.h"
#include "core/csi.h"
#include "util/log.h"

struct csi_state {
	bool offered;  /* the session's server does XEP-0352 */
	bool inactive; /* what we want the server to know */
	bool said;     /* ... and it was said on this session */
};

static struct csi_state *cst(struct core *core)
{
	return core_state(core, &csi_module);
}

static void say(struct core *core, struct csi_state *cs)
{
	const char *xml =
	    cs->inactive ? "<inactive xmlns='" NS_CSI "'/>" : "<active xmlns='" NS_CSI "'/>";

	if (!cs->offered || !core_online(core))
		return;
	if (core_send_nonza(core, xml))
		log_error("out of memory: the client state was not sent");
	else
		cs->said = true;
}

int core_client_state(struct core *core, bool active)
{
	struct csi_state *cs = cst(core);

	if (!cs || cs->inactive == !active)
		return 0;
	cs->inactive = !active;
	/* A fresh session is active: nothing to say until it is not. */
	if (cs->said || cs->inactive)
		say(core, cs);
	return 0;
}

static void csi_login(struct core *core, const struct core_login *l)
{
	struct csi_state *cs = cst(core);

	cs->offered = l->csi;
	cs->said = false;
	if (cs->inactive)
		say(core, cs);
}

static int cmd_csi(struct cmd_call *call)
{
	struct core *core = CALL_CORE(call);
	struct csi_state *cs = cst(core);
	bool active = !strcmp(call->argv[0], "active");

	if (!active && strcmp(call->argv[0], "inactive")) {
		core_error(core, CAUSE(call), "bad-request", "/csi active or /csi inactive");
		return -1;
	}
	if (!cs->offered) {
		core_error(core, CAUSE(call), "feature-not-implemented",
		           "your server does not offer client state indication (XEP-0352)");
		return -1;
	}
	core_client_state(core, active);
	core_info(core, CAUSE(call), "the server knows natter is %s",
	          active ? "active" : "inactive");
	return 0;
}

static int csi_init(struct core *core)
{
	struct csi_state *cs = calloc(1, sizeof(*cs));

	if (!cs)
		return -1;
	core_set_state(core, &csi_module, cs);
	return 0;
}

static void csi_free(struct core *core)
{
	free(cst(core));
	core_set_state(core, &csi_module, NULL);
}

static const struct cmd_entry commands[] = {
    {.name = "csi",
     .usage = "active|inactive",
     .help = "tell the server whether anyone looks at natter (XEP-0352; the terminal UI does "
             "this by itself)",
     .min_args = 1,
     .max_args = 1,
     .complete = {"active|inactive"},
     .flags = CMD_ONLINE,
     .exec = cmd_csi},
};

const struct core_module csi_module = {
    .name = "csi",
    .title = "Client state",
    .init = csi_init,
    .free = csi_free,
    .login = csi_login,
    .commands = commands,
    .ncommands = COUNT(commands),
};
