/* Password hash verification through OpenSSL's EVP digests and libcrypt,
 * for the file directory (slapd checks them itself in LDAP mode).
 * libcrypto and libcrypt are loaded with dlopen on the first check that
 * needs them: most programs that read a directory never check a
 * password, and loading libcrypto at start-up costs a small filter more
 * than its work does. (Linked, libcrypt was also dropped by --as-needed
 * under AddressSanitizer, whose crypt_r interceptor then had nothing to
 * call.) */
#include <crypt.h>
#include <dlfcn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include "util/base64.h"
#include "dir/pwhash.h"
#include "util/mem.h"
#include "util/strbuf.h"

#define LIBCRYPTO "libcrypto.so.3"
#define LIBCRYPT "libcrypt.so.1"

#define LC_FUNCS(X) \
	X(EVP_get_digestbyname) \
	X(EVP_MD_get_size) \
	X(EVP_MD_CTX_new) \
	X(EVP_DigestInit_ex) \
	X(EVP_DigestUpdate) \
	X(EVP_DigestFinal_ex) \
	X(EVP_MD_CTX_free)
#define LC_FIELD(f) __typeof__(f) *f;

/* Loaded once and kept until exit (OpenSSL's global state lives in it). */
static struct {
	bool tried_crypto, ok_crypto, tried_crypt, ok_crypt;
	char why[200];
	LC_FUNCS(LC_FIELD)
	__typeof__(crypt_r) *crypt_r;
} lc;

static bool lc_sym(void *lib, const char *file, const char *name, void *slot, size_t size)
{
	void *p = dlsym(lib, name);

	if (p == NULL) {
		snprintf(lc.why, sizeof(lc.why), "%s has no %s", file, name);
		return false;
	}
	memcpy(slot, &p, size);	/* void * to a function pointer, well defined */
	return true;
}

static void *lc_open(const char *file)
{
	void *lib = dlopen(file, RTLD_NOW | RTLD_LOCAL);

	if (lib == NULL)
		snprintf(lc.why, sizeof(lc.why), "cannot load %s: %s", file, dlerror());
	return lib;
}

static bool lc_load_crypto(void)
{
	void *lib;

	if (lc.tried_crypto)
		return lc.ok_crypto;
	lc.tried_crypto = true;
	if ((lib = lc_open(LIBCRYPTO)) == NULL)
		return false;
#define LC_SYM(f) && lc_sym(lib, LIBCRYPTO, #f, &lc.f, sizeof(lc.f))
	lc.ok_crypto = true LC_FUNCS(LC_SYM);
#undef LC_SYM
	return lc.ok_crypto;
}

static bool lc_load_crypt(void)
{
	void *lib;

	if (lc.tried_crypt)
		return lc.ok_crypt;
	lc.tried_crypt = true;
	if ((lib = lc_open(LIBCRYPT)) == NULL)
		return false;
	lc.ok_crypt = lc_sym(lib, LIBCRYPT, "crypt_r", &lc.crypt_r, sizeof(lc.crypt_r));
	return lc.ok_crypt;
}

const char *pwhash_error(void)
{
	return lc.why;
}

/* Equal bytes, in a time that depends on len only. */
static bool same_bytes(const void *a, const void *b, size_t len)
{
	const volatile unsigned char *x = a, *y = b;
	unsigned char d = 0;

	for (size_t i = 0; i < len; i++)
		d |= x[i] ^ y[i];
	return d == 0;
}

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
	const EVP_MD *type;
	EVP_MD_CTX *ctx;
	enum pwhash_result r = PWHASH_UNSUPPORTED;
	size_t dlen;

	if (!lc_load_crypto())
		return PWHASH_ERROR;
	type = lc.EVP_get_digestbyname(sc->digest);
	if (type == NULL || base64_decode(b64, len, &raw) < 0)
		goto out;
	dlen = (size_t)lc.EVP_MD_get_size(type);
	if (sc->salted ? raw.len <= dlen : raw.len != dlen)
		goto out;
	ctx = lc.EVP_MD_CTX_new();
	if (ctx == NULL || !lc.EVP_DigestInit_ex(ctx, type, NULL) ||
	    !lc.EVP_DigestUpdate(ctx, password, strlen(password)) ||
	    !lc.EVP_DigestUpdate(ctx, raw.buf + dlen, raw.len - dlen) ||
	    !lc.EVP_DigestFinal_ex(ctx, md, &mdlen) || mdlen != dlen) {
		lc.EVP_MD_CTX_free(ctx);
		goto out;
	}
	lc.EVP_MD_CTX_free(ctx);
	r = same_bytes(md, raw.buf, dlen) ? PWHASH_MATCH : PWHASH_MISMATCH;
out:
	mem_wipe(md, sizeof(md));
	strbuf_release(&raw);
	return r;
}

static enum pwhash_result verify_crypt(const char *setting, size_t len, const char *password)
{
	struct crypt_data *cd;
	char *set;
	const char *out;
	enum pwhash_result r = PWHASH_UNSUPPORTED;

	if (!lc_load_crypt())
		return PWHASH_ERROR;
	cd = xcalloc(1, sizeof(*cd));
	set = xstrndup(setting, len);
	out = lc.crypt_r(password, set, cd);

	/* libcrypt answers a bad setting with NULL or a string starting '*'. */
	if (out != NULL && out[0] != '*') {
		size_t olen = strlen(out);

		r = olen == len && same_bytes(out, set, len) ?
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
