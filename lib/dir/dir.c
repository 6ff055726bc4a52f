/* The directory front: the "directory" config section, key
 * normalisation, and dispatch to the file or LDAP backend. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "dir/backend.h"
#include "dir/dir.h"
#include "util/mem.h"
#include "util/msg.h"
#include "util/strbuf.h"

/* Longest mail address, uid or phone number we look up: anything longer
 * cannot be a user, and stays out of filters and logs. */
#define DIR_KEY_MAX 512
#define DIR_FILTER_MAX 4096	/* bytes in a dir_search filter */

static const struct conf_key dir_ldap_keys[] = {
	{ "uri", CONF_STRING, "\"ldap://127.0.0.1\"", 0, 0, NULL, NULL, 0,
	  "server URI: ldap://HOST[:PORT] or ldaps://HOST[:PORT]" },
	{ "starttls", CONF_BOOL, "false", 0, 0, NULL, NULL, 0,
	  "upgrade ldap:// with StartTLS (required to succeed)" },
	{ "ca_file", CONF_PATH, NULL, 0, 0, NULL, NULL, 0,
	  "CA certificates (PEM) that verify the server; system CAs if unset" },
	{ "bind_dn", CONF_STRING, "\"\"", 0, 0, NULL, NULL, 0,
	  "DN of the service account; anonymous if empty" },
	{ "bind_password_file", CONF_PATH, NULL, 0, 0, NULL, NULL, 0,
	  "file holding the service account's password (first line)" },
	{ "base", CONF_STRING, "\"\"", 0, 0, NULL, NULL, 0,
	  "search base for users" },
	{ "user_filter", CONF_STRING, "\"(objectClass=*)\"", 0, 0, NULL, NULL, 0,
	  "filter ANDed with every user search" },
	{ "connect_timeout", CONF_DURATION, "\"5s\"", 10, 300000, NULL, NULL, 0,
	  "time allowed to connect (and StartTLS) to the server" },
	{ "timeout", CONF_DURATION, "\"10s\"", 10, 300000, NULL, NULL, 0,
	  "time allowed for one search or bind" },
	{ NULL }
};

static const struct conf_key dir_keys[] = {
	{ "backend", CONF_ENUM, "\"file\"", 0, 0, "file|ldap", NULL, 0,
	  "where users live: an LDIF file or an LDAP server" },
	{ "file", CONF_PATH, "\"/etc/postern/users.ldif\"", 0, 0, NULL, NULL, 0,
	  "the LDIF file of the file backend (reloaded when it changes)" },
	{ "alias_attributes", CONF_STRINGS, "[\"posternMailAlias\"]", 0, 0, NULL, NULL, 0,
	  "attributes holding other addresses of a user, besides mail" },
	{ "ldap", CONF_OBJECT, NULL, 0, 0, NULL, dir_ldap_keys, 0,
	  "the LDAP backend" },
	{ NULL }
};

const struct conf_section dir_conf_section = {
	"directory", dir_keys, "users, addresses and passwords: LDIF file or LDAP"
};

struct dir {
	const struct dir_backend *be;
	void *priv;
	struct strbuf err;
};

struct dir *dir_open(const json_t *section)
{
	const char *name = section ? conf_str(section, "backend") : NULL;
	struct dir *d;

	if (name == NULL) {
		msg_error("no directory section in the configuration");
		return NULL;
	}
	d = xcalloc(1, sizeof(*d));
	strbuf_init(&d->err, 0);
	d->be = strcmp(name, "ldap") == 0 ? &dir_ldap_backend : &dir_file_backend;
	d->priv = d->be->open(section, &d->err);
	if (d->priv == NULL) {
		msg_error("cannot open the directory: %s backend=%s", d->err.buf, d->be->name);
		strbuf_release(&d->err);
		free(d);
		return NULL;
	}
	return d;
}

void dir_close(struct dir *d)
{
	if (d == NULL)
		return;
	d->be->close(d->priv);
	strbuf_release(&d->err);
	free(d);
}

static enum dir_status dir_result(struct dir *d, enum dir_status s)
{
	if (s == DIR_TEMPFAIL)
		msg_warn("directory unavailable: %s backend=%s", d->err.buf, d->be->name);
	return s;
}

enum dir_status dir_reload(struct dir *d)
{
	strbuf_reset(&d->err);
	return dir_result(d, d->be->reload(d->priv, &d->err));
}

