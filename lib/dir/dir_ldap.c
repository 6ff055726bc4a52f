/* The LDAP backend (libldap): one reused, bound service connection for
 * searches and another for users' password binds; StartTLS or ldaps://,
 * timeouts, one reconnect when a reused connection turns out dead.
 * libldap (and with it liblber, libsasl2 and GnuTLS) is loaded with
 * dlopen when an ldap directory is opened: a program that reads a file
 * directory, or none, does not pay for loading them at every start. */
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <unistd.h>

#include <ldap.h>

#include "dir/backend.h"
#include "util/mem.h"
#include "util/msg.h"

#define DIRLDAP_PASSWORD_MAX 4096
#define LIBLDAP "libldap-2.5.so.0"

/* The calls made, typed by ldap.h; ber_free is liblber's, which dlsym
 * finds through libldap's dependencies. */
#define LDL_FUNCS(X) \
	X(ber_free) \
	X(ldap_err2string) \
	X(ldap_first_attribute) \
	X(ldap_first_entry) \
	X(ldap_get_dn) \
	X(ldap_get_option) \
	X(ldap_get_values_len) \
	X(ldap_initialize) \
	X(ldap_is_ldap_url) \
	X(ldap_memfree) \
	X(ldap_modify_ext_s) \
	X(ldap_msgfree) \
	X(ldap_next_attribute) \
	X(ldap_next_entry) \
	X(ldap_sasl_bind_s) \
	X(ldap_search_ext_s) \
	X(ldap_set_option) \
	X(ldap_start_tls_s) \
	X(ldap_unbind_ext_s) \
	X(ldap_value_free_len)
#define LDL_FIELD(f) __typeof__(f) *f;

/* Loaded once and kept until exit: libldap and GnuTLS keep global state
 * (the TLS library's initialisation, the default options) that unloading
 * would strand. */
static struct {
	bool tried, ok;
	char why[200];
	LDL_FUNCS(LDL_FIELD)
} ldl;

/* dlsym returns void *; going through memcpy keeps the conversion to a
 * function pointer well defined. */
static bool ldl_sym(void *lib, const char *name, void *slot, size_t size)
{
	void *p = dlsym(lib, name);

	if (p == NULL) {
		snprintf(ldl.why, sizeof(ldl.why), "%s has no %s", LIBLDAP, name);
		return false;
	}
	memcpy(slot, &p, size);
	return true;
}

static bool ldl_load(struct strbuf *err)
{
	void *lib;

	if (!ldl.tried) {
		ldl.tried = true;
		lib = dlopen(LIBLDAP, RTLD_NOW | RTLD_LOCAL);
		if (lib == NULL) {
			snprintf(ldl.why, sizeof(ldl.why), "cannot load %s: %s", LIBLDAP,
				 dlerror());
		} else {
#define LDL_SYM(f) && ldl_sym(lib, #f, &ldl.f, sizeof(ldl.f))
			ldl.ok = true LDL_FUNCS(LDL_SYM);
#undef LDL_SYM
		}
	}
	if (!ldl.ok)
		strbuf_addstr(err, ldl.why);
	return ldl.ok;
}

struct conn {
	LDAP *ld;
	bool used;		/* served a request since it was opened */
};

struct dirldap {
	char *uri, *base, *filter, *bind_dn, *ca_file;
	char *password;		/* the service account's; wiped on close */
	bool starttls;
	long long connect_ms, op_ms;
	char **aliases;
	size_t naliases;
	struct conn svc;	/* bound as bind_dn (or anonymous) */
	struct conn auth;	/* rebinds as each user checked */
};

static bool ldap_rc_down(int rc)
{
	return rc == LDAP_SERVER_DOWN || rc == LDAP_CONNECT_ERROR;
}

static void conn_drop(struct conn *c)
{
	if (c->ld != NULL)
		ldl.ldap_unbind_ext_s(c->ld, NULL, NULL);
	c->ld = NULL;
	c->used = false;
}

static void conn_error(LDAP *ld, int rc, const char *what, const char *uri,
		       struct strbuf *err)
{
	char *diag = NULL;

