/* The content layer's subcommands of smtp-edge: quarantine, rules, sync. */
#include <string.h>

#include "conf/prog.h"
#include "content.h"

int content_cmd(struct prog_state *st)
{
	const char *c = st->argc > 0 ? st->argv[0] : "";

	if (strcmp(c, "quarantine") == 0)
		return content_cmd_quarantine(st, st->argc, st->argv);
	if (strcmp(c, "rules") == 0)
		return content_cmd_rules(st, st->argc, st->argv);
	if (strcmp(c, "sync") == 0)
		return content_cmd_sync(st, st->argc, st->argv);
	return -1;
}
