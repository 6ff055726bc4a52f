/* smtp-edge's troubleshooting subcommands: spf (what SPF says about a
 * client and sender) and check-ip (what layer 1 would decide), both with
 * the configured resolver and lists. */
#ifndef POSTERN_SMTP_EDGE_CMD_TOOLS_H
#define POSTERN_SMTP_EDGE_CMD_TOOLS_H

#include "conf/prog.h"
#include "util/opt.h"

/* The subcommands' options (--ip, --sender, --helo, --receiver, --policy).
 * Either leave them after the command word, where the commands parse
 * them themselves (argv[0] is the command word), or add this table to the
 * program's and forward their ids to edge_tools_option(). */
extern const struct opt edge_tools_opts[];
/* Returns 1 when id is one of edge_tools_opts (the value is kept), else 0. */
int edge_tools_option(int id, const char *arg);

/* smtp-edge spf --ip IP --sender ADDR [--helo NAME] [--policy NAME]:
 * prints the result, the mechanism that matched, the explanation and the
 * Received-SPF header (--json: one object); with --policy also what a
 * session under that policy would do (its spf keys, its hostname as the
 * receiver). Exit 0 pass, 1 any other result, 75 temperror, 64 usage, 69
 * no resolver, 78 no such policy. */
int edge_cmd_spf(struct prog_state *st, int argc, char **argv);
/* smtp-edge check-ip [--policy NAME] IP: the allow/deny list hit, each
 * DNS list's answer and weight, the score against the threshold, the
 * decision, with the section's keys or the named policy's. Exit 0 accept
 * or allow, 1 reject, 75 tempfail, 64 usage, 78 bad lists or no such
 * policy. */
int edge_cmd_check_ip(struct prog_state *st, int argc, char **argv);

#endif
