/* Command-line options from one table per program. The same table gives
 * getopt_long its options, --help its text and the completion generator
 * (--dump-options) its words, so none of them drifts from the others. */
#ifndef POSTERN_UTIL_OPT_H
#define POSTERN_UTIL_OPT_H

#include <stdio.h>

enum opt_arg { OPT_NOARG, OPT_ARG };

struct opt {
	const char *lng;	/* long name without "--", or NULL */
	int shrt;		/* short letter, or 0; also the id for long-only */
	enum opt_arg arg;
	const char *argname;	/* "FILE", "HOST[:PORT]", shown in --help */
	/* What completes the argument: "file", "dir", "host", "user", or
	 * choices as "a|b|c"; NULL for free text. */
	const char *complete;
	const char *doc;
};
/* Long-only options take ids from here up, to stay clear of letters. */
#define OPT_ID(n) (256 + (n))

/* A subcommand of a program (smtp-edge quarantine, scl-score train). */
struct opt_cmd {
	const char *name;
	const char *args;	/* synopsis of its operands */
	const char *doc;
};

struct opt_state {
	const struct opt *const *tables;	/* NULL-terminated list of tables */
	int ind;		/* index of the next argv element, as optind */
	const char *arg;	/* the argument of the option just returned */
	const char *name;	/* how the option was spelled, for messages */
};

/* Starts parsing; tables is a NULL-terminated list of {0}-ended tables. */
void opt_init(struct opt_state *st, const struct opt *const *tables);
/* Returns the next option's id (shrt), -1 at the end of options, or '?'
 * after printing a usage error to stderr. Stops at the first operand. */
int opt_next(struct opt_state *st, int argc, char **argv);
/* Whether argv word a is an option that takes the next word as its
 * argument ("-c FILE", "--config FILE"; not "--config=FILE" or "-cFILE"). */
int opt_takes_next(const struct opt *const *tables, const char *a);
/* Prints an options list in --help style. */
void opt_print_help(FILE *fp, const struct opt *const *tables);
/* Prints the machine-readable table the completion generator reads:
 * "opt\t-s\t--long\tARG\tcomplete\tdoc" and "cmd\tname\targs\tdoc". */
void opt_dump(FILE *fp, const struct opt *const *tables, const struct opt_cmd *cmds);

#endif
