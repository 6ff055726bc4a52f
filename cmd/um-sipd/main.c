/* um-sipd: Unified Messaging voicemail over secure SIP (SPEC section
 * 10): SIP over TCP and TLS, dial plans with their security modes,
 * greeting, recording, and the voicemail mailed to the mailbox found in
 * the directory; also "flush" (deliver the spool now) and "greeting"
 * (write the built-in greeting as a WAV file). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "conf/prog.h"
#include "media/tone.h"
#include "media/wav.h"
#include "sipd.h"
#include "util/atomic.h"
#include "util/exitcodes.h"
#include "util/msg.h"

enum { O_DAEMON = 'd', O_INETD = OPT_ID(0) };

static const struct opt sipd_opts[] = {
	{ "daemon", O_DAEMON, OPT_NOARG, NULL, NULL,
	  "standalone: listen on the config's addresses (SIP and SIPS), a process per connection" },
	{ "inetd", O_INETD, OPT_NOARG, NULL, NULL, "serve one connection on stdin and stdout" },
	{ NULL }
};

static const struct opt_cmd sipd_cmds[] = {
	{ "flush", "", "deliver every spooled voicemail now and exit (75 if some remain)" },
	{ "greeting", "FILE", "write the built-in greeting as a WAV file" },
	{ NULL }
};

static const struct conf_section *const sections[] = {
	&log_conf_section, &dir_conf_section, &sipd_conf_section, NULL
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

static void spooler_stop(struct sipd *d)
{
	if (d->spooler > 0) {
		kill(d->spooler, SIGTERM);
		waitpid(d->spooler, NULL, 0);
		d->spooler = 0;
	}
}

/* The UDP listeners, each a process of its own beside the TCP ones. */
static void udp_start(struct sipd *d)
{
	size_t n = conf_strings_len(d->sec, "udp_listen");
	const char *user = conf_str(d->sec, "user");

	for (size_t i = 0; i < n && d->nudp < sizeof(d->udp) / sizeof(d->udp[0]); i++) {
		pid_t pid = fork();

		if (pid == 0)
			_exit(sipd_udp_serve(d, conf_strings_at(d->sec, "udp_listen", i),
					     user ? user : ""));
		if (pid > 0)
			d->udp[d->nudp++] = pid;
	}
}

static void udp_stop(struct sipd *d)
{
	for (size_t i = 0; i < d->nudp; i++) {
		kill(d->udp[i], SIGTERM);
		waitpid(d->udp[i], NULL, 0);
	}
	d->nudp = 0;
}

/* SIGHUP in the listener: config, dial plans, directory and certificate
 * again; calls in progress live in their own processes and go on. */
static int reload(void *ctx)
{
	struct sipd *d = ctx, nd;
	struct conf *c = prog_reload(d->st);
	bool spool = d->spooler > 0;

	if (c == NULL)
		return -1;
	if (sipd_init(&nd, d->st, c) < 0) {
		nd.own_conf = true;
		sipd_clear(&nd);
		msg_error("reload failed: the old config stays in force");
		return -1;
	}
	nd.own_conf = true;
	if (d->cert_path && nd.cert_path && strcmp(d->cert_sha1, nd.cert_sha1) != 0)
		msg_info("certificate changed sha1=%s was=%s", nd.cert_sha1, d->cert_sha1);
	/* the spool process restarts with the new settings */
	spooler_stop(d);
	memcpy(nd.udp, d->udp, sizeof(nd.udp));
	nd.nudp = d->nudp;
	d->nudp = 0;
	sipd_clear(d);
	*d = nd;
	if (spool)
		spool_start(d);
	msg_info("reloaded config=%s", msg_q(conf_path(c)));
	return 0;
}

static int serve(struct prog_state *st, enum serve_mode mode)
{
	struct sipd d;
	struct serve_handler h = {
		.name = "um-sipd", .session = sipd_session, .reload = reload, .ctx = &d,
	};
	int rc;

	if (sipd_init(&d, st, st->conf) < 0) {
		sipd_clear(&d);
		return EX_CONFIG;
	}
	prog_daemon_logging(st);
	if (mode == SERVE_STANDALONE || (mode == SERVE_SYSTEMD && getenv("LISTEN_FDS") &&
					  !getenv("LISTEN_FDNAMES_ACCEPT")))
		spool_start(&d);
	if (mode == SERVE_STANDALONE)
		udp_start(&d);
	rc = serve_run(d.sec, mode, &h);
	udp_stop(&d);
	spooler_stop(&d);
	sipd_clear(&d);
	return rc;
}

static int cmd_flush(struct prog_state *st)
{
	struct sipd d;
	size_t left;

	if (sipd_init(&d, st, st->conf) < 0) {
		sipd_clear(&d);
		return EX_CONFIG;
	}
	left = spool_run_once(&d, true);
	sipd_clear(&d);
	if (left)
		msg_warn("voicemail still spooled files=%zu", left);
	return left ? EX_TEMPFAIL : 0;
}

static int cmd_greeting(int argc, char **argv)
{
	struct strbuf w = STRBUF_INIT;
	int16_t *pcm;
	size_t n;
	int rc = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: um-sipd greeting FILE\n");
		return EX_USAGE;
	}
	n = tone_default_greeting(&pcm);
	wav_write(&w, pcm, n, WAV_RATE);
	if (atomic_write(argv[1], w.buf, w.len, 0644) < 0) {
		msg_error("cannot write '%s': %m", argv[1]);
		rc = EX_CANTCREAT;
	}
	strbuf_release(&w);
	free(pcm);
	return rc;
}

/* -n: also what the daemon checks at start (certificate, dial plans,
 * greeting, directory, spool), without listening or writing anything (a
 * certificate it would generate is only announced). */
static int check(struct prog_state *st)
{
	struct sipd d;
	int rc;

	sipd_check_only();
	rc = sipd_init(&d, st, st->conf) < 0 ? EX_CONFIG : 0;
	sipd_clear(&d);
	return rc;
}

int main(int argc, char **argv)
{
	enum serve_mode mode = SERVE_SYSTEMD;
	struct prog p = {
		.name = "um-sipd",
		.synopsis = "[-c FILE] [-n] [-d | --inetd] | flush | greeting FILE",
		.purpose = "Unified Messaging voicemail over secure SIP, delivered by mail",
		.opts = sipd_opts,
		.cmds = sipd_cmds,
		.sections = sections,
		.option = cli_option,
		.ctx = &mode,
		.check = check,
	};
	struct prog_state st;
	int rc;

	prog_start(&p, &st, argc, argv);
	if (st.argc > 0 && strcmp(st.argv[0], "flush") == 0)
		rc = cmd_flush(&st);
	else if (st.argc > 0 && strcmp(st.argv[0], "greeting") == 0)
		rc = cmd_greeting(st.argc, st.argv);
	else if (st.argc > 0) {
		fprintf(stderr, "um-sipd: unknown command '%s'\n", st.argv[0]);
		rc = EX_USAGE;
	} else
		rc = serve(&st, mode);
	conf_free(st.conf);
	return rc;
}
