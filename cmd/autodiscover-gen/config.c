/* autodiscover-gen's config keys (one table: parsing, -n, the man page)
 * and the user lookup every document starts from. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "ad.h"
#include "http/http.h"
#include "util/msg.h"

static const struct conf_key server_keys[] = {
	{ "host", CONF_STRING, NULL, 0, 0, NULL, NULL, 0, "the server's name (none: no such server)" },
	{ "port", CONF_INT, NULL, 1, 65535, NULL, NULL, 0,
	  "its port (default: 993 IMAP, 995 POP3, 587 SMTP; 143, 110, 25 with socket plain)" },
	{ "socket", CONF_ENUM, "\"ssl\"", 0, 0, "ssl|starttls|plain", NULL, 0,
	  "TLS from the start, STARTTLS, or none" },
	{ NULL }
};

static const struct conf_key domain_keys[] = {
	{ "display_name", CONF_STRING, NULL, 0, 0, NULL, NULL, 0,
	  "the provider's name shown by clients (default: the domain)" },
	{ "exch_server", CONF_STRING, NULL, 0, 0, NULL, NULL, 0,
	  "EXCH protocol block: the internal mail server's name" },
	{ "outlook_anywhere", CONF_STRING, NULL, 0, 0, NULL, NULL, 0,
	  "EXPR protocol block: the Outlook Anywhere (RPC over HTTP) host" },
	{ "outlook_anywhere_ssl", CONF_BOOL, "true", 0, 0, NULL, NULL, 0,
	  "Outlook Anywhere over HTTPS" },
	{ "outlook_anywhere_auth", CONF_ENUM, "\"Basic\"", 0, 0, "Basic|NTLM|Negotiate", NULL, 0,
	  "Outlook Anywhere authentication (AuthPackage)" },
	{ "cert_principal_name", CONF_STRING, NULL, 0, 0, NULL, NULL, 0,
	  "CertPrincipalName of the EXPR block (\"msstd:mail.example.org\")" },
	{ "ews_url", CONF_STRING, NULL, 0, 0, NULL, NULL, 0,
	  "Exchange Web Services URL (ASUrl and EwsUrl: availability, free/busy)" },
	{ "oof_url", CONF_STRING, NULL, 0, 0, NULL, NULL, 0, "out-of-office URL (OOFUrl)" },
	{ "oab_url", CONF_STRING, NULL, 0, 0, NULL, NULL, 0, "offline address book URL (OABUrl)" },
	{ "um_url", CONF_STRING, NULL, 0, 0, NULL, NULL, 0, "Unified Messaging URL (UMUrl)" },
	{ "owa_url", CONF_STRING, NULL, 0, 0, NULL, NULL, 0,
	  "Outlook Web Access URL (WEB protocol block)" },
	{ "activesync_url", CONF_STRING, NULL, 0, 0, NULL, NULL, 0,
	  "ActiveSync URL (mobilesync answers and the Apple profile)" },
	{ "imap", CONF_OBJECT, NULL, 0, 0, NULL, server_keys, 0, "IMAP server" },
	{ "pop", CONF_OBJECT, NULL, 0, 0, NULL, server_keys, 0, "POP3 server" },
	{ "smtp", CONF_OBJECT, NULL, 0, 0, NULL, server_keys, 0, "SMTP submission server" },
	{ "login", CONF_ENUM, "\"address\"", 0, 0, "address|uid|localpart", NULL, 0,
	  "the login name clients are told: the primary address, the directory uid, or the local part" },
	{ "redirect_url", CONF_STRING, NULL, 0, 0, NULL, NULL, 0,
	  "answer every address of the domain with RedirectUrl to this https URL" },
	{ NULL }
};

static const struct conf_key ad_keys[] = {
	{ "http", CONF_INCLUDE, NULL, 0, 0, NULL, http_conf_keys, 0, NULL },
	{ "domains", CONF_MAP, "{}", 0, 0, NULL, domain_keys, 0,
	  "settings per mail domain (\"*\" for any other)" },
	{ "directory", CONF_BOOL, "true", 0, 0, NULL, NULL, 0,
	  "look users up in the directory (display name, login, aliases)" },
	{ "unknown_users", CONF_ENUM, "\"generic\"", 0, 0, "generic|error", NULL, 0,
	  "an address not in the directory: the domain's generic answer (no user enumeration) or error 500" },
	{ "authentication", CONF_ENUM, "\"none\"", 0, 0, "none|basic", NULL, 0,
	  "basic: POSTs need HTTP Basic credentials checked against the directory (over HTTPS only), as Exchange asks" },
	{ "https_redirect", CONF_STRING, NULL, 0, 0, NULL, NULL, 0,
	  "on plain HTTP, GET /autodiscover/autodiscover.xml redirects (302) to this https base URL" },
	{ "mobileconfig_sign", CONF_BOOL, "false", 0, 0, NULL, NULL, 0,
	  "sign Apple profiles (CMS) with sign_cert, or the site certificate tls.cert" },
	{ "sign_cert", CONF_PATH, NULL, 0, 0, NULL, NULL, 0,
	  "certificate (PEM, chain after it) that signs Apple profiles" },
	{ "sign_key", CONF_PATH, NULL, 0, 0, NULL, NULL, 0,
	  "its key (default: in sign_cert)" },
	{ "organization", CONF_STRING, "\"\"", 0, 0, NULL, NULL, 0,
	  "PayloadOrganization of Apple profiles" },
	{ NULL }
};

const struct conf_section ad_conf_section = {
	"autodiscover-gen", ad_keys, "Autodiscover, Thunderbird autoconfig and Apple profiles"
};

int ad_init(struct ad *a, const struct prog_state *st)
{
	memset(a, 0, sizeof(*a));
	a->st = st;
	a->sec = conf_section(st->conf, "autodiscover-gen");
	a->unknown_error = strcmp(conf_str(a->sec, "unknown_users"), "error") == 0;
	if (conf_bool(a->sec, "directory")) {
		a->dir = dir_open(conf_section(st->conf, "directory"));
		if (a->dir == NULL)
			return -1;
	}
	if (conf_bool(a->sec, "mobileconfig_sign") && ad_sign_cert(a, NULL) == NULL) {
		msg_error("mobileconfig_sign needs sign_cert or tls.cert");
		return -1;
	}
	return 0;
}

void ad_clear(struct ad *a)
{
	dir_close(a->dir);
	a->dir = NULL;
}

const char *ad_sign_cert(const struct ad *a, const char **key)
{
	const char *c = conf_str(a->sec, "sign_cert"), *k = conf_str(a->sec, "sign_key");

	if (!conf_bool(a->sec, "mobileconfig_sign"))
		return NULL;
	if (c == NULL) {
		c = conf_str(a->sec, "tls.cert");
		k = conf_str(a->sec, "tls.key");
		if (c && strcmp(c, "auto") == 0)
			c = NULL;
	}
	if (key)
		*key = k ? k : c;
	return c;
}

static const json_t *domain_find(const struct ad *a, const char *domain)
{
	json_t *map = conf_get(a->sec, "domains"), *d;
	const char *k;

	json_object_foreach(map, k, d)
		if (strcasecmp(k, domain) == 0)
			return d;
	return json_object_get(map, "*");
}

/* A plausible address: one '@', a local part and a domain of sane
 * characters. Anything else never reaches the directory. */
