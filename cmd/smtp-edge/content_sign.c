/* The transport rules' smime_sign action: the message (its header block
 * and body as they would go on) through content.smime_sign_command, a
 * filter such as `smime-sign sign`, so that the signing key stays in that
 * process and never in the network-facing session. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "content_int.h"
#include "session.h"
#include "util/atomic.h"
#include "util/mem.h"
#include "util/msg.h"

#define SIGN_ARGS_MAX 32
#define SIGN_OUT_MAX (256u << 20)

extern char **environ;

/* The message as it stands (the original header block with our changes,
 * then the body) in an unlinked temporary file, for the filter's stdin. */
static int input_file(struct run *r)
{
	char *path = xasprintf("%s/postern-sign.XXXXXX", conf_str(r->c->sec, "spool_directory"));
	struct strbuf head = STRBUF_INIT;
	int fd = mkstemp(path);

	if (fd >= 0) {
		unlink(path);
		/* the header block alone: make it with no trace and no fields */
		run_message_block(r, &head);
		if (write_all(fd, head.buf, head.len) < 0 ||
		    write_all(fd, r->body, r->body_len) < 0 || lseek(fd, 0, SEEK_SET) < 0) {
			close(fd);
			fd = -1;
		}
	}
	strbuf_release(&head);
	free(path);
	return fd;
}

static int fail(struct run *r, const char *why)
{
	session_decide(r->s, 3, "rules", "tempfail", NULL, "cannot sign: %s", msg_q(why));
	run_end(r, CONTENT_TEMPFAIL, "rules", "tempfail",
		"451 4.7.0 S/MIME signing unavailable, try again later");
	return -1;
}

int content_sign(struct run *r)
{
	size_t argc = conf_strings_len(r->c->sec, "smime_sign_command");
	char *argv[SIGN_ARGS_MAX + 1];
	posix_spawn_file_actions_t fa;
	struct strbuf *out = &r->out->body_own, got = STRBUF_INIT;
	int in, p[2], status, rc;
	pid_t pid;

	if (argc == 0 || argc > SIGN_ARGS_MAX)
		return fail(r, "no smime_sign_command");
	for (size_t i = 0; i < argc; i++)
		argv[i] = (char *)conf_strings_at(r->c->sec, "smime_sign_command", i);
	argv[argc] = NULL;
	if ((in = input_file(r)) < 0)
		return fail(r, strerror(errno));
	if (pipe2(p, O_CLOEXEC) < 0) {
		close(in);
		return fail(r, strerror(errno));
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in, 0);
	posix_spawn_file_actions_adddup2(&fa, p[1], 1);
	rc = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(in);
	close(p[1]);
	if (rc != 0) {
		close(p[0]);
		return fail(r, strerror(rc));
	}
	rc = strbuf_read_fd(&got, p[0], SIGN_OUT_MAX);
	close(p[0]);
	if (rc < 0)
		kill(pid, SIGTERM);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (rc < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0 || got.len == 0) {
		strbuf_release(&got);
		return fail(r, "the signing command failed");
	}
	/* the signed message replaces header block and body */
	strbuf_reset(out);
	strbuf_add(out, got.buf, got.len);
	strbuf_release(&got);
	r->body = out->buf;
	r->body_len = out->len;
	r->whole = true;
	session_decide(r->s, 3, "rules", "sign", NULL, "message signed size=%zu", r->body_len);
	return 0;
}