	strbuf_reset(err);
	strbuf_addf(err, "%s %s: %s", what, uri, ldl.ldap_err2string(rc));
	if (ld != NULL && ldl.ldap_get_option(ld, LDAP_OPT_DIAGNOSTIC_MESSAGE, &diag) ==
	    LDAP_OPT_SUCCESS && diag != NULL) {
		/* libldap over GnuTLS has nothing better for a failed handshake. */
		if (diag[0] != '\0' && strcmp(diag, "(unknown error code)") != 0)
			strbuf_addf(err, " (%s)", diag);
		ldl.ldap_memfree(diag);
	}
}

static void ms_to_tv(long long ms, struct timeval *tv)
{
	tv->tv_sec = (time_t)(ms / 1000);
	tv->tv_usec = (suseconds_t)(ms % 1000) * 1000;
}

/* Options that must hold before the first byte goes out. */
static int conn_options(struct dirldap *dl, LDAP *ld)
{
	int v3 = LDAP_VERSION3, demand = LDAP_OPT_X_TLS_DEMAND, zero = 0;
	struct timeval net, op;
	int rc;

	ms_to_tv(dl->connect_ms, &net);
	ms_to_tv(dl->op_ms, &op);
	if ((rc = ldl.ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &v3)) ||
	    (rc = ldl.ldap_set_option(ld, LDAP_OPT_REFERRALS, LDAP_OPT_OFF)) ||
	    (rc = ldl.ldap_set_option(ld, LDAP_OPT_NETWORK_TIMEOUT, &net)) ||
	    (rc = ldl.ldap_set_option(ld, LDAP_OPT_TIMEOUT, &op)) ||
	    (rc = ldl.ldap_set_option(ld, LDAP_OPT_X_TLS_REQUIRE_CERT, &demand)))
		return rc;
	if (dl->ca_file &&
	    (rc = ldl.ldap_set_option(ld, LDAP_OPT_X_TLS_CACERTFILE, dl->ca_file)))
		return rc;
	/* A TLS context of this handle's own, so the settings above apply. */
	return ldl.ldap_set_option(ld, LDAP_OPT_X_TLS_NEWCTX, &zero);
}

/* Opens c (StartTLS as configured) and, when dn is given, binds. */
static int conn_open(struct dirldap *dl, struct conn *c, const char *dn,
		     const char *password, struct strbuf *err)
{
	LDAP *ld = NULL;
	int rc = ldl.ldap_initialize(&ld, dl->uri);

	if (rc == LDAP_SUCCESS)
		rc = conn_options(dl, ld);
	if (rc == LDAP_SUCCESS && dl->starttls && strncasecmp(dl->uri, "ldaps:", 6) != 0) {
		rc = ldl.ldap_start_tls_s(ld, NULL, NULL);
		if (rc != LDAP_SUCCESS) {
			conn_error(ld, rc, rc == LDAP_SERVER_DOWN ? "cannot connect to" :
				   "cannot start TLS with", dl->uri, err);
			if (rc == LDAP_CONNECT_ERROR)
				strbuf_addstr(err, " (is the server certificate signed by "
					      "ldap.ca_file and named as in ldap.uri?)");
			goto fail;
		}
	}
	if (rc == LDAP_SUCCESS && dn != NULL && dn[0] != '\0') {
		struct berval cred = { strlen(password), (char *)password };

		rc = ldl.ldap_sasl_bind_s(ld, dn, LDAP_SASL_SIMPLE, &cred, NULL, NULL, NULL);
		if (rc != LDAP_SUCCESS) {
			/* The first exchange is where a dead server shows. */
			conn_error(ld, rc, ldap_rc_down(rc) ? "cannot connect to" :
				   "cannot bind as the service account to", dl->uri, err);
			goto fail;
		}
	}
	if (rc != LDAP_SUCCESS) {
		conn_error(ld, rc, "cannot connect to", dl->uri, err);
		goto fail;
	}
	c->ld = ld;
	c->used = false;
	return LDAP_SUCCESS;
fail:
	if (ld != NULL)
		ldl.ldap_unbind_ext_s(ld, NULL, NULL);
	return rc;
}

/* RFC 4515 assertion value: the specials and anything not printable
 * ASCII as \XX, so no value can change the filter's shape. */
static void filter_escape(struct strbuf *sb, const char *v)
{
	for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
		if (*p == '*' || *p == '(' || *p == ')' || *p == '\\' ||
		    *p < 0x20 || *p > 0x7e)
			strbuf_addf(sb, "\\%02x", *p);
		else
			strbuf_addch(sb, *p);
	}
}