static bool address_ok(const char *s)
{
	const char *at = strchr(s, '@');

	if (at == NULL || at == s || strchr(at + 1, '@') || at[1] == 0 ||
	    strlen(s) >= AUTODISCOVER_ADDR_MAX)
		return false;
	for (const char *p = at + 1; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '.' && *p != '-')
			return false;
	for (const char *p = s; p < at; p++)
		if ((unsigned char)*p <= ' ' || *p == '"' || *p == 0x7f)
			return false;
	return true;
}

static void login_for(const json_t *dom, struct ad_user *u, const struct dir_entry *e)
{
	const char *how = conf_str(dom, "login"), *uid = e ? dir_entry_str(e, "uid") : NULL;
	const char *addr = u->primary[0] ? u->primary : u->address;

	if (strcmp(how, "uid") == 0 && uid)
		snprintf(u->login, sizeof(u->login), "%s", uid);
	else if (strcmp(how, "localpart") == 0)
		snprintf(u->login, sizeof(u->login), "%.*s", (int)(strchr(addr, '@') - addr), addr);
	else
		snprintf(u->login, sizeof(u->login), "%s", addr);
}

enum ad_user_status ad_user_lookup(struct ad *a, const char *address, struct ad_user *u)
{
	struct dir_entry *e = NULL;
	enum dir_status ds = DIR_NOTFOUND;
	const char *at, *pdom;

	memset(u, 0, sizeof(*u));
	if (!address_ok(address))
		return AD_USER_BAD;
	snprintf(u->address, sizeof(u->address), "%s", address);
	at = strchr(u->address, '@');
	for (char *p = (char *)at + 1; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	snprintf(u->domain, sizeof(u->domain), "%s", at + 1);
	u->org = conf_str(a->sec, "organization");
	if (a->dir)
		ds = dir_lookup_mail(a->dir, u->address, &e);
	if (ds == DIR_TEMPFAIL) {
		msg_warn("directory lookup failed: %s address=%s", dir_error(a->dir),
			 msg_q(u->address));
		return AD_USER_TEMPFAIL;
	}
	if (ds == DIR_OK) {
		const char *mail = dir_entry_str(e, "mail");
		const char *dn = dir_entry_str(e, "displayName");

		u->known = true;
		snprintf(u->primary, sizeof(u->primary), "%s", mail ? mail : u->address);
		snprintf(u->display, sizeof(u->display), "%s",
			 dn ? dn : dir_entry_str(e, "cn") ? dir_entry_str(e, "cn") : u->primary);
		pdom = strchr(u->primary, '@');
		if (pdom && strcasecmp(pdom + 1, u->domain) != 0) {
			dir_entry_free(e);
			return AD_USER_REDIRECT;
		}
	}
	u->dom = domain_find(a, u->domain);
	if (u->dom == NULL) {
		dir_entry_free(e);
		return AD_DOMAIN_UNKNOWN;
	}
	if (!u->known) {
		if (a->unknown_error)
			return AD_USER_UNKNOWN;
		snprintf(u->display, sizeof(u->display), "%s", u->address);
	}
	login_for(u->dom, u, e);
	dir_entry_free(e);
	return u->known ? AD_USER_KNOWN : AD_USER_GENERIC;
}
