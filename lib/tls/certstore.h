/* Picking the certificate a service uses from a store directory (SPEC
 * section 1): scan, judge each candidate with the reason for a refusal,
 * rank, and create a self-signed one when asked and none is valid. Used
 * by certsel and by the TLS module for "cert": "auto". */
#ifndef POSTERN_TLS_CERTSTORE_H
#define POSTERN_TLS_CERTSTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "tls/cert.h"

#define CERTSTORE_FILES_MAX 1000	/* candidate files looked at in one store */
#define CERTSTORE_NAMES_MAX 64		/* names in one query */
#define CERTSTORE_WHY_MAX 512		/* room for a refusal's reasons */

/* What the caller wants; every pointer is borrowed for the call. */
struct certstore_query {
	const char *store;		/* the directory */
	const char *const *names;	/* host names or addresses to cover
					   (e-mail addresses for smime) */
	size_t nnames;
	enum cert_purpose purpose;
	const char *ca_file;		/* when set, a CA-issued certificate
					   counts only if its chain verifies
					   against this file; NULL: no check */
	const char *pass_file;		/* PKCS#12 password when NAME.p12.pass
					   is absent; or NULL */
	time_t at;			/* judge validity at; 0: now */
	bool generate;			/* make a self-signed one if none valid */
	bool rsa;			/* generate RSA 2048, not ECDSA P-256 */
	bool one_file;			/* generate NAME.pem holding the key
					   too, not NAME.pem + NAME.key */
};

/* One file of the store as judged. */
struct certstore_cand {
	char *path;			/* the certificate file */
	char *key_path;			/* where its key was found (equal to
					   path when in the same file), or NULL */
	struct cert_bundle b;		/* b.cert NULL when unreadable */
	bool valid;
	bool self_signed;
	int rank;			/* 1, 2, ... for valid ones; 0 refused */
	time_t not_after;		/* 0 when unreadable */
	char reason[CERTSTORE_WHY_MAX];	/* why refused ("expired 2021-01-01T00:00:00Z;
					   does not cover a.test"), "" if valid */
};

/* The judged files: valid ones first in rank order (CA-issued before
 * self-signed, each class by notAfter latest first, then by path), then
 * refused ones by path. Owns everything in c. */
struct certstore_list {
	struct certstore_cand *c;
	size_t n;
	size_t nvalid;
};

/* Scans q->store. Returns 0 with list filled (maybe empty), or -1 with
 * why when the directory cannot be read. Free with certstore_list_free. */
int certstore_scan(const struct certstore_query *q, struct certstore_list *list,
		   char *why, size_t whylen);
void certstore_list_free(struct certstore_list *list);

/* Writes a new self-signed certificate for q->names into q->store
 * (atomically; key mode 0600): NAME.pem and NAME.key after the first
 * name, or NAME-YYYYMMDDTHHMMSS.* when those exist already. Returns 0
 * with *cert_path and *key_path (caller frees), or -1 with why. */
int certstore_generate(const struct certstore_query *q, char **cert_path,
		       char **key_path, char *why, size_t whylen);

/* The chosen certificate with what to log about it. The caller owns
 * everything here; certstore_choice_free releases it. */
struct certstore_choice {
	char *cert_path;
	char *key_path;
	X509 *cert;
	EVP_PKEY *key;
	STACK_OF(X509) *chain;		/* never NULL; maybe empty */
	bool generated;			/* made by this call */
	bool self_signed;
	time_t not_after;
	char *issuer;			/* RFC 2253 */
	char *subject;
	char serial[80];		/* hex */
	char sha1[CERT_FP_MAX];		/* "AB:CD:..." */
	char sha256[CERT_FP_MAX];
};

enum {
	CERTSTORE_CHOSEN = 0,
	CERTSTORE_NONE = 1,		/* no valid candidate (and no --generate) */
	CERTSTORE_ERR_STORE = -1,	/* the store cannot be read */
	CERTSTORE_ERR_GENERATE = -2,	/* generating or writing failed */
};

/* Scans, ranks, generates when asked and none is valid, and fills *out
 * with the best. When list is not NULL it receives the judged files
 * (after generation, so it includes the new one); the caller frees it.
 * Returns one of the CERTSTORE_ codes above; why says what went wrong
 * for the negative ones and NONE. */
int certstore_select(const struct certstore_query *q, struct certstore_choice *out,
		     struct certstore_list *list, char *why, size_t whylen);
void certstore_choice_free(struct certstore_choice *c);
/* One info line: path, key, subject, issuer, serial, SHA-1 and SHA-256
 * thumbprints, notAfter and the days left at q's time. */
void certstore_choice_log(const struct certstore_choice *c, time_t at);

#endif
