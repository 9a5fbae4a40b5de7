/* The core's commands: one entry each, read by the parser, /help, the man
 * page and completion.  Handlers live with the feature they drive. */
#include "config.h"

#include "core/core_internal.h"

#define SHOWS "online|chat|away|xa|dnd|invisible"

const struct cmd_entry core_commands[] = {
	{.name = "help", .usage = "[COMMAND]", .help = "list commands, or show one command's usage",
	 .max_args = 1, .complete = {"@command"}, .exec = core_cmd_help},
	{.name = "connect", .help = "connect the account (after /disconnect or an error)",
	 .exec = core_cmd_connect},
	{.name = "disconnect", .help = "close the connection and stop reconnecting",
	 .exec = core_cmd_disconnect},
	{.name = "quit", .help = "close the connection cleanly and leave natter",
	 .exec = core_cmd_quit},
	{.name = "msg", .usage = "JID [TEXT]", .help = "open a chat with JID; send TEXT if given",
	 .min_args = 1, .max_args = 2, .rest = true, .complete = {"@jid"}, .exec = chat_cmd_msg},
	{.name = "say", .usage = "TEXT", .help = "send TEXT to the current chat", .min_args = 1,
	 .max_args = 1, .rest = true, .exec = chat_cmd_say},
	{.name = "status", .usage = SHOWS " [MESSAGE]",
	 .help = "set your presence and status message", .min_args = 1, .max_args = 2,
	 .rest = true, .complete = {SHOWS}, .exec = chat_cmd_status},
	{.name = "priority", .usage = "N", .help = "set your presence priority (-128..127)",
	 .min_args = 1, .max_args = 1, .exec = chat_cmd_priority},
	{.name = "version", .usage = "JID", .help = "ask which software JID runs (XEP-0092)",
	 .min_args = 1, .max_args = 1, .complete = {"@jid"}, .flags = CMD_ONLINE,
	 .exec = replies_cmd_version},
	{.name = "ping", .usage = "[JID]", .help = "measure the round trip to JID or the server",
	 .max_args = 1, .complete = {"@jid"}, .flags = CMD_ONLINE, .exec = replies_cmd_ping},
	{.name = "raw", .usage = "XML", .help = "send a stanza exactly as typed (for experts)",
	 .min_args = 1, .max_args = 1, .rest = true, .flags = CMD_ONLINE, .exec = core_cmd_raw},
};

const size_t core_ncommands = sizeof(core_commands) / sizeof(core_commands[0]);
