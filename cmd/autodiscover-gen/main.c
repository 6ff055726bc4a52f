/* autodiscover-gen: Autodiscover and friends (SPEC section 6): prints the
 * document for a user, serves them over HTTP(S), and probes what
 * Outlook's search finds for an address. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ad.h"
#include "dns/dns.h"
#include "util/exitcodes.h"
#include "util/mem.h"
#include "util/msg.h"

enum {
	O_DAEMON = 'd', O_SCHEMA = OPT_ID(0), O_SERVE, O_INETD, O_PROBE, O_RESOLVE, O_CONNECT,
	O_CA, O_TIMEOUT,
};

#define LIST_MAX 16

struct cli {
	enum serve_mode mode;
	bool serve, mode_set;
	const char *schema, *probe, *ca;
	const char *resolve[LIST_MAX], *connect[LIST_MAX];
	size_t nresolve, nconnect;
	long long timeout_ms;
};

static const struct opt ad_opts[] = {
	{ "schema", O_SCHEMA, OPT_ARG, "SCHEMA", "outlook|mobilesync|autoconfig|mobileconfig",
	  "the document to print for ADDRESS (default outlook)" },
	{ "serve", O_SERVE, OPT_NOARG, NULL, NULL,
	  "serve over HTTP(S): socket activation, or with -d or --inetd" },
	{ "daemon", O_DAEMON, OPT_NOARG, NULL, NULL,
	  "with --serve: listen on the config's addresses, a process per connection" },
	{ "inetd", O_INETD, OPT_NOARG, NULL, NULL, "with --serve: one connection on stdin and stdout" },
	{ "probe", O_PROBE, OPT_ARG, "ADDRESS", NULL,
	  "walk Outlook's Autodiscover search for ADDRESS and report each step" },
	{ "resolve", O_RESOLVE, OPT_ARG, "HOST:PORT:ADDR", NULL,
	  "probe: use ADDR for HOST and PORT, as curl does (repeatable)" },
	{ "connect-to", O_CONNECT, OPT_ARG, "HOST:PORT:HOST2:PORT2", NULL,
	  "probe: connect to HOST2:PORT2 for HOST:PORT, as curl does (repeatable)" },
	{ "ca", O_CA, OPT_ARG, "FILE", "file", "probe: trusted CAs (default: the system's)" },
	{ "timeout", O_TIMEOUT, OPT_ARG, "DURATION", NULL, "probe: each step's time limit (10s)" },
	{ NULL }
};

static const struct conf_section *const sections[] = {
	&log_conf_section, &dir_conf_section, &dns_conf_section, &ad_conf_section, NULL
};

static int add(const char **v, size_t *n, const char *arg)
{
	if (*n >= LIST_MAX) {
		fprintf(stderr, "autodiscover-gen: at most %d of these\n", LIST_MAX);
		return -1;
	}
	v[(*n)++] = arg;
	return 0;
}

static int cli_option(int id, const char *arg, void *ctx)
{
	struct cli *c = ctx;

	switch (id) {
	case O_SCHEMA:
		if (strcmp(arg, "outlook") && strcmp(arg, "mobilesync") && strcmp(arg, "autoconfig") &&
		    strcmp(arg, "mobileconfig")) {
			fprintf(stderr, "autodiscover-gen: unknown schema '%s'\n", arg);
			return -1;
		}
		c->schema = arg;
		return 0;
	case O_SERVE: c->serve = true; return 0;
	case O_DAEMON: c->mode = SERVE_STANDALONE; c->mode_set = true; return 0;
	case O_INETD: c->mode = SERVE_INETD; c->mode_set = true; return 0;
	case O_PROBE: c->probe = arg; return 0;
	case O_RESOLVE: return add(c->resolve, &c->nresolve, arg);
	case O_CONNECT: return add(c->connect, &c->nconnect, arg);
	case O_CA: c->ca = arg; return 0;
	case O_TIMEOUT:
		if (conf_parse_duration(arg, &c->timeout_ms) < 0 || c->timeout_ms <= 0) {
			fprintf(stderr, "autodiscover-gen: bad duration '%s'\n", arg);
			return -1;
		}
		return 0;
	}
	return -1;
}

/* Prints the document for one address. Exit 0, 1 for an Error answer
 * (unknown address, no configuration), 75 when the directory is down. */
