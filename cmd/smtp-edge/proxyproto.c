/* PROXY protocol v1/v2 headers (haproxy's proxy-protocol.txt) and the
 * XCLIENT command: the client address a trusted front end hands over. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "net/wait.h"
#include "proxyproto.h"
#include "util/clock.h"

static const unsigned char v2_sig[PROXY_V2_SIG_LEN] = {
	0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a,
};

/* A decimal port 0..65535 without sign or leading zero. */
static int parse_port(const char *s, unsigned *out)
{
	unsigned long v = 0;
	size_t n = strlen(s);

	if (n == 0 || n > 5 || (n > 1 && s[0] == '0'))
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v > 65535)
		return -1;
	*out = (unsigned)v;
	return 0;
}

/* A numeric address of family af, rewritten in canonical form. */
static int parse_addr(int af, const char *s, char *out)
{
	unsigned char raw[16];

	if (strlen(s) >= 46 || inet_pton(af, s, raw) != 1)
		return -1;
	inet_ntop(af, raw, out, 46);
	return 0;
}

static int parse_v1(const char *line, struct proxy_info *out, const char **why)
{
	char buf[PROXY_V1_MAX + 1], *f[6], *save = NULL, *tok;
	int n = 0, af;

	snprintf(buf, sizeof(buf), "%s", line);
	for (tok = strtok_r(buf, " ", &save); tok && n < 6; tok = strtok_r(NULL, " ", &save))
		f[n++] = tok;
	if (tok || n < 2) {
		*why = "malformed PROXY v1 line";
		return -1;
	}
	out->version = 1;
	if (strcmp(f[1], "UNKNOWN") == 0) {
		out->local = true;
		out->family = AF_UNSPEC;
		return 0;
	}
	af = strcmp(f[1], "TCP4") == 0 ? AF_INET : strcmp(f[1], "TCP6") == 0 ? AF_INET6 : -1;
	if (af < 0 || n != 6) {
		*why = "malformed PROXY v1 line";
		return -1;
	}
	if (parse_addr(af, f[2], out->src_ip) < 0 || parse_addr(af, f[3], out->dst_ip) < 0 ||
	    parse_port(f[4], &out->src_port) < 0 || parse_port(f[5], &out->dst_port) < 0) {
		*why = "bad address or port in PROXY v1 line";
		return -1;
	}
	out->family = af;
	return 0;
}

/* v1: "PROXY " ... CRLF within 107 bytes. */
static int proxy_parse_v1(const unsigned char *buf, size_t len, struct proxy_info *out,
			  const char **why)
{
	char line[PROXY_V1_MAX + 1];
	size_t i;

	for (i = 0; i < len && i < PROXY_V1_MAX; i++) {
		if (buf[i] == '\n')
			break;
		if (buf[i] != '\r' && (buf[i] < 0x20 || buf[i] > 0x7e)) {
			*why = "bad byte in PROXY v1 line";
			return -1;
		}
	}
	if (i == len && len < PROXY_V1_MAX)
		return 0;
	if (i == PROXY_V1_MAX || i < 1 || buf[i - 1] != '\r') {
		*why = i == PROXY_V1_MAX ? "PROXY v1 line too long" : "PROXY v1 line not ended by CRLF";
		return -1;
	}
	memcpy(line, buf, i - 1);
	line[i - 1] = 0;
	if (memchr(line, '\r', i - 1)) {
		*why = "bad byte in PROXY v1 line";
		return -1;
	}
	return parse_v1(line, out, why) < 0 ? -1 : (int)(i + 1);
}

