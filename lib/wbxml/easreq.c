/* ActiveSync request routing: the two query forms of MS-ASHTTP, the
 * command table and the decision for a device (see easreq.h). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/base64.h"
#include "util/pct.h"
#include "wbxml/codepage.h"
#include "wbxml/easreq.h"
#include "wbxml/wbxml.h"

#define NONE 0xff

static const struct eas_command commands[] = {
	{ "Sync", 0, CP_AIRSYNC, 0x05, 0x0e },
	{ "SendMail", 1, CP_COMPOSEMAIL, 0x05, 0x12 },
	{ "SmartForward", 2, CP_COMPOSEMAIL, 0x06, 0x12 },
	{ "SmartReply", 3, CP_COMPOSEMAIL, 0x07, 0x12 },
	{ "GetAttachment", 4, NONE, 0, 0 },
	{ "FolderSync", 9, CP_FOLDERHIERARCHY, 0x16, 0x0c },
	{ "FolderCreate", 10, CP_FOLDERHIERARCHY, 0x13, 0x0c },
	{ "FolderDelete", 11, CP_FOLDERHIERARCHY, 0x14, 0x0c },
	{ "FolderUpdate", 12, CP_FOLDERHIERARCHY, 0x15, 0x0c },
	{ "MoveItems", 13, CP_MOVE, 0x05, 0x0b },
	{ "GetItemEstimate", 14, CP_ITEMESTIMATE, 0x05, 0x0e },
	{ "MeetingResponse", 15, CP_MEETINGRESPONSE, 0x07, 0x0b },
	{ "Search", 16, CP_SEARCH, 0x05, 0x0c },
	{ "Settings", 17, CP_SETTINGS, 0x05, 0x06 },
	{ "Ping", 18, CP_PING, 0x05, 0x07 },
	{ "ItemOperations", 19, CP_ITEMOPERATIONS, 0x05, 0x0d },
	{ "Provision", 20, CP_PROVISION, 0x05, 0x0b },
	{ "ResolveRecipients", 21, CP_RESOLVERECIPIENTS, 0x05, 0x07 },
	{ "ValidateCert", 22, CP_VALIDATECERT, 0x05, 0x0a },
	{ "Find", 23, CP_FIND, 0x05, 0x0a },
	{ NULL, 0, 0, 0, 0 }
};

const struct eas_command *eas_command_find(const char *name)
{
	for (const struct eas_command *c = commands; c->name; c++)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

const struct eas_command *eas_command_by_code(int code)
{
	for (const struct eas_command *c = commands; c->name; c++)
		if (c->code == code)
			return c;
	return NULL;
}

bool eas_key_parse(const char *s, uint32_t *key)
{
	unsigned long long v = 0;

	if (!*s || strlen(s) > 10)
		return false;
	for (; *s; s++) {
		if (!isdigit((unsigned char)*s))
			return false;
		v = v * 10 + (unsigned)(*s - '0');
	}
	if (v > 0xffffffffULL)
		return false;
	*key = (uint32_t)v;
	return true;
}

int eas_version_num(const char *p)
{
	static const char *const known[] = { "2.5", "12.0", "12.1", "14.0", "14.1", "16.0", "16.1" };
	static const int num[] = { 25, 120, 121, 140, 141, 160, 161 };

	for (size_t i = 0; i < sizeof(num) / sizeof(num[0]); i++)
		if (strcmp(p, known[i]) == 0)
			return num[i];
	return 0;
}

static int fail(char *why, size_t n, const char *text)
{
	snprintf(why, n, "%s", text);
	return -1;
}

/* Printable ASCII without space: what a device id or type may hold. */
static bool token_ok(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (s[i] <= 0x20 || s[i] >= 0x7f)
			return false;
	return true;
}

static bool text_ok(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return false;
	return true;
}

static int set_field(char *dst, size_t size, const struct strbuf *v, bool token)
{
	if (v->len == 0 || v->len >= size || memchr(v->buf, 0, v->len) ||
	    !(token ? token_ok(v->buf, v->len) : text_ok(v->buf, v->len)))
		return -1;
	memcpy(dst, v->buf, v->len + 1);
	return 0;
}