static int generate(struct ad *a, const char *schema, const char *address)
{
	struct strbuf doc = STRBUF_INIT, sig = STRBUF_INIT;
	struct ad_user u;
	enum ad_user_status st;
	const char *key, *cert;
	int code, rc = EX_OK;

	if (strcmp(schema, "outlook") == 0 || strcmp(schema, "mobilesync") == 0) {
		code = ad_answer(a, schema[0] == 'o' ? AUTODISCOVER_OUTLOOK : AUTODISCOVER_MOBILESYNC,
				 address, &doc);
		if (code == AUTODISCOVER_E_INTERNAL)
			rc = EX_TEMPFAIL;
		else if (code == AUTODISCOVER_E_INVALID)
			rc = EX_DATAERR;
		else if (code)
			rc = 1;
	} else {
		st = ad_user_lookup(a, address, &u);
		if (st == AD_USER_BAD || st == AD_USER_TEMPFAIL || st == AD_USER_UNKNOWN ||
		    st == AD_DOMAIN_UNKNOWN || st == AD_USER_REDIRECT) {
			msg_error("no %s document for '%s': %s", schema, address,
				  st == AD_USER_BAD ? "not an address" : st == AD_USER_TEMPFAIL ?
				  "the directory is unavailable" : st == AD_USER_REDIRECT ?
				  "its primary address is in another domain" : "unknown address");
			return st == AD_USER_BAD ? EX_DATAERR : st == AD_USER_TEMPFAIL ? EX_TEMPFAIL : 1;
		}
		if (schema[1] == 'u') {
			ad_doc_autoconfig(&doc, &u);
		} else {
			ad_doc_mobileconfig(&doc, &u);
			cert = ad_sign_cert(a, &key);
			if (cert) {
				if (ad_sign(&doc, cert, key, &sig) < 0)
					rc = EX_SOFTWARE;
				strbuf_release(&doc);
				doc = sig;
				strbuf_init(&sig, 0);
			}
		}
	}
	if (fwrite(doc.buf ? doc.buf : "", 1, doc.len, stdout) != doc.len || fflush(stdout) != 0) {
		msg_error("cannot write the document: %m");
		rc = EX_IOERR;
	}
	strbuf_release(&doc);
	return rc;
}

/* Does argv element a take the next one as its argument? */
static bool takes_arg(const char *a)
{
	if (strcmp(a, "-c") == 0 || strcmp(a, "--config") == 0 || strcmp(a, "--log-format") == 0)
		return true;
	if (strncmp(a, "--", 2) != 0 || strchr(a, '='))
		return false;
	for (const struct opt *o = ad_opts; o->lng; o++)
		if (strcmp(a + 2, o->lng) == 0)
			return o->arg == OPT_ARG;
	return false;
}

/* The spec's synopsis puts options after the address ("ADDRESS --schema
 * mobilesync"): operands move behind the options, as GNU getopt does. */
static void permute(int argc, char **argv)
{
	char **ops = xcalloc((size_t)argc + 1, sizeof(*ops));
	int i, n = 0, k = 1;

	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
		if (argv[i][0] == '-' && argv[i][1] != 0) {
			argv[k++] = argv[i];
			if (takes_arg(argv[i]) && i + 1 < argc)
				argv[k++] = argv[++i];
		} else {
			ops[n++] = argv[i];
		}
	}
	for (int j = 0; j < n; j++)
		argv[k++] = ops[j];
	for (; i < argc; i++)
		argv[k++] = argv[i];
	free(ops);
}

/* -n: also what serving checks first (the domains, the directory, the
 * signing certificate, TLS and the publishing rules). */
static int check(struct prog_state *st)
{
	struct ad a;
	int rc = ad_init(&a, st) < 0 ? EX_CONFIG : ad_check_server(&a);

	ad_clear(&a);
	return rc;
}

int main(int argc, char **argv)
{
	struct cli c = { .mode = SERVE_SYSTEMD, .schema = "outlook", .timeout_ms = 10000 };
	struct prog p = {
		.name = "autodiscover-gen",
		.synopsis = "[-c FILE] [-n] ADDRESS [--schema SCHEMA] | --serve [-d | --inetd] | "
			"--probe ADDRESS [--resolve H:P:A] [--connect-to H:P:H2:P2] [--ca FILE] [--json]",
		.purpose = "Autodiscover, Thunderbird autoconfig and Apple profiles: print, serve, probe",
		.opts = ad_opts,
		.sections = sections,
		.option = cli_option,
		.ctx = &c,
		.check = check,
	};
	struct prog_state st;
	struct ad a;
	int rc;

	permute(argc, argv);
	prog_start(&p, &st, argc, argv);
	if (c.probe) {
		struct ad_probe_opts o = {
			c.resolve, c.nresolve, c.connect, c.nconnect, c.ca, c.timeout_ms, st.json,
		};

		if (st.argc > 0 || c.serve) {
			fprintf(stderr, "autodiscover-gen: --probe takes no other operand\n");
			rc = EX_USAGE;
		} else {
			rc = ad_probe(&st, c.probe, &o);
		}
		conf_free(st.conf);
		return rc;
	}
	if ((c.serve || c.mode_set) ? st.argc != 0 : st.argc != 1) {
		fprintf(stderr, "usage: autodiscover-gen %s\n", p.synopsis);
		conf_free(st.conf);
		return EX_USAGE;
	}
	if (ad_init(&a, &st) < 0) {
		ad_clear(&a);
		conf_free(st.conf);
		return EX_CONFIG;
	}
	if (c.serve || c.mode_set)
		rc = ad_serve(&a, c.mode);
	else
		rc = generate(&a, c.schema, st.argv[0]);
	ad_clear(&a);
	conf_free(st.conf);
	return rc;
}
