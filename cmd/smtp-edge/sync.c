/* smtp-edge sync (EdgeSync): copies what an edge needs from the internal
 * LDAP directory (the "directory" section, backend ldap) into an LDIF
 * file for an edge that uses the file backend and must not reach the
 * internal directory: each user's DN, objectClass, uid, cn, sn, mail and
 * alias attributes, safe and blocked sender blobs and SCL junk
 * threshold; never passwords, certificates or anything else. Written
 * atomically, for cron; prints the counts.
 *
 * libldap is loaded with dlopen on first use, as lib/dir does, so that
 * smtp-edge does not link it (lib/dir has no search-all call to share). */
#include <dlfcn.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>

#include <lber.h>
#include <ldap.h>

#include "conf/prog.h"
#include "content.h"
#include "dir/dir.h"
#include "dir/entry.h"
#include "dir/ldif.h"
#include "util/atomic.h"
#include "util/exitcodes.h"
#include "util/mem.h"
#include "util/msg.h"
#include "util/opt.h"

#define LIBLDAP "libldap-2.5.so.0"
#define SYNC_ENTRIES_MAX 1000000
#define SYNC_PASSWORD_MAX 4096

#define SL_FUNCS(X) \
	X(ber_free) X(ldap_err2string) X(ldap_first_attribute) X(ldap_first_entry) \
	X(ldap_get_dn) X(ldap_get_values_len) X(ldap_initialize) X(ldap_memfree) \
	X(ldap_msgfree) X(ldap_next_attribute) X(ldap_next_entry) X(ldap_sasl_bind_s) \
	X(ldap_search_ext_s) X(ldap_set_option) X(ldap_start_tls_s) X(ldap_unbind_ext_s) \
	X(ldap_value_free_len)
#define SL_FIELD(f) __typeof__(f) *f;

static struct {
	SL_FUNCS(SL_FIELD)
} sl;

