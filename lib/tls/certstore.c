/* The certificate store: scan a directory, judge and rank what is in it,
 * generate a self-signed certificate, hand the best to the caller. */
#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "tls/certstore.h"
#include "tls/names.h"
#include "util/atomic.h"
#include "util/mem.h"
#include "util/msg.h"
#include "util/strbuf.h"

#define GEN_DAYS 365
#define GEN_SKEW 300		/* seconds before now the new one is valid from */

/* What the scan shares across candidates. */
struct scan_ctx {
	const struct certstore_query *q;
	X509_STORE *trust;	/* from q->ca_file, or NULL */
	time_t at;
};

static const char *ext_of(const char *name)
{
	const char *dot = strrchr(name, '.');

	return dot ? dot + 1 : "";
}

enum file_kind { FILE_OTHER, FILE_CERT, FILE_P12 };

static enum file_kind file_kind(const char *name)
{
	static const char *const certs[] = { "pem", "crt", "cer", "der", NULL };
	const char *ext = ext_of(name);

	/* Dot files include atomic_open's temporaries and editors' swap. */
	if (name[0] == '.')
		return FILE_OTHER;
	for (int i = 0; certs[i]; i++)
		if (strcasecmp(ext, certs[i]) == 0)
			return FILE_CERT;
	if (strcasecmp(ext, "p12") == 0 || strcasecmp(ext, "pfx") == 0)
		return FILE_P12;
	return FILE_OTHER;
}

static void why_add(char *why, size_t whylen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Appends one reason to a refusal, "; "-separated. */
static void why_add(char *why, size_t whylen, const char *fmt, ...)
{
	size_t len = strlen(why);
	va_list ap;

	if (len && len + 2 < whylen) {
		memcpy(why + len, "; ", 3);
		len += 2;
	}
	va_start(ap, fmt);
	vsnprintf(why + len, whylen - len, fmt, ap);
	va_end(ap);
}

/* The key of a file that holds none: NAME.key next to NAME.pem. */
static void find_key(struct certstore_cand *c)
{
	const char *ext = strrchr(c->path, '.');
	char why[CERT_WHY_MAX];
	char *kp = xasprintf("%.*s.key", (int)(ext - c->path), c->path);
	struct stat st;

	if (stat(kp, &st) < 0) {
		why_add(c->reason, sizeof(c->reason),
			"no private key (none in the file, no '%s')", kp);
		free(kp);
		return;
	}
	if (cert_load_key_file(kp, &c->b.key, why, sizeof(why)) < 0) {
		why_add(c->reason, sizeof(c->reason), "cannot read key '%s': %s", kp, why);
		free(kp);
		return;
	}
	c->key_path = kp;
}

/* PKCS#12 password: NAME.p12.pass, else the configured file. Returns
 * 1 with pass filled, 0 when there is no password file, -1 with why. */
static int p12_pass(const struct certstore_query *q, const char *path,
		    char *pass, size_t passlen, char *why, size_t whylen)
{
	char *pf = xasprintf("%s.pass", path);
	const char *use = access(pf, F_OK) == 0 ? pf : q->pass_file;
	int rc = 0;

	pass[0] = 0;
	if (use)
		rc = cert_read_pass_file(use, pass, passlen, why, whylen) < 0 ? -1 : 1;
	free(pf);
	return rc;
}

/* Reads one candidate; on failure its reason says why and b is empty. */
static void cand_load(const struct certstore_query *q, struct certstore_cand *c,
		      enum file_kind kind)
{
	char why[CERT_WHY_MAX], pass[CERT_PASS_MAX + 1];
	int rc;

	if (kind == FILE_P12) {
		if ((rc = p12_pass(q, c->path, pass, sizeof(pass), why, sizeof(why))) < 0) {
			snprintf(c->reason, sizeof(c->reason), "unreadable: password file: %s", why);
			return;
		}
		rc = cert_load_file(c->path, rc ? pass : NULL, &c->b, why, sizeof(why));
		mem_wipe(pass, sizeof(pass));
	} else {
		rc = cert_load_file(c->path, NULL, &c->b, why, sizeof(why));
	}
	if (rc < 0) {
		snprintf(c->reason, sizeof(c->reason), "unreadable: %s", why);
		return;
	}
	if (!c->b.cert) {
		snprintf(c->reason, sizeof(c->reason), "no certificate in the file (a key alone)");
		return;
	}
	if (c->b.key)
		c->key_path = xstrdup(c->path);
	else
		find_key(c);
}

static void check_names(const struct scan_ctx *sc, struct certstore_cand *c)
{
	const struct certstore_query *q = sc->q;
	char why[256];

	for (size_t i = 0; i < q->nnames; i++) {
		const char *n = q->names[i];

		if (q->purpose == CERT_PURPOSE_SMIME) {
			if (X509_check_email(c->b.cert, n, strlen(n), 0) != 1)
				why_add(c->reason, sizeof(c->reason), "does not cover %s", n);
		} else if (!tls_name_match(c->b.cert, n, TLS_NAMES_DNS, why, sizeof(why))) {
			why_add(c->reason, sizeof(c->reason), "does not cover %s (%s)", n, why);
		}
	}
	ERR_clear_error();
}

/* A CA-issued certificate with --ca must chain up to it at sc->at. */
static void check_chain(const struct scan_ctx *sc, struct certstore_cand *c)
{
	X509_STORE_CTX *ctx;
	int ok;

	if (!sc->trust || c->self_signed)
		return;
	ctx = X509_STORE_CTX_new();
	X509_STORE_CTX_init(ctx, sc->trust, c->b.cert, c->b.chain);
	X509_VERIFY_PARAM_set_time(X509_STORE_CTX_get0_param(ctx), sc->at);
	ok = X509_verify_cert(ctx) == 1;
	if (!ok)
		why_add(c->reason, sizeof(c->reason), "chain does not verify against '%s': %s",
			sc->q->ca_file,
			X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)));
	X509_STORE_CTX_free(ctx);
	ERR_clear_error();
}

