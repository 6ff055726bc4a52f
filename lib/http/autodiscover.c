/* Reading Autodiscover requests and responses with libxml2, refusing
 * anything with a DTD and anything larger than AUTODISCOVER_XML_MAX. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "http/autodiscover.h"

static void quiet(void *ctx, const xmlError *err)
{
	(void)ctx;
	(void)err;
}

/* A DOCTYPE (internal subset, entities, external DTD) has no place in
 * these documents: refuse before libxml2 sees it. Comments (<!--) and
 * CDATA (<![) are the only other markup starting with <!. */
static bool has_doctype(const char *xml, size_t len)
{
	for (size_t i = 0; i + 2 < len; i++)
		if (xml[i] == '<' && xml[i + 1] == '!' && xml[i + 2] != '-' && xml[i + 2] != '[')
			return true;
	return false;
}

static xmlDocPtr read_doc(const char *xml, size_t len, char *why, size_t whylen)
{
	xmlDocPtr doc;

	if (len > AUTODISCOVER_XML_MAX) {
		snprintf(why, whylen, "larger than %d bytes", AUTODISCOVER_XML_MAX);
		return NULL;
	}
	if (memchr(xml, 0, len)) {
		/* UTF-16 and friends would hide markup from has_doctype. */
		snprintf(why, whylen, "a NUL byte (UTF-8 only)");
		return NULL;
	}
	if (has_doctype(xml, len)) {
		snprintf(why, whylen, "DOCTYPE or entity declarations");
		return NULL;
	}
	xmlSetStructuredErrorFunc(NULL, (xmlStructuredErrorFunc)quiet);
	doc = xmlReadMemory(xml, (int)len, "autodiscover.xml", NULL,
			    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING |
			    XML_PARSE_NOCDATA);
	if (doc == NULL) {
		snprintf(why, whylen, "not well-formed XML");
		return NULL;
	}
	if (doc->intSubset || doc->extSubset || xmlDocGetRootElement(doc) == NULL) {
		snprintf(why, whylen, "DOCTYPE or no root element");
		xmlFreeDoc(doc);
		return NULL;
	}
	return doc;
}

static bool named(xmlNodePtr n, const char *name)
{
	return n && n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, name) == 0;
}

static const char *ns_of(xmlNodePtr n)
{
	return n->ns && n->ns->href ? (const char *)n->ns->href : "";
}

static xmlNodePtr child(xmlNodePtr n, const char *name)
{
	for (xmlNodePtr c = n ? n->children : NULL; c; c = c->next)
		if (named(c, name))
			return c;
	return NULL;
}

/* The text of n, trimmed, into buf. -1 when it does not fit. */
static int text_of(xmlNodePtr n, char *buf, size_t size)
{
	xmlChar *t = xmlNodeGetContent(n);
	const char *s = t ? (const char *)t : "";
	size_t l;

	while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
		s++;
	l = strlen(s);
	while (l > 0 && (s[l - 1] == ' ' || s[l - 1] == '\t' || s[l - 1] == '\r' ||
			 s[l - 1] == '\n'))
		l--;
	if (l >= size) {
		xmlFree(t);
		return -1;
	}
	memcpy(buf, s, l);
	buf[l] = 0;
	xmlFree(t);
	return 0;
}

static int req_fail(struct autodiscover_request *r, int code, const char *why)
{
	snprintf(r->why, sizeof(r->why), "%s", why);
	return code;
}

static int request_fields(xmlNodePtr req, struct autodiscover_request *r)
{
	xmlNodePtr e = child(req, "EMailAddress"), l = child(req, "LegacyDN"),
		s = child(req, "AcceptableResponseSchema");
	char schema[256];

	if (e && text_of(e, r->email, sizeof(r->email)) < 0)
		return req_fail(r, AUTODISCOVER_E_INVALID, "EMailAddress too long");
	if (l && text_of(l, r->legacy_dn, sizeof(r->legacy_dn)) < 0)
		return req_fail(r, AUTODISCOVER_E_INVALID, "LegacyDN too long");
	if (r->email[0] == 0 && r->legacy_dn[0] == 0)
		return req_fail(r, AUTODISCOVER_E_INVALID, "no EMailAddress");
	if (s == NULL)
		return req_fail(r, AUTODISCOVER_E_SCHEMA, "no AcceptableResponseSchema");
	if (text_of(s, schema, sizeof(schema)) < 0)
		return req_fail(r, AUTODISCOVER_E_SCHEMA, "AcceptableResponseSchema too long");
	if (strcmp(schema, AUTODISCOVER_NS_OUTLOOK_RESP) == 0)
		r->schema = AUTODISCOVER_OUTLOOK;
	else if (strcmp(schema, AUTODISCOVER_NS_MOBILE_RESP) == 0)
		r->schema = AUTODISCOVER_MOBILESYNC;
	else
		return req_fail(r, AUTODISCOVER_E_SCHEMA, "unsupported AcceptableResponseSchema");
	for (const char *p = r->email; *p; p++)
		if ((unsigned char)*p < 0x20)
			return req_fail(r, AUTODISCOVER_E_INVALID, "control character in the address");
	return 0;
}