static int parse_plain(const char *query, size_t len, struct eas_query *q, char *why,
		       size_t whylen)
{
	struct strbuf v = STRBUF_INIT;
	size_t i = 0;
	int rc = 0;

	while (i < len && rc == 0) {
		size_t end = i, eq;
		const char *k = query + i;
		size_t klen;

		while (end < len && query[end] != '&')
			end++;
		for (eq = i; eq < end && query[eq] != '='; eq++)
			;
		klen = eq - i;
		strbuf_reset(&v);
		if (eq < end && pct_decode(&v, query + eq + 1, end - eq - 1, PCT_PLUS_SPACE | PCT_STRICT) < 0) {
			rc = fail(why, whylen, "bad percent escape in the query");
			break;
		}
		if (klen == 3 && strncasecmp(k, "Cmd", 3) == 0) {
			if (v.len == 0 || v.len >= sizeof(q->cmd) || !eas_command_find(v.buf))
				rc = fail(why, whylen, "unknown command");
			else
				memcpy(q->cmd, v.buf, v.len + 1);
		} else if (klen == 4 && strncasecmp(k, "User", 4) == 0) {
			if (set_field(q->user, sizeof(q->user), &v, false) < 0)
				rc = fail(why, whylen, "bad User");
		} else if (klen == 8 && strncasecmp(k, "DeviceId", 8) == 0) {
			if (set_field(q->device, sizeof(q->device), &v, true) < 0)
				rc = fail(why, whylen, "bad DeviceId");
		} else if (klen == 10 && strncasecmp(k, "DeviceType", 10) == 0) {
			if (set_field(q->type, sizeof(q->type), &v, true) < 0)
				rc = fail(why, whylen, "bad DeviceType");
		}
		i = end + 1;
	}
	strbuf_release(&v);
	return rc;
}

/* The base64 blob: version, command, locale (2), device id (length +
 * bytes), policy key (length 0 or 4 + little-endian bytes), device type
 * (length + bytes), then parameters (tag, length, value). */
static int parse_blob(const unsigned char *b, size_t n, struct eas_query *q, char *why,
		      size_t whylen)
{
	size_t i = 0, l;
	const struct eas_command *c;

	if (n < 6)
		return fail(why, whylen, "base64 query too short");
	snprintf(q->protocol, sizeof(q->protocol), "%u.%u", b[0] / 10, b[0] % 10);
	if (!eas_version_num(q->protocol))
		return fail(why, whylen, "unknown protocol version");
	if (!(c = eas_command_by_code(b[1])))
		return fail(why, whylen, "unknown command code");
	snprintf(q->cmd, sizeof(q->cmd), "%s", c->name);
	i = 4;
	l = b[i++];
	if (l == 0 || i + l > n || l * 2 > DEV_ID_MAX)
		return fail(why, whylen, "bad device id in base64 query");
	if (token_ok((const char *)b + i, l)) {
		memcpy(q->device, b + i, l);
		q->device[l] = 0;
	} else {
		for (size_t k = 0; k < l; k++)
			snprintf(q->device + 2 * k, 3, "%02X", b[i + k]);
	}
	i += l;
	if (i >= n)
		return fail(why, whylen, "base64 query truncated");
	l = b[i++];
	if (l != 0 && l != 4)
		return fail(why, whylen, "bad policy key length in base64 query");
	if (i + l > n)
		return fail(why, whylen, "base64 query truncated");
	if (l == 4) {
		q->has_key = true;
		q->key = (uint32_t)b[i] | (uint32_t)b[i + 1] << 8 | (uint32_t)b[i + 2] << 16 |
			(uint32_t)b[i + 3] << 24;
	}
	i += l;
	if (i >= n)
		return fail(why, whylen, "base64 query truncated");
	l = b[i++];
	if (i + l > n || l >= sizeof(q->type) || !token_ok((const char *)b + i, l))
		return fail(why, whylen, "bad device type in base64 query");
	memcpy(q->type, b + i, l);
	q->type[l] = 0;
	i += l;
	while (i < n) {
		unsigned tag;

		if (i + 2 > n)
			return fail(why, whylen, "base64 query parameter truncated");
		tag = b[i];
		l = b[i + 1];
		i += 2;
		if (i + l > n)
			return fail(why, whylen, "base64 query parameter truncated");
		if (tag == 8) {	/* User */
			if (l == 0 || l >= sizeof(q->user) || !text_ok((const char *)b + i, l))
				return fail(why, whylen, "bad User in base64 query");
			memcpy(q->user, b + i, l);
			q->user[l] = 0;
		}
		i += l;
	}
	return 0;
}

