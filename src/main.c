/* natter: command line, configuration, and the choice of front end. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <locale.h>
#include <malloc.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/accounts.h"
#include "config/paths.h"
#include "config/settings.h"
#include "core/core.h"
#include "headless/headless.h"
#include "ui/ui.h"
#include "util/log.h"
#include "util/nodump.h"

static void usage(FILE *f)
{
	fprintf(f,
	        "usage: natter [-a NAME] [--headless] [--debug]\n"
	        "       natter --version | --help\n"
	        "\n"
	        "  -a, --account NAME  use the account NAME from the accounts file\n"
	        "      --headless      no terminal UI: commands on standard input,\n"
	        "                      JSON Lines events on standard output\n"
	        "  -d, --debug         verbose diagnostics on standard error (or the log file);\n"
	        "                      also allows core dumps and debuggers\n"
	        "  -v, --version       print the version and exit\n"
	        "  -h, --help          print this help and exit\n"
	        "\n"
	        "Accounts: $XDG_CONFIG_HOME/natter/accounts; see natter(1).\n");
}

/* One line on stderr and a failing exit status, as the contract asks. */
static __attribute__((format(printf, 1, 2))) int die(const char *fmt, ...)
{
	va_list ap;

	fputs("natter: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

static const struct account *choose_account(const struct account_list *list,
                                            const struct settings *s, const char *name,
                                            const char *path, int *rc)
{
	const struct account *a;

	*rc = 0;
	if (!name)
		name = s->default_account;
	if (name) {
		a = accounts_find(list, name);
		if (!a)
			*rc = die("no account named '%s' in %s", name, path);
		return a;
	}
	if (list->count == 1)
		return &list->items[0];
	if (!list->count)
		*rc = die("no account configured: create %s (see natter(1)), or try "
		          "scripts/quickstart",
		          path);
	else
		*rc = die("%s holds several accounts: choose one with -a NAME", path);
	return NULL;
}

struct frontends {
	struct headless *headless;
	struct ui *ui;
};

/* acct is cleared as soon as the core has its own copy. */
static int run(struct account *acct, const char *accounts_path, const char *settings_path,
               const struct settings *settings, bool headless)
{
	struct loop *loop = loop_new();
	struct frontends fe = {0};
	struct core_options opt = {0};
	struct core *core = NULL;
	int rc = 1;

	if (!loop)
		return die("out of memory");
	if (headless) {
		fe.headless = headless_new(loop, STDIN_FILENO, stdout);
		if (!fe.headless)
			goto out;
		opt.frontend = headless_frontend(fe.headless);
	} else {
		fe.ui = ui_new(loop, settings);
		if (!fe.ui)
			goto out;
		opt.frontend = ui_frontend(fe.ui);
	}
	opt.loop = loop;
	opt.account = acct;
	opt.accounts_path = accounts_path;
	opt.settings_path = settings_path;
	opt.settings = settings;
	core = core_new(&opt);
	account_clear(acct);
	if (!core) {
		die("could not start the core (out of memory?)");
		goto out;
	}
	if (fe.headless ? headless_attach(fe.headless, core) : (ui_attach(fe.ui, core), 0))
		goto out;
	/* Without a password the terminal UI asks for one, then connects. */
	if (core_start(core, !(fe.ui && core_needs_password(core))))
		goto out;
	rc = loop_run(loop) ? 1 : 0;
out:
	core_free(core);
	headless_free(fe.headless);
	ui_free(fe.ui);
	loop_free(loop);
	return rc;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"account", required_argument, NULL, 'a'}, {"headless", no_argument, NULL, 'H'},
	    {"debug", no_argument, NULL, 'd'},         {"version", no_argument, NULL, 'v'},
	    {"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0},
	};
	struct account_list accounts = {0};
	struct settings settings = {0};
	struct account chosen = {0};
	const struct account *acct;
	const char *name = NULL;
	char *accounts_path = NULL, *settings_path = NULL, *err = NULL;
	bool headless = false, debug = false;
	int c, rc = 1;

	/* One malloc arena for both threads: every stanza is allocated by the
	 * network thread and freed by the core thread, and with an arena per
	 * thread the network arena's peak (a 10,000-item roster) stayed
	 * resident beside the core's: 49 MB after such a login, 39 MB with
	 * one.  Two threads hardly contend for it. */
	mallopt(M_ARENA_MAX, 1);
	setlocale(LC_ALL, "");
	/* libstrophe writes without MSG_NOSIGNAL; a dead peer must not kill us. */
	signal(SIGPIPE, SIG_IGN);
	opterr = 0;
	while ((c = getopt_long(argc, argv, "a:dvh", longopts, NULL)) != -1) {
		switch (c) {
		case 'a':
			name = optarg;
			break;
		case 'H':
			headless = true;
			break;
		case 'd':
			log_set_level(LOG_DEBUG);
			debug = true;
			break;
		case 'v':
			printf("%s %s\n", PACKAGE_NAME, PACKAGE_VERSION);
			/* What the account keys can ask of this build (compression). */
			printf("libstrophe %s, XEP-0138 stream compression: %s\n", STROPHE_VERSION,
#ifdef HAVE_STROPHE_COMPRESSION
			       "yes"
#else
			       "no (needs libstrophe 0.13 or later)"
#endif
			);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			if (optopt)
				fprintf(stderr,
				        "natter: option -%c is unknown or needs a value "
				        "(see natter --help)\n",
				        optopt);
			else
				fprintf(stderr, "natter: unknown option %s (see natter --help)\n",
				        argv[optind - 1]);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "natter: unexpected argument '%s' (see natter --help)\n",
		        argv[optind]);
		return 2;
	}
	if (!headless && (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)))
		return die("the terminal UI needs a terminal; use --headless for scripts");
	/* Before any secret is read. */
	if (!debug && nodump_protect())
		log_warn("core dumps could not be switched off: %s", strerror(errno));
	accounts_path = paths_accounts_file();
	settings_path = paths_settings_file();
	if (!accounts_path || !settings_path) {
		rc = die("cannot locate the configuration: set HOME or XDG_CONFIG_HOME");
		goto out;
	}
	if (settings_load(settings_path, &settings, &err) ||
	    accounts_load(accounts_path, &accounts, &err)) {
		rc = die("%s", err ? err : "out of memory");
		goto out;
	}
	/* A bad line in natterrc never stops natter; headless says so on
	 * standard error, the terminal UI in its console. */
	for (size_t i = 0; headless && i < settings.nwarnings; i++)
		fprintf(stderr, "natter: %s\n", settings.warnings[i]);
	acct = choose_account(&accounts, &settings, name, accounts_path, &rc);
	if (acct && account_copy(&chosen, acct)) {
		rc = die("out of memory");
		acct = NULL;
	}
	/* The other accounts' passwords are not needed for this session. */
	accounts_free(&accounts);
	if (acct && core_account_problem(&chosen)) {
		rc = die("account [%s]: %s", chosen.name, core_account_problem(&chosen));
		acct = NULL;
	}
	if (acct)
		rc = run(&chosen, accounts_path, settings_path, &settings, headless);
out:
	free(err);
	account_clear(&chosen);
	accounts_free(&accounts);
	settings_free(&settings);
	free(accounts_path);
	free(settings_path);
	return rc;
}
