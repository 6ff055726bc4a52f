/* Sealed session cookies (see session.h). The clear prefix names the
 * type and the key slot so the right key is derived before decryption;
 * it is also the additional data, so neither can be changed. A cookie
 * re-issued on each request carries a recent slot; keys older than the
 * longest a cookie can stay valid are not derived at all. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/base64.h"
#include "util/mem.h"
#include "util/msg.h"
#include "session.h"

#define NONCE_LEN 12
#define TAG_LEN 16
#define PLAIN_MAX 512

void b64url_encode(const void *p, size_t len, struct strbuf *out)
{
	size_t start = out->len;

	base64_encode(p, len, out);
	while (out->len > start && out->buf[out->len - 1] == '=')
		strbuf_setlen(out, out->len - 1);
	for (size_t i = start; i < out->len; i++)
		if (out->buf[i] == '+')
			out->buf[i] = '-';
		else if (out->buf[i] == '/')
			out->buf[i] = '_';
}

int b64url_decode(const char *s, size_t len, struct strbuf *out)
{
	char *t = xmalloc(len + 1);
	int rc;

	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (c == '+' || c == '/' || c == '=') {
			free(t);
			return -1;
		}
		t[i] = c == '-' ? '+' : c == '_' ? '/' : c;
	}
	rc = base64_decode(t, len, out);
	free(t);
	return rc;
}

int sess_secret_load(struct sess_conf *c, const char *path, const char **why)
{
	struct strbuf sb = STRBUF_INIT;

	if (strbuf_read_file(&sb, path, SESS_SECRET_MAX + 2) < 0) {
		*why = errno == EFBIG ? "longer than 256 bytes" : strerror(errno);
		return -1;
	}
	if (sb.len > 0 && sb.buf[sb.len - 1] == '\n')
		sb.len--;
	if (sb.len < SESS_SECRET_MIN || sb.len > SESS_SECRET_MAX) {
		*why = sb.len < SESS_SECRET_MIN ? "shorter than 32 bytes" : "longer than 256 bytes";
		mem_wipe(sb.buf, sb.alloc);
		strbuf_release(&sb);
		return -1;
	}
	memcpy(c->secret, sb.buf, sb.len);
	c->secret_len = sb.len;
	mem_wipe(sb.buf, sb.alloc);
	strbuf_release(&sb);
	return 0;
}

void sess_derive(const struct sess_conf *c, const char *info, unsigned char out[32])
{
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	EVP_KDF_CTX *k = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
	OSSL_PARAM p[5], *q = p;
	static char digest[] = "SHA256", salt[] = "postern owa-cas session v1";

	if (k == NULL)
		msg_fatal(70, "cannot set up HKDF");
	*q++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0);
	*q++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY,
						 (void *)c->secret, c->secret_len);
	*q++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, salt, sizeof(salt) - 1);
	*q++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)info, strlen(info));
	*q = OSSL_PARAM_construct_end();
	if (EVP_KDF_derive(k, out, 32, p) != 1)
		msg_fatal(70, "HKDF derivation failed");
	EVP_KDF_CTX_free(k);
	EVP_KDF_free(kdf);
}

long long sess_slot_len(const struct sess_conf *c, enum sess_type type)
{
	long long t = c->timeout[type] / 2;

	return t > 0 ? t : 1;
}

static void slot_key(const struct sess_conf *c, enum sess_type type, long long slot,
		     unsigned char key[32])
{
	char info[64];

	snprintf(info, sizeof(info), "cookie %c %lld", type == SESS_PUBLIC ? 'P' : 'S', slot);
	sess_derive(c, info, key);
}

void sess_start(struct session *s, const char *user, enum sess_type type, long long now)
{
	unsigned char r[16];

	memset(s, 0, sizeof(*s));
	if (RAND_bytes(r, sizeof(r)) != 1)
		msg_fatal(71, "cannot get random bytes for a session id");
	for (int i = 0; i < 16; i++)
		snprintf(s->sid + 2 * i, 3, "%02x", r[i]);
	snprintf(s->user, sizeof(s->user), "%s", user);
	s->type = type;
	s->issued = s->last = now;
}

void sess_seal(const struct sess_conf *c, struct session *s, long long now,
	       struct strbuf *cookie)
{
	unsigned char key[32], nonce[NONCE_LEN], buf[NONCE_LEN + PLAIN_MAX + TAG_LEN];
	char plain[PLAIN_MAX], prefix[64];
	long long slot = now / sess_slot_len(c, s->type);
	EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
	int n, len, plen;

	s->last = now;
	plen = snprintf(plain, sizeof(plain), "%s\n%d\n%lld\n%lld\n%s", s->sid, (int)s->type,
			s->issued, s->last, s->user);
	if (plen < 0 || plen >= (int)sizeof(plain))
		msg_panic("session too long to seal");
	snprintf(prefix, sizeof(prefix), "v1.%c.%lld.", s->type == SESS_PUBLIC ? 'P' : 'S', slot);
	slot_key(c, s->type, slot, key);
	if (RAND_bytes(nonce, sizeof(nonce)) != 1)
		msg_fatal(71, "cannot get random bytes for a nonce");
	memcpy(buf, nonce, NONCE_LEN);
	if (x == NULL || EVP_EncryptInit_ex(x, EVP_aes_256_gcm(), NULL, key, nonce) != 1 ||
	    EVP_EncryptUpdate(x, NULL, &n, (unsigned char *)prefix, (int)strlen(prefix)) != 1 ||
	    EVP_EncryptUpdate(x, buf + NONCE_LEN, &len, (unsigned char *)plain, plen) != 1 ||
	    EVP_EncryptFinal_ex(x, buf + NONCE_LEN + len, &n) != 1 ||
	    EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_GCM_GET_TAG, TAG_LEN, buf + NONCE_LEN + len + n) != 1)
		msg_fatal(70, "AES-GCM sealing failed");
	len += n;
	EVP_CIPHER_CTX_free(x);
	mem_wipe(key, sizeof(key));
	mem_wipe(plain, sizeof(plain));
	strbuf_addstr(cookie, prefix);
	b64url_encode(buf, (size_t)(NONCE_LEN + len + TAG_LEN), cookie);
}

static int revoked(const struct sess_conf *c, const char *sid)
{
	char path[4096];

	if (c->revoked_dir == NULL)
		return 0;
	snprintf(path, sizeof(path), "%s/%s", c->revoked_dir, sid);
	return access(path, F_OK) == 0;
}

/* Parses the opened plaintext "sid\ntype\nissued\nlast\nuser" into s;
 * -1 if it is not ours. */
