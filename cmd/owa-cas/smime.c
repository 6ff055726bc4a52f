/* S/MIME signed mail: the verdict of smime-sign verify, run as a child on
 * the raw message with owa-cas's own config file (smime-sign reads its
 * section: trusted CAs, CRL checks). Its output is the message without the
 * signature under one Authentication-Results field it wrote itself: the
 * first line, so a field forged by the sender cannot pass for it. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util/msg.h"
#include "owa-cas.h"

#define OUT_MAX (64u << 20)

int smime_is_signed(const struct mime_msg *m)
{
	const struct mime_part *r = mime_root(m);
	const char *st;

	if (mime_part_is(r, "multipart", "signed"))
		return 1;
	if (mime_part_is(r, "application", "pkcs7-mime") || mime_part_is(r, "application", "x-pkcs7-mime")) {
		st = mime_part_param(r, "smime-type");
		return st == NULL || strcasecmp(st, "signed-data") == 0;
	}
	return 0;
}

/* Feeds raw to the child and reads its output without deadlock. */
static int exchange(int in, int out, const char *raw, size_t len, struct strbuf *res,
		    long long deadline_ms)
{
	size_t off = 0;
	struct timespec t0, t;

	fcntl(in, F_SETFL, O_NONBLOCK);
	fcntl(out, F_SETFL, O_NONBLOCK);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		struct pollfd p[2] = { { out, POLLIN, 0 }, { in, POLLOUT, 0 } };
		int n = poll(p, in >= 0 ? 2 : 1, 200);

		clock_gettime(CLOCK_MONOTONIC, &t);
		if ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000 > deadline_ms)
			return -1;
		if (n < 0 && errno != EINTR)
			return -1;
		if (in >= 0 && (p[1].revents & (POLLOUT | POLLERR | POLLHUP))) {
			ssize_t w = write(in, raw + off, len - off);

			if (w > 0)
				off += (size_t)w;
			if (w < 0 && errno != EAGAIN) 
				off = len;
			if (off == len) {
				close(in);
				in = -1;
			}
		}
		if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			char buf[65536];
			ssize_t r = read(out, buf, sizeof(buf));

			if (r == 0)
				break;
			if (r > 0 && res->len + (size_t)r <= OUT_MAX)
				strbuf_add(res, buf, (size_t)r);
			if (r < 0 && errno != EAGAIN && errno != EINTR)
				break;
		}
	}
	if (in >= 0)
		close(in);
	return 0;
}

int smime_verify(const char *raw, size_t len, struct strbuf *verdict, struct strbuf *inner)
{
	const char *prog = conf_str(owa.sec, "smime_sign");
	const char *cfg = owa.config_path;
	int pin[2], pout[2], status = 0;
	pid_t pid;
	struct strbuf out = STRBUF_INIT;
	const char *eol;

	if (pipe(pin) < 0)
		return -1;
	if (pipe(pout) < 0) {
		close(pin[0]);
		close(pin[1]);
		return -1;
	}
	pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		dup2(pin[0], 0);
		dup2(pout[1], 1);
		if (null >= 0)
			dup2(null, 2);
		for (int i = 3; i < 1024; i++)
			close(i);
		if (cfg)
			execlp(prog, prog, "verify", "-c", cfg, (char *)NULL);
		else
			execlp(prog, prog, "verify", (char *)NULL);
		_exit(127);
	}
	close(pin[0]);
	close(pout[1]);
	if (pid < 0) {
		close(pin[1]);
		close(pout[0]);
		return -1;
	}
	signal(SIGPIPE, SIG_IGN);
	if (exchange(pin[1], pout[0], raw, len, &out, 30000) < 0)
		kill(pid, SIGKILL);
	close(pout[0]);
	waitpid(pid, &status, 0);
	if (!WIFEXITED(status) || (WEXITSTATUS(status) != 0 && WEXITSTATUS(status) != 1) ||
	    out.len < 24 || strncasecmp(out.buf, "Authentication-Results:", 23) != 0) {
		msg_warn("smime-sign verify gave no verdict status=%d", WIFEXITED(status) ?
			 WEXITSTATUS(status) : -1);
		strbuf_release(&out);
		return -1;
	}
	eol = strchr(out.buf, '\n');
	eol = eol ? eol : out.buf + out.len;
	strbuf_add(verdict, out.buf + 23, (size_t)(eol - out.buf - 23));
	strbuf_rtrim(verdict);
	strbuf_add(inner, out.buf, out.len);
	strbuf_release(&out);
	return 0;
}
