/* lib/dns's answer cache, against a small DNS server of its own (a forked
 * child on a loopback UDP port) that counts the queries it gets:
 * positive and negative answers kept for their TTL, failures never kept,
 * names compared without case or final dot, the size bounded, and a hit
 * delivered from dns_process, never from dns_submit. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "conf/conf.h"
#include "dns/dns.h"
#include "tap.h"

static volatile unsigned *queries;	/* shared with the server */

static size_t put16(unsigned char *p, unsigned v)
{
	p[0] = (unsigned char)(v >> 8);
	p[1] = (unsigned char)v;
	return 2;
}

static size_t put32(unsigned char *p, unsigned v)
{
	put16(p, v >> 16);
	return 2 + put16(p + 2, v & 0xffff);
}

/* "nx*": NXDOMAIN with a SOA (negative TTL 2); "fail*": SERVFAIL;
 * "short*": an A record with TTL 1; anything else TTL 300. The address's
 * last byte is the query count. */
static void serve(int fd)
{
	unsigned char q[512], r[600];
	struct sockaddr_in from;
	socklen_t flen;
	ssize_t n;

	for (;;) {
		size_t qend = 12, len;
		char first[8] = "";

		flen = sizeof(from);
		n = recvfrom(fd, q, sizeof(q), 0, (struct sockaddr *)&from, &flen);
		if (n < 17)
			continue;
		while (qend < (size_t)n && q[qend])
			qend += q[qend] + 1u;
		qend += 5;	/* the root label, type, class */
		if (qend > (size_t)n)
			continue;
		(*queries)++;
		snprintf(first, sizeof(first), "%.*s", q[12] < 5 ? q[12] : 5, (char *)q + 13);
		memcpy(r, q, qend);
		r[2] = 0x81;	/* QR, RD */
		r[3] = 0x80;	/* RA, NOERROR */
		put16(r + 4, 1);
		put16(r + 6, 0);
		put16(r + 8, 0);
		put16(r + 10, 0);
		len = qend;
		if (strncmp(first, "fail", 4) == 0) {
			r[3] |= 2;
		} else if (strncmp(first, "nx", 2) == 0) {
			r[3] |= 3;
			put16(r + 8, 1);
			r[len++] = 0;			/* SOA of the root */
			len += put16(r + len, 6);
			len += put16(r + len, 1);
			len += put32(r + len, 2);
			len += put16(r + len, 22);
			r[len++] = 0;
			r[len++] = 0;
			len += put32(r + len, 1);
			len += put32(r + len, 3600);
			len += put32(r + len, 600);
			len += put32(r + len, 86400);
			len += put32(r + len, 2);
		} else {
			put16(r + 6, 1);
			len += put16(r + len, 0xc00c);
			len += put16(r + len, 1);
			len += put16(r + len, 1);
			len += put32(r + len, strncmp(first, "short", 5) == 0 ? 1 : 300);
			len += put16(r + len, 4);
			r[len++] = 192;
			r[len++] = 0;
			r[len++] = 2;
			r[len++] = (unsigned char)*queries;
		}
		sendto(fd, r, len, 0, (struct sockaddr *)&from, flen);
	}
}

static struct dns *resolver(unsigned port, const char *cache_size)
{
	char buf[300];
	json_t *sec;
	struct conf *c;
	struct dns *d;
	const struct conf_section *secs[] = { &dns_conf_section, NULL };

	snprintf(buf, sizeof(buf), "{ \"dns\": { \"resolver\": [\"127.0.0.1@%u\"], "
		 "\"timeout\": \"2s\", \"cache_size\": \"%s\" } }", port, cache_size);
	c = conf_load_string(buf, strlen(buf), "test", secs, stderr);
	if (c == NULL) {
		fprintf(stderr, "cannot load the config\n");
		exit(1);
	}
	sec = (json_t *)conf_section(c, "dns");
	d = dns_new(sec);
	conf_free(c);
	return d;
}

static int calls;

static void count_cb(struct dns_result *res, void *arg)
{
	(void)arg;
	calls++;
	dns_result_free(res);
}

