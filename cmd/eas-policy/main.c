/* eas-policy: ActiveSync device policy, provisioning and remote wipe in
 * front of any ActiveSync server (SPEC section 7): the daemon and its
 * admin commands. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf/prog.h"
#include "http/http.h"
#include "util/exitcodes.h"
#include "util/mem.h"
#include "util/msg.h"
#include "eas-policy.h"

enum {
	O_DAEMON = 'd', O_INETD = OPT_ID(0), O_USER, O_XML, O_WBXML, O_CANCEL, O_PROTOCOL,
	O_COMPACT,
};

static const struct opt eas_opts[] = {
	{ "daemon", O_DAEMON, OPT_NOARG, NULL, NULL, "serve standalone on the config's listen addresses" },
	{ "inetd", O_INETD, OPT_NOARG, NULL, NULL, "serve one connection on stdin and stdout" },
	{ "user", O_USER, OPT_ARG, "USER", "user", "devices: only this user's devices" },
	{ "xml", O_XML, OPT_NOARG, NULL, NULL, "policy: print the document as XML (the default)" },
	{ "wbxml", O_WBXML, OPT_NOARG, NULL, NULL, "policy: print the document as WBXML" },
	{ "cancel", O_CANCEL, OPT_NOARG, NULL, NULL, "wipe: cancel a wipe not yet acknowledged" },
	{ "protocol", O_PROTOCOL, OPT_ARG, "VERSION", "12.0|12.1|14.0|14.1|16.0|16.1",
	  "policy: the protocol version the document is for (default 16.1)" },
	{ "compact", O_COMPACT, OPT_NOARG, NULL, NULL, "decode: XML on one line" },
	{ NULL }
};

static const struct opt_cmd eas_cmds[] = {
	{ "wipe", "[--cancel] USER DEVICE", "mark a device for remote wipe (or cancel it)" },
	{ "devices", "[--user USER] [--json]", "list devices: model, OS, last seen, policy, key, wipe" },
	{ "recovery", "USER DEVICE", "print the recovery password the device sent" },
	{ "policy", "[NAME] [--xml|--wbxml] [--protocol VERSION]", "print a policy's provisioning document" },
	{ "decode", "[--compact] < WBXML", "print ActiveSync WBXML as XML" },
	{ "encode", "< XML", "write ActiveSync XML as WBXML" },
	{ NULL }
};

#define DEF_VERSIONS "[\"12.0\", \"12.1\", \"14.0\", \"14.1\", \"16.0\", \"16.1\"]"
#define DEF_COMMANDS "[\"Sync\", \"SendMail\", \"SmartForward\", \"SmartReply\", " \
	"\"GetAttachment\", \"FolderSync\", \"FolderCreate\", \"FolderDelete\", " \
	"\"FolderUpdate\", \"MoveItems\", \"GetItemEstimate\", \"MeetingResponse\", " \
	"\"Search\", \"Settings\", \"Ping\", \"ItemOperations\", \"Provision\", " \
	"\"ResolveRecipients\", \"ValidateCert\", \"Find\"]"

static const struct conf_key eas_keys[] = {
	{ "http", CONF_INCLUDE, NULL, 0, 0, NULL, http_conf_keys, 0, NULL },
	{ "backend", CONF_STRING, "\"\"", 0, 0, NULL, NULL, 0,
	  "the ActiveSync server's base URL (http://10.0.0.5:8080); the request target is appended" },
	{ "backend_connect_timeout", CONF_DURATION, "\"5s\"", 100, 300000, NULL, NULL, 0,
	  "how long to wait for a connection to the backend" },
	{ "backend_timeout", CONF_DURATION, "\"1h\"", 0, 86400000, NULL, NULL, 0,
	  "longest backend exchange (Ping and Sync wait up to 59 minutes); 0 for none" },
	{ "backend_ca_file", CONF_PATH, NULL, 0, 0, NULL, NULL, 0,
	  "CA file or hashed directory for an https backend (default: the system's)" },
	{ "store", CONF_PATH, "\"/var/lib/postern/eas-devices\"", 0, 0, NULL, NULL, 0,
	  "the device store: a directory, one file per device, shareable between hosts" },
	{ "secret_file", CONF_PATH, NULL, 0, 0, NULL, NULL, 0,
	  "a secret the policy keys are derived under (the same file on every host)" },
	{ "default_policy", CONF_STRING, "\"default\"", 0, 0, NULL, NULL, 0,
	  "the policy of users without posternEASPolicy" },
	{ "policies", CONF_MAP, "{}", 0, 0, NULL, policy_keys, 0,
	  "named policies: NAME -> settings" },
	{ "directory", CONF_BOOL, "true", 0, 0, NULL, NULL, 0,
	  "look users up in the directory (policy name; unknown users are not provisioned)" },
	{ "check_password", CONF_BOOL, "false", 0, 0, NULL, NULL, 0,
	  "check Basic credentials against the directory before answering Provision" },
	{ "protocol_versions", CONF_STRINGS, DEF_VERSIONS, 0, 0, NULL, NULL, 0,
	  "protocol versions offered in OPTIONS and accepted (12.0 to 16.1)" },
	{ "commands", CONF_STRINGS, DEF_COMMANDS, 0, 0, NULL, NULL, 0,
	  "commands listed in OPTIONS (MS-ASProtocolCommands)" },
	{ "wbxml_max", CONF_SIZE, "\"64k\"", 1024, 16 << 20, NULL, NULL, 0,
	  "largest Provision or Settings body eas-policy decodes itself (413 beyond)" },
	{ "wbxml_depth_max", CONF_INT, "32", 4, 256, NULL, NULL, 0,
	  "deepest element nesting accepted in WBXML (400 beyond)" },
	{ "wbxml_string_max", CONF_SIZE, "\"8k\"", 64, 16 << 20, NULL, NULL, 0,
	  "longest string or opaque value accepted in WBXML (400 beyond)" },
	{ "max_devices", CONF_INT, "100", 1, 100000, NULL, NULL, 0,
	  "devices one user may provision; a new one beyond gets Provision Status 177" },
	{ "last_seen_interval", CONF_DURATION, "\"60s\"", 0, 86400000, NULL, NULL, 0,
	  "how often a passing device's last-seen time is written" },
	{ "event_loop", CONF_BOOL, "true", 0, 0, NULL, NULL, 0,
	  "standalone plain HTTP (-d): one process serves the connections from an event loop, "
	  "a connection it cannot serve without waiting goes to a process of its own; false: "
	  "a process per connection (\"workers\")" },
	{ NULL }
};
static const struct conf_section eas_section = {
	"eas-policy", eas_keys, "ActiveSync device policy in front of an ActiveSync server"
};
static const struct conf_section *const sections[] = {
	&log_conf_section, &dir_conf_section, &eas_section, NULL
};

struct cli {
	enum serve_mode mode;
	const char *user;
	const char *format;
	const char *protocol;
	bool cancel, compact;
};

static int cli_option(int id, const char *arg, void *ctx)
{
	struct cli *c = ctx;

	switch (id) {
	case O_DAEMON: c->mode = SERVE_STANDALONE; break;
	case O_INETD: c->mode = SERVE_INETD; break;
	case O_USER: c->user = arg; break;
	case O_XML: c->format = "xml"; break;
	case O_WBXML: c->format = "wbxml"; break;
	case O_CANCEL: c->cancel = true; break;
	case O_PROTOCOL: c->protocol = arg; break;
	case O_COMPACT: c->compact = true; break;
	default: return -1;
	}
	return 0;
}

static struct cli cli = { .mode = SERVE_SYSTEMD, .format = "xml", .protocol = "16.1" };

static int check(struct prog_state *st);

static const struct prog eas_prog = {
	"eas-policy", "[-d | --inetd] | wipe|devices|recovery|policy|decode|encode ...",
	"ActiveSync device policy, provisioning and remote wipe in front of an ActiveSync server",
	eas_opts, eas_cmds, sections, cli_option, &cli, check,
};

struct devstore *eas_store(struct eas *e)
{
	if (!e->store)
		e->store = devstore_open(e->store_dir);
	return e->store;
}

static int settle(struct eas *e, const struct prog_state *st)
{
	const json_t *sec = conf_section(st->conf, "eas-policy");
	const char *secret = conf_str(sec, "secret_file");
	struct strbuf cmds = STRBUF_INIT;

	memset(e, 0, sizeof(*e));
	e->st = st;
	e->store_dir = conf_str(sec, "store");
	e->use_directory = conf_bool(sec, "directory");
	e->backend = conf_str(sec, "backend");
	e->backend_connect_ms = conf_int(sec, "backend_connect_timeout");
	e->backend_timeout_ms = conf_int(sec, "backend_timeout");
	e->backend_ca = conf_str(sec, "backend_ca_file");
	e->check_password = conf_bool(sec, "check_password");
	e->wbxml_max = conf_int(sec, "wbxml_max");
	e->last_seen_interval_s = conf_int(sec, "last_seen_interval") / 1000;
	e->max_devices = (long)conf_int(sec, "max_devices");
	e->lim.depth_max = (size_t)conf_int(sec, "wbxml_depth_max");
	e->lim.string_max = (size_t)conf_int(sec, "wbxml_string_max");
	e->lim.strtbl_max = (size_t)e->wbxml_max;
	e->lim.nodes_max = 10000;
	for (size_t i = 0; i < conf_strings_len(sec, "protocol_versions") &&
	     i < sizeof(e->versions) / sizeof(e->versions[0]); i++) {
		const char *v = conf_strings_at(sec, "protocol_versions", i);

		if (eas_version_num(v) < 120) {
			msg_error("%s: eas-policy.protocol_versions: '%s' is not one of 12.0, 12.1, 14.0, 14.1, 16.0, 16.1",
				  conf_path(st->conf), v);
			return -1;
		}
		e->versions[e->nversions++] = v;
	}
	for (size_t i = 0; i < conf_strings_len(sec, "commands"); i++)
		strbuf_addf(&cmds, "%s%s", i ? "," : "", conf_strings_at(sec, "commands", i));
	e->commands = strbuf_detach(&cmds, NULL);
	if (secret) {
		struct strbuf sb = STRBUF_INIT;

		/* A file made by `openssl rand -base64 48 >F` ends in a newline:
		 * the secret is the line, not the line break. */
		if (strbuf_read_file(&sb, secret, 4096) < 0 || sb.len == 0) {
			msg_error("cannot read secret_file '%s': %s", secret,
				  sb.len == 0 && errno == 0 ? "empty" : strerror(errno));
			strbuf_release(&sb);
			return -1;
		}
		while (sb.len > 0 && (sb.buf[sb.len - 1] == '\n' || sb.buf[sb.len - 1] == '\r'))
			sb.len--;
		if (sb.len == 0 || sb.len > sizeof(e->secret)) {
			msg_error("secret_file '%s': %zu bytes, want 1 to %zu (e.g. openssl rand -hex 32)",
				  secret, sb.len, sizeof(e->secret));
			mem_wipe(sb.buf, sb.len);
			strbuf_release(&sb);
			return -1;
		}
		memcpy(e->secret, sb.buf, sb.len);
		e->secret_len = sb.len;
		mem_wipe(sb.buf, sb.len);
		strbuf_release(&sb);
	}
	if (*e->backend && strncasecmp(e->backend, "http://", 7) != 0 &&
	    strncasecmp(e->backend, "https://", 8) != 0) {
		msg_error("%s: eas-policy.backend: '%s' is not an http:// or https:// URL",
			  conf_path(st->conf), e->backend);
		return -1;
	}
	if (e->check_password && !e->use_directory) {
		msg_error("%s: eas-policy.check_password: needs \"directory\": true",
			  conf_path(st->conf));
		return -1;
	}
	if (policy_load(e, sec) < 0)
		return -1;
	return 0;
}

