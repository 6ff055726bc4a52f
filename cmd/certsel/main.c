/* certsel: picks the certificate a service uses from a store directory
 * and prints its path (SPEC section 1); the choice itself is certstore's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "conf/prog.h"
#include "tls/certstore.h"
#include "util/exitcodes.h"
#include "util/msg.h"
#include "certsel.h"

#define WARN_DAYS_MAX 3650

enum {
	O_STORE = 's',
	O_NAME = OPT_ID(0), O_PURPOSE, O_CA, O_GENERATE, O_RSA, O_WARN, O_LIST, O_CHECK,
	O_AT, O_PASS,
};

static const struct opt certsel_opts[] = {
	{ "store", O_STORE, OPT_ARG, "DIR", "dir", "the store directory" },
	{ "name", O_NAME, OPT_ARG, "HOST", "host", "a name the certificate must cover (repeatable)" },
	{ "purpose", O_PURPOSE, OPT_ARG, "PURPOSE", "server|client|smime", "what the certificate is for" },
	{ "ca", O_CA, OPT_ARG, "FILE", "file", "CA-issued certificates count only if they chain to FILE" },
	{ "generate", O_GENERATE, OPT_NOARG, NULL, NULL, "make a self-signed certificate when none is valid" },
	{ "rsa", O_RSA, OPT_NOARG, NULL, NULL, "generate RSA 2048 instead of ECDSA P-256" },
	{ "warn-days", O_WARN, OPT_ARG, "N", NULL, "warn when the choice expires within N days (30)" },
	{ "list", O_LIST, OPT_NOARG, NULL, NULL, "rank every candidate, with the reason for each refusal" },
	{ "check", O_CHECK, OPT_NOARG, NULL, NULL, "monitoring probe with Nagios plugin exit codes" },
	{ "at", O_AT, OPT_ARG, "TIME", NULL, "judge validity at TIME (YYYY-MM-DD[THH:MM[:SS]][Z] or @EPOCH)" },
	{ "password-file", O_PASS, OPT_ARG, "FILE", "file", "PKCS#12 password when NAME.p12.pass is absent" },
	{ NULL }
};

static const struct conf_key certsel_keys[] = {
	{ "store", CONF_PATH, "\"/etc/postern/certs\"", 0, 0, NULL, NULL, 0,
	  "the store directory" },
	{ "names", CONF_STRINGS, "[]", 0, 0, NULL, NULL, 0,
	  "names the certificate must cover (--name replaces them)" },
	{ "purpose", CONF_ENUM, "\"server\"", 0, 0, "server|client|smime", NULL, 0,
	  "what the certificate is for" },
	{ "warn_days", CONF_INT, "30", 0, WARN_DAYS_MAX, NULL, NULL, 0,
	  "warn when the choice expires within this many days" },
	{ "ca_file", CONF_PATH, NULL, 0, 0, NULL, NULL, 0,
	  "CA-issued certificates count only if their chain verifies against this file" },
	{ "password_file", CONF_PATH, NULL, 0, 0, NULL, NULL, 0,
	  "PKCS#12 password file used when NAME.p12.pass is absent" },
	{ "generate", CONF_BOOL, "false", 0, 0, NULL, NULL, 0,
	  "make a self-signed certificate when none is valid" },
	{ "rsa", CONF_BOOL, "false", 0, 0, NULL, NULL, 0,
	  "generate RSA 2048 instead of ECDSA P-256" },
	{ "one_file", CONF_BOOL, "false", 0, 0, NULL, NULL, 0,
	  "generate NAME.pem holding the key too, instead of NAME.pem and NAME.key" },
	{ NULL }
};
static const struct conf_section certsel_section = {
	"certsel", certsel_keys, "certificate selection"
};
static const struct conf_section *const sections[] = {
	&log_conf_section, &certsel_section, NULL
};

/* The command line, kept apart so it can override the config after
 * prog_start has loaded it. */
struct cli {
	const char *store, *purpose, *ca, *pass, *at, *warn;
	const char *names[CERTSTORE_NAMES_MAX];
	size_t nnames;
	bool generate, rsa, list, check;
};

static int cli_option(int id, const char *arg, void *ctx)
{
	struct cli *c = ctx;

	switch (id) {
	case O_STORE: c->store = arg; break;
	case O_NAME:
		if (c->nnames == CERTSTORE_NAMES_MAX) {
			fprintf(stderr, "certsel: more than %d --name options\n", CERTSTORE_NAMES_MAX);
			return -1;
		}
		c->names[c->nnames++] = arg;
		break;
	case O_PURPOSE: c->purpose = arg; break;
	case O_CA: c->ca = arg; break;
	case O_GENERATE: c->generate = true; break;
	case O_RSA: c->rsa = true; break;
	case O_WARN: c->warn = arg; break;
	case O_LIST: c->list = true; break;
	case O_CHECK: c->check = true; break;
	case O_AT: c->at = arg; break;
	case O_PASS: c->pass = arg; break;
	default: return -1;
	}
	return 0;
}

/* "2027-03-01", "2027-03-01T12:00[:00][Z]", "2027-03-01 12:00" (UTC) or
 * "@1800000000". Returns 0 or -1. */