int main(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t slen = sizeof(sa);
	struct dns_result *r;
	struct dns_stats st;
	struct dns *d;
	unsigned before;
	pid_t pid;
	int fd;
	char name[64];

	queries = mmap(NULL, sizeof(*queries), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
		       -1, 0);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (queries == MAP_FAILED || fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &slen) < 0) {
		perror("test DNS server");
		return 1;
	}
	if ((pid = fork()) == 0) {
		serve(fd);
		_exit(0);
	}
	close(fd);

	d = resolver(ntohs(sa.sin_port), "4M");
	ok(d != NULL, "resolver");
	r = dns_query(d, "host.cache.test", DNS_TYPE_A);
	ok(r && r->status == DNS_OK && !r->cached, "first answer from the server");
	is_str(r && r->n ? r->rr[0].addr.text : "", "192.0.2.1", "its address");
	is_int(*queries, 1, "one query");
	dns_result_free(r);
	r = dns_query(d, "HOST.Cache.Test.", DNS_TYPE_A);
	ok(r && r->status == DNS_OK && r->cached, "again (case, final dot): from the cache");
	is_str(r && r->n ? r->rr[0].addr.text : "", "192.0.2.1", "the same address");
	ok(r && r->ttl > 0 && r->ttl <= 300, "the TTL left");
	is_int(*queries, 1, "no query");
	dns_result_free(r);
	r = dns_query(d, "host.cache.test", DNS_TYPE_TXT);
	ok(r && !r->cached, "another type is another answer");
	dns_result_free(r);

	before = *queries;
	r = dns_query(d, "nx.cache.test", DNS_TYPE_A);
	ok(r && r->status == DNS_NXDOMAIN && !r->cached, "NXDOMAIN from the server");
	dns_result_free(r);
	r = dns_query(d, "nx.cache.test", DNS_TYPE_A);
	ok(r && r->status == DNS_NXDOMAIN && r->cached, "NXDOMAIN from the cache");
	dns_result_free(r);
	is_int(*queries - before, 1, "one query for both");

	r = dns_query(d, "fail.cache.test", DNS_TYPE_A);
	ok(r && r->status == DNS_TEMPFAIL && !r->cached, "SERVFAIL: TEMPFAIL");
	dns_result_free(r);
	r = dns_query(d, "fail.cache.test", DNS_TYPE_A);
	ok(r && r->status == DNS_TEMPFAIL && !r->cached, "a failure is never cached");
	dns_result_free(r);

	r = dns_query(d, "short.cache.test", DNS_TYPE_A);
	ok(r && r->status == DNS_OK && !r->cached, "TTL 1: from the server");
	dns_result_free(r);
	r = dns_query(d, "short.cache.test", DNS_TYPE_A);
	ok(r && r->cached, "TTL 1: then cached");
	dns_result_free(r);
	dns_stats(d, &st);
	before = (unsigned)st.misses;
	usleep(1300 * 1000);
	r = dns_query(d, "short.cache.test", DNS_TYPE_A);
	ok(r && r->status == DNS_OK && !r->cached, "TTL 1: expired after a second");
	dns_stats(d, &st);
	is_int(st.misses - before, 1, "asked libunbound again");
	dns_result_free(r);

	calls = 0;
	ok(dns_submit(d, "host.cache.test", DNS_TYPE_A, count_cb, NULL) == 0, "submit a hit");
	is_int(calls, 0, "no callback from dns_submit");
	ok(dns_pending(d) == 1 && dns_timeout(d) == 0, "pending, ready now");
	is_int(dns_process(d), 1, "dns_process delivers it");
	is_int(calls, 1, "the callback ran");
	dns_stats(d, &st);
	is_int(st.hits, 4, "hits counted");
	dns_free(d);

	/* the smallest cache_size holds 64 answers */
	d = resolver(ntohs(sa.sin_port), "65536");
	for (int i = 0; i < 100; i++) {
		snprintf(name, sizeof(name), "a%d.cache.test", i);
		dns_result_free(dns_query(d, name, DNS_TYPE_A));
	}
	dns_stats(d, &st);
	is_int(st.entries, 64, "bounded: 64 answers kept");
	is_int(st.misses, 100, "100 misses");
	r = dns_query(d, "a99.cache.test", DNS_TYPE_A);
	ok(r && r->cached, "the newest kept");
	dns_result_free(r);
	r = dns_query(d, "a0.cache.test", DNS_TYPE_A);
	ok(r && !r->cached, "the oldest gone");
	dns_result_free(r);
	dns_free(d);

	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	return tap_done();
}
