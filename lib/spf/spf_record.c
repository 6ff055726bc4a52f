/* SPF record parsing (RFC 7208 sections 4.5, 5, 6 and the ABNF of 12):
 * every term is checked before any is evaluated. */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "spf/spf_macro.h"
#include "spf/spf_record.h"
#include "util/mem.h"

static const struct {
	const char *name;
	enum spf_kind kind;
} mechanisms[] = {
	{ "all", SPF_ALL }, { "include", SPF_INCLUDE }, { "a", SPF_A }, { "mx", SPF_MX },
	{ "ptr", SPF_PTR }, { "ip4", SPF_IP4 }, { "ip6", SPF_IP6 }, { "exists", SPF_EXISTS },
};

bool spf_record_is_spf(const char *txt, size_t len)
{
	return len >= 6 && strncasecmp(txt, "v=spf1", 6) == 0 && (len == 6 || txt[6] == ' ');
}

/* toplabel (section 12): alphanumerics and inner hyphens, not all digits. */
static bool is_toplabel(const char *s, size_t n)
{
	bool alpha = false;

	if (n == 0 || n > 63 || s[0] == '-' || s[n - 1] == '-')
		return false;
	for (size_t i = 0; i < n; i++) {
		if (isalpha((unsigned char)s[i]))
			alpha = true;
		else if (!isdigit((unsigned char)s[i]) && s[i] != '-')
			return false;
	}
	return alpha;
}

/* domain-spec = macro-string domain-end; domain-end = "." toplabel ["."]
 * or a macro-expand. */
static int check_domain_spec(const char *spec, const char **why)
{
	size_t n = strlen(spec);
	const char *dot;

	if (n == 0) {
		*why = "empty domain-spec";
		return -1;
	}
	if (spf_macro_check(spec, false, why) < 0)
		return -1;
	if (spec[n - 1] == '}')
		return 0;
	if (n >= 2 && spec[n - 1] == '%' && spec[n - 2] == '%')
		return 0;
	if (spec[n - 1] == '.')
		n--;
	dot = n ? memrchr(spec, '.', n) : NULL;
	if (!dot || !is_toplabel(dot + 1, n - (size_t)(dot + 1 - spec))) {
		*why = "domain-spec does not end in a valid top label";
		return -1;
	}
	return 0;
}

/* "/N" with N in 0..max, no leading zero; returns the value or -1. */
static int parse_cidr(const char *s, size_t n, int max)
{
	int v = 0;

	if (n == 0 || n > 3 || (n > 1 && s[0] == '0'))
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v <= max ? v : -1;
}

/* Takes a dual-cidr-length ("/24", "//64", "/24//64") off the end of arg
 * (which it shortens). Returns 0 or -1. */
static int take_dual_cidr(char *arg, struct spf_term *t, const char **why)
{
	size_t n = strlen(arg), i;

	for (int pass = 0; pass < 2; pass++) {
		i = n;
		while (i > 0 && isdigit((unsigned char)arg[i - 1]))
			i--;
		if (i == n || i == 0 || arg[i - 1] != '/')
			break;
		if (i >= 2 && arg[i - 2] == '/') {
			if (pass == 1 || (t->cidr6 = parse_cidr(arg + i, n - i, 128)) < 0)
				goto bad;
			n = i - 2;
		} else {
			if ((t->cidr4 = parse_cidr(arg + i, n - i, 32)) < 0)
				goto bad;
			n = i - 1;
			break;
		}
		arg[n] = 0;
	}
	arg[n] = 0;
	return 0;
bad:
	*why = "bad CIDR length";
	return -1;
}

static int parse_ip(struct spf_term *t, const char *arg, const char **why)
{
	char buf[64];
	const char *slash = strchr(arg, '/');
	size_t n = slash ? (size_t)(slash - arg) : strlen(arg);
	int af = t->kind == SPF_IP4 ? AF_INET : AF_INET6, max = af == AF_INET ? 32 : 128;
	int len = max;

	if (n == 0 || n >= sizeof(buf))
		goto bad;
	memcpy(buf, arg, n);
	buf[n] = 0;
	if (inet_pton(af, buf, t->addr) != 1)
		goto bad;
	if (slash && (len = parse_cidr(slash + 1, strlen(slash + 1), max)) < 0)
		goto bad;
	if (af == AF_INET)
		t->cidr4 = len;
	else
		t->cidr6 = len;
	return 0;
bad:
	*why = af == AF_INET ? "bad ip4 network" : "bad ip6 network";
	return -1;
}

/* A mechanism: name already matched; arg is what follows it (":..." or
 * "/..." or ""). */
