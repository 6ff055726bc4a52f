/* The outbound gateway: a filter on the outbound path (Postfix content
 * filter or pipe transport, or smtp-edge's transport rule) that signs and
 * encrypts by policy. Exit codes and a leading DSN code in the output are
 * what Postfix pipe(8) understands. The signing key is held by a child
 * (smime/keyproc.h) started before the message is read. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <unistd.h>

#include "smime/entity.h"
#include "smime/envelope.h"
#include "smime/sign.h"
#include "util/exitcodes.h"
#include "util/mem.h"
#include "util/msg.h"
#include "smime-sign.h"

enum enc { ENC_NEVER, ENC_OPPORTUNISTIC, ENC_REQUIRED };

/* "user@dom" matches itself; "@dom" and "dom" match every address there. */
static bool addr_matches(const char *pat, const char *addr)
{
	const char *at = strrchr(addr, '@');

	if (pat[0] == '@')
		return at && strcasecmp(at + 1, pat + 1) == 0;
	if (strchr(pat, '@') == NULL)
		return at && strcasecmp(at + 1, pat) == 0;
	return strcasecmp(pat, addr) == 0;
}

static bool list_matches(const json_t *node, const char *key, const char *addr, bool empty_ok)
{
	size_t n = conf_strings_len(node, key);

	if (n == 0)
		return empty_ok;
	for (size_t i = 0; i < n; i++)
		if (addr_matches(conf_strings_at(node, key, i), addr))
			return true;
	return false;
}

static const json_t *first_rule(const json_t *gw, const char *sender, const char *rcpt)
{
	const json_t *rules = gw ? conf_get(gw, "rules") : NULL;
	size_t i;
	json_t *r;

	json_array_foreach(rules, i, r)
		if (list_matches(r, "senders", sender, true) && list_matches(r, "recipients", rcpt, true))
			return r;
	return NULL;
}

static const json_t *find_signer(const json_t *gw, const char *sender)
{
	const json_t *signers = gw ? conf_get(gw, "signers") : NULL;
	size_t i;
	json_t *s;

	json_array_foreach(signers, i, s)
		if (list_matches(s, "match", sender, false))
			return s;
	return NULL;
}

