/* um-sipd's shared state: the settings made once in the listener from
 * the config (dial plans, TLS context, directory, greetings), the
 * connection's SIP session, the media of a call, the spool. */
#ifndef POSTERN_UM_SIPD_H
#define POSTERN_UM_SIPD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "conf/prog.h"
#include "dir/dir.h"
#include "net/serve.h"
#include "tls/tls.h"

extern const struct conf_section sipd_conf_section;

enum plan_security { PLAN_UNSECURED, PLAN_SIP_SECURED, PLAN_SECURED };

struct dial_plan {
	char *name;
	enum plan_security security;
	char **extensions;	/* "1234", "12*" (prefix), "1xxx" (x a digit) */
	size_t nextensions;
	char **gateways;	/* FQDNs the gateway certificate may name */
	size_t ngateways;
	char **addresses;	/* unsecured: gateway addresses (IP) */
	size_t naddresses;
	int16_t *greeting;	/* NULL: the service's */
	size_t greeting_len;
	char *catch_all;	/* mailbox for numbers not in the directory */
};

/* The settings, made in the listener and inherited by sessions. */
struct sipd {
	struct prog_state *st;
	struct conf *conf;
	bool own_conf;		/* conf was loaded by a reload: free it */
	const json_t *sec;

	struct dial_plan *plans;
	size_t nplans;
	int start_secured;
	char **tls_listeners;
	size_t ntls_listeners;
	struct tls_ctx *tls;	/* NULL when no TLS listener is configured */
	char *cert_path;	/* what the TLS context serves */
	char cert_sha1[96];

	struct dir *dir;
	int16_t *greeting;	/* the service's greeting */
	size_t greeting_len;
	bool greeting_builtin;	/* the chime: no greeting configured */
	char *greetings_dir;	/* per-user greetings: DIR/NUMBER.wav */
	bool beep;

	char *hostname;
	char *media_address;	/* "" : the connection's local address */
	unsigned rtp_min, rtp_max;
	long long t1_ms;
	long long answer_delay_ms;
	long long max_length_ms;
	long long min_length_ms;
	long long silence_ms;	/* 0: off */
	int silence_level;
	size_t max_calls;	/* per connection */
	long long idle_timeout_ms;
	char *catch_all;

	char *spool_dir;
	char *smtp_host;
	unsigned smtp_port;
	char *mail_from;
	char *helo;
	long long smtp_timeout_ms;
	long long retry_min_ms, retry_max_ms;
	long long spool_scan_ms;

	int warn_days;
	long long cert_check_ms;

	pid_t spooler;		/* the delivery process, or 0 */
	pid_t udp[8];		/* the UDP listeners */
	size_t nudp;
};

/* config.c */
int sipd_init(struct sipd *d, struct prog_state *st, struct conf *c);
void sipd_clear(struct sipd *d);
/* The dial plan whose extensions hold number, or NULL. */
const struct dial_plan *sipd_plan_for(const struct sipd *d, const char *number);
const char *plan_security_name(enum plan_security s);
/* certificate: select (generating a self-signed one when the store has
 * none) and log; fills d->cert_path. Returns 0 or -1; under
 * sipd_check_only, 1 when the store has none (the daemon would generate
 * one: a warning, nothing written). */
int sipd_cert_setup(struct sipd *d, struct tls_policy *p);
/* For -n: sipd_init then checks without writing anything. */
void sipd_check_only(void);
/* One check of the expiry of the certificate in use: a warning when it
 * is within warn_days. */
void sipd_cert_check(const struct sipd *d);

/* session.c: one connection (serve_handler.session). */
int sipd_session(int in, int out, const struct serve_peer *peer, void *ctx);
/* SIP over UDP on addr ("127.0.0.1:5060") in this process, as user,
 * until SIGTERM; returns an exit code. */
int sipd_udp_serve(struct sipd *d, const char *addr, const char *user);

/* spool.c */
struct recording {
	const int16_t *pcm;
	size_t samples;
	const char *caller;	/* From URI */
	const char *caller_name;
	const char *called;	/* the number dialled */
	const char *mailbox;	/* where it goes */
	time_t start;
};
/* Writes the mail for r durably into the spool; returns 0 or -1. */
int spool_add(const struct sipd *d, const struct recording *r);
/* Delivers what is due now; returns how many files are left. */
size_t spool_run_once(const struct sipd *d, bool force);
/* The delivery process: delivers, retries with backoff, checks the
 * certificate's expiry on its timer; ends with the listener. */
pid_t spool_start(struct sipd *d);
/* After spool_add: without a delivery process (inetd, Accept=yes, UDP),
 * a child delivers now; else nothing (the delivery process watches the
 * spool directory). */
void spool_kick(const struct sipd *d);

/* Milliseconds on the monotonic clock. */
long long now_ms(void);

#endif