static void filter_term(struct strbuf *sb, const char *attr, const char *v)
{
	strbuf_addf(sb, "(%s=", attr);
	filter_escape(sb, v);
	strbuf_addch(sb, ')');
}

static char *filter_build(struct dirldap *dl, enum dir_key key, const char *value)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_addf(&sb, "(&%s", dl->filter);
	switch (key) {
	case DIR_KEY_MAIL:
		strbuf_addstr(&sb, "(|");
		filter_term(&sb, "mail", value);
		for (size_t i = 0; i < dl->naliases; i++)
			filter_term(&sb, dl->aliases[i], value);
		strbuf_addch(&sb, ')');
		break;
	case DIR_KEY_UID:
		filter_term(&sb, "uid", value);
		break;
	case DIR_KEY_PHONE:
		filter_term(&sb, "telephoneNumber", value);
		break;
	}
	strbuf_addch(&sb, ')');
	return strbuf_detach(&sb, NULL);
}

static struct dir_entry *entry_from_ldap(LDAP *ld, LDAPMessage *m)
{
	char *dn = ldl.ldap_get_dn(ld, m), *a;
	struct dir_entry *e = dir_entry_new(dn ? dn : "");
	BerElement *ber = NULL;

	ldl.ldap_memfree(dn);
	for (a = ldl.ldap_first_attribute(ld, m, &ber); a; a = ldl.ldap_next_attribute(ld, m, ber)) {
		struct berval **vals = ldl.ldap_get_values_len(ld, m, a);

		for (size_t i = 0; vals && vals[i]; i++)
			dir_entry_add(e, a, vals[i]->bv_val, vals[i]->bv_len);
		ldl.ldap_value_free_len(vals);
		ldl.ldap_memfree(a);
	}
	ldl.ber_free(ber, 0);
	return e;
}

/* Makes sure svc is open; returns an LDAP result code. */
static int svc_ready(struct dirldap *dl, struct strbuf *err)
{
	if (dl->svc.ld != NULL)
		return LDAP_SUCCESS;
	return conn_open(dl, &dl->svc, dl->bind_dn, dl->password, err);
}

static int search_once(struct dirldap *dl, const char *filter, char **attrs, int sizelimit,
		       LDAPMessage **res, struct strbuf *err)
{
	struct timeval tv;
	int rc = svc_ready(dl, err);

	if (rc != LDAP_SUCCESS)
		return rc;
	ms_to_tv(dl->op_ms, &tv);
	*res = NULL;
	rc = ldl.ldap_search_ext_s(dl->svc.ld, dl->base, LDAP_SCOPE_SUBTREE, filter, attrs, 0,
			       NULL, NULL, &tv, sizelimit, res);
	if (rc == LDAP_SIZELIMIT_EXCEEDED) {
		strbuf_addf(err, "more than %d entries match %s", sizelimit, filter);
		ldl.ldap_msgfree(*res);
		*res = NULL;
		return rc;
	}
	if (rc != LDAP_SUCCESS && rc != LDAP_NO_SUCH_OBJECT) {
		conn_error(dl->svc.ld, rc, "cannot search", dl->uri, err);
		ldl.ldap_msgfree(*res);
		*res = NULL;
		conn_drop(&dl->svc);
		return rc;
	}
	dl->svc.used = true;
	return rc;
}

/* Searches, reconnecting once if a reused connection has died. */
static enum dir_status search(struct dirldap *dl, enum dir_key key, const char *value,
			      char **attrs, LDAPMessage **res, struct strbuf *err)
{
	char *filter = filter_build(dl, key, value);
	bool reused = dl->svc.used;
	int rc = search_once(dl, filter, attrs, LDAP_NO_LIMIT, res, err);

	if (ldap_rc_down(rc) && reused) {
		msg_info("reconnecting to the directory after: %s", err->buf);
		rc = search_once(dl, filter, attrs, LDAP_NO_LIMIT, res, err);
	}
	free(filter);
	if (rc == LDAP_NO_SUCH_OBJECT) {
		ldl.ldap_msgfree(*res);
		*res = NULL;
		return DIR_NOTFOUND;
	}
	return rc == LDAP_SUCCESS ? DIR_OK : DIR_TEMPFAIL;
}