/* Runs argv + "-f" sender "--" rcpts with the message on its stdin. */
static int reinject(const json_t *gw, const char *sender, int nrcpt, char **rcpts,
		    const struct strbuf *msg)
{
	size_t n = conf_strings_len(gw, "reinject"), k = 0;
	char **argv = xcalloc(n + (size_t)nrcpt + 4, sizeof(*argv));
	int fds[2], status;
	pid_t pid;

	for (size_t i = 0; i < n; i++)
		argv[k++] = (char *)conf_strings_at(gw, "reinject", i);
	argv[k++] = "-f";
	argv[k++] = (char *)sender;
	argv[k++] = "--";
	for (int i = 0; i < nrcpt; i++)
		argv[k++] = rcpts[i];
	if (pipe(fds) < 0 || (pid = fork()) < 0) {
		msg_error("cannot run %s: %s", argv[0], strerror(errno));
		free(argv);
		return EX_TEMPFAIL;
	}
	if (pid == 0) {
		dup2(fds[0], 0);
		close(fds[0]);
		close(fds[1]);
		execvp(argv[0], argv);
		fprintf(stderr, "smime-sign: cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(EX_TEMPFAIL);
	}
	close(fds[0]);
	int werr = write_all(fds[1], msg->buf, msg->len);

	close(fds[1]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (werr < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		msg_error("reinjection by %s failed (status %d)", argv[0],
			  WIFEXITED(status) ? WEXITSTATUS(status) : -1);
		free(argv);
		return EX_TEMPFAIL;
	}
	free(argv);
	return 0;
}

/* The policy for this message: sign when a matching rule says so, the
 * strongest encryption any recipient's rule asks for. */
static void decide(const json_t *gw, const char *sender, int n, char **rcpts, bool *sign, enum enc *enc)
{
	*sign = false;
	*enc = ENC_NEVER;
	for (int i = 0; i < n; i++) {
		const json_t *r = first_rule(gw, sender, rcpts[i]);
		const char *e;

		if (r == NULL)
			continue;
		*sign |= conf_bool(r, "sign");
		e = conf_str(r, "encrypt");
		if (strcmp(e, "required") == 0)
			*enc = ENC_REQUIRED;
		else if (strcmp(e, "opportunistic") == 0 && *enc == ENC_NEVER)
			*enc = ENC_OPPORTUNISTIC;
	}
}

/* Certificates of every recipient; returns 0, or an exit code when one is
 * missing and encryption is required, or the directory is down. *all says
 * whether every recipient had one. */
static int collect(struct smime_ctx *c, int n, char **rcpts, enum enc enc, STACK_OF(X509) *sk, bool *all)
{
	char why[SMIME_WHY_MAX];

	*all = true;
	for (int i = 0; i < n; i++) {
		X509 *x = NULL;

		switch (rcpt_find(c, rcpts[i], &x, why, sizeof(why))) {
		case RCPT_FOUND:
			sk_X509_push(sk, x);
			break;
		case RCPT_TEMPFAIL:
			fprintf(stderr, "4.4.3 cannot look up the certificate of <%s>: %s\n", rcpts[i], why);
			msg_error("cannot look up the certificate of %s: %s", rcpts[i], why);
			return EX_TEMPFAIL;
		default:
			*all = false;
			if (enc == ENC_REQUIRED) {
				fprintf(stderr, "5.7.1 encryption required but <%s> has no usable S/MIME certificate (%s)\n",
					rcpts[i], why);
				msg_warn("refused: encryption required, no usable certificate for %s: %s",
					 rcpts[i], why);
				return EX_UNAVAILABLE;
			}
			msg_info("not encrypted: no usable certificate for %s: %s", rcpts[i], why);
			return 0;
		}
	}
	return 0;
}

int cmd_gateway(struct smime_ctx *c)
{
	const json_t *gw = conf_get(c->sec, "gateway"), *signer = NULL;
	const char *sender = c->cli->sender;
	int nrcpt = c->st->argc;
	char **rcpts = c->st->argv;
	struct smime_keyproc *kp = NULL;
	struct strbuf in = STRBUF_INIT, a = STRBUF_INIT, b = STRBUF_INIT;
	STACK_OF(X509) *sk = sk_X509_new_null();
	const struct strbuf *cur = &in;
	char why[SMIME_WHY_MAX];
	bool sign, all = false;
	enum enc enc;
	int rc;

	if (sender == NULL || nrcpt == 0) {
		fprintf(stderr, "smime-sign: gateway needs -f SENDER and at least one recipient\n");
		sk_X509_free(sk);
		return EX_USAGE;
	}
	/* Run by the MTA, whatever the command writes becomes the bounce
	 * text, which must start with the DSN code: diagnostics go to syslog
	 * (unless log.target says stderr), the DSN line alone to stderr. */
	prog_daemon_logging(c->st);
	msg_context("sender", sender);
	decide(gw, sender, nrcpt, rcpts, &sign, &enc);
	if (sign && (signer = find_signer(gw, sender)) == NULL) {
		msg_warn("policy says sign but no signer matches %s: not signed", sender);
		sign = false;
	}
	if (sign) {
		struct smime_keysrc src = {
			conf_str(signer, "cert"), conf_str(signer, "key"), conf_str(signer, "password_file")
		};

		/* Before the message is read: the key never shares a process
		 * with the mail parser. */
		if ((kp = smime_keyproc_start(&src, why, sizeof(why))) == NULL) {
			fprintf(stderr, "4.7.0 signing key unavailable\n");
			msg_error("cannot start the signing key process: %s", why);
			rc = EX_TEMPFAIL;
			goto out;
		}
	}
	if ((rc = read_message(c, &in)) != 0)
		goto out;
	if (smime_kind_of(in.buf, in.len) != SMIME_KIND_PLAIN) {
		msg_info("already S/MIME: passed unchanged");
		sign = false;
		enc = ENC_NEVER;
	}
	if (enc != ENC_NEVER && (rc = collect(c, nrcpt, rcpts, enc, sk, &all)) != 0)
		goto out;
	if (sign) {
		struct smime_signer s = {
			.cert = smime_keyproc_cert(kp), .chain = smime_keyproc_chain(kp), .md = c->md,
			.pss = c->pss, .opaque = false, .sign = smime_keyproc_sign, .ctx = kp,
		};

		if (smime_sign_message(&s, in.buf, in.len, &a, why, sizeof(why)) < 0) {
			fprintf(stderr, "4.7.0 cannot sign\n");
			msg_error("cannot sign: %s", why);
			rc = EX_TEMPFAIL;
			goto out;
		}
		cur = &a;
	}
	if (enc != ENC_NEVER && all) {
		if (c->self && kp) {
			X509_up_ref(smime_keyproc_cert(kp));
			sk_X509_push(sk, smime_keyproc_cert(kp));
		}
		if (smime_encrypt_message(sk, c->cipher, c->oaep, cur->buf, cur->len, &b, why, sizeof(why)) < 0) {
			fprintf(stderr, "4.7.0 cannot encrypt\n");
			msg_error("cannot encrypt: %s", why);
			rc = EX_TEMPFAIL;
			goto out;
		}
		cur = &b;
	}
	msg_info("%s recipients=%d size=%zu", sign && all && enc != ENC_NEVER ? "signed and encrypted" :
		 sign ? "signed" : enc != ENC_NEVER && all ? "encrypted" : "passed", nrcpt, cur->len);
	if (conf_strings_len(gw, "reinject") > 0)
		rc = reinject(gw, sender, nrcpt, rcpts, cur);
	else if (write_all(1, cur->buf, cur->len) < 0)
		rc = EX_TEMPFAIL;
out:
	smime_keyproc_stop(kp);
	sk_X509_pop_free(sk, X509_free);
	strbuf_release(&in);
	strbuf_release(&a);
	strbuf_release(&b);
	return rc;
}
