/* Common start-up of every program (see prog.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf/prog.h"
#include "util/exitcodes.h"
#include "util/msg.h"

enum {
	O_HELP = 'h', O_CONFIG = 'c', O_CHECK = 'n', O_VERSION = 'V', O_VERBOSE = 'v',
	O_JSON = OPT_ID(100), O_LOGFMT, O_DUMPOPTS, O_DUMPCONF,
};

static const struct opt common_opts[] = {
	{ "config", O_CONFIG, OPT_ARG, "FILE", "file", "config file (default " CONF_DEFAULT_PATH
	  " or $POSTERN_CONFIG)" },
	{ NULL, O_CHECK, OPT_NOARG, NULL, NULL, "check the config and exit (0 good, 78 bad)" },
	{ "verbose", O_VERBOSE, OPT_NOARG, NULL, NULL, "more log" },
	{ "json", O_JSON, OPT_NOARG, NULL, NULL, "report as JSON" },
	{ "log-format", O_LOGFMT, OPT_ARG, "FORMAT", "text|json", "log lines as text or JSON" },
	{ "help", O_HELP, OPT_NOARG, NULL, NULL, "show this help" },
	{ "version", O_VERSION, OPT_NOARG, NULL, NULL, "show the version" },
	{ "dump-options", O_DUMPOPTS, OPT_NOARG, NULL, NULL, "print the option table (completions)" },
	{ "dump-config-doc", O_DUMPCONF, OPT_NOARG, NULL, NULL, "print the config keys as mdoc" },
	{ NULL }
};

static void usage_help(const struct prog *p, const struct opt *const *tables)
{
	printf("usage: %s %s\n%s\n\n", p->name, p->synopsis, p->purpose);
	if (p->cmds) {
		printf("commands:\n");
		for (const struct opt_cmd *c = p->cmds; c->name; c++) {
			char left[64];

			snprintf(left, sizeof(left), "%s %s", c->name, c->args ? c->args : "");
			printf("  %-26s %s\n", left, c->doc);
		}
		printf("\n");
	}
	printf("options:\n");
	opt_print_help(stdout, tables);
	printf("\nThe man page lists the config keys and exit codes.\n");
}

/* A program's man page documents its own sections; the shared ones are
 * in postern.json(5). */
static void dump_own_sections(const struct prog *p)
{
	static const char *const shared[] = { "log", "directory", "dns", "tls", NULL };
	const struct conf_section *own[32];
	size_t n = 0;

	for (const struct conf_section *const *s = p->sections; s && *s && n < 31; s++) {
		int is_shared = 0;

		for (const char *const *k = shared; *k; k++)
			is_shared |= strcmp(*k, (*s)->name) == 0;
		if (!is_shared)
			own[n++] = *s;
	}
	own[n] = NULL;
	conf_doc_mdoc(stdout, own);
}

static int log_level(const char *s)
{
	if (strcmp(s, "debug") == 0)
		return MSG_DEBUG;
	if (strcmp(s, "warning") == 0)
		return MSG_WARN;
	if (strcmp(s, "error") == 0)
		return MSG_ERROR;
	return MSG_INFO;
}