char *dir_phone_normalise(const char *phone)
{
	struct strbuf sb = STRBUF_INIT;
	const char *p = phone;

	while (*p == ' ')
		p++;
	if (*p == '+')
		strbuf_addch(&sb, '+');
	for (; *p; p++)
		if (*p >= '0' && *p <= '9')
			strbuf_addch(&sb, *p);
	if (sb.len == 0 || (sb.len == 1 && sb.buf[0] == '+')) {
		strbuf_release(&sb);
		return NULL;
	}
	return strbuf_detach(&sb, NULL);
}

/* The key as the backends index it, or NULL when it cannot match. */
static char *key_normalise(enum dir_key key, const char *value)
{
	char *s;

	if (value == NULL || value[0] == '\0' || strlen(value) > DIR_KEY_MAX)
		return NULL;
	if (key == DIR_KEY_PHONE)
		return dir_phone_normalise(value);
	s = xstrdup(value);
	if (key == DIR_KEY_MAIL)
		for (char *p = s; *p; p++)
			*p = (char)tolower((unsigned char)*p);
	return s;
}

static enum dir_status dir_lookup(struct dir *d, enum dir_key key, const char *value,
				  struct dir_entry **ep)
{
	char *k = key_normalise(key, value);
	enum dir_status s;

	*ep = NULL;
	if (k == NULL)
		return DIR_NOTFOUND;
	strbuf_reset(&d->err);
	s = d->be->lookup(d->priv, key, k, ep, &d->err);
	free(k);
	if (s != DIR_OK && *ep != NULL) {
		dir_entry_free(*ep);
		*ep = NULL;
	}
	return dir_result(d, s);
}

enum dir_status dir_lookup_mail(struct dir *d, const char *addr, struct dir_entry **ep)
{
	return dir_lookup(d, DIR_KEY_MAIL, addr, ep);
}

enum dir_status dir_lookup_uid(struct dir *d, const char *uid, struct dir_entry **ep)
{
	return dir_lookup(d, DIR_KEY_UID, uid, ep);
}

enum dir_status dir_lookup_phone(struct dir *d, const char *phone, struct dir_entry **ep)
{
	return dir_lookup(d, DIR_KEY_PHONE, phone, ep);
}

enum dir_status dir_check_password(struct dir *d, const char *user, const char *password)
{
	enum dir_key key = user && strchr(user, '@') ? DIR_KEY_MAIL : DIR_KEY_UID;
	char *k = key_normalise(key, user);
	enum dir_status s;

	if (k == NULL || password == NULL || password[0] == '\0') {
		free(k);
		return DIR_NOTFOUND;
	}
	strbuf_reset(&d->err);
	s = d->be->check_password(d->priv, key, k, password, &d->err);
	free(k);
	return dir_result(d, s);
}

int dir_set_blob(struct dir *d, const char *dn_or_uid, const char *attr, const void *data,
		 size_t len)
{
	struct dir_entry *e = NULL;
	int rc;

	if (d->be->set_blob == NULL)
		return DIR_READONLY;
	if (dn_or_uid == NULL || *dn_or_uid == '\0' || strlen(dn_or_uid) > DIR_KEY_MAX)
		return DIR_NOTFOUND;
	if (strchr(dn_or_uid, '=') == NULL) {
		enum dir_status s = dir_lookup_uid(d, dn_or_uid, &e);

		if (s != DIR_OK)
			return s;
		dn_or_uid = e->dn;
	}
	strbuf_reset(&d->err);
	rc = d->be->set_blob(d->priv, dn_or_uid, attr, data, len, &d->err);
	if (rc == DIR_TEMPFAIL)
		dir_result(d, DIR_TEMPFAIL);
	dir_entry_free(e);
	return rc;
}

enum dir_status dir_search(struct dir *d, const char *filter, const char *const *attrs,
			   size_t max, dir_search_fn *fn, void *ctx)
{
	strbuf_reset(&d->err);
	if (d->be->search == NULL) {
		strbuf_addf(&d->err, "the %s backend cannot search with a filter (it needs ldap)",
			    d->be->name);
		return DIR_TEMPFAIL;
	}
	if (filter == NULL || *filter == '\0' || strlen(filter) > DIR_FILTER_MAX) {
		strbuf_addf(&d->err, "the search filter is empty or longer than %d bytes",
			    DIR_FILTER_MAX);
		return DIR_TEMPFAIL;
	}
	return dir_result(d, d->be->search(d->priv, filter, attrs, max, fn, ctx, &d->err));
}

const char *dir_error(const struct dir *d)
{
	return d->err.buf ? d->err.buf : "";
}

const char *dir_status_str(enum dir_status s)
{
	switch (s) {
	case DIR_OK: return "ok";
	case DIR_NOTFOUND: return "not found";
	case DIR_TEMPFAIL: return "temporary failure";
	}
	return "?";
}

const char *dir_backend(const struct dir *d)
{
	return d->be->name;
}