static int plain_parse(char *p, struct session *s)
{
	char *f[5], *end;

	for (int i = 0; i < 4; i++) {
		f[i] = p;
		if ((p = strchr(p, '\n')) == NULL)
			return -1;
		*p++ = 0;
	}
	f[4] = p;
	if (strlen(f[0]) != 32 || strlen(f[4]) >= sizeof(s->user) || *f[4] == 0 ||
	    (strcmp(f[1], "0") != 0 && strcmp(f[1], "1") != 0))
		return -1;
	memcpy(s->sid, f[0], 33);
	s->type = f[1][0] == '1' ? SESS_PRIVATE : SESS_PUBLIC;
	s->issued = strtoll(f[2], &end, 10);
	if (*end || end == f[2])
		return -1;
	s->last = strtoll(f[3], &end, 10);
	if (*end || end == f[3])
		return -1;
	snprintf(s->user, sizeof(s->user), "%s", f[4]);
	return 0;
}

enum sess_status sess_open(const struct sess_conf *c, const char *cookie, long long now,
			   struct session *s)
{
	struct strbuf raw = STRBUF_INIT;
	unsigned char key[32];
	char plain[PLAIN_MAX + 1], *end;
	const char *dot;
	enum sess_type type;
	long long slot, cur;
	size_t plen;
	int n, len, ok;
	EVP_CIPHER_CTX *x;
	struct session got;