static enum dir_status dirldap_lookup(void *be, enum dir_key key, const char *value,
				      struct dir_entry **ep, struct strbuf *err)
{
	struct dirldap *dl = be;
	LDAPMessage *res = NULL, *m;
	enum dir_status s = search(dl, key, value, NULL, &res, err);

	if (s != DIR_OK)
		return s;
	m = ldl.ldap_first_entry(dl->svc.ld, res);
	if (m == NULL) {
		s = DIR_NOTFOUND;
	} else {
		*ep = entry_from_ldap(dl->svc.ld, m);
		if (ldl.ldap_next_entry(dl->svc.ld, m) != NULL)
			msg_warn("several directory entries match, using the first "
				 "key=%s dn=%s", msg_q(value), msg_q((*ep)->dn));
	}
	ldl.ldap_msgfree(res);
	return s;
}

static enum dir_status dirldap_search(void *be, const char *filter, const char *const *attrs,
				      size_t max, dir_search_fn *fn, void *ctx, struct strbuf *err)
{
	struct dirldap *dl = be;
	LDAPMessage *res = NULL;
	bool reused = dl->svc.used;
	int limit = max == 0 || max > INT_MAX ? INT_MAX : (int)max, rc;

	rc = search_once(dl, filter, (char **)attrs, limit, &res, err);
	if (ldap_rc_down(rc) && reused) {
		msg_info("reconnecting to the directory after: %s", err->buf);
		strbuf_reset(err);
		rc = search_once(dl, filter, (char **)attrs, limit, &res, err);
	}
	if (rc == LDAP_NO_SUCH_OBJECT) {
		ldl.ldap_msgfree(res);
		return DIR_OK;
	}
	if (rc != LDAP_SUCCESS)
		return DIR_TEMPFAIL;
	for (LDAPMessage *m = ldl.ldap_first_entry(dl->svc.ld, res); m;
	     m = ldl.ldap_next_entry(dl->svc.ld, m)) {
		struct dir_entry *e = entry_from_ldap(dl->svc.ld, m);
		int stop = fn(e, ctx);

		dir_entry_free(e);
		if (stop)
			break;
	}
	ldl.ldap_msgfree(res);
	return DIR_OK;
}

/* The DN of the one entry matching user, in *dnp (caller frees). */
static enum dir_status user_dn(struct dirldap *dl, enum dir_key key, const char *user,
			       char **dnp, struct strbuf *err)
{
	static char *no_attrs[] = { LDAP_NO_ATTRS, NULL };
	LDAPMessage *res = NULL, *m;
	enum dir_status s = search(dl, key, user, no_attrs, &res, err);

	*dnp = NULL;
	if (s != DIR_OK)
		return s;
	m = ldl.ldap_first_entry(dl->svc.ld, res);
	if (m != NULL && ldl.ldap_next_entry(dl->svc.ld, m) != NULL) {
		msg_warn("several directory entries match, refusing the password "
			 "check user=%s", msg_q(user));
		m = NULL;
	}
	if (m != NULL) {
		char *dn = ldl.ldap_get_dn(dl->svc.ld, m);

		*dnp = dn ? xstrdup(dn) : NULL;
		ldl.ldap_memfree(dn);
	}
	ldl.ldap_msgfree(res);
	return *dnp ? DIR_OK : DIR_NOTFOUND;
}

static int user_bind_once(struct dirldap *dl, const char *dn, const char *password,
			  struct strbuf *err)
{
	struct berval cred = { strlen(password), (char *)password };
	int rc;

	if (dl->auth.ld == NULL &&
	    (rc = conn_open(dl, &dl->auth, NULL, NULL, err)) != LDAP_SUCCESS)
		return rc;
	rc = ldl.ldap_sasl_bind_s(dl->auth.ld, dn, LDAP_SASL_SIMPLE, &cred, NULL, NULL, NULL);
	if (rc == LDAP_SUCCESS || rc == LDAP_INVALID_CREDENTIALS) {
		dl->auth.used = true;
		return rc;
	}
	conn_error(dl->auth.ld, rc, "cannot bind as a user to", dl->uri, err);
	if (ldap_rc_down(rc) || rc == LDAP_TIMEOUT)
		conn_drop(&dl->auth);
	return rc;
}

