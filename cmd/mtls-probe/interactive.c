/* -i: after the probe, a session on the secured channel. On a terminal,
 * readline with history (~/.mtls_probe_history); from a pipe, one command
 * per line, each followed by the server's answer. Lines go out with CRLF;
 * what the server says is shown as "S: ...". */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <readline/history.h>
#include <readline/readline.h>

#include "probe.h"
#include "util/mem.h"

#define HISTORY_MAX 500
#define QUIET_MS 300		/* a pause this long ends the server's answer */

static struct probe *session;
static bool input_done;

/* Shows every line the server has sent within wait_ms, then while more
 * keeps coming without a pause. Returns -1 when the connection ended. */
static int drain(struct probe *p, int wait_ms)
{
	struct strbuf line = STRBUF_INIT;
	int rc = 0;

	for (;;) {
		struct pollfd pfd = { stream_rfd(p->s), POLLIN, 0 };

		if (stream_buffered(p->s) == 0 && poll(&pfd, 1, wait_ms) <= 0)
			break;
		stream_set_timeout(p->s, QUIET_MS);
		rc = stream_getline(p->s, &line);
		if (rc == STREAM_TIMEOUT) {
			rc = 0;
			break;
		}
		if (rc == STREAM_OK || rc == STREAM_TOOLONG) {
			show(p, "S: %s", line.buf);
			rc = 0;
			wait_ms = QUIET_MS;
			continue;
		}
		if (line.len)
			show(p, "S: %s", line.buf);
		show(p, "(connection closed%s%s)", rc == STREAM_ERR ? ": " : "",
		     rc == STREAM_ERR ? stream_error(p->s) : "");
		rc = -1;
		break;
	}
	stream_set_timeout(p->s, p->timeout_ms);
	strbuf_release(&line);
	return rc;
}

static int send_line(struct probe *p, const char *line, bool echo)
{
	if (echo)
		show(p, "C: %s", line);
	stream_printf(p->s, "%s\r\n", line);
	if (stream_flush(p->s) != STREAM_OK) {
		show(p, "(cannot send: %s)", stream_error(p->s));
		return -1;
	}
	return 0;
}

/* From a pipe: each command, then its answer. */
static void run_pipe(struct probe *p)
{
	struct strbuf line = STRBUF_INIT;

	for (;;) {
		strbuf_reset(&line);
		if (strbuf_getline(&line, stdin, 4096) <= 0)
			break;
		strbuf_rtrim(&line);
		if (send_line(p, line.buf, true) < 0 || drain(p, (int)p->timeout_ms) < 0)
			goto out;
	}
	/* After the last command, what the server still has to say. */
	drain(p, 1000);
out:
	strbuf_release(&line);
}

static void on_line(char *line)
{
	if (line == NULL) {
		input_done = true;
		rl_callback_handler_remove();
		return;
	}
	if (*line)
		add_history(line);
	if (send_line(session, line, false) < 0)
		input_done = true;
	free(line);
}

static char *history_path(void)
{
	const char *home = getenv("HOME");

	return home && *home ? xasprintf("%s/.mtls_probe_history", home) : NULL;
}

/* On a terminal: readline's callback interface, so that server lines are
 * shown while the user types. */
static void run_tty(struct probe *p)
{
	char *hist = history_path();

	session = p;
	using_history();
	stifle_history(HISTORY_MAX);
	if (hist)
		read_history(hist);
	printf("Connected over TLS; lines go out with CRLF. End with Ctrl-D.\n");
	rl_callback_handler_install("mtls-probe> ", on_line);
	while (!input_done) {
		struct pollfd pfd[2] = { { 0, POLLIN, 0 }, { stream_rfd(p->s), POLLIN, 0 } };

		if (stream_buffered(p->s) == 0 && poll(pfd, 2, -1) < 0 && errno != EINTR)
			break;
		if (pfd[0].revents)
			rl_callback_read_char();
		if (stream_buffered(p->s) || pfd[1].revents) {
			int rc;

			rl_save_prompt();
			rl_message("");
			fputs("\r", stdout);
			rc = drain(p, 0);
			rl_restore_prompt();
			rl_forced_update_display();
			if (rc < 0)
				break;
		}
	}
	if (!input_done)
		rl_callback_handler_remove();
	if (hist)
		write_history(hist);
	free(hist);
}

void interactive_run(struct probe *p)
{
	/* Whatever the server sent unasked after the probe's last reply. */
	drain(p, 0);
	if (isatty(0) && !p->json)
		run_tty(p);
	else
		run_pipe(p);
}
