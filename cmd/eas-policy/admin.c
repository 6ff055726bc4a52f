/* The admin commands: wipe (and --cancel), devices, recovery, policy,
 * decode and encode. They read and change the device store the daemons
 * use, under the same locks. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util/exitcodes.h"
#include "util/mem.h"
#include "util/msg.h"
#include "wbxml/codepage.h"
#include "wbxml/wbxml_xml.h"
#include "eas-policy.h"

#define INPUT_MAX (16 << 20)

/* The name the store files a user under: the directory's uid when the
 * directory knows the user, else the name as given, lowercased. */
static void user_name(struct eas *e, const char *in, char *out, size_t size)
{
	struct dir_entry *ent = NULL;
	const char *uid;
	const char *bs = strrchr(in, '\\');

	if (bs)
		in = bs + 1;
	snprintf(out, size, "%s", in);
	if (e->use_directory && e->dir &&
	    (strchr(in, '@') ? dir_lookup_mail(e->dir, in, &ent) :
	     dir_lookup_uid(e->dir, in, &ent)) == DIR_OK &&
	    (uid = dir_entry_str(ent, "uid")))
		snprintf(out, size, "%s", uid);
	dir_entry_free(ent);
	for (char *p = out; *p; p++)
		*p = (char)tolower((unsigned char)*p);
}

int cmd_wipe(struct eas *e, int argc, char **argv, bool cancel)
{
	char user[DEV_USER_MAX + 1];
	const char *by = getenv("SUDO_USER");
	int rc;

	if (argc != 2) {
		fprintf(stderr, "eas-policy: wipe takes USER DEVICE\n");
		return EX_USAGE;
	}
	if (!devstore_name_ok(argv[1], DEV_ID_MAX) || !devstore_name_ok(argv[0], DEV_USER_MAX)) {
		fprintf(stderr, "eas-policy: bad user or device id\n");
		return EX_USAGE;
	}
	if (!by)
		by = getenv("LOGNAME");
	if (!by)
		by = "unknown";
	user_name(e, argv[0], user, sizeof(user));
	if (!eas_store(e) || (rc = devstore_wipe(e->store, user, argv[1], by, cancel)) < 0)
		return EX_TEMPFAIL;
	if (rc == 0) {
		struct devrec r;

		if (cancel && devstore_get(e->store, user, argv[1], &r) == 1)
			fprintf(stderr, "eas-policy: no wipe pending for device '%s' of '%s'\n",
				argv[1], user);
		else
			fprintf(stderr, "eas-policy: no device '%s' for user '%s'\n", argv[1], user);
		return EX_NEGATIVE;
	}
	if (cancel) {
		msg_info("remote wipe cancelled user=%s device=%s by=%s", msg_q(user),
			 msg_q(argv[1]), msg_q(by));
		printf("wipe cancelled: %s %s\n", user, argv[1]);
	} else {
		msg_info("remote wipe requested user=%s device=%s by=%s", msg_q(user),
			 msg_q(argv[1]), msg_q(by));
		printf("wipe pending: %s %s (sent at the device's next request)\n", user, argv[1]);
	}
	return fflush(stdout) == 0 ? 0 : EX_IOERR;
}

