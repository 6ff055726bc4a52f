/* The ActiveSync device store: a JSON file per device, written
 * atomically under a POSIX lock (see devstore.h). */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util/atomic.h"
#include "util/mem.h"
#include "util/msg.h"
#include "util/strbuf.h"
#include "wbxml/devstore.h"

#define FILE_MAX (64 * 1024)

struct devstore {
	char *dir;
	/* The last record devstore_peek read, its file's identity, and
	 * the (user, device) its path was made of. */
	struct devrec *cached;
	char *cached_path;
	struct stat cached_st;
	struct strbuf last_user, last_id, last_path;
	/* The store's change counter (see gen_map), the value it had when
	 * the cached record was last known current, and when its file was
	 * last stat'ed (monotonic ms). */
	uint64_t *gen;
	uint64_t cached_gen;
	long long cached_checked;
};

/* Every process that writes a record on this host bumps a counter after
 * the rename (or unlink), in a small file (.generation) of the store
 * that each process maps shared: a reader whose counter has not moved
 * knows no record changed and needs no stat. Writers on other hosts (a
 * store on NFS) and hands editing the files are not counted: a record
 * is stat'ed again after DEVSTORE_RECHECK_MS however the counter
 * stands. Without the counter (unmappable), every read stats. */
#define GEN_FILE ".generation"
#define GEN_SIZE 4096
#define DEVSTORE_RECHECK_MS 1000

static void gen_map(struct devstore *ds)
{
	struct strbuf path = STRBUF_INIT;
	struct stat st;
	void *p;
	int fd;

	strbuf_addf(&path, "%s/" GEN_FILE, ds->dir);
	fd = open(path.buf, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	strbuf_release(&path);
	if (fd < 0)
		return;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    (st.st_size < GEN_SIZE && ftruncate(fd, GEN_SIZE) < 0)) {
		close(fd);
		return;
	}
	/* Made by root (a daemon before it drops privileges, an admin
	 * command): the store's owner, who runs the sessions, must be able
	 * to open it too. */
	if (st.st_uid == 0 && geteuid() == 0) {
		struct stat dst;

		if (stat(ds->dir, &dst) == 0 && dst.st_uid != 0 && fchown(fd, dst.st_uid, dst.st_gid) < 0)
			msg_warn("cannot give %s/" GEN_FILE " to the store's owner: %s", ds->dir,
				 strerror(errno));
	}
	p = mmap(NULL, GEN_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (p != MAP_FAILED)
		ds->gen = p;
}

static uint64_t gen_read(const struct devstore *ds)
{
	return ds->gen ? __atomic_load_n(ds->gen, __ATOMIC_ACQUIRE) : 0;
}

static void gen_bump(struct devstore *ds)
{
	if (ds->gen)
		__atomic_fetch_add(ds->gen, 1, __ATOMIC_RELEASE);
}

static long long mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct devstore *devstore_open(const char *dir)
{
	struct devstore *ds;
	struct stat st;

	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		msg_error("cannot create device store '%s': %s", dir, strerror(errno));
		return NULL;
	}
	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
		msg_error("device store '%s' is not a directory", dir);
		return NULL;
	}
	ds = xcalloc(1, sizeof(*ds));
	ds->dir = xstrdup(dir);
	gen_map(ds);
	return ds;
}

void devstore_close(struct devstore *ds)
{
	if (!ds)
		return;
	if (ds->cached)
		mem_wipe(ds->cached, sizeof(*ds->cached));
	free(ds->cached);
	free(ds->cached_path);
	strbuf_release(&ds->last_user);
	strbuf_release(&ds->last_id);
	strbuf_release(&ds->last_path);
	if (ds->gen)
		munmap(ds->gen, GEN_SIZE);
	free(ds->dir);
	free(ds);
}

const char *devstore_dir(const struct devstore *ds)
{
	return ds->dir;
}

bool devstore_name_ok(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n == 0 || n > max)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return false;
	return true;
}

static void esc(struct strbuf *sb, const char *s, bool lower)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (lower)
			c = (unsigned char)tolower(c);
		if (isalnum(c) || c == '.' || c == '_' || c == '-')
			strbuf_addch(sb, c);
		else
			strbuf_addf(sb, "%%%02X", c);
	}
}

/* dir/USER,ID followed by suffix. */
static void path_of(const struct devstore *ds, const char *user, const char *id,
		    const char *suffix, struct strbuf *sb)
{
	strbuf_addf(sb, "%s/", ds->dir);
	esc(sb, user, true);
	strbuf_addch(sb, ',');
	esc(sb, id, false);
	strbuf_addstr(sb, suffix);
}