static void unsettle(struct eas *e);

/* -n: also what the key table cannot express (policy names, versions,
 * the backend URL, the secret file), and TLS and the publishing rules as
 * the server would set them up. */
static int check(struct prog_state *st)
{
	struct eas e;
	struct http_server *srv = NULL;
	int rc = settle(&e, st) < 0 ? EX_CONFIG : 0;

	if (rc == 0 && (srv = http_server_new(conf_section(st->conf, "eas-policy"), "eas-policy")) == NULL)
		rc = EX_CONFIG;
	http_server_free(srv);
	unsettle(&e);
	return rc;
}

static void unsettle(struct eas *e)
{
	devstore_close(e->store);
	dir_close(e->dir);
	free(e->policies);
	free((char *)e->commands);
	mem_wipe(e->secret, sizeof(e->secret));
}

struct reloader {
	struct eas *e;
	struct prog_state *st;
	struct http_server *srv;
};

/* SIGHUP in the listener: the config again (policies, versions, rules,
 * TLS files) and the directory; sessions forked later use them. */
static int reload(void *u)
{
	struct reloader *rl = u;
	struct conf *c = prog_reload(rl->st);
	struct prog_state tmp;
	struct eas ne;

	if (!c) {
		msg_error("reload failed: the old config stays in force");
		return -1;
	}
	tmp = *rl->st;
	tmp.conf = c;
	if (settle(&ne, &tmp) < 0 || !*ne.backend ||
	    (ne.use_directory && !(ne.dir = dir_open(conf_section(c, "directory")))) ||
	    http_server_reload(rl->srv, conf_section(c, "eas-policy")) < 0) {
		unsettle(&ne);
		conf_free(c);
		msg_error("reload failed: the old config stays in force");
		return -1;
	}
	ne.st = rl->st;
	front_forget();
	unsettle(rl->e);
	conf_free(rl->st->conf);
	rl->st->conf = c;
	*rl->e = ne;
	msg_info("reloaded config=%s policies=%zu", msg_q(conf_path(c)), ne.npolicies);
	return 0;
}

