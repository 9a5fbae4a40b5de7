/* Links.  XEP-0066 out-of-band data: the URL a message carries (a shared
 * file) is reported with it, and our uploads carry one.  /open hands the
 * newest link of a conversation (an out-of-band URL, else the first web
 * address in the text) to the user's opener: xdg-open unless the setting
 * [general] opener names another command.  The link is passed to it as
 * an argument, never as part of a command line, so nothing in it can run
 * anything; and only http and https links are opened at all. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/chat.h"
#include "core/core_internal.h"
#include "core/links.h"
#include "util/jid.h"
#include "util/log.h"
#include "xmpp/stanza.h"

#define MAX_URL 4096
/* Conversations whose newest link is remembered. */
#define MAX_LINKS 64

struct link {
	char *peer; /* bare JID key */
	char *url;
};

struct links_state {
	struct link v[MAX_LINKS]; /* oldest first */
	size_t n;
};

static struct links_state *lst(struct core *core)
{
	return core_state(core, &links_module);
}

static size_t scheme_len(const char *s)
{
	if (!strncasecmp(s, "https://", 8))
		return 8;
	if (!strncasecmp(s, "http://", 7))
		return 7;
	return 0;
}

bool links_is_url(const char *s)
{
	size_t n = s ? scheme_len(s) : 0, len;

	if (!n || !s[n] || s[n] == '/')
		return false;
	len = strlen(s);
	if (len > MAX_URL)
		return false;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p <= ' ' || *p == 0x7f)
			return false;
	return true;
}

/* The first web address in text, malloc'd, or NULL. */
static char *url_in(const char *text)
{
	for (const char *p = text; p && *p; p++) {
		size_t n;
		char *url;

		if ((p != text && isalnum((unsigned char)p[-1])) || !scheme_len(p))
			continue;
		n = strcspn(p, " \t\n\r<>\"");
		/* Punctuation that ends a sentence is not part of it. */
		while (n && strchr(".,;:!?)]}'", p[n - 1]))
			n--;
		url = strndup(p, n);
		if (url && links_is_url(url))
			return url;
		free(url);
	}
	return NULL;
}

static void remember(struct core *core, const char *peer, const char *url)
{
	struct links_state *ls = lst(core);
	char *p = peer ? strdup(peer) : NULL, *u = url ? strdup(url) : NULL;
	size_t i;

	if (!ls || !p || !u) {
		free(p);
		free(u);
		return;
	}
	for (i = 0; i < ls->n && strcmp(ls->v[i].peer, peer); i++)
		;
	if (i == MAX_LINKS)
		i = 0; /* the conversation linked longest ago gives way */
	if (i < ls->n) {
		free(ls->v[i].peer);
		free(ls->v[i].url);
		memmove(&ls->v[i], &ls->v[i + 1], (ls->n - i - 1) * sizeof(ls->v[0]));
		ls->n--;
	}
	ls->v[ls->n++] = (struct link){p, u};
}

/* ---- receiving and sending ---- */

static int links_receive(struct core *core, struct chat_in *in)
{
	xmpp_stanza_t *x = xmpp_stanza_get_child_by_name_and_ns(in->st, "x", NS_OOB);
	char *raw = x ? st_child_text(x, "url") : NULL, *url = NULL;

	if (raw) {
		/* XML allows blanks around it; nothing else is let through. */
		char *s = raw + strspn(raw, " \t\r\n");

		s[strcspn(s, " \t\r\n")] = '\0';
		if (links_is_url(s))
			url = core_clean(s);
		else
			log_info("ignored an out-of-band link that is not a web address");
		free(raw);
	}
	in->oob_url = chat_in_keep(in, url);
	if (in->peer && (in->oob_url || in->body)) {
		char *found = in->oob_url ? NULL : url_in(in->body);

		if (in->oob_url || found)
			remember(core, in->peer, in->oob_url ? in->oob_url : found);
		free(found);
	}
	return CHAT_IN_PASS;
}

