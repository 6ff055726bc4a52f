/* The key-holding child and its socketpair protocol (SOCK_SEQPACKET, one
 * datagram per message):
 *   child -> parent, once: 'K' + PEM chain, or 'E' + reason
 *   parent -> child: 4-byte digest NID (big-endian), 1-byte pss, digest
 *   child -> parent: 'S' + signature, or 'E' + reason
 * The child signs digests of the allowed lengths only and exits when the
 * parent closes its end. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>

#include "smime/keyproc.h"
#include "smime/sign.h"
#include "util/mem.h"
#include "util/strbuf.h"

#define KP_MSG_MAX (64 * 1024)

struct smime_keyproc {
	int fd;
	pid_t pid;
	X509 *cert;
	STACK_OF(X509) *chain;
};

int smime_key_load(const struct smime_keysrc *src, struct cert_bundle *b, char *why, size_t whylen)
{
	char pass[CERT_PASS_MAX] = "";
	int rc;

	if (src->cert == NULL) {
		snprintf(why, whylen, "no signing certificate configured");
		return -1;
	}
	if (src->pass_file && cert_read_pass_file(src->pass_file, pass, sizeof(pass), why, whylen) < 0)
		return -1;
	rc = cert_load_file(src->cert, src->pass_file ? pass : NULL, b, why, whylen);
	OPENSSL_cleanse(pass, sizeof(pass));
	if (rc < 0)
		return -1;
	if (b->cert == NULL) {
		snprintf(why, whylen, "'%s' holds no certificate", src->cert);
		goto fail;
	}
	if (src->key) {
		EVP_PKEY_free(b->key);
		b->key = NULL;
		if (cert_load_key_file(src->key, &b->key, why, whylen) < 0)
			goto fail;
	}
	if (b->key == NULL) {
		snprintf(why, whylen, "no private key for '%s'", src->cert);
		goto fail;
	}
	if (cert_key_matches(b->cert, b->key) != 1) {
		snprintf(why, whylen, "the key does not match the certificate '%s'", src->cert);
		goto fail;
	}
	return 0;
fail:
	cert_bundle_free(b);
	return -1;
}

static void child_reply(int fd, char code, const void *data, size_t len)
{
	char buf[KP_MSG_MAX];

	if (len > sizeof(buf) - 1)
		len = sizeof(buf) - 1;
	buf[0] = code;
	memcpy(buf + 1, data, len);
	(void)!send(fd, buf, len + 1, MSG_NOSIGNAL);
}

static void child_serve(int fd, EVP_PKEY *key)
{
	unsigned char req[8 + EVP_MAX_MD_SIZE], sig[SMIME_SIG_MAX];
	char why[SMIME_WHY_MAX];
	ssize_t n;

	while ((n = recv(fd, req, sizeof(req), 0)) > 0) {
		int nid = (int)((unsigned)req[0] << 24 | (unsigned)req[1] << 16 | (unsigned)req[2] << 8 | req[3]);
		const EVP_MD *md = nid == NID_sha256 ? EVP_sha256() : nid == NID_sha384 ? EVP_sha384() :
				   nid == NID_sha512 ? EVP_sha512() : NULL;
		size_t siglen = sizeof(sig);

		if (md == NULL || n != 5 + EVP_MD_get_size(md)) {
			child_reply(fd, 'E', "bad request", 11);
			continue;
		}
		if (smime_sign_with_key(key, md, req[4] != 0, req + 5, (size_t)n - 5, sig, &siglen,
					why, sizeof(why)) < 0)
			child_reply(fd, 'E', why, strlen(why));
		else
			child_reply(fd, 'S', sig, siglen);
	}
}

static void child_main(int fd, const struct smime_keysrc *src)
{
	struct cert_bundle b;
	char why[SMIME_WHY_MAX];
	BIO *mem;
	char *pem;
	long n;
	int null = open("/dev/null", O_RDWR);

	/* No core dump, no ptrace by the same user's mail parser. */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	if (null >= 0) {
		dup2(null, 0);
		dup2(null, 1);
		if (null > 2)
			close(null);
	}
	signal(SIGPIPE, SIG_IGN);
	if (smime_key_load(src, &b, why, sizeof(why)) < 0) {
		child_reply(fd, 'E', why, strlen(why));
		_exit(1);
	}
	mem = BIO_new(BIO_s_mem());
	PEM_write_bio_X509(mem, b.cert);
	for (int i = 0; i < sk_X509_num(b.chain); i++)
		PEM_write_bio_X509(mem, sk_X509_value(b.chain, i));
	n = BIO_get_mem_data(mem, &pem);
	if (n <= 0 || n >= KP_MSG_MAX - 1) {
		child_reply(fd, 'E', "certificate chain too large", 27);
		_exit(1);
	}
	child_reply(fd, 'K', pem, (size_t)n);
	BIO_free(mem);
	child_serve(fd, b.key);
	cert_bundle_free(&b);
	_exit(0);
}

