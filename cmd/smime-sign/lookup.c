/* Recipients' certificates: a file in cert_dir, else the directory's
 * userSMIMECertificate (PKCS#7 certs-only or the AD TLV form), then
 * userCertificate; and the lookup command that shows what was found. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/x509v3.h>

#include "smime/certs.h"
#include "smime/envelope.h"
#include "smime/verify.h"
#include "tls/cert.h"
#include "util/exitcodes.h"
#include "util/msg.h"
#include "smime-sign.h"

static const char *const cert_attrs[] = { "userSMIMECertificate", "userCertificate", NULL };

/* One certificate seen, for rcpt_find and lookup alike. */
struct seen {
	const char *addr;
	const char *source;		/* attribute or file */
	enum smime_blob_form form;
	X509 *x;
	int usable;			/* smime_recipient_ok */
	char why[CERT_WHY_MAX];
};

typedef int (*seen_fn)(const struct seen *s, void *ctx);

/* Calls fn for each end-entity certificate of the values of e; stops when
 * fn returns nonzero. Broken values are reported as such (x NULL). */
static int entry_certs(const char *addr, const struct dir_entry *e, seen_fn fn, void *ctx)
{
	int rc = 0;

	for (int a = 0; rc == 0 && cert_attrs[a]; a++) {
		const struct dir_value *vals;
		size_t n = dir_entry_get(e, cert_attrs[a], &vals);

		for (size_t i = 0; rc == 0 && i < n; i++) {
			STACK_OF(X509) *sk = sk_X509_new_null();
			struct seen s = { .addr = addr, .source = cert_attrs[a] };

			if (smime_certs_from_blob(vals[i].data, vals[i].len, sk, &s.form, s.why,
						  sizeof(s.why)) < 0) {
				rc = fn(&s, ctx);
			}
			for (int k = 0; rc == 0 && k < sk_X509_num(sk); k++) {
				s.x = sk_X509_value(sk, k);
				if (X509_check_ca(s.x) != 0)
					continue;
				s.usable = smime_recipient_ok(s.x, 0, s.why, sizeof(s.why)) == 0;
				rc = fn(&s, ctx);
			}
			sk_X509_pop_free(sk, X509_free);
		}
	}
	return rc;
}

struct pick {
	X509 *x;
	bool exact;		/* x names the address */
	char why[CERT_WHY_MAX];
};

static int pick_one(const struct seen *s, void *ctx)
{
	struct pick *p = ctx;

	if (s->x == NULL || !s->usable) {
		snprintf(p->why, sizeof(p->why), "%s: %.200s", s->source, s->why);
		return 0;
	}
	bool exact = smime_cert_has_email(s->x, s->addr);

	if (p->x && (p->exact || !exact))
		return 0;
	X509_free(p->x);
	X509_up_ref(s->x);
	p->x = s->x;
	p->exact = exact;
	return exact;
}

static enum rcpt_status from_file(struct smime_ctx *c, const char *addr, X509 **x, char *why, size_t whylen)
{
	struct cert_bundle b;
	char path[4096];

	if (c->cert_dir == NULL || strchr(addr, '/') || addr[0] == '.')
		return RCPT_NONE;
	snprintf(path, sizeof(path), "%s/%s.pem", c->cert_dir, addr);
	if (access(path, R_OK) < 0)
		return RCPT_NONE;
	if (cert_load_file(path, NULL, &b, why, whylen) < 0)
		return RCPT_NONE;
	if (b.cert && smime_recipient_ok(b.cert, 0, why, whylen) == 0) {
		X509_up_ref(b.cert);
		*x = b.cert;
	}
	cert_bundle_free(&b);
	return *x ? RCPT_FOUND : RCPT_NONE;
}

enum rcpt_status rcpt_find(struct smime_ctx *c, const char *addr, X509 **x, char *why, size_t whylen)
{
	struct dir_entry *e = NULL;
	struct pick p = { 0 };
	struct dir *d;
	enum dir_status ds;

