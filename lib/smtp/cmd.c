/* SMTP command parsing with the limits of RFC 5321 4.5.3.1: a verb
 * table, then MAIL/RCPT paths and ESMTP parameters, BDAT sizes. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "smtp/cmd.h"

static const struct {
	const char *name;
	enum smtp_verb verb;
} verbs[] = {
	{ "HELO", SMTP_HELO }, { "EHLO", SMTP_EHLO }, { "MAIL", SMTP_MAIL },
	{ "RCPT", SMTP_RCPT }, { "DATA", SMTP_DATA }, { "BDAT", SMTP_BDAT },
	{ "RSET", SMTP_RSET }, { "NOOP", SMTP_NOOP }, { "QUIT", SMTP_QUIT },
	{ "VRFY", SMTP_VRFY }, { "EXPN", SMTP_EXPN }, { "HELP", SMTP_HELP },
	{ "STARTTLS", SMTP_STARTTLS }, { "XCLIENT", SMTP_XCLIENT },
	{ "AUTH", SMTP_AUTH },
};

static int fail(struct smtp_cmd *c, const char *reply)
{
	c->error = reply;
	return -1;
}

static bool atext(unsigned char ch, bool utf8)
{
	if (ch >= 0x80)
		return utf8;
	return isalnum(ch) || strchr("!#$%&'*+-/=?^_`{|}~", ch) != NULL;
}

static bool local_valid(const char *s, size_t n, bool utf8)
{
	size_t i;

	if (n == 0 || n > SMTP_LOCAL_MAX * 4)
		return false;
	if (s[0] == '"') {
		/* quoted-string: printable ASCII and quoted pairs */
		if (n < 2 || s[n - 1] != '"')
			return false;
		for (i = 1; i < n - 1; i++) {
			unsigned char ch = (unsigned char)s[i];

			if (ch == '\\') {
				if (++i >= n - 1 || (unsigned char)s[i] < 32)
					return false;
			} else if (ch == '"' || (ch < 32) || ch == 127 || (ch >= 0x80 && !utf8)) {
				return false;
			}
		}
		return true;
	}
	for (i = 0; i < n; i++) {
		if (s[i] == '.') {
			if (i == 0 || i == n - 1 || s[i - 1] == '.')
				return false;
		} else if (!atext((unsigned char)s[i], utf8)) {
			return false;
		}
	}
	return true;
}

static bool domain_valid(const char *s, size_t n, bool utf8)
{
	size_t label = 0;

	if (n == 0 || n > SMTP_DOMAIN_MAX)
		return false;
	if (s[0] == '[') {
		/* address literal: checked loosely, nothing in it is a delimiter */
		if (n < 3 || s[n - 1] != ']')
			return false;
		for (size_t i = 1; i < n - 1; i++)
			if (!isalnum((unsigned char)s[i]) && !strchr(".:-", s[i]))
				return false;
		return true;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch == '.') {
			if (label == 0)
				return false;
			label = 0;
		} else if (isalnum(ch) || ch == '-' || (ch >= 0x80 && utf8)) {
			if (++label > 63)
				return false;
		} else {
			return false;
		}
	}
	return label > 0 || s[n - 1] == '.';
}

bool smtp_addr_valid(const char *addr, bool utf8)
{
	const char *at = strrchr(addr, '@');

	if (at == NULL)
		return false;
	return local_valid(addr, (size_t)(at - addr), utf8) &&
	       domain_valid(at + 1, strlen(at + 1), utf8);
}

/* "<@a,@b:user@dom>" or "<user@dom>" or "user@dom" at p. Sets c->addr
 * and c->domain (NUL-terminated in place) and returns where the
 * parameters start, or NULL. */
static char *parse_path(char *p, struct smtp_cmd *c)
{
	char *end, *colon, *at;
	bool quoted = false, bracket;

	while (*p == ' ')
		p++;			/* "MAIL FROM: <a>" is common enough */
	bracket = *p == '<';
	if (!bracket) {
		/* a bare address: up to the first space */
		end = p + strcspn(p, " ");
		if (end == p)
			return NULL;
	} else {
		for (end = ++p; *end && (quoted || *end != '>'); end++) {
			if (*end == '"')
				quoted = !quoted;
			else if (*end == '\\' && quoted && end[1])
				end++;
		}
		if (*end != '>')
			return NULL;
	}
	if (end - p > SMTP_PATH_MAX)
		return NULL;
	if (*end)
		*end++ = 0;	/* the '>' or the space after a bare address */
	if (bracket && *end && *end != ' ')
		return NULL;
	if (*p == '@') {
		/* a source route, ignored as RFC 5321 C.2 allows */
		colon = strchr(p, ':');
		if (colon == NULL)
			return NULL;
		p = colon + 1;
	}
	c->addr = p;
	at = strrchr(p, '@');
	c->domain = at ? at + 1 : "";
	return end;
}

