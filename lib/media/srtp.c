/* libsrtp2 behind a small interface (see srtp.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <srtp2/srtp.h>

#include "media/srtp.h"
#include "util/base64.h"
#include "util/mem.h"

struct media_srtp {
	srtp_t session;
};

static bool srtp_ready;

int media_srtp_key_new(char *b64, size_t b64len)
{
	unsigned char key[MEDIA_SRTP_KEY_LEN];
	struct strbuf sb = STRBUF_INIT;
	int rc = -1;

	if (getrandom(key, sizeof(key), 0) != (ssize_t)sizeof(key))
		return -1;
	base64_encode(key, sizeof(key), &sb);
	if (sb.len < b64len) {
		memcpy(b64, sb.buf, sb.len + 1);
		rc = 0;
	}
	mem_wipe(key, sizeof(key));
	mem_wipe(sb.buf, sb.len);
	strbuf_release(&sb);
	return rc;
}

struct media_srtp *media_srtp_new(const char *suite, const char *key_b64, bool inbound,
				  char *why, size_t whylen)
{
	struct strbuf key = STRBUF_INIT;
	struct media_srtp *s;
	srtp_policy_t pol;
	srtp_err_status_t err;

	if (!srtp_ready) {
		if (srtp_init() != srtp_err_status_ok) {
			snprintf(why, whylen, "cannot initialise libsrtp2");
			return NULL;
		}
		srtp_ready = true;
	}
	memset(&pol, 0, sizeof(pol));
	if (strcmp(suite, "AES_CM_128_HMAC_SHA1_80") == 0)
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&pol.rtp);
	else if (strcmp(suite, "AES_CM_128_HMAC_SHA1_32") == 0)
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(&pol.rtp);
	else {
		snprintf(why, whylen, "unsupported crypto suite %s", suite);
		return NULL;
	}
	srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&pol.rtcp);
	if (base64_decode(key_b64, strlen(key_b64), &key) < 0 || key.len != MEDIA_SRTP_KEY_LEN) {
		snprintf(why, whylen, "SDES key is not %d bytes of base64", MEDIA_SRTP_KEY_LEN);
		mem_wipe(key.buf, key.len);
		strbuf_release(&key);
		return NULL;
	}
	pol.ssrc.type = inbound ? ssrc_any_inbound : ssrc_any_outbound;
	pol.key = (unsigned char *)key.buf;
	pol.window_size = 128;
	s = xcalloc(1, sizeof(*s));
	err = srtp_create(&s->session, &pol);
	mem_wipe(key.buf, key.len);
	strbuf_release(&key);
	if (err != srtp_err_status_ok) {
		snprintf(why, whylen, "srtp_create failed (%d)", (int)err);
		free(s);
		return NULL;
	}
	return s;
}

void media_srtp_free(struct media_srtp *s)
{
	if (s == NULL)
		return;
	srtp_dealloc(s->session);
	free(s);
}

int media_srtp_protect(struct media_srtp *s, uint8_t *buf, size_t *len, bool rtcp)
{
	int n = (int)*len;
	srtp_err_status_t e = rtcp ? srtp_protect_rtcp(s->session, buf, &n) :
		srtp_protect(s->session, buf, &n);

	if (e != srtp_err_status_ok)
		return -1;
	*len = (size_t)n;
	return 0;
}

int media_srtp_unprotect(struct media_srtp *s, uint8_t *buf, size_t *len, bool rtcp)
{
	int n = (int)*len;
	srtp_err_status_t e = rtcp ? srtp_unprotect_rtcp(s->session, buf, &n) :
		srtp_unprotect(s->session, buf, &n);

	if (e != srtp_err_status_ok)
		return -1;
	*len = (size_t)n;
	return 0;
}
