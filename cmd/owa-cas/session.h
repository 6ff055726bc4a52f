/* owa-cas sessions without a session table: the state lives in a cookie
 * sealed with AES-256-GCM under a key derived (HKDF-SHA256) from the
 * shared master secret and the time slot, so every host with the same
 * secret opens every session; only logouts are remembered, as a list of
 * revoked session ids kept until they would have expired anyway. */
#ifndef OWA_CAS_SESSION_H
#define OWA_CAS_SESSION_H

#include <stddef.h>

#include "util/strbuf.h"

enum sess_type { SESS_PUBLIC, SESS_PRIVATE };

#define SESS_SECRET_MIN 32
#define SESS_SECRET_MAX 256
#define SESS_USER_MAX 256
#define SESS_COOKIE_MAX 1024

struct sess_conf {
	unsigned char secret[SESS_SECRET_MAX];
	size_t secret_len;
	long long timeout[2];	/* inactivity, seconds, by enum sess_type */
	long long max_age;	/* from sign-in, seconds */
	const char *revoked_dir;	/* one file per revoked id; NULL: none */
};

struct session {
	char sid[33];		/* 128 random bits in hex */
	char user[SESS_USER_MAX];
	enum sess_type type;
	long long issued, last;	/* sign-in and last activity, Unix time */
};

enum sess_status { SESS_OK, SESS_BAD, SESS_EXPIRED, SESS_REVOKED };

/* Reads the master secret from path (at least SESS_SECRET_MIN bytes, a
 * trailing newline dropped). 0, or -1 with *why set. */
int sess_secret_load(struct sess_conf *c, const char *path, const char **why);

/* Starts a session for user: a fresh id, issued = last = now. */
void sess_start(struct session *s, const char *user, enum sess_type type, long long now);

/* The cookie value for s at time now (s->last is set to now):
 * "v1.<P|S>.<slot>.<base64url(nonce | ciphertext | tag)>". */
void sess_seal(const struct sess_conf *c, struct session *s, long long now,
	       struct strbuf *cookie);

/* Opens a cookie: SESS_BAD for anything forged, cut or from a key no
 * longer in the ring; SESS_EXPIRED past the inactivity timeout or max_age;
 * SESS_REVOKED after logout. s is filled on SESS_OK only. */
enum sess_status sess_open(const struct sess_conf *c, const char *cookie, long long now,
			   struct session *s);

/* The CSRF token of s (HMAC of its id under a key of its own), 43
 * characters of base64url and a NUL. */
void sess_csrf(const struct sess_conf *c, const struct session *s, char tok[44]);
/* 1 if tok is s's token (compared in constant time). */
int sess_csrf_ok(const struct sess_conf *c, const struct session *s, const char *tok);

/* Logout: records s's id as revoked until it would expire and sweeps
 * expired entries. 0, or -1 (errno) when the list cannot be written. */
int sess_revoke(const struct sess_conf *c, const struct session *s, long long now);

/* The slot length of a session type: half its inactivity timeout. */
long long sess_slot_len(const struct sess_conf *c, enum sess_type type);

/* HKDF-SHA256 of the master secret for info, into out[32]. */
void sess_derive(const struct sess_conf *c, const char *info, unsigned char out[32]);

/* base64url without padding (appended); decode returns -1 on bad input. */
void b64url_encode(const void *p, size_t len, struct strbuf *out);
int b64url_decode(const char *s, size_t len, struct strbuf *out);

#endif