int autodiscover_request_parse(const char *xml, size_t len, struct autodiscover_request *r)
{
	xmlDocPtr doc;
	xmlNodePtr root, req;
	int rc;

	memset(r, 0, sizeof(*r));
	doc = read_doc(xml, len, r->why, sizeof(r->why));
	if (doc == NULL)
		return AUTODISCOVER_E_INVALID;
	root = xmlDocGetRootElement(doc);
	if (!named(root, "Autodiscover")) {
		rc = req_fail(r, AUTODISCOVER_E_INVALID, "root element is not Autodiscover");
	} else if (strcmp(ns_of(root), AUTODISCOVER_NS_OUTLOOK_REQ) != 0 &&
		   strcmp(ns_of(root), AUTODISCOVER_NS_MOBILE_REQ) != 0) {
		rc = req_fail(r, AUTODISCOVER_E_INVALID, "unknown request namespace");
	} else if ((req = child(root, "Request")) == NULL) {
		rc = req_fail(r, AUTODISCOVER_E_INVALID, "no Request element");
	} else {
		rc = request_fields(req, r);
	}
	xmlFreeDoc(doc);
	return rc;
}

static void resp_error(xmlNodePtr err, struct autodiscover_response *r)
{
	xmlNodePtr c = child(err, "ErrorCode"), m = child(err, "Message");
	char code[16] = "";

	r->action = AUTODISCOVER_ACT_ERROR;
	if (c && text_of(c, code, sizeof(code)) == 0)
		r->error_code = atoi(code);
	if (c == NULL && (c = child(err, "Status")) != NULL && text_of(c, code, sizeof(code)) == 0)
		r->error_code = atoi(code);
	if (m && text_of(m, r->message, sizeof(r->message)) < 0)
		snprintf(r->message, sizeof(r->message), "(too long)");
}

static void add_type(struct autodiscover_response *r, xmlNodePtr block)
{
	char t[32];
	xmlNodePtr ty = child(block, "Type");

	r->protocols++;
	if (ty && text_of(ty, t, sizeof(t)) == 0 &&
	    strlen(r->types) + strlen(t) + 2 < sizeof(r->types)) {
		if (r->types[0])
			strcat(r->types, " ");
		strcat(r->types, t);
	}
}

static void resp_account(xmlNodePtr acc, struct autodiscover_response *r)
{
	xmlNodePtr a = child(acc, "Action"), x;
	char act[32] = "";

	if (a)
		text_of(a, act, sizeof(act));
	if ((x = child(acc, "Error")) != NULL) {
		resp_error(x, r);
	} else if (strcasecmp(act, "redirectAddr") == 0 && (x = child(acc, "RedirectAddr"))) {
		r->action = AUTODISCOVER_ACT_REDIRECT_ADDR;
		text_of(x, r->redirect, sizeof(r->redirect));
	} else if (strcasecmp(act, "redirectUrl") == 0 && (x = child(acc, "RedirectUrl"))) {
		r->action = AUTODISCOVER_ACT_REDIRECT_URL;
		text_of(x, r->redirect, sizeof(r->redirect));
	} else if (strcasecmp(act, "settings") == 0) {
		r->action = AUTODISCOVER_ACT_SETTINGS;
		for (x = acc->children; x; x = x->next)
			if (named(x, "Protocol"))
				add_type(r, x);
	} else {
		snprintf(r->why, sizeof(r->why), "Account without a known Action");
	}
}

static void resp_mobile_action(xmlNodePtr a, struct autodiscover_response *r)
{
	xmlNodePtr x;

	if ((x = child(a, "Error")) != NULL) {
		resp_error(x, r);
	} else if ((x = child(a, "Redirect")) != NULL) {
		r->action = AUTODISCOVER_ACT_REDIRECT_ADDR;
		text_of(x, r->redirect, sizeof(r->redirect));
	} else if ((x = child(a, "Settings")) != NULL) {
		r->action = AUTODISCOVER_ACT_SETTINGS;
		for (xmlNodePtr s = x->children; s; s = s->next)
			if (named(s, "Server"))
				add_type(r, s);
	} else {
		snprintf(r->why, sizeof(r->why), "Action without Settings, Redirect or Error");
	}
}

int autodiscover_response_parse(const char *xml, size_t len, struct autodiscover_response *r)
{
	xmlDocPtr doc;
	xmlNodePtr root, resp, x;

	memset(r, 0, sizeof(*r));
	doc = read_doc(xml, len, r->why, sizeof(r->why));
	if (doc == NULL)
		return -1;
	root = xmlDocGetRootElement(doc);
	if (!named(root, "Autodiscover") || (resp = child(root, "Response")) == NULL)
		snprintf(r->why, sizeof(r->why), "no Autodiscover/Response element");
	else if ((x = child(resp, "Error")) != NULL)
		resp_error(x, r);
	else if ((x = child(resp, "Account")) != NULL)
		resp_account(x, r);
	else if ((x = child(resp, "Action")) != NULL)
		resp_mobile_action(x, r);
	else
		snprintf(r->why, sizeof(r->why), "Response without Account, Action or Error");
	xmlFreeDoc(doc);
	return r->action == AUTODISCOVER_ACT_NONE ? -1 : 0;
}