/* Every test, so a refusal lists all that is wrong at once. */
static void cand_judge(const struct scan_ctx *sc, struct certstore_cand *c)
{
	char why[CERT_WHY_MAX];

	c->not_after = cert_not_after(c->b.cert);
	c->self_signed = cert_self_signed(c->b.cert);
	if (c->b.key && !cert_key_matches(c->b.cert, c->b.key))
		why_add(c->reason, sizeof(c->reason), "key does not match the certificate");
	if (!c->self_signed && X509_check_ca(c->b.cert) > 0 &&
	    (X509_get_extension_flags(c->b.cert) & EXFLAG_CA))
		why_add(c->reason, sizeof(c->reason), "is a CA certificate");
	if (cert_time_ok(c->b.cert, sc->at, why, sizeof(why)) < 0)
		why_add(c->reason, sizeof(c->reason), "%s", why);
	if (!cert_purpose_ok(c->b.cert, sc->q->purpose, why, sizeof(why)))
		why_add(c->reason, sizeof(c->reason), "wrong purpose: %s", why);
	check_names(sc, c);
	check_chain(sc, c);
	c->valid = c->reason[0] == 0;
}

static int cand_cmp(const void *a, const void *b)
{
	const struct certstore_cand *x = a, *y = b;

	if (x->valid != y->valid)
		return x->valid ? -1 : 1;
	if (x->valid && x->self_signed != y->self_signed)
		return x->self_signed ? 1 : -1;
	if (x->valid && x->not_after != y->not_after)
		return x->not_after > y->not_after ? -1 : 1;
	return strcmp(x->path, y->path);
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The candidate file names of dir, sorted; -1 with errno on failure. */
static int list_dir(const char *dir, char ***names, size_t *n)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t cap = 0;

	*names = NULL;
	*n = 0;
	if (!d)
		return -1;
	while ((de = readdir(d))) {
		if (file_kind(de->d_name) == FILE_OTHER)
			continue;
		if (*n == CERTSTORE_FILES_MAX) {
			msg_warn("too many files in store, rest ignored store=%s max=%d",
				 msg_q(dir), CERTSTORE_FILES_MAX);
			break;
		}
		xgrow((void **)names, &cap, *n + 1, sizeof(**names));
		(*names)[(*n)++] = xstrdup(de->d_name);
	}
	closedir(d);
	if (*n)
		qsort(*names, *n, sizeof(**names), name_cmp);
	return 0;
}

static X509_STORE *trust_load(const char *file, char *why, size_t whylen)
{
	X509_STORE *st = X509_STORE_new();

	if (X509_STORE_load_file(st, file) != 1) {
		unsigned long e = ERR_peek_last_error();

		snprintf(why, whylen, "cannot load CA file '%s': %s", file,
			 e ? ERR_reason_error_string(e) : "no certificates");
		ERR_clear_error();
		X509_STORE_free(st);
		return NULL;
	}
	return st;
}

static void rank(struct certstore_list *list)
{
	qsort(list->c, list->n, sizeof(*list->c), cand_cmp);
	list->nvalid = 0;
	for (size_t i = 0; i < list->n; i++)
		if (list->c[i].valid)
			list->c[i].rank = (int)++list->nvalid;
}