/* The plain form has a Cmd parameter; the base64 form is one token with
 * '=' only as padding at its end. */
static bool plain_form(const char *query, size_t len)
{
	for (size_t i = 0; i + 4 <= len; i++)
		if ((i == 0 || query[i - 1] == '&') && strncasecmp(query + i, "Cmd=", 4) == 0)
			return true;
	return memchr(query, '&', len) != NULL;
}

int eas_query_parse(const char *query, size_t len, struct eas_query *q, char *why,
		    size_t whylen)
{
	struct strbuf dec = STRBUF_INIT, bin = STRBUF_INIT;
	int rc;

	memset(q, 0, sizeof(*q));
	if (len == 0)
		return fail(why, whylen, "no query");
	if (len > EAS_QUERY_MAX)
		return fail(why, whylen, "query too long");
	if (plain_form(query, len)) {
		rc = parse_plain(query, len, q, why, whylen);
		if (rc == 0 && !*q->cmd)
			rc = fail(why, whylen, "no Cmd in the query");
		if (rc == 0 && !*q->device)
			rc = fail(why, whylen, "no DeviceId in the query");
		return rc;
	}
	q->base64 = true;
	if (pct_decode(&dec, query, len, PCT_STRICT) < 0 || base64_decode(dec.buf, dec.len, &bin) < 0)
		rc = fail(why, whylen, "query is neither plain nor base64");
	else
		rc = parse_blob((const unsigned char *)bin.buf, bin.len, q, why, whylen);
	strbuf_release(&dec);
	strbuf_release(&bin);
	return rc;
}

enum eas_route eas_route_decide(const struct eas_query *q, bool has_key, uint32_t key,
				const struct devrec *rec, uint32_t current, bool known)
{
	if (strcmp(q->cmd, "Provision") == 0)
		return EAS_ROUTE_PROVISION;
	if (!known)
		return EAS_ROUTE_UNKNOWN_USER;
	if (rec && (rec->wipe == DEV_WIPE_PENDING || rec->wipe == DEV_WIPE_SENT))
		return EAS_ROUTE_WIPE;
	if (!has_key || key == 0)
		return EAS_ROUTE_NOT_PROVISIONED;
	if (!rec || rec->keystate != DEV_KEY_PROVISIONED || rec->key != key || key != current)
		return EAS_ROUTE_BAD_KEY;
	return EAS_ROUTE_PASS;
}

int eas_route_status(enum eas_route r)
{
	switch (r) {
	case EAS_ROUTE_WIPE: return 140;
	case EAS_ROUTE_BAD_KEY: return 144;
	case EAS_ROUTE_NOT_PROVISIONED:
	case EAS_ROUTE_UNKNOWN_USER: return 142;
	default: return 0;
	}
}

const char *eas_route_name(enum eas_route r)
{
	switch (r) {
	case EAS_ROUTE_PROVISION: return "provision";
	case EAS_ROUTE_PASS: return "pass";
	case EAS_ROUTE_NOT_PROVISIONED: return "not-provisioned";
	case EAS_ROUTE_BAD_KEY: return "bad-key";
	case EAS_ROUTE_WIPE: return "wipe-pending";
	case EAS_ROUTE_UNKNOWN_USER: return "unknown-user";
	}
	return "unknown";
}

bool eas_status_reply(const char *cmd, int status, struct strbuf *out)
{
	const struct eas_command *c = eas_command_find(cmd);
	struct wbxml_doc *doc;
	struct wbxml_node *top;
	char num[16];

	if (!c || c->page == NONE)
		return false;
	doc = wbxml_doc_new();
	top = wbxml_add_elem(doc, NULL, c->page, c->top);
	snprintf(num, sizeof(num), "%d", status);
	wbxml_add_elem_text(doc, top, c->page, c->status, num);
	wbxml_encode(doc, out);
	wbxml_doc_free(doc);
	return true;
}