const char *devstore_keystate_name(enum dev_keystate s)
{
	switch (s) {
	case DEV_KEY_NONE: return "none";
	case DEV_KEY_TEMPORARY: return "temporary";
	case DEV_KEY_PROVISIONED: return "provisioned";
	}
	return "none";
}

const char *devstore_wipe_name(enum dev_wipe w)
{
	switch (w) {
	case DEV_WIPE_NONE: return "none";
	case DEV_WIPE_PENDING: return "pending";
	case DEV_WIPE_SENT: return "sent";
	case DEV_WIPE_DONE: return "done";
	}
	return "none";
}

static void put_time(json_t *o, const char *k, time_t t)
{
	char buf[32];
	struct tm tm;

	if (!t)
		return;
	gmtime_r(&t, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
	json_object_set_new(o, k, json_string(buf));
}

static void put_str(json_t *o, const char *k, const char *v)
{
	if (*v)
		json_object_set_new(o, k, json_string(v));
}

json_t *devstore_to_json(const struct devrec *r, bool with_secret)
{
	json_t *o = json_object();

	json_object_set_new(o, "user", json_string(r->user));
	json_object_set_new(o, "device_id", json_string(r->id));
	put_str(o, "device_type", r->type);
	put_str(o, "model", r->model);
	put_str(o, "imei", r->imei);
	put_str(o, "friendly_name", r->friendly);
	put_str(o, "os", r->os);
	put_str(o, "os_language", r->os_language);
	put_str(o, "phone_number", r->phone);
	put_str(o, "user_agent", r->user_agent);
	put_str(o, "mobile_operator", r->operator_);
	put_str(o, "protocol", r->protocol);
	put_str(o, "policy", r->policy);
	json_object_set_new(o, "key_state", json_string(devstore_keystate_name(r->keystate)));
	if (r->temp_key)
		json_object_set_new(o, "temp_key", json_integer(r->temp_key));
	if (r->key)
		json_object_set_new(o, "policy_key", json_integer(r->key));
	put_time(o, "first_seen", r->first_seen);
	put_time(o, "last_seen", r->last_seen);
	put_time(o, "provisioned", r->provisioned);
	json_object_set_new(o, "wipe", json_string(devstore_wipe_name(r->wipe)));
	put_time(o, "wipe_requested", r->wipe_requested);
	put_str(o, "wipe_by", r->wipe_by);
	put_time(o, "wipe_sent", r->wipe_sent);
	put_time(o, "wipe_acknowledged", r->wipe_acked);
	if (r->wipe == DEV_WIPE_DONE)
		json_object_set_new(o, "wipe_status", json_integer(r->wipe_status));
	if (with_secret)
		put_str(o, "recovery_password", r->recovery);
	else if (*r->recovery)
		json_object_set_new(o, "recovery_password_stored", json_true());
	put_time(o, "recovery_time", r->recovery_time);
	return o;
}

static int get_str(const json_t *o, const char *k, char *dst, size_t size)
{
	const json_t *v = json_object_get(o, k);

	*dst = 0;
	if (!v)
		return 0;
	if (!json_is_string(v))
		return -1;
	snprintf(dst, size, "%s", json_string_value(v));
	return 0;
}

static int get_time(const json_t *o, const char *k, time_t *t)
{
	const json_t *v = json_object_get(o, k);
	struct tm tm;
	const char *end;

	*t = 0;
	if (!v)
		return 0;
	if (!json_is_string(v))
		return -1;
	memset(&tm, 0, sizeof(tm));
	end = strptime(json_string_value(v), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (!end || *end)
		return -1;
	*t = timegm(&tm);
	return 0;
}

static int get_key(const json_t *o, const char *k, uint32_t *key)
{
	const json_t *v = json_object_get(o, k);

	*key = 0;
	if (!v)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    json_integer_value(v) > 0xffffffffLL)
		return -1;
	*key = (uint32_t)json_integer_value(v);
	return 0;
}

int devstore_from_json(const json_t *o, struct devrec *r)
{
	char ks[32], wipe[32];
	const json_t *ws;
	int bad = 0;

	memset(r, 0, sizeof(*r));
	if (!json_is_object(o))
		return -1;
	bad |= get_str(o, "user", r->user, sizeof(r->user));
	bad |= get_str(o, "device_id", r->id, sizeof(r->id));
	bad |= get_str(o, "device_type", r->type, sizeof(r->type));
	bad |= get_str(o, "model", r->model, sizeof(r->model));
	bad |= get_str(o, "imei", r->imei, sizeof(r->imei));
	bad |= get_str(o, "friendly_name", r->friendly, sizeof(r->friendly));
	bad |= get_str(o, "os", r->os, sizeof(r->os));
	bad |= get_str(o, "os_language", r->os_language, sizeof(r->os_language));
	bad |= get_str(o, "phone_number", r->phone, sizeof(r->phone));
	bad |= get_str(o, "user_agent", r->user_agent, sizeof(r->user_agent));
	bad |= get_str(o, "mobile_operator", r->operator_, sizeof(r->operator_));
	bad |= get_str(o, "protocol", r->protocol, sizeof(r->protocol));
	bad |= get_str(o, "policy", r->policy, sizeof(r->policy));
	bad |= get_str(o, "key_state", ks, sizeof(ks));
	bad |= get_key(o, "temp_key", &r->temp_key);
	bad |= get_key(o, "policy_key", &r->key);
	bad |= get_time(o, "first_seen", &r->first_seen);
	bad |= get_time(o, "last_seen", &r->last_seen);
	bad |= get_time(o, "provisioned", &r->provisioned);
	bad |= get_str(o, "wipe", wipe, sizeof(wipe));
	bad |= get_time(o, "wipe_requested", &r->wipe_requested);
	bad |= get_str(o, "wipe_by", r->wipe_by, sizeof(r->wipe_by));
	bad |= get_time(o, "wipe_sent", &r->wipe_sent);
	bad |= get_time(o, "wipe_acknowledged", &r->wipe_acked);
	bad |= get_str(o, "recovery_password", r->recovery, sizeof(r->recovery));
	bad |= get_time(o, "recovery_time", &r->recovery_time);
	ws = json_object_get(o, "wipe_status");
	if (ws && !json_is_integer(ws))
		bad = -1;
	else if (ws)
		r->wipe_status = (int)json_integer_value(ws);
	if (bad || !*r->user || !*r->id)
		return -1;
	r->keystate = strcmp(ks, "provisioned") == 0 ? DEV_KEY_PROVISIONED :
		strcmp(ks, "temporary") == 0 ? DEV_KEY_TEMPORARY : DEV_KEY_NONE;
	r->wipe = strcmp(wipe, "pending") == 0 ? DEV_WIPE_PENDING :
		strcmp(wipe, "sent") == 0 ? DEV_WIPE_SENT :
		strcmp(wipe, "done") == 0 ? DEV_WIPE_DONE : DEV_WIPE_NONE;
	return 0;
}

/* 1 read, 0 no file, -1 error (logged). */
static int read_file(const char *path, struct devrec *r)
{
	struct strbuf sb = STRBUF_INIT;
	json_error_t jerr;
	json_t *o;
	int rc;

	if (strbuf_read_file(&sb, path, FILE_MAX) < 0) {
		int e = errno;

		strbuf_release(&sb);
		if (e == ENOENT)
			return 0;
		msg_error("cannot read device record '%s': %s", path, strerror(e));
		return -1;
	}
	o = json_loadb(sb.buf, sb.len, 0, &jerr);
	strbuf_release(&sb);
	if (!o) {
		msg_error("corrupt device record '%s': %s", path, jerr.text);
		return -1;
	}
	rc = devstore_from_json(o, r);
	json_decref(o);
	if (rc < 0) {
		msg_error("corrupt device record '%s': a field of the wrong type", path);
		return -1;
	}
	return 1;
}

static int write_file(const char *path, const struct devrec *r)
{
	json_t *o = devstore_to_json(r, true);
	char *text = json_dumps(o, JSON_INDENT(1) | JSON_SORT_KEYS);
	int rc;

	json_decref(o);
	rc = atomic_write(path, text, strlen(text), 0600);
	if (rc < 0)
		msg_error("cannot write device record '%s': %s", path, strerror(errno));
	free(text);
	return rc;
}

int devstore_get(struct devstore *ds, const char *user, const char *id, struct devrec *r)
{
	struct strbuf path = STRBUF_INIT;
	int rc;

	if (!devstore_name_ok(user, DEV_USER_MAX) || !devstore_name_ok(id, DEV_ID_MAX))
		return 0;
	path_of(ds, user, id, ".json", &path);
	rc = read_file(path.buf, r);
	strbuf_release(&path);
	return rc;
}

static bool same_file(const struct stat *a, const struct stat *b)
{
	return a->st_ino == b->st_ino && a->st_dev == b->st_dev && a->st_size == b->st_size &&
		a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
		a->st_ctim.tv_sec == b->st_ctim.tv_sec && a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

/* The record's path into ds->last_path, made again only when the user
 * or the device differs from the last call's. */
static const char *peek_path(struct devstore *ds, const char *user, const char *id)
{
	if (ds->last_path.len && strcmp(ds->last_user.buf, user) == 0 &&
	    strcmp(ds->last_id.buf, id) == 0)
		return ds->last_path.buf;
	strbuf_reset(&ds->last_user);
	strbuf_addstr(&ds->last_user, user);
	strbuf_reset(&ds->last_id);
	strbuf_addstr(&ds->last_id, id);
	strbuf_reset(&ds->last_path);
	path_of(ds, user, id, ".json", &ds->last_path);
	return ds->last_path.buf;
}

int devstore_peek(struct devstore *ds, const char *user, const char *id,
		  const struct devrec **rp)
{
	const char *path;
	struct stat st, after;
	uint64_t gen = gen_read(ds);	/* before the stat: a later write moves it */
	long long now = mono_ms();
	int rc;

	*rp = NULL;
	if (!devstore_name_ok(user, DEV_USER_MAX) || !devstore_name_ok(id, DEV_ID_MAX))
		return 0;
	path = peek_path(ds, user, id);
	/* Nothing written on this host since, and stat'ed a moment ago. */
	if (ds->gen && ds->cached_path && gen == ds->cached_gen &&
	    now - ds->cached_checked < DEVSTORE_RECHECK_MS && strcmp(ds->cached_path, path) == 0) {
		*rp = ds->cached;
		return 1;
	}
	if (stat(path, &st) < 0) {
		if (errno == ENOENT)
			return 0;
		msg_error("cannot read device record '%s': %s", path, strerror(errno));
		return -1;
	}
	if (ds->cached_path && strcmp(ds->cached_path, path) == 0 &&
	    same_file(&st, &ds->cached_st)) {
		ds->cached_gen = gen;
		ds->cached_checked = now;
		*rp = ds->cached;
		return 1;
	}
	if (!ds->cached)
		ds->cached = xmalloc(sizeof(*ds->cached));
	free(ds->cached_path);
	ds->cached_path = NULL;
	rc = read_file(path, ds->cached);
	if (rc != 1)
		return rc;
	/* Kept for the next call only if the file did not change while it
	 * was read; returned either way. */
	if (stat(path, &after) == 0 && same_file(&st, &after)) {
		ds->cached_path = xstrdup(path);
		ds->cached_st = st;
		ds->cached_gen = gen;
		ds->cached_checked = now;
	}
	*rp = ds->cached;
	return 1;
}

void devstore_forget(struct devstore *ds)
{
	free(ds->cached_path);
	ds->cached_path = NULL;
}

int devstore_get_cached(struct devstore *ds, const char *user, const char *id, struct devrec *r)
{
	const struct devrec *p;
	int rc = devstore_peek(ds, user, id, &p);

	if (rc == 1)
		*r = *p;
	return rc;
}

/* An exclusive POSIX lock on the device's lock file: fcntl locks work
 * across hosts on NFS (lockd), flock does not everywhere. */
static int lock_open(const struct devstore *ds, const char *user, const char *id)
{
	struct strbuf path = STRBUF_INIT;
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	int fd;

	path_of(ds, user, id, ".lock", &path);
	fd = open(path.buf, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		msg_error("cannot open lock '%s': %s", path.buf, strerror(errno));
		strbuf_release(&path);
		return -1;
	}
	while (fcntl(fd, F_SETLKW, &fl) < 0) {
		if (errno == EINTR)
			continue;
		msg_error("cannot lock '%s': %s", path.buf, strerror(errno));
		close(fd);
		strbuf_release(&path);
		return -1;
	}
	strbuf_release(&path);
	return fd;
}

int devstore_update(struct devstore *ds, const char *user, const char *id, devstore_fn fn,
		    void *ctx)
{
	struct strbuf path = STRBUF_INIT;
	struct devrec *r = xcalloc(1, sizeof(*r));
	int lock, rc;
	bool created = false;

	if (!devstore_name_ok(user, DEV_USER_MAX) || !devstore_name_ok(id, DEV_ID_MAX)) {
		msg_error("bad user or device id for the device store");
		free(r);
		return -1;
	}
	if ((lock = lock_open(ds, user, id)) < 0) {
		free(r);
		return -1;
	}
	path_of(ds, user, id, ".json", &path);
	rc = read_file(path.buf, r);
	if (rc == 0) {
		memset(r, 0, sizeof(*r));
		snprintf(r->user, sizeof(r->user), "%s", user);
		for (char *p = r->user; *p; p++)
			*p = (char)tolower((unsigned char)*p);
		snprintf(r->id, sizeof(r->id), "%s", id);
		r->first_seen = time(NULL);
		created = true;
	}
	if (rc >= 0) {
		rc = fn(r, created, ctx);
		if (rc == 1 && write_file(path.buf, r) < 0)
			rc = -1;
		else if (rc == 1)
			gen_bump(ds);
	}
	close(lock);	/* releases the lock */
	strbuf_release(&path);
	mem_wipe(r->recovery, sizeof(r->recovery));
	free(r);
	return rc;
}

struct wipe_ctx {
	const char *by;
	bool cancel;
};

static int wipe_apply(struct devrec *d, bool created, void *ctx)
{
	const struct wipe_ctx *w = ctx;

	if (created)
		return 0;	/* no record is made for a device never seen */
	if (w->cancel) {
		if (d->wipe != DEV_WIPE_PENDING && d->wipe != DEV_WIPE_SENT)
			return 0;
		d->wipe = DEV_WIPE_NONE;
		d->wipe_requested = d->wipe_sent = 0;
		d->wipe_by[0] = 0;
		return 1;
	}
	d->wipe = DEV_WIPE_PENDING;
	d->wipe_requested = time(NULL);
	d->wipe_sent = d->wipe_acked = 0;
	d->wipe_status = 0;
	snprintf(d->wipe_by, sizeof(d->wipe_by), "%s", w->by ? w->by : "");
	return 1;
}

int devstore_wipe(struct devstore *ds, const char *user, const char *id, const char *by,
		  bool cancel)
{
	struct wipe_ctx w = { by, cancel };

	return devstore_update(ds, user, id, wipe_apply, &w);
}

int devstore_remove(struct devstore *ds, const char *user, const char *id)
{
	struct strbuf path = STRBUF_INIT;
	int lock, rc = 1;

	if (!devstore_name_ok(user, DEV_USER_MAX) || !devstore_name_ok(id, DEV_ID_MAX))
		return 0;
	if ((lock = lock_open(ds, user, id)) < 0)
		return -1;
	path_of(ds, user, id, ".json", &path);
	if (unlink(path.buf) < 0) {
		rc = errno == ENOENT ? 0 : -1;
		if (rc < 0)
			msg_error("cannot remove '%s': %s", path.buf, strerror(errno));
	} else {
		fsync_parent(path.buf);
		gen_bump(ds);
	}
	strbuf_setlen(&path, path.len - 5);
	strbuf_addstr(&path, ".lock");
	unlink(path.buf);
	close(lock);
	strbuf_release(&path);
	return rc;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

long devstore_list(struct devstore *ds, const char *user, devstore_each_fn fn, void *ctx)
{
	struct strbuf prefix = STRBUF_INIT, path = STRBUF_INIT;
	DIR *d = opendir(ds->dir);
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, cap = 0;
	long seen = 0;

	if (!d) {
		msg_error("cannot open device store '%s': %s", ds->dir, strerror(errno));
		return -1;
	}
	if (user) {
		esc(&prefix, user, true);
		strbuf_addch(&prefix, ',');
	}
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name);

		if (len < 6 || strcmp(de->d_name + len - 5, ".json") != 0 ||
		    de->d_name[0] == '.' || strncmp(de->d_name, prefix.buf ? prefix.buf : "",
						    prefix.len) != 0)
			continue;
		xgrow((void **)&names, &cap, n + 1, sizeof(*names));
		names[n++] = xstrdup(de->d_name);
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof(*names), cmp_names);
	for (size_t i = 0; i < n; i++) {
		struct devrec r;
		bool stop = false;

		strbuf_reset(&path);
		strbuf_addf(&path, "%s/%s", ds->dir, names[i]);
		if (read_file(path.buf, &r) == 1) {
			seen++;
			stop = fn(&r, ctx) != 0;
			mem_wipe(r.recovery, sizeof(r.recovery));
		}
		if (stop)
			break;
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	strbuf_release(&prefix);
	strbuf_release(&path);
	return seen;
}