static int parse_mechanism(struct spf_term *t, const char *rest, const char **why)
{
	char *arg;
	int rc = 0;

	if (*rest != ':' && *rest != '/' && *rest != 0)
		goto bad;
	if (t->kind == SPF_ALL) {
		if (*rest)
			goto bad;
		return 0;
	}
	if (t->kind == SPF_IP4 || t->kind == SPF_IP6) {
		if (*rest != ':')
			goto bad;
		return parse_ip(t, rest + 1, why);
	}
	arg = xstrdup(*rest == ':' ? rest + 1 : rest);
	if (t->kind == SPF_A || t->kind == SPF_MX)
		rc = take_dual_cidr(arg, t, why);
	else if (*rest == '/')
		rc = -1, *why = "CIDR length on a mechanism that takes none";
	if (rc == 0 && *rest == ':') {
		rc = check_domain_spec(arg, why);
		if (rc == 0)
			t->spec = xstrdup(arg);
	} else if (rc == 0 && *arg) {
		rc = -1, *why = "unexpected text after the mechanism";
	}
	if (rc == 0 && !t->spec && (t->kind == SPF_INCLUDE || t->kind == SPF_EXISTS))
		rc = -1, *why = "mechanism needs a domain";
	free(arg);
	return rc;
bad:
	*why = "malformed mechanism";
	return -1;
}

static int parse_modifier(struct spf_term *t, const char *name, size_t nlen, const char *val,
			  struct spf_record *rec, const char **why)
{
	if (!isalpha((unsigned char)name[0]))
		goto bad;
	for (size_t i = 0; i < nlen; i++)
		if (!isalnum((unsigned char)name[i]) && !strchr("-_.", name[i]))
			goto bad;
	if (nlen == 8 && strncasecmp(name, "redirect", 8) == 0)
		t->kind = SPF_REDIRECT;
	else if (nlen == 3 && strncasecmp(name, "exp", 3) == 0)
		t->kind = SPF_EXP;
	else
		t->kind = SPF_UNKNOWN_MOD;
	if (t->kind == SPF_UNKNOWN_MOD) {
		if (spf_macro_check(val, false, why) < 0)
			return -1;
	} else {
		int *idx = t->kind == SPF_REDIRECT ? &rec->redirect : &rec->exp;

		if (*idx >= 0) {
			*why = t->kind == SPF_REDIRECT ? "more than one redirect=" : "more than one exp=";
			return -1;
		}
		if (check_domain_spec(val, why) < 0)
			return -1;
		*idx = (int)rec->n;
	}
	t->spec = xstrdup(val);
	return 0;
bad:
	*why = "bad modifier name";
	return -1;
}

static int parse_term(const char *s, struct spf_record *rec, const char **why)
{
	struct spf_term t = { .qual = '+', .cidr4 = 32, .cidr6 = 128 };
	const char *p = s, *eq = s + strcspn(s, ":/=");
	size_t i;
	int rc = -1;

	t.text = xstrdup(s);
	if (*eq == '=') {
		rc = parse_modifier(&t, s, (size_t)(eq - s), eq + 1, rec, why);
		goto out;
	}
	if (*p && strchr("+-~?", *p))
		t.qual = *p++;
	for (i = 0; i < sizeof(mechanisms) / sizeof(mechanisms[0]); i++) {
		size_t n = strlen(mechanisms[i].name);

		if (strncasecmp(p, mechanisms[i].name, n) == 0 &&
		    (p[n] == 0 || p[n] == ':' || p[n] == '/')) {
			t.kind = mechanisms[i].kind;
			rc = parse_mechanism(&t, p + n, why);
			goto out;
		}
	}
	*why = "unknown mechanism";
out:
	if (rc < 0) {
		free(t.text);
		free(t.spec);
		return -1;
	}
	rec->terms[rec->n++] = t;
	return 0;
}

int spf_record_parse(const char *text, struct spf_record *rec, const char **why)
{
	size_t len = strlen(text);
	char *copy, *p, *end;

	memset(rec, 0, sizeof(*rec));
	rec->redirect = rec->exp = -1;
	if (len > SPF_RECORD_MAX) {
		*why = "record too long";
		return -1;
	}
	if (!spf_record_is_spf(text, len)) {
		*why = "not an SPF record";
		return -1;
	}
	rec->terms = xcalloc(SPF_TERMS_MAX, sizeof(*rec->terms));
	copy = xstrdup(text + 6);
	for (p = copy; *p; p = end) {
		while (*p == ' ')
			p++;
		if (!*p)
			break;
		end = strchr(p, ' ');
		if (end)
			*end++ = 0;
		else
			end = p + strlen(p);
		if (rec->n == SPF_TERMS_MAX) {
			*why = "too many terms";
			goto bad;
		}
		if (parse_term(p, rec, why) < 0)
			goto bad;
	}
	free(copy);
	return 0;
bad:
	free(copy);
	spf_record_clear(rec);
	return -1;
}

void spf_record_clear(struct spf_record *rec)
{
	for (size_t i = 0; i < rec->n; i++) {
		free(rec->terms[i].text);
		free(rec->terms[i].spec);
	}
	free(rec->terms);
	memset(rec, 0, sizeof(*rec));
	rec->redirect = rec->exp = -1;
}
