/* HMAC seals for the anti-virus stamp and the organisation header seal
 * (see seal.h for the field syntax). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include "content/seal.h"
#include "util/base64.h"
#include "util/mem.h"

#define ITEMS_MAX 16
#define NAMES_MAX 512

int seal_key_load(struct seal_key *key, const char *path, char *why, size_t whysize)
{
	struct strbuf sb = STRBUF_INIT;

	if (strbuf_read_file(&sb, path, SEAL_KEY_MAX + 2) < 0) {
		snprintf(why, whysize, "cannot read key '%s': %s", path, strerror(errno));
		strbuf_release(&sb);
		return -1;
	}
	while (sb.len && (sb.buf[sb.len - 1] == '\n' || sb.buf[sb.len - 1] == '\r'))
		sb.len--;
	if (sb.len < SEAL_KEY_MIN || sb.len > SEAL_KEY_MAX) {
		snprintf(why, whysize, "key '%s' must hold %d to %d bytes", path, SEAL_KEY_MIN,
			 SEAL_KEY_MAX);
		mem_wipe(sb.buf, sb.alloc);
		strbuf_release(&sb);
		return -1;
	}
	memcpy(key->k, sb.buf, sb.len);
	key->len = sb.len;
	mem_wipe(sb.buf, sb.alloc);
	strbuf_release(&sb);
	return 0;
}

void seal_digest_body(const char *body, size_t len, unsigned char out[SEAL_DIGEST_LEN])
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	const char *p = body, *end = body + len;
	size_t pending = 0;

	EVP_DigestInit_ex(c, EVP_sha256(), NULL);
	while (p < end) {
		const char *q = p;

		/* a run of ordinary bytes, found a line at a time */
		while (q < end && *q != '\r' && *q != '\n') {
			const char *nl = memchr(q, '\n', (size_t)(end - q));
			const char *cr = memchr(q, '\r', (size_t)((nl ? nl : end) - q));

			q = cr ? cr : nl ? nl : end;
		}
		if (q > p) {
			for (; pending; pending--)
				EVP_DigestUpdate(c, "\n", 1);
			EVP_DigestUpdate(c, p, (size_t)(q - p));
		}
		/* line ends: CRLF, LF or a bare CR each count as one, written
		 * only when more content follows */
		while (q < end && (*q == '\r' || *q == '\n')) {
			if (*q == '\r' && q + 1 < end && q[1] == '\n')
				q++;
			pending++;
			q++;
		}
		p = q;
	}
	EVP_DigestFinal_ex(c, out, NULL);
	EVP_MD_CTX_free(c);
}

