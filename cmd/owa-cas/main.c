/* owa-cas: web mail access (SPEC section 8): the server (-d, --inetd or
 * systemd) and "sanitize", which prints the reading pane's document for
 * a message or bare HTML. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf/prog.h"
#include "dir/dir.h"
#include "util/exitcodes.h"
#include "util/msg.h"
#include "owa-cas.h"

enum { O_DAEMON = 'd', O_INETD = OPT_ID(0), O_HTML, O_ALLOW_REMOTE, O_BODY };

static const struct opt owa_opts[] = {
	{ "daemon", O_DAEMON, OPT_NOARG, NULL, NULL, "serve standalone on the listen addresses" },
	{ "inetd", O_INETD, OPT_NOARG, NULL, NULL, "serve one connection on stdin and stdout" },
	{ "html", O_HTML, OPT_NOARG, NULL, NULL, "sanitize: the input is bare HTML, not a message" },
	{ "allow-remote", O_ALLOW_REMOTE, OPT_NOARG, NULL, NULL,
	  "sanitize: keep remote images, as after \"show content\"" },
	{ "body-only", O_BODY, OPT_NOARG, NULL, NULL,
	  "sanitize: print the sanitised fragment without the frame document" },
	{ NULL }
};

static const struct opt_cmd owa_cmds[] = {
	{ "serve", "[-d|--inetd]", "serve web mail (the default)" },
	{ "sanitize", "[--html] [--allow-remote] [--body-only] [--json] < MSG",
	  "print the reading pane's HTML for a message (--json: an array of them)" },
	{ NULL }
};

static const struct conf_key attach_rule_keys[] = {
	{ "extensions", CONF_STRINGS, "[]", 0, 0, NULL, NULL, 0,
	  "file name extensions without the dot, any letter case" },
	{ "types", CONF_STRINGS, "[]", 0, 0, NULL, NULL, 0,
	  "MIME types (\"application/x-msdownload\", \"image/*\")" },
	{ "public", CONF_ENUM, "\"save\"", 0, 0, "allow|block|save|webready", NULL, 0,
	  "action in a public-computer session" },
	{ "private", CONF_ENUM, "\"allow\"", 0, 0, "allow|block|save|webready", NULL, 0,
	  "action in a private-computer session" },
	{ NULL }
};

static const struct conf_key owa_keys[] = {
	OWA_HTTP_KEYS
	{ "secret_file", CONF_PATH, "\"/etc/postern/owa-cas.secret\"", 0, 0, NULL, NULL, 0,
	  "master secret of the session keys (32 to 256 bytes, the same on every host)" },
	{ "public_timeout", CONF_DURATION, "\"15m\"", 2000, 86400000LL, NULL, NULL, 0,
	  "inactivity that ends a public-computer session" },
	{ "private_timeout", CONF_DURATION, "\"8h\"", 2000, 7 * 86400000LL, NULL, NULL, 0,
	  "inactivity that ends a private-computer session" },
	{ "session_max", CONF_DURATION, "\"24h\"", 2000, 30 * 86400000LL, NULL, NULL, 0,
	  "longest a session lasts from sign-in, active or not" },
	{ "cookie_secure", CONF_BOOL, "true", 0, 0, NULL, NULL, 0,
	  "mark the session cookie Secure (off only for plain-HTTP tests)" },
	{ "state_dir", CONF_PATH, "\"/var/lib/postern/owa-cas\"", 0, 0, NULL, NULL, 0,
	  "revoked sessions, sign-in throttling and folder index caches" },
	{ "maildir", CONF_STRING, "\"/var/mail/%u/Maildir\"", 0, 0, NULL, NULL, 0,
	  "the Maildir of a user without posternMailbox in the directory (%u: user, %d: domain)" },
	{ "login_user_failures", CONF_INT, "5", 1, 1000, NULL, NULL, 0,
	  "failed sign-ins for one user within login_window before it is throttled" },
	{ "login_address_failures", CONF_INT, "20", 1, 100000, NULL, NULL, 0,
	  "failed sign-ins from one address within login_window before it is throttled" },
	{ "login_window", CONF_DURATION, "\"15m\"", 1000, 86400000LL, NULL, NULL, 0,
	  "how long failed sign-ins are counted" },
	{ "submission", CONF_STRING, "\"smtp://127.0.0.1:587\"", 0, 0, NULL, NULL, 0,
	  "SMTP submission URL for sending (smtp:// or smtps://)" },
	{ "submission_starttls", CONF_ENUM, "\"try\"", 0, 0, "no|try|required", NULL, 0,
	  "STARTTLS towards the submission server" },
	{ "page_size", CONF_INT, "50", 5, 500, NULL, NULL, 0, "messages per list page" },
	{ "allow_remote_content", CONF_BOOL, "true", 0, 0, NULL, NULL, 0,
	  "let users load a message's remote images (\"show content\")" },
	{ "html_max", CONF_SIZE, "\"2M\"", 1024, 64LL << 20, NULL, NULL, 0,
	  "HTML bytes sanitised; a larger body is shown as text" },
	{ "upload_max", CONF_SIZE, "\"25M\"", 1024, 1LL << 30, NULL, NULL, 0,
	  "largest compose form with its attachments" },
	{ "attachments", CONF_LIST, "[]", 0, 0, NULL, attach_rule_keys, 0,
	  "attachment rules, first match wins" },
	{ "attachment_public", CONF_ENUM, "\"save\"", 0, 0, "allow|block|save|webready", NULL, 0,
	  "action for attachments no rule matches, public computer" },
	{ "attachment_private", CONF_ENUM, "\"allow\"", 0, 0, "allow|block|save|webready", NULL, 0,
	  "action for attachments no rule matches, private computer" },
	{ "webready_max", CONF_SIZE, "\"20M\"", 1024, 1LL << 30, NULL, NULL, 0,
	  "largest document converted for WebReady" },
	{ "webready_timeout", CONF_DURATION, "\"20s\"", 100, 600000, NULL, NULL, 0,
	  "CPU time of a PDF conversion" },
	{ "webready_memory", CONF_SIZE, "\"256M\"", 1 << 20, 8LL << 30, NULL, NULL, 0,
	  "address space of a PDF conversion" },
	{ "smime_verify", CONF_BOOL, "true", 0, 0, NULL, NULL, 0,
	  "check S/MIME signed mail with smime-sign verify (its section of this file) and show the result" },
	{ "smime_sign", CONF_STRING, "\"smime-sign\"", 0, 0, NULL, NULL, 0,
	  "the smime-sign program (a name looked up in PATH, or a path)" },
	{ "device_store", CONF_PATH, "\"/var/lib/postern/eas-devices\"", 0, 0, NULL, NULL, 0,
	  "eas-policy's device store, for the mobile devices on the options page" },
	{ "documents_allow", CONF_STRINGS, "[]", 0, 0, NULL, NULL, 0,
	  "hosts (or .domain suffixes) internal documents may be fetched from; empty: none" },
	{ "documents_deny", CONF_STRINGS, "[]", 0, 0, NULL, NULL, 0,
	  "hosts (or .domain suffixes) refused even when allowed" },
	{ "documents_private_ok", CONF_STRINGS, "[]", 0, 0, NULL, NULL, 0,
	  "private or loopback addresses (CIDR) documents may come from" },
	{ NULL }
};
static const struct conf_section owa_section = { "owa-cas", owa_keys, "web mail access" };
static const struct conf_section *const sections[] = {
	&log_conf_section, &dir_conf_section, &owa_section, NULL
};

struct cli {
	enum serve_mode mode;
	bool html, allow_remote, body_only;
};

static int cli_option(int id, const char *arg, void *ctx)
{
	struct cli *c = ctx;

	switch (id) {
	case O_DAEMON: c->mode = SERVE_STANDALONE; break;
	case O_INETD: c->mode = SERVE_INETD; break;
	case O_HTML: c->html = true; break;
	case O_ALLOW_REMOTE: c->allow_remote = true; break;
	case O_BODY: c->body_only = true; break;
	default: return -1;
	}
	return 0;
}

static struct cli cli = { .mode = SERVE_SYSTEMD };

static const struct prog owa_prog = {
	"owa-cas", "[options] [serve|sanitize]",
	"web mail with sealed sessions, sanitised HTML and an attachment policy",
	owa_opts, owa_cmds, sections, cli_option, &cli, owa_check,
};

/* One input to the reading pane's document (or fragment) in out. */
static void sanitize_one(const char *s, size_t len, const struct render_opts *o, struct strbuf *out)
{
	struct render r = { STRBUF_INIT, 0, false, false };

	if (cli.html) {
		render_html(s, len, o, &r);
	} else {
		struct mime_msg *m = mime_parse(s, len, NULL);

		render_message(m, o, &r);
		mime_free(m);
	}
	if (cli.body_only)
		strbuf_add(out, r.body.buf ? r.body.buf : "", r.body.len);
	else
		render_frame(&r, out);
	if (r.blocked)
		msg_info("remote content left out count=%u", r.blocked);
	render_free(&r);
}

