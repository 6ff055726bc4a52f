/* autodiscover-gen's shared state: the config, the directory, the user a
 * request is for, and the documents made for them. */
#ifndef AUTODISCOVER_GEN_AD_H
#define AUTODISCOVER_GEN_AD_H

#include <stdbool.h>

#include <jansson.h>

#include "conf/prog.h"
#include "dir/dir.h"
#include "http/autodiscover.h"
#include "net/serve.h"
#include "util/strbuf.h"

extern const struct conf_section ad_conf_section;

enum ad_schema_out {
	AD_OUTLOOK, AD_MOBILESYNC, AD_AUTOCONFIG, AD_MOBILECONFIG,
};

struct ad {
	const struct prog_state *st;
	const json_t *sec;		/* our section, borrowed from the conf */
	struct dir *dir;		/* NULL: no directory */
	bool unknown_error;		/* unknown users get 500 */
};

enum ad_user_status {
	AD_USER_KNOWN,
	AD_USER_GENERIC,	/* not in the directory: the domain's answer */
	AD_USER_REDIRECT,	/* an alias whose primary address is elsewhere */
	AD_USER_UNKNOWN,	/* and unknown_users says error */
	AD_DOMAIN_UNKNOWN,	/* no settings for the domain */
	AD_USER_TEMPFAIL,	/* the directory is down */
	AD_USER_BAD,		/* not an address */
};

struct ad_user {
	char address[AUTODISCOVER_ADDR_MAX];	/* as asked, lower-cased domain */
	char primary[AUTODISCOVER_ADDR_MAX];	/* the directory's mail */
	char domain[256];			/* of address */
	char display[AUTODISCOVER_ADDR_MAX];
	char login[AUTODISCOVER_ADDR_MAX];
	const json_t *dom;			/* the domain's settings */
	const char *org;			/* PayloadOrganization, "" for none */
	bool known;
};

/* config.c */
int ad_init(struct ad *a, const struct prog_state *st);
void ad_clear(struct ad *a);
enum ad_user_status ad_user_lookup(struct ad *a, const char *address, struct ad_user *u);

/* docs.c: documents appended to out. */
void ad_doc_outlook(struct strbuf *out, const struct ad_user *u);
int ad_doc_mobilesync(struct strbuf *out, const struct ad_user *u);
void ad_doc_redirect_addr(struct strbuf *out, enum autodiscover_schema s, const char *addr);
void ad_doc_redirect_url(struct strbuf *out, const char *url);
void ad_doc_error(struct strbuf *out, int code, const char *message, const char *debug);
void ad_doc_autoconfig(struct strbuf *out, const struct ad_user *u);
void ad_doc_mobileconfig(struct strbuf *out, const struct ad_user *u);
/* Signs a profile as CMS SignedData (DER) with cert/key files. 0 or -1
 * after logging. */
int ad_sign(const struct strbuf *in, const char *cert, const char *key, struct strbuf *out);
/* The Autodiscover answer for address in schema s: 0 and the document,
 * or the MS-OXDSCLI error code and the Error document. */
int ad_answer(struct ad *a, enum autodiscover_schema s, const char *address, struct strbuf *out);
/* The signer a mobileconfig is signed with, or NULL when unsigned. */
const char *ad_sign_cert(const struct ad *a, const char **key);

/* serve.c */
int ad_serve(struct ad *a, enum serve_mode mode);
/* The server's TLS and publishing rules, as ad_serve would set them up:
 * 0, or EX_CONFIG after logging why. */
int ad_check_server(struct ad *a);

/* probe.c */
struct ad_probe_opts {
	const char *const *resolve;
	size_t nresolve;
	const char *const *connect_to;
	size_t nconnect_to;
	const char *ca;
	long long timeout_ms;
	bool json;
};
int ad_probe(const struct prog_state *st, const char *address, const struct ad_probe_opts *o);

#endif
