/* smtp-edge: the SMTP edge of the perimeter (SPEC section 3): a
 * before-queue proxy that filters connections (layer 1) and envelopes
 * (layer 2) and relays by route with TLS and domain security (layer 4);
 * also the spf and check-ip troubleshooting commands. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cmd_tools.h"
#include "conf/prog.h"
#include "content.h"
#include "edge.h"
#include "session.h"
#include "util/exitcodes.h"
#include "util/msg.h"

enum { O_DAEMON = 'd', O_INETD = OPT_ID(0) };

static const struct opt edge_opts[] = {
	{ "daemon", O_DAEMON, OPT_NOARG, NULL, NULL,
	  "standalone: listen on the config's addresses, a process per connection" },
	{ "inetd", O_INETD, OPT_NOARG, NULL, NULL, "serve one session on stdin and stdout" },
	{ NULL }
};

static const struct opt_cmd edge_cmds[] = {
	{ "spf", "--ip IP --sender ADDR [--helo NAME] [--policy NAME]",
	  "print the SPF result, the mechanism that matched and the explanation "
	  "(and the named policy's action)" },
	{ "check-ip", "[--policy NAME] IP",
	  "print what layer 1 would decide about IP, and why (under the named policy)" },
	{ "quarantine", "list [--json] | show ID | release ID | delete ID",
	  "the quarantine: list, show, release through the next hop (original envelope), delete" },
	{ "rules", "test [--rules FILE | --policy NAME] [--from ADDR] [--to ADDR]... [--scl N] "
	  "[--tls] < MSG | check [--rules FILE | --policy NAME]",
	  "which transport rules fire on a message and why; check the rules file" },
	{ "sync", "--output FILE [--filter FILTER]",
	  "EdgeSync: recipients, aliases, safelists and thresholds from LDAP into an LDIF file" },
	{ NULL }
};

static const struct conf_section *const sections[] = {
	&log_conf_section, &dns_conf_section, &dir_conf_section, &edge_conf_section, NULL
};

static int cli_option(int id, const char *arg, void *ctx)
{
	enum serve_mode *mode = ctx;

	if (id == O_DAEMON)
		*mode = SERVE_STANDALONE;
	else if (id == O_INETD)
		*mode = SERVE_INETD;
	else
		return -1;
	return 0;
}

/* SIGHUP in the listener: the whole state again from the config file;
 * the old one stays when anything in the new one is wrong. */
static int reload(void *ctx)
{
	struct edge_set *e = ctx, ne;
	struct conf *c = prog_reload(e->st);

	if (c == NULL)
		return -1;
	if (edge_init(&ne, e->st, c) < 0) {
		ne.own_conf = true;
		edge_clear(&ne);
		msg_error("reload failed: the old config stays in force");
		return -1;
	}
	ne.own_conf = true;
	edge_clear(e);
	*e = ne;
	msg_info("reloaded config=%s", msg_q(conf_path(c)));
	return 0;
}

static void worker_exit(void *ctx)
{
	txn_park_close();
}

static int serve(struct prog_state *st, enum serve_mode mode)
{
	struct edge_set e;
	struct serve_handler h = {
		.name = "smtp-edge", .session = edge_session, .refuse = edge_refuse,
		.reload = reload, .worker_exit = worker_exit, .ctx = &e,
	};
	int rc;

	if (edge_init(&e, st, st->conf) < 0) {
		edge_clear(&e);
		return EX_CONFIG;
	}
	prog_daemon_logging(st);
	rc = serve_run(e.sec, mode, &h);
	edge_clear(&e);
	return rc;
}

/* -n: also what the key table cannot: the rules file, the organisation
 * key, the spam model, the routes, the certificates. */
static int check(struct prog_state *st)
{
	if (st->argc > 0) {
		fprintf(stderr, "smtp-edge: -n takes no command\n");
		return EX_USAGE;
	}
	return edge_check(st, st->conf) < 0 ? EX_CONFIG : 0;
}

int main(int argc, char **argv)
{
	enum serve_mode mode = SERVE_SYSTEMD;
	struct prog p = {
		.name = "smtp-edge",
		.synopsis = "[-c FILE] [-n] [-d | --inetd] | spf --ip IP --sender ADDR [--helo NAME] "
			"[--policy NAME] | check-ip [--policy NAME] IP",
		.purpose = "SMTP edge: connection and protocol filtering, domain security, relay",
		.opts = edge_opts,
		.cmds = edge_cmds,
		.sections = sections,
		.option = cli_option,
		.ctx = &mode,
		.check = check,
	};
	struct prog_state st;
	int rc;

	edge_conf_prepare();
	prog_start(&p, &st, argc, argv);
	if (st.argc > 0 && strcmp(st.argv[0], "spf") == 0)
		rc = edge_cmd_spf(&st, st.argc, st.argv);
	else if (st.argc > 0 && strcmp(st.argv[0], "check-ip") == 0)
		rc = edge_cmd_check_ip(&st, st.argc, st.argv);
	else if (st.argc > 0 && (rc = content_cmd(&st)) >= 0)
		;	/* quarantine, rules, sync (content_cmd.c) */
	else if (st.argc > 0) {
		fprintf(stderr, "smtp-edge: unknown command '%s'\n", st.argv[0]);
		rc = EX_USAGE;
	} else
		rc = serve(&st, mode);
	conf_free(st.conf);
	return rc;
}