static int parse_params(char *p, struct smtp_cmd *c)
{
	char *key, *eq;

	while (*p) {
		while (*p == ' ')
			p++;
		if (*p == 0)
			break;
		key = p;
		p += strcspn(p, " ");
		if (*p)
			*p++ = 0;
		if (strlen(key) > SMTP_PARAM_MAX)
			return fail(c, "501 5.5.4 Syntax error: parameter too long");
		if (c->nparams == SMTP_PARAMS_MAX)
			return fail(c, "501 5.5.4 Syntax error: too many parameters");
		eq = strchr(key, '=');
		if (eq)
			*eq++ = 0;
		if (*key == 0 || (eq && *eq == 0))
			return fail(c, "501 5.5.4 Syntax error: bad parameter");
		for (char *k = key; *k; k++) {
			if (!isalnum((unsigned char)*k) && *k != '-')
				return fail(c, "501 5.5.4 Syntax error: bad parameter keyword");
			*k = (char)toupper((unsigned char)*k);
		}
		for (char *v = eq; v && *v; v++)
			if ((unsigned char)*v < 33 || *v == 127)
				return fail(c, "501 5.5.4 Syntax error: bad parameter value");
		if (smtp_cmd_param(c, key))
			return fail(c, "501 5.5.4 Syntax error: repeated parameter");
		c->params[c->nparams].key = key;
		c->params[c->nparams].value = eq;
		c->nparams++;
	}
	return 0;
}

static int parse_mail_rcpt(char *arg, struct smtp_cmd *c, const char *prefix)
{
	size_t n = strlen(prefix);
	char *rest;

	if (strncasecmp(arg, prefix, n) != 0)
		return fail(c, c->verb == SMTP_MAIL ?
			    "501 5.5.4 Syntax: MAIL FROM:<address>" :
			    "501 5.5.4 Syntax: RCPT TO:<address>");
	rest = parse_path(arg + n, c);
	if (rest == NULL)
		return fail(c, "501 5.1.3 Bad address syntax");
	return parse_params(rest, c);
}

static int parse_bdat(const char *arg, struct smtp_cmd *c)
{
	char *end;
	unsigned long long n;

	if (!isdigit((unsigned char)*arg))
		return fail(c, "501 5.5.4 Syntax: BDAT size [LAST]");
	n = strtoull(arg, &end, 10);
	if (n > SMTP_BDAT_MAX)
		return fail(c, "552 5.3.4 Chunk too big");
	c->size = n;
	if (*end == 0)
		return 0;
	if (strcasecmp(end, " LAST") == 0) {
		c->last = true;
		return 0;
	}
	return fail(c, "501 5.5.4 Syntax: BDAT size [LAST]");
}

static int parse_args(char *arg, struct smtp_cmd *c)
{
	switch (c->verb) {
	case SMTP_HELO:
	case SMTP_EHLO:
		if (*arg == 0)
			return fail(c, "501 5.5.4 Syntax: EHLO hostname");
		if (strlen(arg) > SMTP_DOMAIN_MAX)
			return fail(c, "501 5.5.4 Syntax error: hostname too long");
		return 0;
	case SMTP_MAIL:
		return parse_mail_rcpt(arg, c, "FROM:");
	case SMTP_RCPT:
		return parse_mail_rcpt(arg, c, "TO:");
	case SMTP_BDAT:
		return parse_bdat(arg, c);
	case SMTP_DATA:
	case SMTP_RSET:
	case SMTP_QUIT:
	case SMTP_STARTTLS:
		if (*arg)
			return fail(c, "501 5.5.4 Syntax error: no parameters allowed");
		return 0;
	default:
		return 0;
	}
}

int smtp_cmd_parse(char *line, size_t len, struct smtp_cmd *c)
{
	char *arg;
	size_t vlen;

	memset(c, 0, sizeof(*c));
	c->arg = "";
	c->addr = c->domain = "";
	/* A CR, LF or NUL inside a command line is how SMTP smuggling and
	 * request splitting start: never act on such a line. */
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)line[i];

		if (ch == 0 || ch == '\r' || ch == '\n')
			return fail(c, "500 5.5.2 Syntax error: bare CR, LF or NUL in command");
		if ((ch < 32 && ch != '\t') || ch == 127)
			return fail(c, "500 5.5.2 Syntax error: control character in command");
	}
	vlen = strcspn(line, " ");
	arg = line + vlen;
	if (*arg)
		*arg++ = 0;
	c->arg = arg;
	c->verb = SMTP_UNKNOWN;
	c->name = "?";
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
		if (strcasecmp(line, verbs[i].name) == 0) {
			c->verb = verbs[i].verb;
			c->name = verbs[i].name;
			break;
		}
	}
	/* Trailing spaces after an argument are harmless; keep them out. */
	for (size_t n = strlen(arg); n && arg[n - 1] == ' '; n--)
		arg[n - 1] = 0;
	return parse_args(arg, c);
}

const struct smtp_param *smtp_cmd_param(const struct smtp_cmd *c, const char *key)
{
	for (size_t i = 0; i < c->nparams; i++)
		if (strcmp(c->params[i].key, key) == 0)
			return &c->params[i];
	return NULL;
}