static int serve(struct eas *e, struct prog_state *st)
{
	struct http_server *srv;
	struct reloader rl = { e, st, NULL };
	int rc;

	if (!*e->backend) {
		msg_error("%s: eas-policy.backend: the ActiveSync server's URL is needed to serve",
			  conf_path(st->conf));
		return EX_CONFIG;
	}
	if (!eas_store(e))
		return EX_CANTCREAT;
	prog_daemon_logging(st);
	if (!(srv = http_server_new(conf_section(st->conf, "eas-policy"), "eas-policy")))
		return EX_CONFIG;
	rl.srv = srv;
	front_routes(e, srv);
	http_server_on_reload(srv, reload, &rl);
	if (conf_bool(conf_section(st->conf, "eas-policy"), "event_loop"))
		rc = http_server_run_loop(srv, cli.mode);
	else
		rc = http_server_run(srv, cli.mode);
	http_server_free(srv);
	return rc;
}

int main(int argc, char **argv)
{
	struct prog_state st;
	struct eas e;
	const char *cmd;
	int rc;

	signal(SIGPIPE, SIG_IGN);
	cmd = prog_take_command(&eas_prog, &argc, argv);
	prog_start(&eas_prog, &st, argc, argv);
	if (cmd)
		prog_rest_args(&st, NULL);
	else if (st.argc > 0) {
		fprintf(stderr, "eas-policy: unknown command '%s'; see --help\n", st.argv[0]);
		conf_free(st.conf);
		return EX_USAGE;
	}
	if (settle(&e, &st) < 0) {
		unsettle(&e);
		conf_free(st.conf);
		return EX_CONFIG;
	}
	/* The directory: at start for the daemon (the file backend loads
	 * once, before connections fork), when a user is named for the
	 * admin commands. */
	if (e.use_directory && (!cmd || strcmp(cmd, "wipe") == 0 || strcmp(cmd, "recovery") == 0 ||
				(strcmp(cmd, "devices") == 0 && cli.user))) {
		e.dir = dir_open(conf_section(st.conf, "directory"));
		if (!e.dir && !cmd) {
			unsettle(&e);
			conf_free(st.conf);
			return EX_CONFIG;
		}
	}
	if (!cmd)
		rc = serve(&e, &st);
	else if (strcmp(cmd, "wipe") == 0)
		rc = cmd_wipe(&e, st.argc, st.argv, cli.cancel);
	else if (strcmp(cmd, "devices") == 0)
		rc = st.argc ? EX_USAGE : cmd_devices(&e, cli.user, st.json);
	else if (strcmp(cmd, "recovery") == 0)
		rc = cmd_recovery(&e, st.argc, st.argv);
	else if (strcmp(cmd, "policy") == 0)
		rc = cmd_policy(&e, st.argc, st.argv, cli.format, cli.protocol);
	else if (strcmp(cmd, "decode") == 0)
		rc = st.argc ? EX_USAGE : cmd_decode(&e, !cli.compact);
	else
		rc = st.argc ? EX_USAGE : cmd_encode(&e);
	unsettle(&e);
	conf_free(st.conf);
	return rc;
}