static int sl_load(void)
{
	void *lib = dlopen(LIBLDAP, RTLD_NOW | RTLD_LOCAL), *p;

	if (lib == NULL) {
		fprintf(stderr, "smtp-edge: cannot load %s: %s\n", LIBLDAP, dlerror());
		return -1;
	}
#define SL_SYM(f) \
	if ((p = dlsym(lib, #f)) == NULL) { \
		fprintf(stderr, "smtp-edge: %s has no %s\n", LIBLDAP, #f); \
		return -1; \
	} \
	memcpy(&sl.f, &p, sizeof(sl.f));
	SL_FUNCS(SL_SYM)
#undef SL_SYM
	return 0;
}

/* The attributes copied; alias attributes come from the config. */
static const char *const copied[] = {
	"objectClass", "dc", "o", "ou", "uid", "cn", "sn", "displayName", "mail",
	"posternSafeSenders",
	"posternBlockedSenders", "posternSCLJunkThreshold", NULL
};

struct counts {
	size_t entries, recipients, aliases, safelists, thresholds;
};

static bool is_alias(const json_t *dirsec, const char *attr)
{
	for (size_t i = 0; i < conf_strings_len(dirsec, "alias_attributes"); i++)
		if (strcasecmp(conf_strings_at(dirsec, "alias_attributes", i), attr) == 0)
			return true;
	return false;
}

static LDAP *sync_connect(const json_t *ld)
{
	const char *uri = conf_str(ld, "uri"), *pwfile = conf_str(ld, "bind_password_file");
	struct timeval tv = { conf_int(ld, "connect_timeout") / 1000,
			      (conf_int(ld, "connect_timeout") % 1000) * 1000 };
	struct strbuf pw = STRBUF_INIT;
	struct berval cred;
	int v3 = LDAP_VERSION3, rc;
	LDAP *l = NULL;

	if (sl.ldap_initialize(&l, uri) != LDAP_SUCCESS) {
		fprintf(stderr, "smtp-edge: bad LDAP URI '%s'\n", uri);
		return NULL;
	}
	sl.ldap_set_option(l, LDAP_OPT_PROTOCOL_VERSION, &v3);
	sl.ldap_set_option(l, LDAP_OPT_NETWORK_TIMEOUT, &tv);
	sl.ldap_set_option(l, LDAP_OPT_REFERRALS, LDAP_OPT_OFF);
	if (conf_bool(ld, "starttls") && (rc = sl.ldap_start_tls_s(l, NULL, NULL)) != LDAP_SUCCESS)
		goto fail;
	if (pwfile && strbuf_read_file(&pw, pwfile, SYNC_PASSWORD_MAX) < 0) {
		fprintf(stderr, "smtp-edge: cannot read '%s': %s\n", pwfile, strerror(errno));
		goto out;
	}
	pw.len = pw.buf ? strcspn(pw.buf, "\r\n") : 0;
	cred.bv_val = pw.buf ? pw.buf : "";
	cred.bv_len = pw.len;
	rc = sl.ldap_sasl_bind_s(l, *conf_str(ld, "bind_dn") ? conf_str(ld, "bind_dn") : NULL,
				 LDAP_SASL_SIMPLE, &cred, NULL, NULL, NULL);
	if (rc != LDAP_SUCCESS)
		goto fail;
	mem_wipe(pw.buf, pw.alloc);
	strbuf_release(&pw);
	return l;
fail:
	fprintf(stderr, "smtp-edge: cannot bind to %s: %s\n", uri, sl.ldap_err2string(rc));
out:
	if (pw.buf)
		mem_wipe(pw.buf, pw.alloc);
	strbuf_release(&pw);
	sl.ldap_unbind_ext_s(l, NULL, NULL);
	return NULL;
}

/* One search result entry as a dir_entry with the copied attributes. */
static struct dir_entry *entry_of(LDAP *l, LDAPMessage *m, const json_t *dirsec,
				  struct counts *n)
{
	char *dn = sl.ldap_get_dn(l, m), *a;
	BerElement *ber = NULL;
	struct dir_entry *e = dir_entry_new(dn ? dn : "");
	bool has_mail = false;

	sl.ldap_memfree(dn);
	for (a = sl.ldap_first_attribute(l, m, &ber); a; a = sl.ldap_next_attribute(l, m, ber)) {
		struct berval **v = sl.ldap_get_values_len(l, m, a);
		bool alias = is_alias(dirsec, a);

		for (size_t i = 0; v && v[i]; i++) {
			dir_entry_add(e, a, v[i]->bv_val, v[i]->bv_len);
			if (strcasecmp(a, "mail") == 0)
				has_mail = true;
			n->aliases += alias;
		}
		if (v && strcasecmp(a, "posternSafeSenders") == 0)
			n->safelists++;
		if (v && strcasecmp(a, "posternSCLJunkThreshold") == 0)
			n->thresholds++;
		sl.ldap_value_free_len(v);
		sl.ldap_memfree(a);
	}
	if (ber)
		sl.ber_free(ber, 0);
	n->recipients += has_mail;
	return e;
}

static int sync_search(LDAP *l, const json_t *dirsec, const char *filter, struct strbuf *out,
		       struct counts *n)
{
	const json_t *ld = conf_get(dirsec, "ldap");
	size_t na = conf_strings_len(dirsec, "alias_attributes"), i = 0;
	char **attrs = xcalloc(na + sizeof(copied) / sizeof(copied[0]) + 1, sizeof(*attrs));
	struct timeval tv = { conf_int(ld, "timeout") / 1000, (conf_int(ld, "timeout") % 1000) * 1000 };
	LDAPMessage *res = NULL;
	int rc;

	for (const char *const *c = copied; *c; c++)
		attrs[i++] = (char *)*c;
	for (size_t j = 0; j < na; j++)
		attrs[i++] = (char *)conf_strings_at(dirsec, "alias_attributes", j);
	rc = sl.ldap_search_ext_s(l, conf_str(ld, "base"), LDAP_SCOPE_SUBTREE, filter, attrs, 0,
				  NULL, NULL, &tv, SYNC_ENTRIES_MAX, &res);
	free(attrs);
	if (rc != LDAP_SUCCESS) {
		fprintf(stderr, "smtp-edge: search in '%s' failed: %s\n", conf_str(ld, "base"),
			sl.ldap_err2string(rc));
		sl.ldap_msgfree(res);
		return -1;
	}
	for (LDAPMessage *m = sl.ldap_first_entry(l, res); m; m = sl.ldap_next_entry(l, m)) {
		struct dir_entry *e = entry_of(l, m, dirsec, n);

		ldif_write_entry(out, e);
		dir_entry_free(e);
		n->entries++;
	}
	sl.ldap_msgfree(res);
	return 0;
}

enum { S_OUTPUT = OPT_ID(140), S_FILTER };

static const struct opt sync_opts[] = {
	{ "output", S_OUTPUT, OPT_ARG, "FILE", "file", "sync: the LDIF file to write" },
	{ "filter", S_FILTER, OPT_ARG, "FILTER", NULL,
	  "sync: the LDAP filter of the entries copied" },
	{ NULL }
};

int content_cmd_sync(struct prog_state *st, int argc, char **argv)
{
	const struct opt *tables[] = { sync_opts, NULL };
	const json_t *dirsec = conf_section(st->conf, "directory");
	const char *output = NULL, *filter = "(|(mail=*)(posternMailAlias=*))";
	struct strbuf out = STRBUF_INIT;
	struct counts n = { 0 };
	struct opt_state os;
	LDAP *l;
	int c, rc = 0;

	opt_init(&os, tables);
	while ((c = opt_next(&os, argc, argv)) != -1) {
		if (c == S_OUTPUT)
			output = os.arg;
		else if (c == S_FILTER)
			filter = os.arg;
		else
			goto usage;
	}
	if (os.ind != argc || output == NULL)
		goto usage;
	if (strcmp(conf_str(dirsec, "backend"), "ldap") != 0) {
		fprintf(stderr, "smtp-edge: sync reads LDAP: directory.backend must be \"ldap\"\n");
		return EX_CONFIG;
	}
	if (sl_load() < 0)
		return EX_UNAVAILABLE;
	if ((l = sync_connect(conf_get(dirsec, "ldap"))) == NULL)
		return EX_TEMPFAIL;
	strbuf_addf(&out, "# smtp-edge sync from %s base %s\n\n",
		    conf_str(dirsec, "ldap.uri"), conf_str(dirsec, "ldap.base"));
	if (sync_search(l, dirsec, filter, &out, &n) < 0)
		rc = EX_TEMPFAIL;
	sl.ldap_unbind_ext_s(l, NULL, NULL);
	if (rc == 0 && atomic_write(output, out.buf, out.len, 0640) < 0) {
		fprintf(stderr, "smtp-edge: cannot write '%s': %s\n", output, strerror(errno));
		rc = EX_CANTCREAT;
	}
	if (rc == 0) {
		msg_info("synced entries=%zu recipients=%zu aliases=%zu safelists=%zu "
			 "thresholds=%zu output=%s", n.entries, n.recipients, n.aliases, n.safelists,
			 n.thresholds, msg_q(output));
		printf("entries=%zu recipients=%zu aliases=%zu safelists=%zu thresholds=%zu\n",
		       n.entries, n.recipients, n.aliases, n.safelists, n.thresholds);
	}
	strbuf_release(&out);
	return rc;
usage:
	fprintf(stderr, "usage: smtp-edge sync --output FILE [--filter FILTER]\n");
	return EX_USAGE;
}
