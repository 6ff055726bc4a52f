/* postern-testd main: common options through prog_start, then one of the
 * subcommands in the other testd_*.c files. */
#include <stdio.h>
#include <string.h>

#include "conf/prog.h"
#include "dir/dir.h"
#include "dns/dns.h"
#include "net/serve.h"
#include "util/exitcodes.h"
#include "util/msg.h"
#include "testd.h"

static const struct conf_key testd_keys[] = {
	{ "greeting", CONF_STRING, "\"postern-testd ready\"", 0, 0, NULL, NULL, 0,
	  "first line sent to each client" },
	{ "serve", CONF_INCLUDE, NULL, 0, 0, NULL, serve_conf_keys, 0, NULL },
	{ NULL }
};
static const struct conf_section testd_section = {
	"postern-testd", testd_keys, "the foundation's test service"
};
static const struct conf_section *const sections[] = {
	&log_conf_section, &dir_conf_section, &dns_conf_section, &testd_section, NULL
};
static const struct opt_cmd cmds[] = {
	{ "lookup", "mail|uid|phone KEY|- [ATTR]", "look a user up in the directory" },
	{ "auth", "USER", "check the password read from stdin" },
	{ "search", "FILTER MAX [ATTR...]", "every directory entry matching an LDAP filter" },
	{ "dns", "TYPE NAME...", "resolve names, several at once" },
	{ "serve", "[-d|--inetd]", "serve the line protocol" },
	{ NULL }
};

int main(int argc, char **argv)
{
	struct prog p = {
		.name = "postern-testd",
		.synopsis = "[-c FILE] [-n] COMMAND [ARG...]",
		.purpose = "exercise postern's foundation (tests only)",
		.cmds = cmds,
		.sections = sections,
	};
	struct prog_state st;
	int rc;

	prog_start(&p, &st, argc, argv);
	if (st.argc < 1) {
		fprintf(stderr, "usage: postern-testd %s\n", p.synopsis);
		return EX_USAGE;
	}
	if (strcmp(st.argv[0], "lookup") == 0)
		rc = testd_lookup(&st, st.argc, st.argv);
	else if (strcmp(st.argv[0], "auth") == 0)
		rc = testd_auth(&st, st.argc, st.argv);
	else if (strcmp(st.argv[0], "search") == 0)
		rc = testd_search(&st, st.argc, st.argv);
	else if (strcmp(st.argv[0], "dns") == 0)
		rc = testd_dns(&st, st.argc, st.argv);
	else if (strcmp(st.argv[0], "serve") == 0)
		rc = testd_serve(&st, st.argc, st.argv);
	else {
		fprintf(stderr, "postern-testd: unknown command '%s'\n", st.argv[0]);
		rc = EX_USAGE;
	}
	conf_free(st.conf);
	return rc;
}