int certstore_scan(const struct certstore_query *q, struct certstore_list *list,
		   char *why, size_t whylen)
{
	struct scan_ctx sc = { q, NULL, q->at ? q->at : time(NULL) };
	size_t slen = strlen(q->store);
	const char *slash = slen && q->store[slen - 1] == '/' ? "" : "/";
	struct stat st;
	char **names;
	size_t n;

	memset(list, 0, sizeof(*list));
	if (q->ca_file && !(sc.trust = trust_load(q->ca_file, why, whylen)))
		return -1;
	if (list_dir(q->store, &names, &n) < 0) {
		snprintf(why, whylen, "cannot read store '%s': %s", q->store, strerror(errno));
		X509_STORE_free(sc.trust);
		return -1;
	}
	list->c = xcalloc(n ? n : 1, sizeof(*list->c));
	for (size_t i = 0; i < n; i++) {
		struct certstore_cand *c = &list->c[list->n];
		enum file_kind kind = file_kind(names[i]);

		c->path = xasprintf("%s%s%s", q->store, slash, names[i]);
		free(names[i]);
		if (stat(c->path, &st) < 0 || !S_ISREG(st.st_mode)) {
			free(c->path);
			c->path = NULL;
			continue;
		}
		list->n++;
		cand_load(q, c, kind);
		if (c->b.cert && !c->reason[0])
			cand_judge(&sc, c);
		else if (c->b.cert)
			c->not_after = cert_not_after(c->b.cert);
	}
	free(names);
	X509_STORE_free(sc.trust);
	rank(list);
	return 0;
}

void certstore_list_free(struct certstore_list *list)
{
	for (size_t i = 0; i < list->n; i++) {
		free(list->c[i].path);
		free(list->c[i].key_path);
		cert_bundle_free(&list->c[i].b);
	}
	free(list->c);
	memset(list, 0, sizeof(*list));
}

/* ---- generation ---- */

static int add_ext(X509 *x, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;

	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	if (!(ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value)))
		return -1;
	X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	return 0;
}

/* "DNS:a,DNS:b" (IP: for address literals, email: for smime). */
static void san_value(const struct certstore_query *q, struct strbuf *sb)
{
	unsigned char addr[16];

	for (size_t i = 0; i < q->nnames; i++) {
		const char *n = q->names[i], *tag = "DNS";

		if (q->purpose == CERT_PURPOSE_SMIME)
			tag = "email";
		else if (inet_pton(AF_INET, n, addr) == 1 || inet_pton(AF_INET6, n, addr) == 1)
			tag = "IP";
		strbuf_addf(sb, "%s%s:%s", i ? "," : "", tag, n);
	}
}

static int gen_extensions(const struct certstore_query *q, X509 *x)
{
	struct strbuf san = STRBUF_INIT;
	const char *ku = q->rsa ? "critical,digitalSignature,keyEncipherment" :
		"critical,digitalSignature,keyAgreement";
	const char *eku = q->purpose == CERT_PURPOSE_SMIME ? "emailProtection" :
		"serverAuth,clientAuth";
	int rc;

	if (q->purpose == CERT_PURPOSE_SMIME)
		ku = "critical,digitalSignature,nonRepudiation,keyEncipherment";
	san_value(q, &san);
	rc = add_ext(x, NID_basic_constraints, "critical,CA:FALSE") |
	     add_ext(x, NID_key_usage, ku) |
	     add_ext(x, NID_ext_key_usage, eku) |
	     add_ext(x, NID_subject_key_identifier, "hash") |
	     add_ext(x, NID_subject_alt_name, san.buf);
	strbuf_release(&san);
	return rc;
}

static int gen_serial(X509 *x)
{
	unsigned char r[16];
	BIGNUM *bn;
	int rc;

	if (RAND_bytes(r, sizeof(r)) != 1)
		return -1;
	r[0] &= 0x7f;		/* positive, as RFC 5280 wants */
	r[0] |= 0x40;		/* and always 16 bytes long */
	bn = BN_bin2bn(r, sizeof(r), NULL);
	rc = bn && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) ? 0 : -1;
	BN_free(bn);
	return rc;
}

