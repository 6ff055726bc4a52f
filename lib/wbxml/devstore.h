/* The ActiveSync device store of eas-policy (and owa-cas's "mobile
 * devices" page): one JSON file per (user, device) in a directory that
 * several hosts may share (NFS), each replaced atomically (temp file,
 * fsync, rename, fsync dir) under a POSIX record lock on a lock file
 * beside it, so two processes never lose each other's update. Readers
 * need no lock: they see the old file or the new one.
 *
 * File names: USER,DEVICEID.json with every byte outside [a-z0-9._-]
 * written %XX (user names are lowercased first), so any user or device
 * id maps to one safe name and back. Files are mode 0600: they hold
 * the recovery password a device sent. */
#ifndef POSTERN_WBXML_DEVSTORE_H
#define POSTERN_WBXML_DEVSTORE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define DEV_USER_MAX 256
#define DEV_ID_MAX 64		/* MS-ASHTTP: DeviceId up to 32 characters */
#define DEV_FIELD_MAX 256	/* model, OS, ... (longer values are cut) */
#define DEV_RECOVERY_MAX 256

enum dev_keystate {
	DEV_KEY_NONE,		/* never provisioned, or the key was dropped */
	DEV_KEY_TEMPORARY,	/* policy sent, acknowledgement awaited */
	DEV_KEY_PROVISIONED,	/* acknowledged: key is the current one */
};

enum dev_wipe {
	DEV_WIPE_NONE,
	DEV_WIPE_PENDING,	/* asked for; the next request gets it */
	DEV_WIPE_SENT,		/* RemoteWipe sent in a Provision reply */
	DEV_WIPE_DONE,		/* the device acknowledged (wipe_status) */
};

struct devrec {
	char user[DEV_USER_MAX + 1];
	char id[DEV_ID_MAX + 1];
	char type[DEV_FIELD_MAX + 1];		/* DeviceType */
	char model[DEV_FIELD_MAX + 1], imei[DEV_FIELD_MAX + 1];
	char friendly[DEV_FIELD_MAX + 1], os[DEV_FIELD_MAX + 1];
	char os_language[DEV_FIELD_MAX + 1], phone[DEV_FIELD_MAX + 1];
	char user_agent[DEV_FIELD_MAX + 1], operator_[DEV_FIELD_MAX + 1];
	char protocol[16];			/* "14.1" */
	char policy[DEV_FIELD_MAX + 1];		/* the policy name last sent */
	enum dev_keystate keystate;
	uint32_t temp_key, key;
	time_t first_seen, last_seen, provisioned;
	enum dev_wipe wipe;
	time_t wipe_requested, wipe_sent, wipe_acked;
	int wipe_status;			/* the device's RemoteWipe Status */
	char wipe_by[DEV_FIELD_MAX + 1];	/* who asked */
	char recovery[DEV_RECOVERY_MAX + 1];	/* recovery password, or "" */
	time_t recovery_time;
};

struct devstore;

/* Opens the store in dir (created with mode 0700 when missing).
 * Returns NULL after logging why. */
struct devstore *devstore_open(const char *dir);
void devstore_close(struct devstore *ds);
const char *devstore_dir(const struct devstore *ds);

/* Reads one record. Returns 1 and fills r, 0 when there is none, -1 on
 * an error (logged: unreadable or corrupt file). */
int devstore_get(struct devstore *ds, const char *user, const char *id, struct devrec *r);

/* devstore_get for a daemon's hot path: when the file is the one this
 * process read last (same inode, size and change time: every write makes
 * a new inode), the record read then is returned after one stat(2); and
 * without the stat while the store's change counter (.generation, which
 * every write on this host bumps) has not moved, for a second at most
 * (writes from other hosts sharing the store are seen by the stat). */
int devstore_get_cached(struct devstore *ds, const char *user, const char *id,
			struct devrec *r);
/* devstore_get_cached without the copy: *rp points at the store's own
 * record, valid until the next call on ds. Returns as devstore_get. */
int devstore_peek(struct devstore *ds, const char *user, const char *id,
		  const struct devrec **rp);
/* Drops the cached record: the next read stats its file (a connection's
 * first request). */
void devstore_forget(struct devstore *ds);

/* Read-modify-write under the device's lock: loads the record (a new
 * one with user, id and first_seen set when there is none; *created
 * tells, if not NULL), calls fn, and writes the record back atomically
 * when fn returns 1 (0: nothing to write). Returns fn's value, or -1
 * on an error (logged). fn must be quick: the lock is held. */
typedef int (*devstore_fn)(struct devrec *r, bool created, void *ctx);
int devstore_update(struct devstore *ds, const char *user, const char *id, devstore_fn fn,
		    void *ctx);

/* Marks a device already in the store for remote wipe (its next request
 * gets it), keeping who asked in wipe_by; with cancel, withdraws a wipe
 * not yet acknowledged. Shared by eas-policy wipe and owa-cas's device
 * page. Returns 1 done, 0 no such device (or, with cancel, no wipe to
 * withdraw), -1 error (logged). */
int devstore_wipe(struct devstore *ds, const char *user, const char *id, const char *by,
		  bool cancel);

/* Removes a record. 1 removed, 0 none, -1 error. */
int devstore_remove(struct devstore *ds, const char *user, const char *id);

/* Calls fn for each record (of user only, when user is not NULL), in
 * file name order; fn returns 0 to go on. Corrupt files are logged and
 * skipped. Returns the number of records seen, or -1. */
typedef int (*devstore_each_fn)(const struct devrec *r, void *ctx);
long devstore_list(struct devstore *ds, const char *user, devstore_each_fn fn, void *ctx);

/* Names for output and the JSON file: "none", "temporary",
 * "provisioned"; "none", "pending", "sent", "done". */
const char *devstore_keystate_name(enum dev_keystate s);
const char *devstore_wipe_name(enum dev_wipe w);

/* A record as a JSON object, with or without
 * the recovery password (a new reference); and back (0, or -1 when a
 * field is of the wrong type). Times are ISO 8601 UTC strings. */
json_t *devstore_to_json(const struct devrec *r, bool with_secret);
int devstore_from_json(const json_t *json, struct devrec *r);

/* Is s a usable user name or device id (1..max bytes, no control
 * characters)? */
bool devstore_name_ok(const char *s, size_t max);

#endif
