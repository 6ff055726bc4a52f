/* postern-testd serve: a small line protocol served through lib/net/serve,
 * so tests drive the standalone, inetd and socket-activated modes alike. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf/prog.h"
#include "net/serve.h"
#include "util/atomic.h"
#include "util/exitcodes.h"
#include "util/mem.h"
#include "util/msg.h"
#include "util/strbuf.h"
#include "testd.h"

#define LINE_MAX_BYTES 1024
#define SLEEP_MAX 3600

struct testd_serve {
	const struct prog_state *st;
	char *greeting;		/* owned */
};

static void set_greeting(struct testd_serve *t, const struct conf *c)
{
	const char *g = conf_str(conf_section(c, "postern-testd"), "greeting");

	free(t->greeting);
	t->greeting = xstrdup(g ? g : "");
}

static void reply(int out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void reply(int out, const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	strbuf_addch(&sb, '\n');
	write_all(out, sb.buf, sb.len);
	strbuf_release(&sb);
}

static void do_sleep(int out, const char *arg)
{
	char *end;
	long n = strtol(arg, &end, 10);

	if (*arg == 0 || *end || n < 0 || n > SLEEP_MAX) {
		reply(out, "ERR SLEEP takes 0 to %d seconds", SLEEP_MAX);
		return;
	}
	sleep((unsigned)n);
	reply(out, "SLEPT %ld", n);
}

/* One command; returns 0 when the client said QUIT. */
static int command(int out, const char *line)
{
	if (strcmp(line, "PING") == 0)
		reply(out, "PONG");
	else if (strncmp(line, "ECHO ", 5) == 0)
		reply(out, "%s", line + 5);
	else if (strncmp(line, "SLEEP ", 6) == 0)
		do_sleep(out, line + 6);
	else if (strcmp(line, "PID") == 0)
		reply(out, "%ld", (long)getpid());
	else if (strcmp(line, "UID") == 0)
		reply(out, "uid=%ld gid=%ld", (long)getuid(), (long)getgid());
	else if (strncmp(line, "ENV ", 4) == 0)
		reply(out, "%s", getenv(line + 4) ? getenv(line + 4) : "(unset)");
	else if (strcmp(line, "QUIT") == 0) {
		reply(out, "BYE");
		return 0;
	} else
		reply(out, "ERR unknown command");
	return 1;
}

static int session(int in, int out, const struct serve_peer *peer, void *ctx)
{
	struct testd_serve *t = ctx;
	struct strbuf line = STRBUF_INIT;
	FILE *fp = fdopen(in, "r");
	long n;

	if (fp == NULL) {
		msg_error("cannot read the connection: %s", strerror(errno));
		return EX_OSERR;
	}
	reply(out, "%s peer=%s fdname=%s", t->greeting, peer->addr, peer->fdname);
	while (strbuf_reset(&line), (n = strbuf_getline(&line, fp, LINE_MAX_BYTES)) > 0) {
		if (line.buf[line.len - 1] != '\n') {
			reply(out, "ERR line too long");
			break;
		}
		strbuf_rtrim(&line);
		if (command(out, line.buf) == 0)
			break;
	}
	strbuf_release(&line);
	fclose(fp);
	return EX_OK;
}

static void refuse(int fd, const struct serve_peer *peer, void *ctx)
{
	reply(fd, "ERR busy: too many connections");
}

static int reload(void *ctx)
{
	struct testd_serve *t = ctx;
	struct conf *c = prog_reload(t->st);

	if (c == NULL)
		return -1;
	set_greeting(t, c);
	msg_info("reloaded greeting=%s", msg_q(t->greeting));
	conf_free(c);
	return 0;
}

enum { O_DAEMON = 'd', O_INETD = OPT_ID(0) };
static const struct opt serve_opts[] = {
	{ "daemon", O_DAEMON, OPT_NOARG, NULL, NULL, "standalone: listen on the config's addresses" },
	{ "inetd", O_INETD, OPT_NOARG, NULL, NULL, "serve one session on stdin and stdout" },
	{ .lng = NULL }
};

int testd_serve(struct prog_state *st, int argc, char **argv)
{
	const struct opt *const tables[] = { serve_opts, NULL };
	struct testd_serve t = { .st = st };
	struct serve_handler h = {
		.name = "postern-testd", .session = session, .refuse = refuse,
		.reload = reload, .ctx = &t,
	};
	enum serve_mode mode = SERVE_SYSTEMD;
	struct opt_state os;
	int c, rc;

	opt_init(&os, tables);
	while ((c = opt_next(&os, argc, argv)) != -1) {
		if (c == O_DAEMON)
			mode = SERVE_STANDALONE;
		else if (c == O_INETD)
			mode = SERVE_INETD;
		else
			return EX_USAGE;
	}
	if (os.ind != argc) {
		fprintf(stderr, "usage: postern-testd serve [-d|--inetd]\n");
		return EX_USAGE;
	}
	set_greeting(&t, st->conf);
	prog_daemon_logging(st);
	rc = serve_run(conf_section(st->conf, "postern-testd"), mode, &h);
	free(t.greeting);
	return rc;
}
