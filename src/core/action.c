/* XEP-0245 The /me Command: a body that starts with "/me " is an action.
 * The text travels as typed (that is the protocol); what this module adds
 * is the command to send one, and the mark on messages both ways so that
 * front ends show "* alice waves" rather than "<alice> /me waves". */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/action.h"
#include "core/chat.h"
#include "core/core_internal.h"

#define ME "/me "

const char *action_text(const char *body)
{
	if (!body || strncmp(body, ME, strlen(ME)))
		return NULL;
	body += strlen(ME);
	return *body ? body : NULL;
}

static int cmd_me(struct cmd_call *call)
{
	struct core *core = CALL_CORE(call);
	char *line = NULL;
	int rc;

	if (!core_current_chat(core)) {
		core_error(core, CAUSE(call), "bad-request",
		           "no conversation is open: /msg JID /me ACTION sends one");
		return -1;
	}
	if (asprintf(&line, ME "%s", call->argv[0]) < 0) {
		core_error(core, CAUSE(call), "internal-server-error", "out of memory: not sent");
		return -1;
	}
	rc = chat_send_text(core, core_current_chat(core), line, CAUSE(call));
	free(line);
	return rc;
}

static int action_decorate(struct core *core, xmpp_stanza_t *m, struct chat_out *o)
{
	(void)core;
	(void)m;
	o->action = action_text(o->text) != NULL;
	return 0;
}

static int action_receive(struct core *core, struct chat_in *in)
{
	(void)core;
	in->action = action_text(in->body) != NULL;
	return CHAT_IN_PASS;
}

static const struct cmd_entry commands[] = {
    {.name = "me",
     .usage = "ACTION",
     .help = "say what you do in the current chat, shown as \"* you ACTION\" (XEP-0245)",
     .min_args = 1,
     .max_args = 1,
     .rest = true,
     .exec = cmd_me},
};

const struct core_module action_module = {
    .name = "action",
    .title = "Chats",
    .commands = commands,
    .ncommands = COUNT(commands),
    .receive = action_receive,
    .decorate = action_decorate,
};