static enum dir_status dirldap_check_password(void *be, enum dir_key key, const char *user,
					      const char *password, struct strbuf *err)
{
	struct dirldap *dl = be;
	char *dn;
	enum dir_status s = user_dn(dl, key, user, &dn, err);
	bool reused = dl->auth.used;
	int rc;

	if (s != DIR_OK)
		return s;
	rc = user_bind_once(dl, dn, password, err);
	if (ldap_rc_down(rc) && reused)
		rc = user_bind_once(dl, dn, password, err);
	free(dn);
	switch (rc) {
	case LDAP_SUCCESS:
		return DIR_OK;
	case LDAP_INVALID_CREDENTIALS:
	case LDAP_INAPPROPRIATE_AUTH:	/* the entry has no password */
	case LDAP_UNWILLING_TO_PERFORM:	/* locked, or policy says no */
		return DIR_NOTFOUND;
	default:
		return DIR_TEMPFAIL;
	}
}

static enum dir_status dirldap_reload(void *be, struct strbuf *err)
{
	struct dirldap *dl = be;

	conn_drop(&dl->svc);
	conn_drop(&dl->auth);
	return DIR_OK;
}

static void dirldap_close(void *be)
{
	struct dirldap *dl = be;

	conn_drop(&dl->svc);
	conn_drop(&dl->auth);
	if (dl->password) {
		mem_wipe(dl->password, strlen(dl->password));
		free(dl->password);
	}
	for (size_t i = 0; i < dl->naliases; i++)
		free(dl->aliases[i]);
	free(dl->aliases);
	free(dl->uri);
	free(dl->base);
	free(dl->filter);
	free(dl->bind_dn);
	free(dl->ca_file);
	free(dl);
}

/* The first line of the password file; the value never reaches a log. */
static int password_read(struct dirldap *dl, const char *path, struct strbuf *err)
{
	struct strbuf sb = STRBUF_INIT;
	char *nl;

	if (strbuf_read_file(&sb, path, DIRLDAP_PASSWORD_MAX) < 0) {
		strbuf_addf(err, "cannot read ldap.bind_password_file '%s': %s", path,
			    strerror(errno));
		strbuf_release(&sb);
		return -1;
	}
	if (sb.len > 0 && (nl = memchr(sb.buf, '\n', sb.len)) != NULL)
		strbuf_setlen(&sb, (size_t)(nl - sb.buf));
	if (sb.len > 0 && sb.buf[sb.len - 1] == '\r')
		strbuf_setlen(&sb, sb.len - 1);
	if (sb.len == 0 || memchr(sb.buf, '\0', sb.len) != NULL) {
		strbuf_addf(err, "ldap.bind_password_file '%s' holds no password", path);
		if (sb.alloc)
			mem_wipe(sb.buf, sb.alloc);
		strbuf_release(&sb);
		return -1;
	}
	dl->password = xstrdup(sb.buf);
	mem_wipe(sb.buf, sb.alloc);
	strbuf_release(&sb);
	return 0;
}

