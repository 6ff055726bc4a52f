/* eas-policy's private interfaces: policies and keys (policy.c), the
 * Provision and Settings commands (provision.c), the HTTP front with the
 * pass-through to the backend (front.c), the admin commands (admin.c). */
#ifndef EAS_POLICY_H
#define EAS_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf/prog.h"
#include "dir/dir.h"
#include "net/serve.h"
#include "http/http.h"
#include "util/strbuf.h"
#include "wbxml/devstore.h"
#include "wbxml/easreq.h"
#include "wbxml/wbxml.h"

#define EAS_PROVISION_TYPE "MS-EAS-Provisioning-WBXML"
#define EAS_WBXML_TYPE "application/vnd.ms-sync.wbxml"

/* One named policy (SPEC section 7). Zero in an optional number: the
 * element is sent empty (no limit). */
struct eas_policy {
	const char *name;
	bool password_required, alphanumeric, password_recovery, allow_simple;
	bool storage_card_encryption, device_encryption, attachments;
	bool allow_partial;	/* acknowledgement Status 2 accepted */
	int min_length, wipe_after_failures, complex_characters;
	int password_expiration_days, password_history;
	long long max_inactivity_s, max_attachment_size;
};

/* Everything the front and the commands share, built once by main.c. */
struct eas {
	const struct prog_state *st;
	struct eas_policy *policies;
	size_t npolicies;
	const struct eas_policy *default_policy;
	const char *store_dir;
	struct devstore *store;		/* opened on first use */
	bool use_directory;
	struct dir *dir;		/* opened on first use */
	unsigned char secret[64];
	size_t secret_len;
	const char *backend;		/* base URL */
	long long backend_connect_ms, backend_timeout_ms;
	const char *backend_ca;
	const char *versions[16];	/* borrowed from the config */
	size_t nversions;
	const char *commands;		/* "Sync,SendMail,..." */
	long long wbxml_max, last_seen_interval_s;
	long max_devices;		/* per user */
	bool check_password;
	struct wbxml_limits lim;
};

/* main.c: the store and the directory, or exit 75 / log and NULL. */
struct devstore *eas_store(struct eas *e);

/* policy.c */
/* The keys of one policy (the "policies" map of the section). */
extern const struct conf_key policy_keys[];
/* Fills e->policies from the config section; 0, or -1 after logging. */
int policy_load(struct eas *e, const json_t *sec);
const struct eas_policy *policy_find(const struct eas *e, const char *name);
/* Adds the EASProvisionDoc element for a protocol version ("12.0" gets
 * the 12.0 elements only). */
void policy_doc(const struct eas_policy *p, const char *protocol, struct wbxml_doc *doc,
		struct wbxml_node *parent);
/* The policy's settings as one canonical line ("DevicePasswordEnabled=1;...")
 * that the key is derived from. */
void policy_canonical(const struct eas_policy *p, struct strbuf *out);
/* The final policy key of (policy, user, device): never 0. */
uint32_t policy_key(const struct eas *e, const struct eas_policy *p, const char *user,
		    const char *device);
/* A random temporary key, never 0 nor equal to avoid. */
uint32_t policy_temp_key(uint32_t avoid);

/* What the front knows about a request. */
struct eas_req {
	struct eas_query q;	/* command, device, type, protocol, key */
	char user[DEV_USER_MAX + 1];	/* lowercased, DOMAIN\ stripped */
	const char *user_agent;
	const struct eas_policy *policy;	/* NULL: the user is unknown */
	uint32_t current_key;	/* the final key policy gives this device */
};

/* provision.c: answers a Provision request (decoded) into out (WBXML).
 * Records the device. Returns the HTTP status (200), or 503 when the
 * store failed. */
int provision_handle(struct eas *e, const struct eas_req *r, const struct wbxml_doc *in,
		     struct strbuf *out);
/* Records DeviceInformation and DevicePassword from a Settings request;
 * returns 0, or -1 (logged). */
int settings_record(struct eas *e, const struct eas_req *r, const struct wbxml_doc *in);

/* front.c: the routes of /Microsoft-Server-ActiveSync, handled with e
 * (which the caller may replace in place on SIGHUP). */
void front_routes(struct eas *e, struct http_server *srv);

/* backend.c: is url a plain http:// one backend_pass can serve? 0 yes. */
int backend_plain_url(const char *url);
/* Passes req to the backend on the session's kept-alive connection and
 * streams the answer into res (*started once its head went out). fwd
 * holds the header lines to send ("Name: value\r\n" each); the request
 * line, Host and the framing are added. 0, or -1 with why. */
int backend_pass(struct eas *e, struct http_request *req, struct http_response *res,
		 const struct strbuf *pre, const struct strbuf *fwd, bool *started, char *why,
		 size_t whylen);

/* backend.c, in the event loop (lib/http's http_loop): the same exchange
 * split where the blocking way waits for the answer. backend_send sends
 * req on k's connection (made, or made again, when needed) and returns
 * the wait, or NULL with why (nothing started). backend_ready reads what
 * came, without waiting: 1 a whole plain answer is in (backend_finish
 * serves it without waiting), 0 more is to come, -1 anything else (the
 * end, an error, chunking, a large or 1xx answer: backend_finish in a
 * process of its own, blocking, does what backend_pass would). After the
 * loop's timeout, backend_timed_out: the blocking way then finds the
 * time up. backend_finish streams the answer into res (*started once
 * its head went out), tries once more as backend_pass does, and in a
 * blocking process hands the connection to backend_pass's later
 * requests. 0, or -1 with why. */
struct backend_wait;
struct backend_wait *backend_send(struct eas *e, struct http_keep *k, struct http_request *req,
				  const struct strbuf *pre, const struct strbuf *fwd, char *why,
				  size_t whylen);
int backend_ready(struct backend_wait *w, struct http_keep *k);
/* A new connection is under way (backend_send did not wait for it): the
 * loop waits for k->fd to be writable, then backend_connected sends the
 * request (0, or -1 with why), or after backend_connect_timeout,
 * backend_connect_timed_out says why. */
bool backend_connecting(const struct backend_wait *w);
int backend_connected(struct backend_wait *w, struct eas *e, struct http_keep *k,
		      struct http_request *req, char *why, size_t whylen);
void backend_connect_timed_out(struct backend_wait *w, struct http_keep *k, char *why,
			       size_t whylen);
void backend_timed_out(struct backend_wait *w);
int backend_finish(struct backend_wait *w, struct eas *e, struct http_keep *k, bool blocking,
		   struct http_request *req, struct http_response *res, bool *started,
		   char *why, size_t whylen);
void backend_wait_free(struct backend_wait *w);

/* front.c: drops what the front keeps between requests (after a reload
 * replaced the policies it points into). */
void front_forget(void);

/* admin.c: the subcommands. Each returns the exit code. */
int cmd_wipe(struct eas *e, int argc, char **argv, bool cancel);
int cmd_devices(struct eas *e, const char *user, bool json);
int cmd_recovery(struct eas *e, int argc, char **argv);
int cmd_policy(struct eas *e, int argc, char **argv, const char *format, const char *version);
int cmd_decode(struct eas *e, bool indent);
int cmd_encode(struct eas *e);

#endif