void seal_body_digest(const char *msg, size_t len, unsigned char out[SEAL_DIGEST_LEN])
{
	const char *p = msg, *end = msg + len, *nl;
	size_t body = len;

	/* the body starts after the first empty line */
	while ((nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		if (nl + 1 < end && nl[1] == '\n') {
			body = (size_t)(nl - msg) + 2;
			break;
		}
		if (nl + 2 < end && nl[1] == '\r' && nl[2] == '\n') {
			body = (size_t)(nl - msg) + 3;
			break;
		}
		p = nl + 1;
	}
	seal_digest_body(msg + body, len - body, out);
}

static void mac(const struct seal_key *key, const char *text, size_t len,
		unsigned char out[SEAL_DIGEST_LEN])
{
	unsigned int n = SEAL_DIGEST_LEN;

	HMAC(EVP_sha256(), key->k, (int)key->len, (const unsigned char *)text, len, out, &n);
}

static void b64(const unsigned char *d, size_t n, struct strbuf *out)
{
	base64_encode(d, n, out);
}

/* The signed text of a stamp. */
static void stamp_text(const char *verdict, const char *engine, long long t, const char *bh,
		       struct strbuf *out)
{
	strbuf_addf(out, "postern-av-1\n%s\n%s\n%lld\n%s\n", verdict, engine, t, bh);
}

void seal_stamp_make(const struct seal_key *key, const char *verdict, const char *engine,
		     long long t, const unsigned char bh[SEAL_DIGEST_LEN], struct strbuf *out)
{
	struct strbuf bhs = STRBUF_INIT, text = STRBUF_INIT;
	unsigned char m[SEAL_DIGEST_LEN];

	b64(bh, SEAL_DIGEST_LEN, &bhs);
	stamp_text(verdict, engine, t, bhs.buf, &text);
	mac(key, text.buf, text.len, m);
	strbuf_addf(out, "%s; engine=%s; t=%lld; bh=%s; s=", verdict, engine, t, bhs.buf);
	b64(m, sizeof(m), out);
	strbuf_release(&bhs);
	strbuf_release(&text);
}

struct item {
	char tag[16];
	char *val;
};

/* Splits "a; k=v; k=v" into items (the first may be bare). Returns the
 * number, or -1 when malformed. buf is modified. */
static int split(char *buf, struct item *it, int max)
{
	int n = 0;
	char *save = NULL;

	for (char *p = strtok_r(buf, ";", &save); p; p = strtok_r(NULL, ";", &save)) {
		char *eq, *end;

		while (*p == ' ' || *p == '\t')
			p++;
		end = p + strlen(p);
		while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
			*--end = 0;
		if (n == max)
			return -1;
		eq = strchr(p, '=');
		if (eq == NULL) {
			if (n > 0)
				return -1;
			it[n].tag[0] = 0;
			it[n++].val = p;
			continue;
		}
		if ((size_t)(eq - p) >= sizeof(it[n].tag))
			return -1;
		memcpy(it[n].tag, p, (size_t)(eq - p));
		it[n].tag[eq - p] = 0;
		it[n++].val = eq + 1;
	}
	return n;
}

static const char *item(struct item *it, int n, const char *tag)
{
	for (int i = 0; i < n; i++)
		if (strcmp(it[i].tag, tag) == 0)
			return it[i].val;
	return NULL;
}

/* Compares the base64 MAC s with m in constant time. */
static bool mac_equal(const char *s, const unsigned char m[SEAL_DIGEST_LEN])
{
	struct strbuf d = STRBUF_INIT;
	bool ok;

	ok = base64_decode(s, strlen(s), &d) == 0 && d.len == SEAL_DIGEST_LEN &&
	     CRYPTO_memcmp(d.buf, m, SEAL_DIGEST_LEN) == 0;
	strbuf_release(&d);
	return ok;
}

int seal_stamp_verify(const struct seal_key *key, const char *value,
		      const unsigned char bh[SEAL_DIGEST_LEN], char *verdict, size_t vsize,
		      const char **why)
{
	struct item it[ITEMS_MAX];
	struct strbuf bhs = STRBUF_INIT, text = STRBUF_INIT;
	char *buf = xstrndup(value, 2048);
	const char *engine, *t, *hb, *s;
	unsigned char m[SEAL_DIGEST_LEN];
	int n = split(buf, it, ITEMS_MAX), rc = -1;

	*why = "malformed";
	if (n < 1 || it[0].tag[0] || (engine = item(it, n, "engine")) == NULL ||
	    (t = item(it, n, "t")) == NULL || (hb = item(it, n, "bh")) == NULL ||
	    (s = item(it, n, "s")) == NULL)
		goto out;
	stamp_text(it[0].val, engine, strtoll(t, NULL, 10), hb, &text);
	mac(key, text.buf, text.len, m);
	if (!mac_equal(s, m)) {
		*why = "bad seal";
		goto out;
	}
	b64(bh, SEAL_DIGEST_LEN, &bhs);
	if (strcmp(bhs.buf, hb) != 0) {
		*why = "body changed";
		goto out;
	}
	snprintf(verdict, vsize, "%s", it[0].val);
	*why = NULL;
	rc = 0;
out:
	strbuf_release(&bhs);
	strbuf_release(&text);
	free(buf);
	return rc;
}

static void org_text(const char *const *names, const char *const *values, size_t n,
		     long long t, const char *bh, struct strbuf *out)
{
	strbuf_addf(out, "postern-org-1\n%lld\n%s\n", t, bh);
	for (size_t i = 0; i < n; i++) {
		for (const char *p = names[i]; *p; p++)
			strbuf_addch(out, *p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
		strbuf_addf(out, ":%s\n", values[i]);
	}
}

void seal_org_make(const struct seal_key *key, const char *const *names,
		   const char *const *values, size_t n, long long t,
		   const unsigned char bh[SEAL_DIGEST_LEN], struct strbuf *out)
{
	struct strbuf bhs = STRBUF_INIT, text = STRBUF_INIT;
	unsigned char m[SEAL_DIGEST_LEN];

	b64(bh, SEAL_DIGEST_LEN, &bhs);
	org_text(names, values, n, t, bhs.buf, &text);
	mac(key, text.buf, text.len, m);
	strbuf_addf(out, "t=%lld; h=", t);
	for (size_t i = 0; i < n; i++)
		strbuf_addf(out, "%s%s", i ? ":" : "", names[i]);
	strbuf_addf(out, "; bh=%s; s=", bhs.buf);
	b64(m, sizeof(m), out);
	strbuf_release(&bhs);
	strbuf_release(&text);
}

int seal_org_verify(const struct seal_key *key, const char *value,
		    const unsigned char bh[SEAL_DIGEST_LEN], seal_get_fn get, void *ctx,
		    char **names_out, const char **why)
{
	struct item it[ITEMS_MAX];
	struct strbuf bhs = STRBUF_INIT, text = STRBUF_INIT;
	char *buf = xstrndup(value, 2048), *h, *names[ITEMS_MAX], *save = NULL;
	const char *values[ITEMS_MAX], *t, *hb, *s;
	unsigned char m[SEAL_DIGEST_LEN];
	int n = split(buf, it, ITEMS_MAX), rc = -1;
	size_t nn = 0;

	*why = "malformed";
	if (names_out)
		*names_out = NULL;
	if (n < 1 || (t = item(it, n, "t")) == NULL || (h = (char *)item(it, n, "h")) == NULL ||
	    (hb = item(it, n, "bh")) == NULL || (s = item(it, n, "s")) == NULL ||
	    strlen(h) > NAMES_MAX)
		goto out;
	if (names_out)
		*names_out = xstrdup(h);
	for (char *p = strtok_r(h, ":", &save); p; p = strtok_r(NULL, ":", &save)) {
		if (nn == ITEMS_MAX)
			goto out;
		names[nn] = p;
		if ((values[nn] = get(p, ctx)) == NULL) {
			*why = "sealed field missing";
			goto out;
		}
		nn++;
	}
	org_text((const char *const *)names, values, nn, strtoll(t, NULL, 10), hb, &text);
	mac(key, text.buf, text.len, m);
	if (!mac_equal(s, m)) {
		*why = "bad seal";
		goto out;
	}
	b64(bh, SEAL_DIGEST_LEN, &bhs);
	if (strcmp(bhs.buf, hb) != 0) {
		*why = "body changed";
		goto out;
	}
	*why = NULL;
	rc = 0;
out:
	strbuf_release(&bhs);
	strbuf_release(&text);
	free(buf);
	return rc;
}
