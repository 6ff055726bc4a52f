/* smime-sign's private interfaces: the settled configuration and command
 * line, the subcommands, and the recipient certificate lookup. */
#ifndef SMIME_SIGN_H
#define SMIME_SIGN_H

#include <stdbool.h>
#include <time.h>

#include <jansson.h>
#include <openssl/x509.h>

#include "conf/prog.h"
#include "dir/dir.h"
#include "smime/keyproc.h"
#include "util/atomic.h"
#include "util/strbuf.h"

#define TO_CERTS_MAX 64

struct smime_cli {
	const char *cert, *key, *pass, *digest, *cipher, *ca, *sender;
	const char *to_certs[TO_CERTS_MAX];
	int nto_certs;
	bool pss, opaque, oaep, no_from_check, crl, self;
};

/* Everything a subcommand needs; strings borrowed from the config or the
 * command line. */
struct smime_ctx {
	const struct prog_state *st;
	const struct smime_cli *cli;
	const json_t *sec;		/* the "smime-sign" section */
	struct smime_keysrc key;
	const EVP_MD *md;
	const EVP_CIPHER *cipher;
	bool pss, opaque, oaep, from_check, crl, self;
	const char *ca_file, *ca_dir, *cert_dir, *authserv_id;
	size_t max_size;
	struct dir *dir;		/* opened on first use */
	bool use_dir;
};

/* A recipient certificate found for an address. */
enum rcpt_status { RCPT_FOUND, RCPT_NONE, RCPT_TEMPFAIL };
/* The first usable certificate for addr: cert_dir/ADDR.pem, then the
 * directory's userSMIMECertificate, then userCertificate. *x gets a new
 * reference when found; why says what was refused or missing. */
enum rcpt_status rcpt_find(struct smime_ctx *c, const char *addr, X509 **x,
			   char *why, size_t whylen);

int cmd_lookup(struct smime_ctx *c);
int cmd_gateway(struct smime_ctx *c);
/* Reads stdin up to max_size into sb; returns 0 or an exit code. */
int read_message(struct smime_ctx *c, struct strbuf *sb);
/* Opens the directory when not yet; NULL after logging. */
struct dir *ctx_dir(struct smime_ctx *c);

#endif