/* The certificate itself, signed by its own key. */
static X509 *gen_cert(const struct certstore_query *q, EVP_PKEY *key)
{
	X509 *x = X509_new();
	X509_NAME *name = X509_get_subject_name(x);
	time_t now = time(NULL);

	X509_set_version(x, 2);
	if (gen_serial(x) < 0 ||
	    !X509_NAME_add_entry_by_txt(name, q->purpose == CERT_PURPOSE_SMIME ?
					"emailAddress" : "CN", MBSTRING_UTF8,
					(const unsigned char *)q->names[0], -1, -1, 0) ||
	    !X509_set_issuer_name(x, name) ||
	    !X509_time_adj_ex(X509_getm_notBefore(x), 0, -GEN_SKEW, &now) ||
	    !X509_time_adj_ex(X509_getm_notAfter(x), GEN_DAYS, 0, &now) ||
	    !X509_set_pubkey(x, key) || gen_extensions(q, x) < 0 ||
	    !X509_sign(x, key, EVP_sha256())) {
		X509_free(x);
		return NULL;
	}
	return x;
}

/* File base from the first name: safe characters only. */
static char *gen_base(const struct certstore_query *q)
{
	char *b = xstrdup(q->names[0]);

	for (char *p = b; *p; p++)
		if (!(isalnum((unsigned char)*p) || *p == '.' || *p == '-' || *p == '_' || *p == '@'))
			*p = '_';
	if (b[0] == '.')
		b[0] = '_';
	return b;
}

static void gen_paths(const struct certstore_query *q, char **cp, char **kp)
{
	char *base = gen_base(q), stamp[32];
	time_t now = time(NULL);
	struct tm tm;

	*cp = xasprintf("%s/%s.pem", q->store, base);
	*kp = q->one_file ? xstrdup(*cp) : xasprintf("%s/%s.key", q->store, base);
	/* Never overwrite: the old file may be what someone still serves. */
	if (access(*cp, F_OK) == 0 || access(*kp, F_OK) == 0) {
		free(*cp);
		free(*kp);
		gmtime_r(&now, &tm);
		strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%S", &tm);
		*cp = xasprintf("%s/%s-%s.pem", q->store, base, stamp);
		*kp = q->one_file ? xstrdup(*cp) : xasprintf("%s/%s-%s.key", q->store, base, stamp);
	}
	free(base);
}

/* PEM text of x (if any) then key (if any), in a memory BIO. */
static BIO *gen_pem(X509 *x, EVP_PKEY *key)
{
	BIO *bio = BIO_new(BIO_s_mem());

	if ((x && !PEM_write_bio_X509(bio, x)) ||
	    (key && !PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL))) {
		BIO_free(bio);
		return NULL;
	}
	return bio;
}

static int gen_write(const char *path, X509 *x, EVP_PKEY *key, mode_t mode,
		     char *why, size_t whylen)
{
	BIO *bio = gen_pem(x, key);
	char *data;
	long len;
	int rc;

	if (!bio) {
		snprintf(why, whylen, "cannot encode '%s'", path);
		return -1;
	}
	len = BIO_get_mem_data(bio, &data);
	rc = atomic_write(path, data, (size_t)len, mode);
	if (rc < 0)
		snprintf(why, whylen, "cannot write '%s': %s", path, strerror(errno));
	OPENSSL_cleanse(data, (size_t)len);
	BIO_free(bio);
	return rc;
}

static int gen_files(const struct certstore_query *q, X509 *x, EVP_PKEY *key,
		     char **cp, char **kp, char *why, size_t whylen)
{
	gen_paths(q, cp, kp);
	if (q->one_file)
		return gen_write(*cp, x, key, 0600, why, whylen);
	/* The key first: a certificate without its key would be refused. */
	if (gen_write(*kp, NULL, key, 0600, why, whylen) < 0)
		return -1;
	if (gen_write(*cp, x, NULL, 0644, why, whylen) < 0) {
		unlink(*kp);
		return -1;
	}
	return 0;
}

int certstore_generate(const struct certstore_query *q, char **cert_path,
		       char **key_path, char *why, size_t whylen)
{
	EVP_PKEY *key;
	X509 *x = NULL;
	int rc = -1;

	*cert_path = *key_path = NULL;
	if (q->nnames == 0) {
		snprintf(why, whylen, "generating needs at least one name");
		return -1;
	}
	key = q->rsa ? EVP_RSA_gen(2048) : EVP_EC_gen("P-256");
	if (!key || !(x = gen_cert(q, key))) {
		snprintf(why, whylen, "cannot make a certificate for %s", q->names[0]);
		ERR_clear_error();
	} else {
		rc = gen_files(q, x, key, cert_path, key_path, why, whylen);
	}
	if (rc < 0) {
		free(*cert_path);
		free(*key_path);
		*cert_path = *key_path = NULL;
	}
	X509_free(x);
	EVP_PKEY_free(key);
	return rc;
}