/* --json: a JSON array of inputs in, the array of results out (the
 * test suite's hostile table goes through one process). */
static int sanitize_json(const struct strbuf *in, const struct render_opts *o)
{
	json_error_t err;
	json_t *a = json_loadb(in->buf ? in->buf : "", in->len, JSON_ALLOW_NUL, &err), *v, *res;
	size_t i;

	if (!json_is_array(a)) {
		msg_error("sanitize --json: the input is not a JSON array of strings: %s", err.text);
		json_decref(a);
		return EX_DATAERR;
	}
	res = json_array();
	json_array_foreach(a, i, v) {
		struct strbuf out = STRBUF_INIT;

		if (json_is_string(v))
			sanitize_one(json_string_value(v), json_string_length(v), o, &out);
		json_array_append_new(res, json_stringn(out.buf ? out.buf : "", out.len));
		strbuf_release(&out);
	}
	json_dumpf(res, stdout, JSON_ENCODE_ANY);
	putchar('\n');
	json_decref(res);
	json_decref(a);
	return fflush(stdout) == 0 ? 0 : EX_IOERR;
}

static int cmd_sanitize(const struct prog_state *st)
{
	const json_t *sec = conf_section(st->conf, "owa-cas");
	struct render_opts o = {
		.allow_remote = cli.allow_remote,
		.html_max = (size_t)conf_int(sec, "html_max"),
	};
	struct strbuf in = STRBUF_INIT, out = STRBUF_INIT;
	int rc;

	if (strbuf_read_fd(&in, 0, 64 << 20) < 0) {
		msg_error("cannot read the message: %m");
		return EX_DATAERR;
	}
	if (st->json) {
		rc = sanitize_json(&in, &o);
		strbuf_release(&in);
		return rc;
	}
	sanitize_one(in.buf ? in.buf : "", in.len, &o, &out);
	fwrite(out.buf ? out.buf : "", 1, out.len, stdout);
	strbuf_release(&in);
	strbuf_release(&out);
	return fflush(stdout) == 0 ? 0 : EX_IOERR;
}

int main(int argc, char **argv)
{
	struct prog_state st;
	const char *cmd = "serve";
	int rc;

	signal(SIGPIPE, SIG_IGN);
	/* The command word comes first, before the options. */
	if (argc > 1 && (strcmp(argv[1], "serve") == 0 || strcmp(argv[1], "sanitize") == 0)) {
		cmd = argv[1];
		argv[1] = argv[0];
		argv++;
		argc--;
	}
	prog_start(&owa_prog, &st, argc, argv);
	if (st.argc > 0) {
		fprintf(stderr, "owa-cas: unknown command '%s'; see --help\n", st.argv[0]);
		conf_free(st.conf);
		return EX_USAGE;
	}
	if (strcmp(cmd, "sanitize") == 0)
		rc = cmd_sanitize(&st);
	else
		rc = owa_serve(&st, cli.mode);
	conf_free(st.conf);
	return rc;
}
