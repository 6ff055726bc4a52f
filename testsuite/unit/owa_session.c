/* owa-cas sessions: sealing and opening, the key ring across slots,
 * timeouts, tampering, another host with the same secret, revocation and
 * the CSRF token. The session code is owa-cas's own, compiled in here. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../cmd/owa-cas/session.c"
#include "tap.h"

static void conf_init(struct sess_conf *c, const char *secret)
{
	memset(c, 0, sizeof(*c));
	memcpy(c->secret, secret, strlen(secret));
	c->secret_len = strlen(secret);
	c->timeout[SESS_PUBLIC] = 900;
	c->timeout[SESS_PRIVATE] = 8 * 3600;
	c->max_age = 24 * 3600;
}

int main(void)
{
	struct sess_conf c, c2, other;
	struct session s, got;
	struct strbuf ck = STRBUF_INIT, ck2 = STRBUF_INIT;
	long long t0 = 1700000000;
	char tok[44], dir[] = "/tmp/owa_session.XXXXXX";

	conf_init(&c, "0123456789abcdef0123456789abcdef-master");
	conf_init(&c2, "0123456789abcdef0123456789abcdef-master");
	conf_init(&other, "0123456789abcdef0123456789abcdef-OTHER!");
	sess_start(&s, "alice", SESS_PUBLIC, t0);
	is_int(strlen(s.sid), 32, "session id is 128 bits of hex");
	sess_seal(&c, &s, t0, &ck);
	ok(strncmp(ck.buf, "v1.P.", 5) == 0, "cookie names its type: %s", ck.buf);
	ok(strstr(ck.buf, "alice") == NULL, "user not in clear");
	is_int(sess_open(&c, ck.buf, t0 + 10, &got), SESS_OK, "opens");
	is_str(got.user, "alice", "user");
	is_str(got.sid, s.sid, "sid");
	is_int(got.issued, t0, "issued");
	is_int(sess_open(&c2, ck.buf, t0 + 10, &got), SESS_OK, "second host, same secret");
	is_int(sess_open(&other, ck.buf, t0 + 10, &got), SESS_BAD, "other secret refused");
	is_int(sess_open(&c, ck.buf, t0 + 901, &got), SESS_EXPIRED, "public timeout");
	is_int(sess_open(&c, ck.buf, t0 + 899, &got), SESS_OK, "just inside the timeout");
	is_int(sess_open(&c, ck.buf, t0 + 4 * 450, &got), SESS_EXPIRED, "expired, key still known");
	is_int(sess_open(&c, ck.buf, t0 + 5 * 450, &got), SESS_BAD, "key left the ring");

	/* Activity re-issues: the session outlives the first cookie's slot. */
	strbuf_reset(&ck2);
	got = s;
	sess_seal(&c, &got, t0 + 800, &ck2);
	is_int(sess_open(&c, ck2.buf, t0 + 1600, &got), SESS_OK, "re-issued cookie lives on");
	is_int(got.issued, t0, "issue time kept");

	/* Tampering: every byte of the sealed part. */
	{
		int bad = 0, n = 0;

		for (size_t i = 0; i < ck.len; i++) {
			char *t = strdup(ck.buf);

			t[i] = t[i] == 'A' ? 'B' : 'A';
			if (strcmp(t, ck.buf) != 0) {
				n++;
				bad += sess_open(&c, t, t0 + 10, &got) != SESS_OK;
			}
			free(t);
		}
		is_int(bad, n, "every changed byte refused (%d)", n);
	}
	{
		char *t = strdup(ck.buf);

		t[3] = 'S';
		is_int(sess_open(&c, t, t0 + 10, &got), SESS_BAD, "type switched refused");
		free(t);
	}
	is_int(sess_open(&c, "v1.P.1.", t0, &got), SESS_BAD, "empty");
	is_int(sess_open(&c, "garbage", t0, &got), SESS_BAD, "garbage");

	/* Private sessions: 8 hours. */
	sess_start(&s, "bob", SESS_PRIVATE, t0);
	strbuf_reset(&ck);
	sess_seal(&c, &s, t0, &ck);
	is_int(sess_open(&c, ck.buf, t0 + 7 * 3600, &got), SESS_OK, "private after 7 h");
	is_int(sess_open(&c, ck.buf, t0 + 9 * 3600, &got), SESS_EXPIRED, "private after 9 h");

	/* CSRF. */
	sess_csrf(&c, &s, tok);
	is_int(strlen(tok), 43, "token length");
	ok(sess_csrf_ok(&c2, &s, tok), "token accepted on the other host");
	tok[5] ^= 1;
	ok(!sess_csrf_ok(&c, &s, tok), "changed token refused");
	ok(!sess_csrf_ok(&c, &s, ""), "empty token refused");

	/* Revocation. */
	ok(mkdtemp(dir) != NULL, "temp dir");
	c.revoked_dir = dir;
	is_int(sess_revoke(&c, &s, t0), 0, "revoked");
	is_int(sess_open(&c, ck.buf, t0 + 10, &got), SESS_REVOKED, "replay after logout refused");
	{
		char path[256];

		snprintf(path, sizeof(path), "%s/%s", dir, s.sid);
		unlink(path);
		rmdir(dir);
	}
	strbuf_release(&ck);
	strbuf_release(&ck2);
	return tap_done();
}
