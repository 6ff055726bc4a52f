/* Password hash verification through OpenSSL's EVP digests and libcrypt,
 * for the file directory (slapd checks them itself in LDAP mode). */
#include <crypt.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "util/base64.h"
#include "dir/pwhash.h"
#include "util/mem.h"
#include "util/strbuf.h"

struct scheme {
	const char *name;
	const char *digest;	/* EVP name, NULL for CRYPT */
	int salted;
};

static const struct scheme schemes[] = {
	{ "SHA", "SHA1", 0 },
	{ "SSHA", "SHA1", 1 },
	{ "SHA256", "SHA256", 0 },
	{ "SSHA256", "SHA256", 1 },
	{ "SHA384", "SHA384", 0 },
	{ "SSHA384", "SHA384", 1 },
	{ "SHA512", "SHA512", 0 },
	{ "SSHA512", "SHA512", 1 },
	{ "CRYPT", NULL, 0 },
	{ NULL, NULL, 0 }
};

/* Splits "{NAME}rest"; returns the scheme or NULL. */
static const struct scheme *scheme_find(const char *s, size_t len, size_t *restp)
{
	const char *end;

	if (len < 2 || s[0] != '{' || (end = memchr(s, '}', len)) == NULL)
		return NULL;
	for (const struct scheme *sc = schemes; sc->name; sc++)
		if (strlen(sc->name) == (size_t)(end - s - 1) &&
		    strncasecmp(sc->name, s + 1, (size_t)(end - s - 1)) == 0) {
			*restp = (size_t)(end - s + 1);
			return sc;
		}
	return NULL;
}

static enum pwhash_result verify_digest(const struct scheme *sc, const char *b64,
					size_t len, const char *password)
{
	struct strbuf raw = STRBUF_INIT;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	const EVP_MD *type = EVP_get_digestbyname(sc->digest);
	EVP_MD_CTX *ctx;
	enum pwhash_result r = PWHASH_UNSUPPORTED;
	size_t dlen;

	if (type == NULL || base64_decode(b64, len, &raw) < 0)
		goto out;
	dlen = (size_t)EVP_MD_get_size(type);
	if (sc->salted ? raw.len <= dlen : raw.len != dlen)
		goto out;
	ctx = EVP_MD_CTX_new();
	if (ctx == NULL || !EVP_DigestInit_ex(ctx, type, NULL) ||
	    !EVP_DigestUpdate(ctx, password, strlen(password)) ||
	    !EVP_DigestUpdate(ctx, raw.buf + dlen, raw.len - dlen) ||
	    !EVP_DigestFinal_ex(ctx, md, &mdlen) || mdlen != dlen) {
		EVP_MD_CTX_free(ctx);
		goto out;
	}
	EVP_MD_CTX_free(ctx);
	r = CRYPTO_memcmp(md, raw.buf, dlen) == 0 ? PWHASH_MATCH : PWHASH_MISMATCH;
out:
	mem_wipe(md, sizeof(md));
	strbuf_release(&raw);
	return r;
}

static enum pwhash_result verify_crypt(const char *setting, size_t len, const char *password)
{
	struct crypt_data *cd = xcalloc(1, sizeof(*cd));
	char *set = xstrndup(setting, len);
	const char *out = crypt_r(password, set, cd);
	enum pwhash_result r = PWHASH_UNSUPPORTED;

	/* libcrypt answers a bad setting with NULL or a string starting '*'. */
	if (out != NULL && out[0] != '*') {
		size_t olen = strlen(out);

		r = olen == len && CRYPTO_memcmp(out, set, len) == 0 ?
			PWHASH_MATCH : PWHASH_MISMATCH;
	}
	mem_wipe(cd, sizeof(*cd));
	free(cd);
	free(set);
	return r;
}

enum pwhash_result pwhash_verify(const void *stored, size_t len, const char *password)
{
	const char *s = stored;
	size_t rest;
	const struct scheme *sc = scheme_find(s, len, &rest);

	if (sc == NULL || memchr(s, '\0', len) != NULL)
		return PWHASH_UNSUPPORTED;
	if (sc->digest == NULL)
		return verify_crypt(s + rest, len - rest, password);
	return verify_digest(sc, s + rest, len - rest, password);
}

const char *pwhash_scheme(const void *stored, size_t len, char *buf, size_t size)
{
	const char *s = stored, *end;
	size_t n = 0;

	if (len >= 2 && s[0] == '{' && (end = memchr(s, '}', len)) != NULL) {
		n = (size_t)(end - s - 1);
		for (size_t i = 0; i < n; i++)
			if (s[i + 1] < '!' || s[i + 1] > '~')
				n = 0;
	}
	if (n >= size)
		n = size - 1;
	memcpy(buf, s + 1, n);
	buf[n] = '\0';
	return buf;
}

void pwhash_dummy(const char *password)
{
	/* {SSHA512} of nothing in particular with an 8-byte salt. */
	static const char dummy[] = "{SSHA512}"
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

	(void)pwhash_verify(dummy, sizeof(dummy) - 1, password);
}
