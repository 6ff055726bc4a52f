/* Autodiscover (MS-OXDSCLI POX) documents read from outside: the request
 * a client POSTs to /autodiscover/autodiscover.xml (Outlook and
 * mobilesync schemas), and a server's response, as autodiscover-gen
 * --probe reads it. libxml2 with limits: a size cap, no network, no DTD
 * (a document with a DOCTYPE is refused before parsing, so no entity
 * tricks), no entity substitution. */
#ifndef POSTERN_HTTP_AUTODISCOVER_H
#define POSTERN_HTTP_AUTODISCOVER_H

#include <stddef.h>

#define AUTODISCOVER_XML_MAX 65536	/* larger documents are refused */
#define AUTODISCOVER_ADDR_MAX 320

#define AUTODISCOVER_NS_OUTLOOK_REQ \
	"http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006"
#define AUTODISCOVER_NS_OUTLOOK_RESP \
	"http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a"
#define AUTODISCOVER_NS_MOBILE_REQ \
	"http://schemas.microsoft.com/exchange/autodiscover/mobilesync/requestschema/2006"
#define AUTODISCOVER_NS_MOBILE_RESP \
	"http://schemas.microsoft.com/exchange/autodiscover/mobilesync/responseschema/2006"
#define AUTODISCOVER_NS_RESP \
	"http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006"

enum autodiscover_schema {
	AUTODISCOVER_NONE,
	AUTODISCOVER_OUTLOOK,
	AUTODISCOVER_MOBILESYNC,
};

/* The MS-OXDSCLI error codes. */
enum {
	AUTODISCOVER_E_ADDRESS = 500,	/* the address cannot be found */
	AUTODISCOVER_E_NOCONFIG = 501,	/* no configuration for it */
	AUTODISCOVER_E_INVALID = 600,	/* invalid request */
	AUTODISCOVER_E_SCHEMA = 601,	/* response schema not supported */
	AUTODISCOVER_E_INTERNAL = 603,	/* error while processing */
};

struct autodiscover_request {
	enum autodiscover_schema schema;	/* from AcceptableResponseSchema */
	char email[AUTODISCOVER_ADDR_MAX];	/* EMailAddress, "" if none */
	char legacy_dn[512];			/* LegacyDN, "" if none */
	char why[128];				/* what is wrong, on an error */
};

/* Parses a request. Returns 0, or the error code to answer:
 * AUTODISCOVER_E_INVALID for malformed XML, a DOCTYPE, a wrong root or
 * request namespace, no EMailAddress (and no LegacyDN), a field too long;
 * AUTODISCOVER_E_SCHEMA for a missing or unknown AcceptableResponseSchema.
 * r->why says which. */
int autodiscover_request_parse(const char *xml, size_t len, struct autodiscover_request *r);

/* What a response says. */
enum autodiscover_action {
	AUTODISCOVER_ACT_NONE,		/* not an Autodiscover response */
	AUTODISCOVER_ACT_ERROR,
	AUTODISCOVER_ACT_SETTINGS,
	AUTODISCOVER_ACT_REDIRECT_ADDR,
	AUTODISCOVER_ACT_REDIRECT_URL,
};

struct autodiscover_response {
	enum autodiscover_action action;
	int error_code;			/* ERROR: ErrorCode (0 if none) */
	char message[256];		/* ERROR: Message */
	char redirect[1024];		/* the address or URL */
	unsigned protocols;		/* SETTINGS: Protocol blocks or Server
					   entries (mobilesync) */
	char types[128];		/* their types, "EXCH EXPR WEB" */
	char why[128];			/* ACT_NONE: what is wrong */
};

/* Reads a response (Outlook or mobilesync). Returns 0, or -1 when it is
 * not a well-formed Autodiscover response (r->why says why). */
int autodiscover_response_parse(const char *xml, size_t len, struct autodiscover_response *r);

#endif