static int proxy_parse_v2(const unsigned char *buf, size_t len, struct proxy_info *out,
			  const char **why)
{
	size_t body;
	int cmd, fam;
	const unsigned char *a;

	if (len < PROXY_V2_HDR_LEN)
		return 0;
	if ((buf[12] >> 4) != 2) {
		*why = "unknown PROXY protocol version";
		return -1;
	}
	body = (size_t)buf[14] << 8 | buf[15];
	if (body > PROXY_V2_BODY_MAX) {
		*why = "PROXY v2 header too long";
		return -1;
	}
	if (len < PROXY_V2_HDR_LEN + body)
		return 0;
	out->version = 2;
	cmd = buf[12] & 0x0f;
	fam = buf[13];
	a = buf + PROXY_V2_HDR_LEN;
	if (cmd == 0) {			/* LOCAL: health checks, the proxy itself */
		out->local = true;
		out->family = AF_UNSPEC;
		return (int)(PROXY_V2_HDR_LEN + body);
	}
	if (cmd != 1) {
		*why = "unknown PROXY v2 command";
		return -1;
	}
	if (fam == 0x11 && body >= 12) {	/* TCP over IPv4 */
		out->family = AF_INET;
		inet_ntop(AF_INET, a, out->src_ip, sizeof(out->src_ip));
		inet_ntop(AF_INET, a + 4, out->dst_ip, sizeof(out->dst_ip));
		out->src_port = (unsigned)a[8] << 8 | a[9];
		out->dst_port = (unsigned)a[10] << 8 | a[11];
	} else if (fam == 0x21 && body >= 36) {	/* TCP over IPv6 */
		out->family = AF_INET6;
		inet_ntop(AF_INET6, a, out->src_ip, sizeof(out->src_ip));
		inet_ntop(AF_INET6, a + 16, out->dst_ip, sizeof(out->dst_ip));
		out->src_port = (unsigned)a[32] << 8 | a[33];
		out->dst_port = (unsigned)a[34] << 8 | a[35];
	} else if (fam == 0x00) {	/* UNSPEC with PROXY: keep the socket's */
		out->local = true;
		out->family = AF_UNSPEC;
	} else {
		*why = "unsupported PROXY v2 address family or short address block";
		return -1;
	}
	return (int)(PROXY_V2_HDR_LEN + body);
}

int proxy_parse(const unsigned char *buf, size_t len, struct proxy_info *out, const char **why)
{
	size_t n;

	memset(out, 0, sizeof(*out));
	n = len < PROXY_V2_SIG_LEN ? len : PROXY_V2_SIG_LEN;
	if (memcmp(buf, v2_sig, n) == 0)
		return len < PROXY_V2_SIG_LEN ? 0 : proxy_parse_v2(buf, len, out, why);
	n = len < 6 ? len : 6;
	if (memcmp(buf, "PROXY ", n) == 0)
		return len < 6 ? 0 : proxy_parse_v1(buf, len, out, why);
	*why = "not a PROXY header";
	return -1;
}

/* Reads exactly want bytes more into buf+*have, by the deadline. */
static int read_more(int fd, unsigned char *buf, size_t *have, size_t want, long long deadline,
		     const char **why)
{
	while (want > 0) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		long long left = deadline - clock_ms();
		ssize_t r;

		if (left <= 0 || wait_poll(&p, 1, (int)left) == 0) {
			*why = "timeout";
			return -1;
		}
		r = read(fd, buf + *have, want);
		if (r < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (r <= 0) {
			*why = r == 0 ? "closed" : "read error";
			return -1;
		}
		*have += (size_t)r;
		want -= (size_t)r;
	}
	return 0;
}

int proxy_read(int fd, long long timeout_ms, struct proxy_info *out, const char **why)
{
	unsigned char buf[PROXY_V2_HDR_LEN + PROXY_V2_BODY_MAX];
	long long deadline = clock_ms() + timeout_ms;
	size_t have = 0;
	int rc;

	/* 6 bytes tell v1 from v2 and are shorter than either header. */
	if (read_more(fd, buf, &have, 6, deadline, why) < 0)
		return -1;
	if (memcmp(buf, "PROXY ", 6) == 0) {
		/* v1 ends at LF: one byte at a time, never past it. */
		while ((rc = proxy_parse(buf, have, out, why)) == 0)
			if (read_more(fd, buf, &have, 1, deadline, why) < 0)
				return -1;
		return rc < 0 ? -1 : 0;
	}
	if (memcmp(buf, v2_sig, 6) != 0) {
		*why = "not a PROXY header";
		return -1;
	}
	if (read_more(fd, buf, &have, PROXY_V2_HDR_LEN - 6, deadline, why) < 0)
		return -1;
	if ((rc = proxy_parse(buf, have, out, why)) == 0) {
		size_t body = (size_t)buf[14] << 8 | buf[15];

		if (read_more(fd, buf, &have, body, deadline, why) < 0)
			return -1;
		rc = proxy_parse(buf, have, out, why);
	}
	return rc > 0 ? 0 : -1;
}

