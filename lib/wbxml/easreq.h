/* An ActiveSync request as eas-policy routes it (MS-ASHTTP 2.2.1.1.1):
 * the query string in its plain form (Cmd=...&User=...&DeviceId=...&
 * DeviceType=...) or its base64 form (version, command code, locale,
 * device id, policy key, device type, parameters in one binary blob),
 * the command table (name, code, where a status goes in its reply), and
 * the routing decision for a device given its stored state. Pure
 * functions on bounded input, so they are fuzzed as they are. */
#ifndef POSTERN_WBXML_EASREQ_H
#define POSTERN_WBXML_EASREQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/strbuf.h"
#include "wbxml/devstore.h"

#define EAS_QUERY_MAX 1024

struct eas_query {
	char cmd[32];			/* "FolderSync" */
	char user[DEV_USER_MAX + 1];	/* as sent (may be DOMAIN\user) */
	char device[DEV_ID_MAX + 1];	/* base64 form: hex when not printable */
	char type[DEV_FIELD_MAX + 1];
	char protocol[8];		/* base64 form only: "14.1" */
	bool has_key;			/* base64 form: a policy key was given */
	uint32_t key;
	bool base64;			/* which form it came in */
};

/* Parses query (without the '?'). Returns 0, or -1 with a reason in why
 * (a missing Cmd or DeviceId, bad characters, a truncated blob). */
int eas_query_parse(const char *query, size_t len, struct eas_query *q, char *why,
		    size_t whylen);

/* Is s a valid policy key header value ("0".."4294967295")? */
bool eas_key_parse(const char *s, uint32_t *key);
/* "14.1" -> 141, "12.0" -> 120; 0 for anything else. */
int eas_version_num(const char *protocol);

struct eas_command {
	const char *name;
	int code;			/* base64 form command code */
	/* Where a status goes in this command's reply: the top element
	 * and its Status tag; page 0xff when the reply has no WBXML body. */
	unsigned char page, top, status;
};
const struct eas_command *eas_command_find(const char *name);
const struct eas_command *eas_command_by_code(int code);

enum eas_route {
	EAS_ROUTE_PROVISION,	/* answered by eas-policy itself */
	EAS_ROUTE_PASS,		/* provisioned: to the backend */
	EAS_ROUTE_NOT_PROVISIONED,	/* no key or key 0: 449 / 142 */
	EAS_ROUTE_BAD_KEY,	/* outdated or wrong key: 449 / 144 */
	EAS_ROUTE_WIPE,		/* wipe pending: 449 / 140 */
	EAS_ROUTE_UNKNOWN_USER,	/* not in the directory: 449 / 142 */
};

/* The decision for a request: rec is the device's stored record (NULL
 * when there is none), current the key its policy gives now, known
 * whether the directory knows the user. */
enum eas_route eas_route_decide(const struct eas_query *q, bool has_key, uint32_t key,
				const struct devrec *rec, uint32_t current, bool known);
/* The ActiveSync status a refusal carries for protocol 14.0 and later
 * (142, 144, 140), and a name for logs ("not-provisioned"...). */
int eas_route_status(enum eas_route r);
const char *eas_route_name(enum eas_route r);

/* The reply to a refused request of protocol 14.0+: the command's top
 * element holding Status N, as WBXML, appended to out. Returns false
 * when the command's reply has no WBXML body (the caller sends 449). */
bool eas_status_reply(const char *cmd, int status, struct strbuf *out);

#endif