static void fmt_time(time_t t, char *buf, size_t size)
{
	struct tm tm;

	if (!t) {
		snprintf(buf, size, "-");
		return;
	}
	gmtime_r(&t, &tm);
	strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

struct listing {
	struct eas *e;
	json_t *array;
};

/* "provisioned", or "outdated" when the policy the device holds has
 * changed since (its key is no longer the one the policy gives): the
 * device re-provisions at its next request. */
static const char *key_state(const struct eas *e, const struct devrec *r)
{
	const struct eas_policy *p;

	if (r->keystate == DEV_KEY_PROVISIONED && (p = policy_find(e, r->policy)) &&
	    policy_key(e, p, r->user, r->id) != r->key)
		return "outdated";
	return devstore_keystate_name(r->keystate);
}

static int print_json(const struct devrec *r, void *ctx)
{
	struct listing *l = ctx;
	json_t *o = devstore_to_json(r, false);

	json_object_set_new(o, "key_state", json_string(key_state(l->e, r)));
	json_array_append_new(l->array, o);
	return 0;
}

static const char *dash(const char *s)
{
	return *s ? s : "-";
}

static int print_line(const struct devrec *r, void *ctx)
{
	struct listing *l = ctx;
	char seen[32], wipe[64];

	fmt_time(r->last_seen, seen, sizeof(seen));
	if (r->wipe == DEV_WIPE_DONE)
		snprintf(wipe, sizeof(wipe), "done(status=%d)", r->wipe_status);
	else
		snprintf(wipe, sizeof(wipe), "%s", devstore_wipe_name(r->wipe));
	printf("%-16s %-24s %-12s %-20s %-16s %-20s %-10s %-11s %s\n", r->user, r->id,
	       dash(r->type), dash(r->model), dash(r->os), seen, dash(r->policy),
	       key_state(l->e, r), wipe);
	return 0;
}

int cmd_devices(struct eas *e, const char *user, bool json)
{
	char name[DEV_USER_MAX + 1];
	long n;

	if (user)
		user_name(e, user, name, sizeof(name));
	if (!eas_store(e))
		return EX_TEMPFAIL;
	if (json) {
		json_t *a = json_array();
		struct listing l = { e, a };

		n = devstore_list(e->store, user ? name : NULL, print_json, &l);
		if (n >= 0) {
			json_dumpf(a, stdout, JSON_INDENT(2));
			putchar('\n');
		}
		json_decref(a);
	} else {
		printf("%-16s %-24s %-12s %-20s %-16s %-20s %-10s %-11s %s\n", "USER", "DEVICE",
		       "TYPE", "MODEL", "OS", "LAST-SEEN", "POLICY", "KEY", "WIPE");
		struct listing l = { e, NULL };

		n = devstore_list(e->store, user ? name : NULL, print_line, &l);
	}
	if (n < 0)
		return EX_TEMPFAIL;
	return fflush(stdout) == 0 ? 0 : EX_IOERR;
}

int cmd_recovery(struct eas *e, int argc, char **argv)
{
	char user[DEV_USER_MAX + 1];
	struct devrec r;
	int got;

	if (argc != 2) {
		fprintf(stderr, "eas-policy: recovery takes USER DEVICE\n");
		return EX_USAGE;
	}
	user_name(e, argv[0], user, sizeof(user));
	if (!eas_store(e))
		return EX_TEMPFAIL;
	got = devstore_get(e->store, user, argv[1], &r);
	if (got < 0)
		return EX_TEMPFAIL;
	if (got == 0 || !*r.recovery) {
		fprintf(stderr, "eas-policy: no recovery password for device '%s' of '%s'\n",
			argv[1], user);
		return EX_NEGATIVE;
	}
	/* Shown to the admin who asked; never logged. */
	msg_info("recovery password read user=%s device=%s", msg_q(user), msg_q(argv[1]));
	printf("%s\n", r.recovery);
	mem_wipe(&r, sizeof(r));
	return fflush(stdout) == 0 ? 0 : EX_IOERR;
}

int cmd_policy(struct eas *e, int argc, char **argv, const char *format, const char *version)
{
	const struct eas_policy *p;
	struct wbxml_doc *doc;
	struct strbuf out = STRBUF_INIT;
	int rc = 0;

	if (argc > 1) {
		fprintf(stderr, "eas-policy: policy takes at most one NAME\n");
		return EX_USAGE;
	}
	p = argc ? policy_find(e, argv[0]) : e->default_policy;
	if (!p) {
		fprintf(stderr, "eas-policy: no policy '%s'\n", argv[0]);
		return EX_NEGATIVE;
	}
	if (!eas_version_num(version) || eas_version_num(version) < 120) {
		fprintf(stderr, "eas-policy: --protocol takes 12.0, 12.1, 14.0, 14.1, 16.0 or 16.1\n");
		return EX_USAGE;
	}
	doc = wbxml_doc_new();
	policy_doc(p, version, doc, NULL);
	if (strcmp(format, "wbxml") == 0) {
		wbxml_encode(doc, &out);
		if (isatty(STDOUT_FILENO)) {
			fprintf(stderr, "eas-policy: not writing WBXML to a terminal\n");
			rc = EX_USAGE;
		}
	} else {
		wbxml_to_xml(doc, &out, true);
	}
	if (rc == 0 && (fwrite(out.buf, 1, out.len, stdout) != out.len || fflush(stdout) != 0))
		rc = EX_IOERR;
	strbuf_release(&out);
	wbxml_doc_free(doc);
	return rc;
}

/* Captured traffic holds whole messages: the daemon's string and node
 * limits do not apply to the troubleshooting commands, its depth does. */
static struct wbxml_limits tool_limits(const struct eas *e)
{
	struct wbxml_limits l = e->lim;

	l.string_max = INPUT_MAX;
	l.strtbl_max = INPUT_MAX;
	l.nodes_max = 1000000;
	return l;
}

int cmd_decode(struct eas *e, bool indent)
{
	struct wbxml_limits lim = tool_limits(e);
	struct strbuf in = STRBUF_INIT, out = STRBUF_INIT;
	struct wbxml_doc *doc;
	enum wbxml_err err;
	size_t where = 0;
	int rc = 0;

	if (strbuf_read_fd(&in, STDIN_FILENO, INPUT_MAX) < 0) {
		fprintf(stderr, "eas-policy: cannot read standard input: %s\n", strerror(errno));
		strbuf_release(&in);
		return EX_IOERR;
	}
	doc = wbxml_decode(in.buf, in.len, &lim, &err, &where);
	if (!doc) {
		fprintf(stderr, "eas-policy: malformed WBXML at byte %zu: %s\n", where,
			wbxml_strerror(err));
		rc = EX_DATAERR;
	} else {
		wbxml_to_xml(doc, &out, indent);
		if (!indent)
			strbuf_addch(&out, '\n');
		if (fwrite(out.buf, 1, out.len, stdout) != out.len || fflush(stdout) != 0)
			rc = EX_IOERR;
	}
	wbxml_doc_free(doc);
	strbuf_release(&in);
	strbuf_release(&out);
	return rc;
}

int cmd_encode(struct eas *e)
{
	struct wbxml_limits lim = tool_limits(e);
	struct strbuf in = STRBUF_INIT, out = STRBUF_INIT;
	struct wbxml_doc *doc;
	char err[256];
	int rc = 0;

	if (strbuf_read_fd(&in, STDIN_FILENO, INPUT_MAX) < 0) {
		fprintf(stderr, "eas-policy: cannot read standard input: %s\n", strerror(errno));
		strbuf_release(&in);
		return EX_IOERR;
	}
	doc = wbxml_from_xml(in.buf, in.len, &lim, err, sizeof(err));
	if (!doc) {
		fprintf(stderr, "eas-policy: bad XML: %s\n", err);
		rc = EX_DATAERR;
	} else {
		wbxml_encode(doc, &out);
		if (fwrite(out.buf, 1, out.len, stdout) != out.len || fflush(stdout) != 0)
			rc = EX_IOERR;
	}
	wbxml_doc_free(doc);
	strbuf_release(&in);
	strbuf_release(&out);
	return rc;
}
