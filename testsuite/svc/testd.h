/* postern-testd: a small service that exercises the foundation (config,
 * directory, DNS, serving) the way a real program would. Test-only. */
#ifndef POSTERN_TESTD_H
#define POSTERN_TESTD_H

#include "conf/prog.h"

/* Each subcommand gets the started program state and its operands
 * (argv[0] is the subcommand name) and returns an exit code. */
int testd_lookup(struct prog_state *st, int argc, char **argv);	/* testd_dir.c */
int testd_auth(struct prog_state *st, int argc, char **argv);		/* testd_dir.c */
int testd_search(struct prog_state *st, int argc, char **argv);	/* testd_dir.c */
int testd_dns(struct prog_state *st, int argc, char **argv);		/* testd_dns.c */
int testd_serve(struct prog_state *st, int argc, char **argv);		/* testd_serve.c */

#endif
