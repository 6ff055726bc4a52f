/* DNS lookups through libunbound, with the DNSSEC status of each answer:
 * A, AAAA, MX, TXT, PTR, SRV, TLSA (and NS, CNAME) parsed into structs.
 * Asynchronous, so that a daemon runs several lookups at once: submit,
 * poll dns_fd() with dns_timeout(), call dns_process(); or dns_wait() for
 * all of them; dns_query() is the synchronous form on the same path.
 *
 * Processes and threads: a struct dns belongs to one process and is used
 * from one thread. dns_new() makes the libunbound context (two pipes) but
 * starts no thread and sends nothing; libunbound's worker thread starts
 * with the first lookup. A forked child may go on using the struct dns it
 * inherited: its first call notices the new pid, and a context of its
 * own is made at its first lookup that the answer cache (below) cannot
 * answer (the parent's is left alone, never deleted in the child, since
 * its worker thread lives in the parent); the parent's pending lookups are
 * dropped in the child without their callbacks. So a daemon may make one
 * struct dns before it forks and use it in every child, or make one per
 * child after fork: both work. libunbound's cache is per process either
 * way; the answer cache is inherited at fork, then per process.
 */
#ifndef POSTERN_DNS_DNS_H
#define POSTERN_DNS_DNS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "conf/conf.h"
#include "dns/dns_name.h"
#include "dns/dns_rr.h"

/* The "dns" section: resolver, trust_anchor, timeout, cache_size. */
extern const struct conf_section dns_conf_section;

enum dns_status {
	DNS_OK,			/* records in rr[] */
	DNS_NXDOMAIN,		/* the name does not exist */
	DNS_NODATA,		/* the name exists, without records of the type */
	DNS_TEMPFAIL,		/* SERVFAIL, REFUSED, timeout, network: try later */
	DNS_BOGUS,		/* DNSSEC validation failed */
};

enum dns_sec {
	DNS_SEC_INSECURE,	/* no trust anchor, or an unsigned zone */
	DNS_SEC_SECURE,		/* validated from the trust anchor */
	DNS_SEC_BOGUS,
};

struct dns_result {
	char *name;		/* as submitted */
	int type;
	enum dns_status status;
	enum dns_sec sec;
	char *reason;		/* TEMPFAIL and BOGUS: "timeout", "SERVFAIL",
				   unbound's why_bogus...; else NULL */
	char *canonname;	/* the name after CNAMEs, or NULL */
	int rcode;		/* the DNS rcode, -1 when none came */
	unsigned ttl;
	size_t n;		/* records, > 0 only for DNS_OK */
	struct dns_rr *rr;
	bool cached;		/* answered from this process's answer cache */
};

struct dns;

/* Receives each answer; owns res and frees it with dns_result_free. Runs
 * from dns_process, dns_wait or dns_query, never from dns_submit, and may
 * submit further lookups. */
typedef void dns_callback(struct dns_result *res, void *arg);

/* Makes a resolver from a "dns" section (from conf_section). Returns NULL
 * after logging when the section cannot work (bad resolver address,
 * unreadable trust anchor, no /etc/resolv.conf). */
struct dns *dns_new(const json_t *section);
/* Cancels what is pending (without callbacks) and frees d. NULL is fine. */
void dns_free(struct dns *d);

/* Starts a lookup of name (text, checked with dns_name_check) for type.
 * Returns 0, or -1 for a name unfit to look up (errno EINVAL; cb is never
 * called). A lookup that cannot start completes with DNS_TEMPFAIL. Each
 * lookup ends after the configured timeout at most. name is copied. */
int dns_submit(struct dns *d, const char *name, int type, dns_callback *cb,
	       void *arg);
/* The descriptor to poll for reading, or -1 when none can be had. */
int dns_fd(struct dns *d);
/* Milliseconds until the next lookup times out: the poll timeout to use
 * with dns_fd. 0 when answers wait to be delivered, -1 when none pending. */
int dns_timeout(struct dns *d);
/* Reads what has arrived, times out what is overdue, runs the callbacks.
 * Returns how many callbacks ran. Never blocks. */
int dns_process(struct dns *d);
/* Runs until every submitted lookup has completed, or timeout_ms has
 * passed (-1: only each lookup's own timeout); lookups still pending then
 * complete with DNS_TEMPFAIL and reason "timeout". */
void dns_wait(struct dns *d, int timeout_ms);
/* Lookups submitted whose callback has not run yet. */
size_t dns_pending(const struct dns *d);

/* Looks name up and waits for the answer (other lookups' callbacks may run
 * meanwhile). Returns the result the caller frees, or NULL with errno
 * EINVAL for a name unfit to look up. */
struct dns_result *dns_query(struct dns *d, const char *name, int type);
void dns_result_free(struct dns_result *res);

/* The answer cache in front of libunbound: final answers (OK, NXDOMAIN,
 * NODATA; never TEMPFAIL or BOGUS) kept per process for their TTL (at
 * most a day, an hour for negative ones), at most cache_size / 1024 of
 * them, the oldest going first. A hit is answered without libunbound's
 * worker thread, its callback run from dns_process as any other. */
struct dns_stats {
	unsigned long hits, misses;	/* lookups answered from it, or not */
	size_t entries;			/* answers it holds */
};
void dns_stats(const struct dns *d, struct dns_stats *st);

/* "OK", "NXDOMAIN", "NODATA", "TEMPFAIL", "BOGUS". */
const char *dns_status_name(enum dns_status s);
/* "insecure", "secure", "bogus". */
const char *dns_sec_name(enum dns_sec s);

#endif
