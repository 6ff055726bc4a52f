/* What every program does first: the common options (-c, -n, -h, --help,
 * -V, --version, -v, --json, --log-format), logging set-up, the config
 * load and -n. Programs give their own option table, subcommands and
 * config sections; prog_start handles the rest in one place. */
#ifndef POSTERN_CONF_PROG_H
#define POSTERN_CONF_PROG_H

#include <stdbool.h>

#include "conf/conf.h"
#include "util/opt.h"

struct prog_state;

struct prog {
	const char *name;
	const char *synopsis;	/* one usage line, without the name */
	const char *purpose;	/* one line for --help */
	const struct opt *opts;	/* the program's own options, or NULL */
	const struct opt_cmd *cmds;	/* subcommands, or NULL */
	const struct conf_section *const *sections;	/* NULL-terminated */
	/* Called for each of the program's own options; returns 0, or -1
	 * for a usage error (exit 64). */
	int (*option)(int id, const char *arg, void *ctx);
	void *ctx;
	/* With -n, once the config has loaded: the checks its key tables
	 * cannot express (files it names, routes, a model). Returns 0, or
	 * an exit code after saying why on stderr: EX_CONFIG (78) when the
	 * config is not usable, EX_USAGE (64) for a usage error. NULL: the
	 * tables only. */
	int (*check)(struct prog_state *st);
};

struct prog_state {
	const struct prog *prog;	/* as given to prog_start */
	struct conf *conf;	/* never NULL after prog_start */
	const char *config_path;	/* as given by -c, or NULL */
	bool json;		/* --json */
	bool daemon;		/* the program says it runs as a daemon */
	int argc;		/* the operands left after the options */
	char **argv;
};

/* Parses options, sets up logging, loads the config (exits 78 on a bad
 * one; with -n exits 0 or 78). --help, --version and --dump-options print
 * and exit 0. A usage error exits 64. */
void prog_start(const struct prog *p, struct prog_state *st, int argc, char **argv);
/* Takes p's command word out of argv wherever it stands among the options
 * ("-c F train --spam x"), so that prog_start sees options and operands
 * only; options with a separate argument (from the tables) skip it, "--"
 * ends the search. Returns the command, or NULL when the first operand is
 * none of p->cmds (or there is no operand). */
const char *prog_take_command(const struct prog *p, int *argc, char **argv);
/* Options among the operands left by prog_start ("wipe alice DEV
 * --cancel", "train --spam a --ham b"): each of the program's own options
 * goes to p->option, each operand to operand(arg, p->ctx) when given;
 * st->argv keeps the operands only. A usage error exits 64. */
void prog_rest_args(struct prog_state *st, int (*operand)(const char *arg, void *ctx));
/* Loads the config again from where prog_start found it, against the same
 * sections (for SIGHUP). Errors are logged through msg_error, one per
 * line. Returns the new config (the caller frees the old one when it is
 * done with it), or NULL, in which case the old one stays in force. */
struct conf *prog_reload(const struct prog_state *st);
/* Switches diagnostics to syslog (facility mail) unless log.target says
 * otherwise: for daemons, after they detach or serve inetd. */
void prog_daemon_logging(const struct prog_state *st);

#define POSTERN_VERSION "0.1.0"

#endif