/* ---- the choice ---- */

static void choice_fill(struct certstore_choice *out, struct certstore_cand *c)
{
	struct strbuf sb = STRBUF_INIT;

	memset(out, 0, sizeof(*out));
	/* Ownership moves from the list to the choice. */
	out->cert_path = c->path;
	out->key_path = c->key_path;
	out->cert = c->b.cert;
	out->key = c->b.key;
	out->chain = c->b.chain;
	c->path = c->key_path = NULL;
	memset(&c->b, 0, sizeof(c->b));
	out->self_signed = c->self_signed;
	out->not_after = c->not_after;
	cert_issuer(out->cert, &sb);
	out->issuer = strbuf_detach(&sb, NULL);
	cert_subject(out->cert, &sb);
	out->subject = strbuf_detach(&sb, NULL);
	cert_serial(out->cert, out->serial, sizeof(out->serial));
	cert_fingerprint(out->cert, EVP_sha1(), true, out->sha1, sizeof(out->sha1));
	cert_fingerprint(out->cert, EVP_sha256(), true, out->sha256, sizeof(out->sha256));
}

/* Takes the best of list; when the caller keeps the list the candidate
 * is copied rather than moved, so the list stays whole. */
static void choose(struct certstore_list *list, struct certstore_choice *out, bool keep)
{
	struct certstore_cand copy = list->c[0];

	if (keep) {
		copy.path = xstrdup(copy.path);
		copy.key_path = copy.key_path ? xstrdup(copy.key_path) : NULL;
		X509_up_ref(copy.b.cert);
		EVP_PKEY_up_ref(copy.b.key);
		copy.b.chain = X509_chain_up_ref(copy.b.chain);
		choice_fill(out, &copy);
	} else {
		choice_fill(out, &list->c[0]);
	}
}

static int generate_and_rescan(const struct certstore_query *q, struct certstore_list *l,
			       bool *generated, char *why, size_t whylen)
{
	char *cp, *kp;

	if (certstore_generate(q, &cp, &kp, why, whylen) < 0)
		return CERTSTORE_ERR_GENERATE;
	msg_info("generated self-signed certificate path=%s key=%s", msg_q(cp), msg_q(kp));
	free(cp);
	free(kp);
	*generated = true;
	certstore_list_free(l);
	if (certstore_scan(q, l, why, whylen) < 0)
		return CERTSTORE_ERR_STORE;
	return 0;
}

int certstore_select(const struct certstore_query *q, struct certstore_choice *out,
		     struct certstore_list *list, char *why, size_t whylen)
{
	struct certstore_list own, *l = list ? list : &own;
	bool generated = false;
	int rc;

	memset(out, 0, sizeof(*out));
	if (certstore_scan(q, l, why, whylen) < 0)
		return CERTSTORE_ERR_STORE;
	if (l->nvalid == 0 && q->generate &&
	    (rc = generate_and_rescan(q, l, &generated, why, whylen)) < 0) {
		if (!list)
			certstore_list_free(l);
		return rc;
	}
	if (l->nvalid == 0) {
		snprintf(why, whylen, generated ? "the generated certificate is not valid at the time asked" :
			 "no valid certificate in '%s'", q->store);
		if (!list)
			certstore_list_free(l);
		return CERTSTORE_NONE;
	}
	choose(l, out, list != NULL);
	out->generated = generated;
	if (!list)
		certstore_list_free(l);
	return CERTSTORE_CHOSEN;
}

void certstore_choice_free(struct certstore_choice *c)
{
	free(c->cert_path);
	free(c->key_path);
	X509_free(c->cert);
	EVP_PKEY_free(c->key);
	sk_X509_pop_free(c->chain, X509_free);
	free(c->issuer);
	free(c->subject);
	memset(c, 0, sizeof(*c));
}

void certstore_choice_log(const struct certstore_choice *c, time_t at)
{
	char when[32];
	long days;

	if (!at)
		at = time(NULL);
	days = (long)((c->not_after - at) / 86400);
	cert_time_format(c->not_after, when, sizeof(when));
	msg_info("selected certificate path=%s key=%s subject=%s issuer=%s serial=%s sha1=%s sha256=%s not_after=%s days_left=%ld%s",
		 msg_q(c->cert_path), msg_q(c->key_path ? c->key_path : ""),
		 msg_q(c->subject), msg_q(c->issuer), c->serial, c->sha1, c->sha256,
		 when, days, c->self_signed ? " self_signed=yes" : "");
}