/* xtext (RFC 3461 4): "+XX" escapes; returns 0 or -1. */
static int xtext_decode(const char *s, size_t n, char *out, size_t size)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '+') {
			unsigned v;

			if (i + 2 >= n || !isxdigit((unsigned char)s[i + 1]) ||
			    !isxdigit((unsigned char)s[i + 2]) || islower((unsigned char)s[i + 1]) ||
			    islower((unsigned char)s[i + 2]))
				return -1;
			sscanf(s + i + 1, "%2x", &v);
			c = (unsigned char)v;
			i += 2;
		} else if (c < 0x21 || c > 0x7e || c == '=') {
			return -1;
		}
		if (c == 0 || o + 1 >= size)
			return -1;
		out[o++] = (char)c;
	}
	out[o] = 0;
	return 0;
}

/* One NAME=VALUE attribute into x. */
static int xclient_attr(struct xclient *x, const char *name, size_t nlen, const char *val,
			size_t vlen)
{
	static const char *const names[] = {
		"ADDR", "PORT", "NAME", "REVERSE_NAME", "HELO", "PROTO", "LOGIN", "DESTADDR",
		"DESTPORT",
	};
	enum xclient_state *states[] = {
		&x->addr_state, &x->port_state, &x->name_state, &x->reverse_name_state,
		&x->helo_state, &x->proto_state, &x->login_state, &x->destaddr_state,
		&x->destport_state,
	};
	char *fields[] = { x->addr, NULL, x->name, x->reverse_name, x->helo, x->proto, x->login,
			   x->destaddr, NULL };
	size_t sizes[] = { sizeof(x->addr), 0, sizeof(x->name), sizeof(x->reverse_name),
			   sizeof(x->helo), sizeof(x->proto), sizeof(x->login), sizeof(x->destaddr), 0 };
	char v[256];
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strlen(names[i]) == nlen && strncasecmp(names[i], name, nlen) == 0)
			break;
	if (i == sizeof(names) / sizeof(names[0])) {
		x->why = "unknown XCLIENT attribute";
		return -1;
	}
	if (*states[i] != XCLIENT_ABSENT) {
		x->why = "XCLIENT attribute given twice";
		return -1;
	}
	if (xtext_decode(val, vlen, v, sizeof(v)) < 0) {
		x->why = "bad or over-long XCLIENT value";
		return -1;
	}
	if (strcasecmp(v, "[UNAVAILABLE]") == 0) {
		*states[i] = XCLIENT_UNAVAILABLE;
		return 0;
	}
	if (strcasecmp(v, "[TEMPUNAVAIL]") == 0) {
		*states[i] = XCLIENT_TEMPUNAVAIL;
		return 0;
	}
	*states[i] = XCLIENT_VALUE;
	if (i == 0 || i == 7) {
		const char *a = v;
		int af = AF_INET;

		if (strncasecmp(a, "IPV6:", 5) == 0)
			a += 5, af = AF_INET6;
		if (parse_addr(af, a, fields[i]) < 0) {
			x->why = "bad XCLIENT address";
			return -1;
		}
		return 0;
	}
	if (i == 1 || i == 8) {
		if (parse_port(v, i == 1 ? &x->port : &x->destport) < 0) {
			x->why = "bad XCLIENT port";
			return -1;
		}
		return 0;
	}
	if (i == 5 && strcasecmp(v, "SMTP") != 0 && strcasecmp(v, "ESMTP") != 0) {
		x->why = "XCLIENT PROTO must be SMTP or ESMTP";
		return -1;
	}
	if (strlen(v) >= sizes[i]) {
		x->why = "bad or over-long XCLIENT value";
		return -1;
	}
	snprintf(fields[i], sizes[i], "%s", v);
	return 0;
}

int xclient_parse(const char *args, struct xclient *out)
{
	const char *p = args;
	int n = 0;

	memset(out, 0, sizeof(*out));
	if (strlen(args) > XCLIENT_ARGS_MAX) {
		out->why = "XCLIENT arguments too long";
		return -1;
	}
	for (;;) {
		const char *start, *eq, *end;

		while (*p == ' ')
			p++;
		if (!*p)
			break;
		start = p;
		end = p + strcspn(p, " ");
		eq = memchr(start, '=', (size_t)(end - start));
		if (!eq || eq == start) {
			out->why = "XCLIENT attribute without NAME=VALUE";
			return -1;
		}
		if (xclient_attr(out, start, (size_t)(eq - start), eq + 1, (size_t)(end - eq - 1)) < 0)
			return -1;
		n++;
		p = end;
	}
	if (n == 0) {
		out->why = "XCLIENT without attributes";
		return -1;
	}
	return 0;
}