void prog_start(const struct prog *p, struct prog_state *st, int argc, char **argv)
{
	const struct opt *tables[3] = { common_opts, p->opts, NULL };
	struct opt_state os;
	const char *logfmt = NULL;
	int check = 0, verbose = 0, c;

	if (p->opts == NULL)
		tables[1] = NULL;
	memset(st, 0, sizeof(*st));
	st->prog = p;
	msg_setup(p->name);
	opt_init(&os, tables);
	while ((c = opt_next(&os, argc, argv)) != -1) {
		switch (c) {
		case O_CONFIG: st->config_path = os.arg; break;
		case O_CHECK: check = 1; break;
		case O_VERBOSE: verbose++; break;
		case O_JSON: st->json = true; break;
		case O_LOGFMT:
			if (strcmp(os.arg, "text") != 0 && strcmp(os.arg, "json") != 0) {
				fprintf(stderr, "%s: --log-format takes text or json\n", p->name);
				exit(EX_USAGE);
			}
			logfmt = os.arg;
			break;
		case O_HELP: usage_help(p, tables); exit(0);
		case O_VERSION: printf("%s %s\n", p->name, POSTERN_VERSION); exit(0);
		case O_DUMPOPTS: opt_dump(stdout, tables, p->cmds); exit(0);
		case O_DUMPCONF:
			dump_own_sections(p);
			exit(0);
		case '?': exit(EX_USAGE);
		default:
			if (p->option == NULL || p->option(c, os.arg, p->ctx) < 0)
				exit(EX_USAGE);
		}
	}
	st->argc = argc - os.ind;
	st->argv = argv + os.ind;

	st->conf = conf_load(st->config_path, p->sections, !check, stderr);
	if (st->conf == NULL)
		exit(EX_CONFIG);
	{
		json_t *log = conf_section(st->conf, "log");

		msg_set_level(verbose ? MSG_DEBUG : log_level(conf_str(log, "level")));
		if (logfmt == NULL)
			logfmt = conf_str(log, "format");
		msg_set_format(strcmp(logfmt, "json") == 0 ? MSG_JSON : MSG_TEXT);
		/* -n answers the admin at the terminal, whatever the target. */
		if (strcmp(conf_str(log, "target"), "syslog") == 0 && !check)
			msg_set_target(MSG_SYSLOG);
	}
	if (check) {
		int rc = p->check ? p->check(st) : 0;

		if (rc == EX_CONFIG)
			fprintf(stderr, "%s: config not usable: %s\n", p->name, conf_path(st->conf));
		if (rc != 0)
			exit(rc);
		if (verbose)
			conf_dump(st->conf, stdout);
		fprintf(stderr, "%s: config ok: %s\n", p->name, conf_path(st->conf));
		exit(0);
	}
}

struct conf *prog_reload(const struct prog_state *st)
{
	char *text = NULL, *line, *save = NULL;
	size_t len = 0;
	FILE *err = open_memstream(&text, &len);
	struct conf *c;

	if (err == NULL)
		return NULL;
	c = conf_load(st->config_path, st->prog->sections, true, err);
	fclose(err);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		msg_error("bad config: %s", line);
	free(text);
	return c;
}

void prog_daemon_logging(const struct prog_state *st)
{
	json_t *log = conf_section(st->conf, "log");

	if (strcmp(conf_str(log, "target"), "stderr") != 0)
		msg_set_target(MSG_SYSLOG);
}

const char *prog_take_command(const struct prog *p, int *argc, char **argv)
{
	const struct opt *tables[3] = { common_opts, p->opts, NULL };

	for (int i = 1; i < *argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--") == 0)
			return NULL;
		if (a[0] == '-') {
			i += opt_takes_next(tables, a);
			continue;
		}
		for (const struct opt_cmd *c = p->cmds; c && c->name; c++)
			if (strcmp(a, c->name) == 0) {
				memmove(argv + i, argv + i + 1, (size_t)(*argc - i) * sizeof(*argv));
				(*argc)--;
				return c->name;
			}
		return NULL;
	}
	return NULL;
}

void prog_rest_args(struct prog_state *st, int (*operand)(const char *arg, void *ctx))
{
	const struct prog *p = st->prog;
	const struct opt *tables[] = { p->opts, NULL };
	struct opt_state os;
	int argc = st->argc + 1, c, n = 0;
	char **argv = st->argv - 1;	/* opt_next starts after argv[0] */

	opt_init(&os, tables);
	for (;;) {
		c = opt_next(&os, argc, argv);
		if (c == '?')
			exit(EX_USAGE);
		if (c != -1) {
			if (p->option(c, os.arg, p->ctx) < 0)
				exit(EX_USAGE);
			continue;
		}
		if (os.ind >= argc)
			break;
		if (operand && operand(argv[os.ind], p->ctx) < 0)
			exit(EX_USAGE);
		st->argv[n++] = argv[os.ind++];
	}
	st->argc = n;
}
