/* Organisation seals: HMAC-SHA256 under a key the organisation's sites
 * share, over a message's body digest and the values of the header
 * fields that carry internal trust. Two uses: the anti-virus stamp
 * ("X-Postern-AV: clean; ...") that later hops verify to skip the scan,
 * and the organisation header seal over SCL, classification and stamp
 * fields, so that only our own sites' values are believed.
 *
 * Field syntax (both): "TAG=VALUE" items separated by "; ", first a
 * bare verdict for the stamp. Values never hold ';' or blanks. */
#ifndef POSTERN_CONTENT_SEAL_H
#define POSTERN_CONTENT_SEAL_H

#include <stdbool.h>
#include <stddef.h>

#include "util/strbuf.h"

#define SEAL_DIGEST_LEN 32
#define SEAL_KEY_MIN 16
#define SEAL_KEY_MAX 1024
#define SEAL_STAMP_FIELD "X-Postern-AV"
#define SEAL_ORG_FIELD "X-Postern-Org-Seal"

struct seal_key {
	unsigned char k[SEAL_KEY_MAX];
	size_t len;
};

/* Reads a key file (its bytes, a trailing newline dropped; at least
 * SEAL_KEY_MIN). Returns 0, or -1 with why. */
int seal_key_load(struct seal_key *key, const char *path, char *why, size_t whysize);

/* SHA-256 of the body of msg (what follows the first empty line), with
 * every line end taken as LF and trailing line ends ignored, so the same
 * body over SMTP (CRLF) and in a Maildir file (LF) gives the same
 * digest. */
void seal_body_digest(const char *msg, size_t len, unsigned char out[SEAL_DIGEST_LEN]);
/* The same over a body already separated from its header. */
void seal_digest_body(const char *body, size_t len, unsigned char out[SEAL_DIGEST_LEN]);

/* The stamp value for verdict ("clean", "cleaned") made at time t:
 * "VERDICT; engine=ENGINE; t=T; bh=B64; s=B64", appended to out. */
void seal_stamp_make(const struct seal_key *key, const char *verdict, const char *engine,
		     long long t, const unsigned char bh[SEAL_DIGEST_LEN], struct strbuf *out);
/* Checks a stamp value against the body digest. Returns 0 when the seal
 * is good (verdict gets the verdict word), or -1 with why ("bad seal",
 * "body changed", "malformed"). */
int seal_stamp_verify(const struct seal_key *key, const char *value,
		      const unsigned char bh[SEAL_DIGEST_LEN], char *verdict, size_t vsize,
		      const char **why);

/* The organisation seal over n fields (names[i]: values[i], each value
 * unfolded and trimmed) and the body digest: "t=T; h=NAME:NAME; bh=B64;
 * s=B64", appended to out. */
void seal_org_make(const struct seal_key *key, const char *const *names,
		   const char *const *values, size_t n, long long t,
		   const unsigned char bh[SEAL_DIGEST_LEN], struct strbuf *out);
/* Checks a seal: get(name) gives the message's value of each field the
 * seal lists (NULL: absent, which fails). Returns 0 when good, or -1
 * with why. *names (if not NULL) gets the h= list, owned by the caller. */
typedef const char *(*seal_get_fn)(const char *name, void *ctx);
int seal_org_verify(const struct seal_key *key, const char *value,
		    const unsigned char bh[SEAL_DIGEST_LEN], seal_get_fn get, void *ctx,
		    char **names, const char **why);

#endif