	*x = NULL;
	snprintf(why, whylen, "no certificate found");
	if (from_file(c, addr, x, why, whylen) == RCPT_FOUND)
		return RCPT_FOUND;
	if (!c->use_dir)
		return RCPT_NONE;
	if ((d = ctx_dir(c)) == NULL) {
		snprintf(why, whylen, "the directory cannot be opened");
		return RCPT_TEMPFAIL;
	}
	ds = dir_lookup_mail(d, addr, &e);
	if (ds == DIR_TEMPFAIL) {
		snprintf(why, whylen, "directory: %s", dir_error(d));
		return RCPT_TEMPFAIL;
	}
	if (ds == DIR_NOTFOUND) {
		snprintf(why, whylen, "not in the directory");
		return RCPT_NONE;
	}
	entry_certs(addr, e, pick_one, &p);
	dir_entry_free(e);
	if (p.x == NULL) {
		snprintf(why, whylen, "%s", p.why[0] ? p.why : "no certificate in the directory entry");
		return RCPT_NONE;
	}
	*x = p.x;
	return RCPT_FOUND;
}

struct show {
	bool json;
	json_t *arr;
	int usable;
};

static int show_one(const struct seen *s, void *ctx)
{
	struct show *sh = ctx;
	struct strbuf subj = STRBUF_INIT, iss = STRBUF_INIT;
	char until[64] = "", fp[CERT_FP_MAX] = "";

	if (s->x) {
		cert_subject(s->x, &subj);
		cert_issuer(s->x, &iss);
		cert_time_format(cert_not_after(s->x), until, sizeof(until));
		cert_fingerprint(s->x, EVP_sha256(), false, fp, sizeof(fp));
	}
	sh->usable += s->usable;
	if (sh->json) {
		json_t *o = json_pack("{s:s, s:s, s:s, s:b}", "address", s->addr, "attribute", s->source,
				      "form", smime_blob_form_name(s->form), "usable", s->usable);

		if (s->x) {
			json_object_set_new(o, "subject", json_string(subj.buf));
			json_object_set_new(o, "issuer", json_string(iss.buf));
			json_object_set_new(o, "not_after", json_string(until));
			json_object_set_new(o, "sha256", json_string(fp));
		}
		if (!s->usable)
			json_object_set_new(o, "refused", json_string(s->why));
		json_array_append_new(sh->arr, o);
	} else if (s->x) {
		printf("%s %s %s %s subject=\"%s\" issuer=\"%s\" not_after=%s sha256=%s%s%s\n", s->addr,
		       s->source, smime_blob_form_name(s->form), s->usable ? "usable" : "refused",
		       subj.buf, iss.buf, until, fp, s->usable ? "" : " reason=", s->usable ? "" : s->why);
	} else {
		printf("%s %s %s unreadable reason=%s\n", s->addr, s->source,
		       smime_blob_form_name(s->form), s->why);
	}
	strbuf_release(&subj);
	strbuf_release(&iss);
	return 0;
}

int cmd_lookup(struct smime_ctx *c)
{
	struct show sh = { .json = c->st->json };
	struct dir *d;
	int rc = 0;

	if (c->st->argc == 0) {
		fprintf(stderr, "smime-sign: lookup needs at least one address\n");
		return EX_USAGE;
	}
	if ((d = ctx_dir(c)) == NULL)
		return EX_TEMPFAIL;
	if (sh.json)
		sh.arr = json_array();
	for (int i = 0; i < c->st->argc; i++) {
		const char *addr = c->st->argv[i];
		struct dir_entry *e = NULL;
		enum dir_status ds = dir_lookup_mail(d, addr, &e);

		if (ds == DIR_TEMPFAIL) {
			msg_error("cannot look up %s: %s", addr, dir_error(d));
			rc = EX_TEMPFAIL;
			break;
		}
		sh.usable = 0;
		if (ds == DIR_OK)
			entry_certs(addr, e, show_one, &sh);
		else if (!sh.json)
			printf("%s not-found\n", addr);
		dir_entry_free(e);
		if (sh.usable == 0 && rc == 0)
			rc = EX_NEGATIVE;
	}
	if (sh.json) {
		json_dumpf(sh.arr, stdout, JSON_INDENT(2));
		putchar('\n');
		json_decref(sh.arr);
	}
	if (fflush(stdout) != 0 && rc == 0)
		rc = EX_IOERR;
	return rc;
}