static int parent_load_chain(struct smime_keyproc *kp, const char *pem, size_t len)
{
	BIO *mem = BIO_new_mem_buf(pem, (int)len);
	X509 *x;

	kp->chain = sk_X509_new_null();
	while (mem && (x = PEM_read_bio_X509(mem, NULL, NULL, NULL)) != NULL) {
		if (kp->cert == NULL)
			kp->cert = x;
		else
			sk_X509_push(kp->chain, x);
	}
	BIO_free(mem);
	ERR_clear_error();
	return kp->cert ? 0 : -1;
}

struct smime_keyproc *smime_keyproc_start(const struct smime_keysrc *src, char *why, size_t whylen)
{
	struct smime_keyproc *kp;
	int sv[2];
	char *buf;
	ssize_t n;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		snprintf(why, whylen, "cannot make a socketpair: %s", strerror(errno));
		return NULL;
	}
	fflush(NULL);
	kp = xcalloc(1, sizeof(*kp));
	kp->pid = fork();
	if (kp->pid < 0) {
		snprintf(why, whylen, "cannot fork the key process: %s", strerror(errno));
		close(sv[0]);
		close(sv[1]);
		free(kp);
		return NULL;
	}
	if (kp->pid == 0) {
		close(sv[0]);
		child_main(sv[1], src);
	}
	close(sv[1]);
	kp->fd = sv[0];
	buf = xmalloc(KP_MSG_MAX);
	do
		n = recv(kp->fd, buf, KP_MSG_MAX - 1, 0);
	while (n < 0 && errno == EINTR);
	if (n <= 0) {
		snprintf(why, whylen, "the key process died before answering");
	} else if (buf[0] == 'E') {
		buf[n] = 0;
		snprintf(why, whylen, "%s", buf + 1);
	} else if (buf[0] != 'K' || parent_load_chain(kp, buf + 1, (size_t)n - 1) < 0) {
		snprintf(why, whylen, "the key process sent no certificate");
	} else {
		free(buf);
		return kp;
	}
	free(buf);
	smime_keyproc_stop(kp);
	return NULL;
}

X509 *smime_keyproc_cert(const struct smime_keyproc *kp)
{
	return kp->cert;
}

STACK_OF(X509) *smime_keyproc_chain(const struct smime_keyproc *kp)
{
	return kp->chain;
}

int smime_keyproc_sign(void *ctx, const EVP_MD *md, bool pss, const unsigned char *dgst,
		       size_t dlen, unsigned char *sig, size_t *siglen, char *why, size_t whylen)
{
	struct smime_keyproc *kp = ctx;
	unsigned char req[8 + EVP_MAX_MD_SIZE], rep[SMIME_SIG_MAX + 1];
	int nid = EVP_MD_get_type(md);
	ssize_t n;

	if (dlen > EVP_MAX_MD_SIZE) {
		snprintf(why, whylen, "digest too long");
		return -1;
	}
	req[0] = (unsigned char)(nid >> 24);
	req[1] = (unsigned char)(nid >> 16);
	req[2] = (unsigned char)(nid >> 8);
	req[3] = (unsigned char)nid;
	req[4] = pss;
	memcpy(req + 5, dgst, dlen);
	if (send(kp->fd, req, 5 + dlen, MSG_NOSIGNAL) < 0) {
		snprintf(why, whylen, "cannot reach the key process: %s", strerror(errno));
		return -1;
	}
	do
		n = recv(kp->fd, rep, sizeof(rep), 0);
	while (n < 0 && errno == EINTR);
	if (n <= 0) {
		snprintf(why, whylen, "the key process died");
		return -1;
	}
	if (rep[0] != 'S') {
		snprintf(why, whylen, "key process: %.*s", (int)(n - 1), (const char *)rep + 1);
		return -1;
	}
	if ((size_t)n - 1 > *siglen) {
		snprintf(why, whylen, "signature too long");
		return -1;
	}
	memcpy(sig, rep + 1, (size_t)n - 1);
	*siglen = (size_t)n - 1;
	return 0;
}

void smime_keyproc_stop(struct smime_keyproc *kp)
{
	if (kp == NULL)
		return;
	close(kp->fd);
	if (kp->pid > 0)
		while (waitpid(kp->pid, NULL, 0) < 0 && errno == EINTR)
			;
	X509_free(kp->cert);
	sk_X509_pop_free(kp->chain, X509_free);
	free(kp);
}