static int parse_time(const char *s, time_t *t)
{
	static const char *const fmts[] = {
		"%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S",
		"%Y-%m-%d %H:%M", "%Y-%m-%d", NULL
	};
	struct tm tm;
	char *end;
	long long n;

	if (s[0] == '@') {
		n = strtoll(s + 1, &end, 10);
		if (end == s + 1 || *end || n < 0)
			return -1;
		*t = (time_t)n;
		return 0;
	}
	for (int i = 0; fmts[i]; i++) {
		memset(&tm, 0, sizeof(tm));
		end = strptime(s, fmts[i], &tm);
		if (end && (*end == 0 || (end[0] == 'Z' && end[1] == 0))) {
			*t = timegm(&tm);
			return 0;
		}
	}
	return -1;
}

static int usage_error(const char *what)
{
	fprintf(stderr, "certsel: %s\n", what);
	return EX_USAGE;
}

static const char *pick(const char *cli, const json_t *sec, const char *key)
{
	return cli ? cli : conf_str(sec, key);
}

/* Config first, then the command line over it. Returns 0 or an exit code. */
static int settle(const struct cli *c, const struct prog_state *st, struct certsel *cs)
{
	const json_t *sec = conf_section(st->conf, "certsel");
	char *end;

	memset(cs, 0, sizeof(*cs));
	cs->q.store = pick(c->store, sec, "store");
	cs->q.ca_file = pick(c->ca, sec, "ca_file");
	cs->q.pass_file = pick(c->pass, sec, "password_file");
	if (cert_purpose_parse(pick(c->purpose, sec, "purpose"), &cs->q.purpose) < 0)
		return usage_error("--purpose takes server, client or smime");
	if (c->nnames) {
		memcpy(cs->names, c->names, c->nnames * sizeof(*c->names));
		cs->q.nnames = c->nnames;
	} else {
		for (size_t i = 0; i < conf_strings_len(sec, "names") && i < CERTSTORE_NAMES_MAX; i++)
			cs->names[cs->q.nnames++] = conf_strings_at(sec, "names", i);
	}
	cs->q.names = cs->names;
	cs->warn_days = conf_int(sec, "warn_days");
	if (c->warn) {
		cs->warn_days = strtol(c->warn, &end, 10);
		if (end == c->warn || *end || cs->warn_days < 0 || cs->warn_days > WARN_DAYS_MAX)
			return usage_error("--warn-days takes a number of days from 0 to 3650");
	}
	cs->at = time(NULL);
	if (c->at && parse_time(c->at, &cs->at) < 0)
		return usage_error("--at takes YYYY-MM-DD[THH:MM[:SS]][Z] or @EPOCH");
	cs->q.at = cs->at;
	cs->list = c->list;
	cs->check = c->check;
	cs->json = st->json;
	if (cs->list && cs->check)
		return usage_error("--list and --check do not go together");
	/* Listing and monitoring look; they never write into the store. */
	cs->q.generate = (c->generate || conf_bool(sec, "generate")) && !cs->list && !cs->check;
	cs->q.rsa = c->rsa || conf_bool(sec, "rsa");
	cs->q.one_file = conf_bool(sec, "one_file");
	for (size_t i = 0; cs->q.purpose == CERT_PURPOSE_SMIME && i < cs->q.nnames; i++)
		if (!strchr(cs->names[i], '@'))
			return usage_error("--purpose smime takes e-mail addresses as names");
	if (cs->q.generate && cs->q.nnames == 0)
		return usage_error("--generate needs at least one --name");
	return 0;
}

static int run(const struct certsel *cs)
{
	struct certstore_choice ch;
	struct certstore_list list;
	char why[CERTSTORE_WHY_MAX] = "";
	int rc, code;

	rc = certstore_select(&cs->q, &ch, &list, why, sizeof(why));
	if (cs->check)
		code = report_check(cs, rc, &ch, &list, why);
	else if (cs->json)
		code = report_json(cs, rc, &ch, &list, why);
	else if (cs->list)
		code = report_list(cs, rc, &list, why);
	else
		code = report_path(cs, rc, &ch, &list, why);
	certstore_choice_free(&ch);
	certstore_list_free(&list);
	return code;
}

int main(int argc, char **argv)
{
	struct cli c = { 0 };
	struct prog p = {
		.name = "certsel",
		.synopsis = "[-s STORE] [--name HOST]... [--purpose server|client|smime] [--ca FILE] "
			"[--generate] [--rsa] [--warn-days N] [--list | --check] [--json] [--at TIME]",
		.purpose = "pick the certificate a service uses from a store and print its path",
		.opts = certsel_opts,
		.sections = sections,
		.option = cli_option,
		.ctx = &c,
	};
	struct prog_state st;
	struct certsel cs;
	int code;

	prog_start(&p, &st, argc, argv);
	if (st.argc > 0)
		code = usage_error("no operands expected; names go with --name");
	else if ((code = settle(&c, &st, &cs)) == 0)
		code = run(&cs);
	conf_free(st.conf);
	return code;
}
