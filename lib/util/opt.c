/* Option parsing, --help and the completion table from one option table
 * (see opt.h). */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "util/mem.h"
#include "util/opt.h"

#define OPT_MAX 128

void opt_init(struct opt_state *st, const struct opt *const *tables)
{
	memset(st, 0, sizeof(*st));
	st->tables = tables;
	st->ind = 1;
}

static const struct opt *opt_find(const struct opt_state *st, int id)
{
	for (const struct opt *const *t = st->tables; *t; t++)
		for (const struct opt *o = *t; o->lng || o->shrt; o++)
			if (o->shrt == id)
				return o;
	return NULL;
}

int opt_next(struct opt_state *st, int argc, char **argv)
{
	struct option lopts[OPT_MAX + 1];
	char sopts[OPT_MAX * 2 + 3] = "+:";
	size_t nl = 0, ns = 2;
	int c, li = -1;
	const struct opt *o;

	for (const struct opt *const *t = st->tables; *t; t++)
		for (o = *t; (o->lng || o->shrt) && nl < OPT_MAX; o++) {
			if (o->lng)
				lopts[nl++] = (struct option){ o->lng,
					o->arg == OPT_ARG ? required_argument : no_argument,
					NULL, o->shrt };
			if (o->shrt > 0 && o->shrt < 256) {
				sopts[ns++] = (char)o->shrt;
				if (o->arg == OPT_ARG)
					sopts[ns++] = ':';
			}
		}
	lopts[nl] = (struct option){ 0 };
	sopts[ns] = 0;
	optind = st->ind;
	opterr = 0;
	c = getopt_long(argc, argv, sopts, lopts, &li);
	st->ind = optind;
	st->arg = optarg;
	st->name = argv[optind - 1 < argc ? optind - 1 : argc - 1];
	if (c == -1)
		return -1;
	if (c == '?' || c == ':') {
		const char *what = c == ':' ? "needs an argument" : "is not known";
		char letter[3] = { '-', (char)optopt, 0 };
		const char *spelled = optopt ? letter : argv[optind - 1];

		fprintf(stderr, "option '%s' %s; see --help\n", spelled, what);
		return '?';
	}
	if ((o = opt_find(st, c)) && li >= 0)
		st->name = o->lng;
	return c;
}

void opt_print_help(FILE *fp, const struct opt *const *tables)
{
	for (const struct opt *const *t = tables; *t; t++)
		for (const struct opt *o = *t; o->lng || o->shrt; o++) {
			char left[80];
			int n = 0;

			if (o->shrt > 0 && o->shrt < 256)
				n += snprintf(left + n, sizeof(left) - (size_t)n, "-%c%s", o->shrt,
					      o->lng ? ", " : "");
			if (o->lng)
				n += snprintf(left + n, sizeof(left) - (size_t)n, "--%s", o->lng);
			if (o->arg == OPT_ARG)
				snprintf(left + n, sizeof(left) - (size_t)n, " %s",
					 o->argname ? o->argname : "ARG");
			fprintf(fp, "  %-26s %s\n", left, o->doc ? o->doc : "");
		}
}

void opt_dump(FILE *fp, const struct opt *const *tables, const struct opt_cmd *cmds)
{
	for (const struct opt *const *t = tables; *t; t++)
		for (const struct opt *o = *t; o->lng || o->shrt; o++) {
			char s[3] = "";

			if (o->shrt > 0 && o->shrt < 256)
				snprintf(s, sizeof(s), "-%c", o->shrt);
			fprintf(fp, "opt\t%s\t%s%s\t%s\t%s\t%s\n", s, o->lng ? "--" : "",
				o->lng ? o->lng : "", o->arg == OPT_ARG ? (o->argname ? o->argname : "ARG") : "",
				o->complete ? o->complete : "", o->doc ? o->doc : "");
		}
	for (; cmds && cmds->name; cmds++)
		fprintf(fp, "cmd\t%s\t%s\t%s\n", cmds->name, cmds->args ? cmds->args : "",
			cmds->doc ? cmds->doc : "");
}

int opt_takes_next(const struct opt *const *tables, const char *a)
{
	if (a[0] != '-' || a[1] == 0)
		return 0;
	for (size_t t = 0; tables[t]; t++)
		for (const struct opt *o = tables[t]; o->lng || o->shrt; o++) {
			if (o->arg != OPT_ARG)
				continue;
			if (a[1] == '-' ? o->lng && strcmp(a + 2, o->lng) == 0
					: o->shrt == (unsigned char)a[1] && a[2] == 0)
				return 1;
		}
	return 0;
}
