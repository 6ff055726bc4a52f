/* postern-testd dns TYPE NAME...: every lookup submitted at once, then one
 * line per record (or per negative answer) in the order of the names:
 *   example.test MX 10 mail.example.test. sec=insecure
 *   nope.example.test A NXDOMAIN sec=insecure
 *   slow.test A TEMPFAIL reason=timeout
 * Exit 0 all found, 1 some NXDOMAIN/NODATA, 65 a name unfit to look up,
 * 75 some temporary failure (or DNSSEC bogus). For PTR an IP address is
 * turned into its reverse name. A name reached through a CNAME gets
 * canon=NAME.
 *
 * dns --fork TYPE NAME...: the parent looks the first name up, forks, the
 * child does the above with the parent's struct dns, and then the parent
 * looks the first name up again and prints "parent: " and its line. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dns/dns.h"
#include "util/exitcodes.h"
#include "util/mem.h"
#include "util/msg.h"
#include "util/strbuf.h"
#include "testd.h"

struct answer {
	const char *shown;	/* the operand as given */
	char *qname;
	struct dns_result *res;
	int submitted;
};

static void answered(struct dns_result *res, void *arg)
{
	((struct answer *)arg)->res = res;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Names compared as DNS does: case-blind, final dot or not. */
static int same_name(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	if (la && a[la - 1] == '.')
		la--;
	if (lb && b[lb - 1] == '.')
		lb--;
	return la == lb && strncasecmp(a, b, la) == 0;
}

/* The records of one answer, sorted so that the output is stable. */
static void print_records(const struct answer *a)
{
	const struct dns_result *r = a->res;
	char **lines = xcalloc(r->n, sizeof(char *));
	struct strbuf sb = STRBUF_INIT;

	for (size_t i = 0; i < r->n; i++) {
		strbuf_reset(&sb);
		dns_rr_format(&r->rr[i], &sb);
		lines[i] = strbuf_detach(&sb, NULL);
	}
	qsort(lines, r->n, sizeof(char *), cmp_str);
	if (r->canonname && !same_name(r->canonname, r->name))
		strbuf_addf(&sb, " canon=%s", r->canonname);
	for (size_t i = 0; i < r->n; i++) {
		printf("%s %s %s sec=%s%s\n", a->shown, dns_type_name(r->type), lines[i],
		       dns_sec_name(r->sec), sb.len ? sb.buf : "");
		free(lines[i]);
	}
	strbuf_release(&sb);
	free(lines);
}

static int print_answer(const struct answer *a, int type)
{
	const struct dns_result *r = a->res;

	if (!a->submitted) {
		printf("%s %s INVALID\n", a->shown, dns_type_name(type));
		return EX_DATAERR;
	}
	switch (r->status) {
	case DNS_OK:
		print_records(a);
		return EX_OK;
	case DNS_NXDOMAIN:
	case DNS_NODATA:
		printf("%s %s %s sec=%s\n", a->shown, dns_type_name(type),
		       dns_status_name(r->status), dns_sec_name(r->sec));
		return EX_NEGATIVE;
	case DNS_BOGUS:
		printf("%s %s BOGUS sec=bogus reason=%s\n", a->shown,
		       dns_type_name(type), msg_q(r->reason));
		return EX_TEMPFAIL;
	default:
		printf("%s %s TEMPFAIL reason=%s\n", a->shown, dns_type_name(type),
		       msg_q(r->reason));
		return EX_TEMPFAIL;
	}
}

/* The worst exit code wins: tempfail, then bad data, then negative. */
static int worse(int a, int b)
{
	static const int order[] = { EX_OK, EX_NEGATIVE, EX_DATAERR, EX_TEMPFAIL };
	int ra = 0, rb = 0;

	for (int i = 0; i < 4; i++) {
		if (order[i] == a)
			ra = i;
		if (order[i] == b)
			rb = i;
	}
	return ra >= rb ? a : b;
}

/* Submits every name at once, waits, prints in the order given. */
static int resolve_all(struct dns *d, int type, int n, char **names)
{
	struct answer *ans = xcalloc((size_t)n, sizeof(*ans));
	int rc = EX_OK;

	for (int i = 0; i < n; i++) {
		ans[i].shown = names[i];
		if (type == DNS_TYPE_PTR)
			ans[i].qname = dns_name_reverse(names[i], NULL);
		if (!ans[i].qname)
			ans[i].qname = xstrdup(names[i]);
		if (dns_submit(d, ans[i].qname, type, answered, &ans[i]) == 0)
			ans[i].submitted = 1;
		else
			msg_error("invalid domain name '%s'", ans[i].qname);
	}
	dns_wait(d, -1);
	for (int i = 0; i < n; i++) {
		rc = worse(rc, print_answer(&ans[i], type));
		dns_result_free(ans[i].res);
		free(ans[i].qname);
	}
	free(ans);
	return rc;
}

/* The struct dns made and used before fork, used in the child and again
 * in the parent afterwards. */
static int resolve_forked(struct dns *d, int type, int n, char **names)
{
	struct dns_result *r;
	int status, rc;
	pid_t pid;

	dns_result_free(dns_query(d, names[0], type));
	fflush(stdout);
	if ((pid = fork()) < 0)
		msg_fatal(EX_OSERR, "cannot fork: %s", strerror(errno));
	if (pid == 0) {
		rc = resolve_all(d, type, n, names);
		fflush(stdout);
		dns_free(d);
		_exit(rc);
	}
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status))
		msg_fatal(EX_SOFTWARE, "child did not exit");
	if (!(r = dns_query(d, names[0], type)))
		return EX_DATAERR;
	printf("parent: %s %s %s\n", names[0], dns_type_name(type),
	       dns_status_name(r->status));
	dns_result_free(r);
	return WEXITSTATUS(status);
}

int testd_dns(struct prog_state *st, int argc, char **argv)
{
	struct dns *d;
	int type, rc, forked = 0;

	if (argc > 1 && strcmp(argv[1], "--fork") == 0) {
		forked = 1;
		argc--;
		argv++;
	}
	if (argc < 3 || (type = dns_type_parse(argv[1])) < 0) {
		fprintf(stderr, "usage: postern-testd dns [--fork] A|AAAA|MX|TXT|PTR|SRV|TLSA|NS|CNAME NAME...\n");
		return EX_USAGE;
	}
	if (!(d = dns_new(conf_section(st->conf, "dns"))))
		return EX_CONFIG;
	if (forked)
		rc = resolve_forked(d, type, argc - 2, argv + 2);
	else
		rc = resolve_all(d, type, argc - 2, argv + 2);
	dns_free(d);
	return rc;
}