static int links_decorate(struct core *core, xmpp_stanza_t *m, struct chat_out *o)
{
	xmpp_stanza_t *x;
	char *peer;

	if (!o->oob_url)
		return 0;
	x = st_add_element(m, "x", NS_OOB);
	if (!x || st_add_text(x, "url", o->oob_url))
		return -1;
	peer = jid_bare_key(o->to, NULL);
	remember(core, peer, o->oob_url);
	free(peer);
	return 0;
}

/* ---- /open ---- */

/* Runs the opener with url as its argument, detached: a grandchild, in a
 * session of its own, with no terminal, so it can neither draw on the
 * screen nor be left as a zombie.  Only async-signal-safe calls follow
 * fork() (another thread runs). */
static int spawn(const char *opener, const char *url, char **why)
{
	char *script = NULL;
	pid_t pid;
	int status;

	/* The link is "$1": an argument, never part of the script. */
	if (asprintf(&script, "%s \"$1\"", opener) < 0) {
		*why = strdup("out of memory");
		return -1;
	}
	pid = fork();
	if (pid == 0) {
		int null;

		if (fork() != 0)
			_exit(0);
		setsid();
		null = open("/dev/null", O_RDWR);
		if (null >= 0) {
			dup2(null, 0);
			dup2(null, 1);
			dup2(null, 2);
		}
		execl("/bin/sh", "sh", "-c", script, "natter-open", url, (char *)NULL);
		_exit(127);
	}
	free(script);
	if (pid < 0) {
		*why = strdup(strerror(errno));
		return -1;
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return 0;
}

static int cmd_open(struct cmd_call *call)
{
	struct core *core = CALL_CORE(call);
	struct links_state *ls = lst(core);
	const char *opener = core_settings(core)->opener, *url = NULL;
	const char *with = call->argc ? call->argv[0] : core_current_chat(core);
	char *peer = NULL, *why = NULL;

	if (with && !(peer = jid_bare_key(with, NULL))) {
		core_error(core, CAUSE(call), "jid-malformed", "'%s' is not a valid JID", with);
		return -1;
	}
	for (size_t i = ls->n; !url && i-- > 0;)
		if (!peer || !strcmp(ls->v[i].peer, peer))
			url = ls->v[i].url;
	/* No link in the current chat: the newest anywhere, unless asked. */
	if (!url && !call->argc && ls->n)
		url = ls->v[ls->n - 1].url;
	if (!url) {
		core_error(core, CAUSE(call), "item-not-found", "no link%s%s to open",
		           peer ? " from " : "", peer ? peer : "");
		free(peer);
		return -1;
	}
	free(peer);
	if (!opener || spawn(opener, url, &why)) {
		core_error(core, CAUSE(call), "internal-server-error", "cannot run the opener: %s",
		           why ? why : "none set ([general] opener)");
		free(why);
		return -1;
	}
	core_info(core, CAUSE(call), "opening %s", url);
	return 0;
}

static int links_init(struct core *core)
{
	struct links_state *ls = calloc(1, sizeof(*ls));

	if (!ls)
		return -1;
	core_set_state(core, &links_module, ls);
	return 0;
}

static void links_free(struct core *core)
{
	struct links_state *ls = lst(core);

	if (!ls)
		return;
	for (size_t i = 0; i < ls->n; i++) {
		free(ls->v[i].peer);
		free(ls->v[i].url);
	}
	free(ls);
	core_set_state(core, &links_module, NULL);
}

static const struct cmd_entry commands[] = {
    {.name = "open",
     .usage = "[JID]",
     .help = "open the newest link of the current chat (or of JID) with your opener",
     .max_args = 1,
     .complete = {"@jid"},
     .exec = cmd_open},
};

static const char *const features[] = {NS_OOB, NULL};

const struct core_module links_module = {
    .name = "links",
    .title = "Chats",
    .init = links_init,
    .free = links_free,
    .commands = commands,
    .ncommands = COUNT(commands),
    .features = features,
    .receive = links_receive,
    .decorate = links_decorate,
};
