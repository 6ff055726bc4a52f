/* smtp-edge layer 1, the connection filter: IP allow and deny lists (CIDRs
 * and files of CIDRs, reloadable), DNS block and allow lists with weights
 * and a threshold, pregreet detection, and the trusted networks that may
 * send XCLIENT or a PROXY header. */
#ifndef POSTERN_SMTP_EDGE_CONNFILTER_H
#define POSTERN_SMTP_EDGE_CONNFILTER_H

#include <jansson.h>
#include <stdbool.h>

#include "conf/conf.h"
#include "dns/dns.h"

/* Keys to splice with CONF_INCLUDE into the smtp-edge section: allow,
 * deny, trusted_networks, dnsbl, dnswl, dnsbl_threshold, allow_threshold,
 * dns_tempfail_action, dnsbl_timeout, pregreet_wait, cache_ttl. */
extern const struct conf_key connfilter_conf_keys[];

enum connfilter_action {
	CONNFILTER_ACCEPT,	/* go on to the next layers */
	CONNFILTER_ALLOW,	/* allow-listed: the spam layers skip it */
	CONNFILTER_REJECT,	/* reply with res->reply (5xx) and close */
	CONNFILTER_TEMPFAIL,	/* reply with res->reply (4xx) and close */
};

/* What one DNS list said about the client. */
enum connfilter_dns_status {
	CONNFILTER_DNS_NOT_LISTED,	/* NXDOMAIN, NODATA, or a code that does not count */
	CONNFILTER_DNS_LISTED,		/* a code that counts: weight added */
	CONNFILTER_DNS_ERROR,		/* DNS failure or an error code: never a listing */
};

#define CONNFILTER_LISTS_MAX 32	/* dnsbl + dnswl entries */
#define CONNFILTER_TEXT_MAX 512

struct connfilter_dns_answer {
	char zone[256];
	bool allowlist;			/* from "dnswl" */
	int weight;			/* as configured */
	enum connfilter_dns_status status;
	char answer[128];		/* "127.0.0.2", "NXDOMAIN", "127.255.255.254
					   (error code)", "TEMPFAIL timeout" */
	bool cached;			/* from the in-process cache */
};

/* Filled by connfilter_check; plain arrays, nothing to free. */
struct connfilter_result {
	char reply[CONNFILTER_TEXT_MAX];	/* REJECT/TEMPFAIL: the SMTP reply
						   line without CRLF; else "" */
	char reason[CONNFILTER_TEXT_MAX];	/* for the log: "deny 192.0.2.0/24",
						   "dnsbl score 3 >= 2 (zen.test=2 ...)" */
	int score;			/* sum of weights of the lists that hit */
	int threshold;			/* dnsbl_threshold */
	char list_hit[CONNFILTER_TEXT_MAX];	/* allow/deny entry that matched:
						   "192.0.2.0/24 (deny.cidr:3)"; "" */
	size_t nanswers;
	struct connfilter_dns_answer answers[CONNFILTER_LISTS_MAX];
};

struct connfilter;

/* Builds the filter from the smtp-edge section (the keys above), reading
 * the list files. dns is borrowed and must outlive the filter; it may be
 * NULL when no dnsbl/dnswl is configured. Returns NULL after logging
 * when a list file cannot be read or an entry is malformed. */
struct connfilter *connfilter_new(const json_t *edge_section, struct dns *dns);
/* Reads the list files again (SIGHUP). Returns 0, or -1 after logging,
 * in which case the old lists stay in force. */
int connfilter_reload(struct connfilter *cf);
void connfilter_free(struct connfilter *cf);

/* Decides on the client address ip (text, v4 or v6; IPv4-mapped IPv6 is
 * taken as IPv4). Order: allow list (ALLOW), deny list (REJECT), then the
 * DNS lists, all submitted at once and waited for together up to
 * dnsbl_timeout: score >= dnsbl_threshold is REJECT; a negative
 * allow_threshold reached by the DNSWLs is ALLOW; a failed block-list
 * lookup (DNS error, 127.255.255.0/24 or a configured error code) below
 * the threshold gives TEMPFAIL when dns_tempfail_action is "tempfail".
 * Answers are cached in the process for min(TTL, cache_ttl): smtp-edge
 * forks per connection, so the cache serves repeated checks within one
 * session (XCLIENT) and check-ip; the resolver is the shared cache.
 * Logs each list answer at debug level and each lookup error as a warning.
 * A malformed ip gives REJECT with a reason. */
enum connfilter_action connfilter_check(struct connfilter *cf, const char *ip,
					struct connfilter_result *res);
/* Whether ip is in trusted_networks (may send XCLIENT or PROXY). */
bool connfilter_trusted(struct connfilter *cf, const char *ip);
/* The configured pregreet_wait in milliseconds (0: do not wait). */
long long connfilter_pregreet_wait(const struct connfilter *cf);
/* "accept", "allow", "reject", "tempfail". */
const char *connfilter_action_name(enum connfilter_action a);

/* Waits up to wait_ms for the client to send anything before our banner
 * (call it after any PROXY header has been read). Peeks, never consumes.
 * Returns 1 when the client talked first, 0 when it stayed quiet, -1
 * when it closed the connection or on error. */
int connfilter_pregreet(int fd, long long wait_ms);

#endif