	if (strlen(cookie) > SESS_COOKIE_MAX || strncmp(cookie, "v1.", 3) != 0 ||
	    (cookie[3] != 'P' && cookie[3] != 'S') || cookie[4] != '.')
		return SESS_BAD;
	type = cookie[3] == 'P' ? SESS_PUBLIC : SESS_PRIVATE;
	slot = strtoll(cookie + 5, &end, 10);
	if (end == cookie + 5 || *end != '.' || slot < 0)
		return SESS_BAD;
	dot = end + 1;
	cur = now / sess_slot_len(c, type);
	/* A cookie re-issued in slot s lives at most the timeout past the
	 * end of s: two slots and the rounding; one more is kept so that an
	 * expired session is told apart from a forged one. Older keys are
	 * gone from the ring. */
	if (slot > cur || slot < cur - (c->timeout[type] / sess_slot_len(c, type) + 2))
		return SESS_BAD;
	if (b64url_decode(dot, strlen(dot), &raw) < 0 ||
	    raw.len < NONCE_LEN + TAG_LEN + 1 || raw.len > NONCE_LEN + PLAIN_MAX + TAG_LEN) {
		strbuf_release(&raw);
		return SESS_BAD;
	}
	plen = raw.len - NONCE_LEN - TAG_LEN;
	slot_key(c, type, slot, key);
	x = EVP_CIPHER_CTX_new();
	ok = x && EVP_DecryptInit_ex(x, EVP_aes_256_gcm(), NULL, key,
				     (unsigned char *)raw.buf) == 1 &&
	     EVP_DecryptUpdate(x, NULL, &n, (const unsigned char *)cookie,
			       (int)(dot - cookie)) == 1 &&
	     EVP_DecryptUpdate(x, (unsigned char *)plain, &len,
			       (unsigned char *)raw.buf + NONCE_LEN, (int)plen) == 1 &&
	     EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_GCM_SET_TAG, TAG_LEN,
				 raw.buf + NONCE_LEN + plen) == 1 &&
	     EVP_DecryptFinal_ex(x, (unsigned char *)plain + len, &n) == 1;
	EVP_CIPHER_CTX_free(x);
	mem_wipe(key, sizeof(key));
	strbuf_release(&raw);
	if (!ok)
		return SESS_BAD;
	plain[plen] = 0;
	if (strlen(plain) != plen || plain_parse(plain, &got) < 0 || got.type != type) {
		mem_wipe(plain, sizeof(plain));
		return SESS_BAD;
	}
	mem_wipe(plain, sizeof(plain));
	if (now - got.last > c->timeout[type] || got.last > now + 60 ||
	    (c->max_age > 0 && now - got.issued > c->max_age))
		return SESS_EXPIRED;
	if (revoked(c, got.sid))
		return SESS_REVOKED;
	*s = got;
	return SESS_OK;
}

void sess_csrf(const struct sess_conf *c, const struct session *s, char tok[44])
{
	unsigned char key[32], mac[32];
	unsigned int mlen = sizeof(mac);
	struct strbuf sb = STRBUF_INIT;

	sess_derive(c, "csrf", key);
	HMAC(EVP_sha256(), key, sizeof(key), (const unsigned char *)s->sid, strlen(s->sid),
	     mac, &mlen);
	mem_wipe(key, sizeof(key));
	b64url_encode(mac, sizeof(mac), &sb);
	snprintf(tok, 44, "%s", sb.buf);
	strbuf_release(&sb);
}

int sess_csrf_ok(const struct sess_conf *c, const struct session *s, const char *tok)
{
	char want[44];

	if (tok == NULL || strlen(tok) != 43)
		return 0;
	sess_csrf(c, s, want);
	return CRYPTO_memcmp(want, tok, 43) == 0;
}

/* Drops revocation entries whose session has expired anyway: each
 * file's mtime is set to that moment. */
static void sweep(const char *dir, long long now)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	struct stat st;

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if (strlen(e->d_name) != 32)
			continue;
		if (fstatat(dirfd(d), e->d_name, &st, 0) == 0 && st.st_mtime < now)
			(void)unlinkat(dirfd(d), e->d_name, 0);
	}
	closedir(d);
}

int sess_revoke(const struct sess_conf *c, const struct session *s, long long now)
{
	char path[4096];
	struct timespec ts[2];
	long long until = s->last + c->timeout[s->type] + 60;
	int fd;

	if (c->revoked_dir == NULL)
		return 0;
	if (c->max_age > 0 && s->issued + c->max_age < until)
		until = s->issued + c->max_age + 60;
	snprintf(path, sizeof(path), "%s/%s", c->revoked_dir, s->sid);
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	ts[0].tv_sec = ts[1].tv_sec = (time_t)until;
	ts[0].tv_nsec = ts[1].tv_nsec = 0;
	(void)futimens(fd, ts);
	if (fsync(fd) < 0) {
		close(fd);
		return -1;
	}
	close(fd);
	sweep(c->revoked_dir, now);
	return 0;
}