static int dirldap_config(struct dirldap *dl, const json_t *section, struct strbuf *err)
{
	const char *uri = conf_str(section, "ldap.uri");
	const char *flt = conf_str(section, "ldap.user_filter");
	const char *ca = conf_str(section, "ldap.ca_file");
	const char *pwfile = conf_str(section, "ldap.bind_password_file");

	dl->uri = xstrdup(uri ? uri : "");
	dl->base = xstrdup(conf_str(section, "ldap.base") ? conf_str(section, "ldap.base") : "");
	dl->bind_dn = xstrdup(conf_str(section, "ldap.bind_dn") ?
			      conf_str(section, "ldap.bind_dn") : "");
	dl->ca_file = ca && ca[0] ? xstrdup(ca) : NULL;
	dl->starttls = conf_bool(section, "ldap.starttls");
	dl->connect_ms = conf_int(section, "ldap.connect_timeout");
	dl->op_ms = conf_int(section, "ldap.timeout");
	if (dl->connect_ms <= 0)
		dl->connect_ms = 5000;
	if (dl->op_ms <= 0)
		dl->op_ms = 10000;
	if (flt == NULL || flt[0] == '\0')
		flt = "(objectClass=*)";
	dl->filter = flt[0] == '(' ? xstrdup(flt) : xasprintf("(%s)", flt);
	dl->naliases = conf_strings_len(section, "alias_attributes");
	dl->aliases = xcalloc(dl->naliases + 1, sizeof(*dl->aliases));
	for (size_t i = 0; i < dl->naliases; i++)
		dl->aliases[i] = xstrdup(conf_strings_at(section, "alias_attributes", i));
	if (!ldl.ldap_is_ldap_url(dl->uri) && strncasecmp(dl->uri, "ldapi:", 6) != 0) {
		strbuf_addf(err, "ldap.uri '%s' is not an ldap://, ldaps:// or ldapi:// URI",
			    dl->uri);
		return -1;
	}
	if (dl->ca_file && access(dl->ca_file, R_OK) < 0) {
		strbuf_addf(err, "cannot read ldap.ca_file '%s': %s", dl->ca_file,
			    strerror(errno));
		return -1;
	}
	if (dl->base[0] == '\0') {
		strbuf_addstr(err, "ldap.base is empty");
		return -1;
	}
	if (dl->bind_dn[0] != '\0' && (pwfile == NULL || pwfile[0] == '\0')) {
		strbuf_addstr(err, "ldap.bind_dn is set but ldap.bind_password_file is not");
		return -1;
	}
	if (dl->bind_dn[0] != '\0')
		return password_read(dl, pwfile, err);
	return 0;
}

static void *dirldap_open(const json_t *section, struct strbuf *err)
{
	struct dirldap *dl;

	if (!ldl_load(err))
		return NULL;
	dl = xcalloc(1, sizeof(*dl));
	if (dirldap_config(dl, section, err) < 0) {
		dirldap_close(dl);
		return NULL;
	}
	return dl;
}

/* One modify as the service account, reconnecting once if a reused
 * connection has died. */
static int dirldap_set_blob(void *be, const char *dn, const char *attr, const void *data,
			    size_t len, struct strbuf *err)
{
	struct dirldap *dl = be;
	struct berval bv, *bvs[2] = { &bv, NULL };
	LDAPMod mod, *mods[2] = { &mod, NULL };
	bool reused = dl->svc.used;
	int rc;

	bv.bv_len = (ber_len_t)len;
	bv.bv_val = (char *)data;
	memset(&mod, 0, sizeof(mod));
	mod.mod_op = LDAP_MOD_REPLACE | LDAP_MOD_BVALUES;
	mod.mod_type = (char *)attr;
	mod.mod_bvalues = len ? bvs : NULL;
	for (int tries = 0;; tries++) {
		rc = svc_ready(dl, err);
		if (rc != LDAP_SUCCESS)
			return DIR_TEMPFAIL;
		rc = ldl.ldap_modify_ext_s(dl->svc.ld, dn, mods, NULL, NULL);
		if (!ldap_rc_down(rc) || !reused || tries > 0)
			break;
		conn_drop(&dl->svc);
		msg_info("reconnecting to the directory after a modify failed");
	}
	switch (rc) {
	case LDAP_SUCCESS:
		dl->svc.used = true;
		return DIR_OK;
	case LDAP_NO_SUCH_OBJECT:
		return DIR_NOTFOUND;
	case LDAP_INSUFFICIENT_ACCESS:
	case LDAP_UNWILLING_TO_PERFORM:
	case LDAP_STRONG_AUTH_REQUIRED:
	case LDAP_CONFIDENTIALITY_REQUIRED:
	case LDAP_OBJECT_CLASS_VIOLATION:	/* the entry's classes lack attr */
	case LDAP_UNDEFINED_TYPE:		/* the schema lacks attr */
		conn_error(dl->svc.ld, rc, "cannot modify", dl->uri, err);
		return DIR_READONLY;
	default:
		conn_error(dl->svc.ld, rc, "cannot modify", dl->uri, err);
		if (ldap_rc_down(rc))
			conn_drop(&dl->svc);
		return DIR_TEMPFAIL;
	}
}

const struct dir_backend dir_ldap_backend = {
	.name = "ldap",
	.open = dirldap_open,
	.lookup = dirldap_lookup,
	.check_password = dirldap_check_password,
	.reload = dirldap_reload,
	.close = dirldap_close,
	.set_blob = dirldap_set_blob,
	.search = dirldap_search,
};
