/* The file backend: an LDIF file held in memory with hash indexes by
 * address, uid and phone number, reloaded when the file changes. */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "dir/backend.h"
#include "dir/ldif.h"
#include "dir/pwhash.h"
#include "util/mem.h"
#include "util/msg.h"

/* One string -> entry number table, open addressing, linear probing. */
struct index {
	struct slot {
		char *key;
		size_t entry;
	} *slots;
	size_t cap;		/* a power of two, or 0 */
	size_t used;
};

struct filedb {
	struct dir_entry **entries;
	size_t n, alloc;
	struct index dn, mail, uid, phone;
};

struct dirfile {
	char *path;
	char **aliases;
	size_t naliases;
	struct filedb *db;
	struct stat st;		/* of the file db was loaded from */
	struct stat failed;	/* of a changed file that did not load */
	struct timespec checked;
	bool warned_plain, warned_scheme;
};

/* How often, at most, a lookup stats the file to see if it changed. */
#define DIRFILE_CHECK_NS 1000000000LL

static uint64_t index_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return h;
}

static struct slot *index_slot(const struct index *ix, const char *key)
{
	size_t i;

	if (ix->cap == 0)
		return NULL;
	for (i = index_hash(key) & (ix->cap - 1);; i = (i + 1) & (ix->cap - 1))
		if (ix->slots[i].key == NULL || strcmp(ix->slots[i].key, key) == 0)
			return &ix->slots[i];
}

static void index_grow(struct index *ix)
{
	struct index bigger = { NULL, ix->cap ? ix->cap * 2 : 64, ix->used };

	bigger.slots = xcalloc(bigger.cap, sizeof(*bigger.slots));
	for (size_t i = 0; i < ix->cap; i++)
		if (ix->slots[i].key)
			*index_slot(&bigger, ix->slots[i].key) = ix->slots[i];
	free(ix->slots);
	*ix = bigger;
}

/* Adds key (taken over) -> entry unless key is there; returns the entry
 * already holding the key, or (size_t)-1 when it was added. */
static size_t index_add(struct index *ix, char *key, size_t entry)
{
	struct slot *s;

	if ((ix->used + 1) * 2 > ix->cap)
		index_grow(ix);
	s = index_slot(ix, key);
	if (s->key) {
		free(key);
		return s->entry;
	}
	s->key = key;
	s->entry = entry;
	ix->used++;
	return (size_t)-1;
}

static const struct dir_entry *index_find(const struct filedb *db,
					  const struct index *ix, const char *key)
{
	struct slot *s = index_slot(ix, key);

	return s && s->key ? db->entries[s->entry] : NULL;
}

static void index_free(struct index *ix)
{
	for (size_t i = 0; i < ix->cap; i++)
		free(ix->slots[i].key);
	free(ix->slots);
}

static void filedb_free(struct filedb *db)
{
	if (db == NULL)
		return;
	for (size_t i = 0; i < db->n; i++)
		dir_entry_free(db->entries[i]);
	free(db->entries);
	index_free(&db->dn);
	index_free(&db->mail);
	index_free(&db->uid);
	index_free(&db->phone);
	free(db);
}

static char *lower_dup(const void *data, size_t len)
{
	char *s = xstrndup(data, len);

	for (char *p = s; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return s;
}

struct load_ctx {
	struct dirfile *f;
	struct filedb *db;
};

/* Indexes every value of attribute attr of entry n under ix. */
static void index_attr(struct load_ctx *lc, struct index *ix, const char *attr,
		       size_t n, size_t line)
{
	const struct dir_entry *e = lc->db->entries[n];
	const struct dir_value *v;
	size_t nv = dir_entry_get(e, attr, &v);

	for (size_t i = 0; i < nv; i++) {
		char *key = ix == &lc->db->phone ? dir_phone_normalise((char *)v[i].data) :
			    lower_dup(v[i].data, v[i].len);
		size_t old;

		if (key == NULL || key[0] == '\0') {
			free(key);
			continue;
		}
		old = index_add(ix, key, n);
		if (old != (size_t)-1 && old != n)
			msg_warn("duplicate %s value in '%s' line %zu: the first entry "
				 "keeps it dn=%s first=%s", attr, lc->f->path, line,
				 msg_q(e->dn), msg_q(lc->db->entries[old]->dn));
	}
}

static int load_entry(struct dir_entry *e, size_t line, void *ctx, struct strbuf *err)
{
	struct load_ctx *lc = ctx;
	struct filedb *db = lc->db;
	size_t n = db->n;

	if (index_add(&db->dn, lower_dup(e->dn, strlen(e->dn)), n) != (size_t)-1) {
		strbuf_addf(err, "%s:%zu: duplicate dn '%s'", lc->f->path, line, e->dn);
		dir_entry_free(e);
		return -1;
	}
	xgrow((void **)&db->entries, &db->alloc, n + 1, sizeof(*db->entries));
	db->entries[db->n++] = e;
	index_attr(lc, &db->mail, "mail", n, line);
	for (size_t i = 0; i < lc->f->naliases; i++)
		index_attr(lc, &db->mail, lc->f->aliases[i], n, line);
	index_attr(lc, &db->uid, "uid", n, line);
	index_attr(lc, &db->phone, "telephoneNumber", n, line);
	return 0;
}

/* Loads the file into a new db; NULL with err set on failure. */
static struct filedb *dirfile_load(struct dirfile *f, struct stat *st, struct strbuf *err)
{
	struct load_ctx lc = { f, xcalloc(1, sizeof(struct filedb)) };

	memset(st, 0, sizeof(*st));
	if (stat(f->path, st) < 0) {
		strbuf_addf(err, "cannot open '%s': %s", f->path, strerror(errno));
		filedb_free(lc.db);
		return NULL;
	}
	if (ldif_parse_file(f->path, NULL, load_entry, &lc, err) < 0) {
		filedb_free(lc.db);
		return NULL;
	}
	msg_debug("directory loaded path=%s entries=%zu", msg_q(f->path), lc.db->n);
	return lc.db;
}

static void dirfile_close(void *be)
{
	struct dirfile *f = be;

	for (size_t i = 0; i < f->naliases; i++)
		free(f->aliases[i]);
	free(f->aliases);
	filedb_free(f->db);
	free(f->path);
	free(f);
}

static void *dirfile_open(const json_t *section, struct strbuf *err)
{
	struct dirfile *f = xcalloc(1, sizeof(*f));
	const char *path = conf_str(section, "file");

	f->path = xstrdup(path ? path : "");
	f->naliases = conf_strings_len(section, "alias_attributes");
	f->aliases = xcalloc(f->naliases + 1, sizeof(*f->aliases));
	for (size_t i = 0; i < f->naliases; i++)
		f->aliases[i] = xstrdup(conf_strings_at(section, "alias_attributes", i));
	f->db = dirfile_load(f, &f->st, err);
	if (f->db == NULL) {
		dirfile_close(f);
		return NULL;
	}
	clock_gettime(CLOCK_MONOTONIC, &f->checked);
	return f;
}

static bool same_file(const struct stat *a, const struct stat *b)
{
	return a->st_ino == b->st_ino && a->st_dev == b->st_dev &&
	       a->st_size == b->st_size && a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
	       a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

static enum dir_status dirfile_reload(void *be, struct strbuf *err)
{
	struct dirfile *f = be;
	struct stat st;
	struct filedb *db = dirfile_load(f, &st, err);

	if (db == NULL) {
		f->failed = st;
		return DIR_TEMPFAIL;
	}
	filedb_free(f->db);
	f->db = db;
	f->st = st;
	msg_info("directory reloaded path=%s entries=%zu", msg_q(f->path), db->n);
	return DIR_OK;
}

/* At most once a second: reload if the file changed. A file that fails
 * to load leaves the old data in place, logged once per change. */
static void dirfile_check(struct dirfile *f)
{
	struct timespec now;
	struct stat st;
	struct strbuf err = STRBUF_INIT;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if ((now.tv_sec - f->checked.tv_sec) * 1000000000LL +
	    (now.tv_nsec - f->checked.tv_nsec) < DIRFILE_CHECK_NS)
		return;
	f->checked = now;
	if (stat(f->path, &st) < 0 || same_file(&st, &f->st) || same_file(&st, &f->failed))
		return;
	if (dirfile_reload(f, &err) != DIR_OK)
		msg_error("cannot reload the directory, keeping the old data: %s",
			  err.buf ? err.buf : "");
	strbuf_release(&err);
}

static const struct dir_entry *dirfile_find(struct dirfile *f, enum dir_key key,
					    const char *value)
{
	struct filedb *db = f->db;
	char *k;
	const struct dir_entry *e;

	switch (key) {
	case DIR_KEY_MAIL:
		return index_find(db, &db->mail, value);
	case DIR_KEY_PHONE:
		return index_find(db, &db->phone, value);
	case DIR_KEY_UID:
		break;
	}
	k = lower_dup(value, strlen(value));
	e = index_find(db, &db->uid, k);
	free(k);
	return e;
}

static enum dir_status dirfile_lookup(void *be, enum dir_key key, const char *value,
				      struct dir_entry **ep, struct strbuf *err)
{
	struct dirfile *f = be;
	const struct dir_entry *e;

	dirfile_check(f);
	e = dirfile_find(f, key, value);
	if (e == NULL)
		return DIR_NOTFOUND;
	*ep = dir_entry_dup(e);
	return DIR_OK;
}

static void warn_unsupported(struct dirfile *f, const struct dir_entry *e,
			     const struct dir_value *v)
{
	char scheme[32];

	pwhash_scheme(v->data, v->len, scheme, sizeof(scheme));
	if (scheme[0] == '\0' && !f->warned_plain) {
		f->warned_plain = true;
		msg_warn("plain-text userPassword refused (store a {SSHA512} or {CRYPT} "
			 "hash) dn=%s", msg_q(e->dn));
	} else if (scheme[0] != '\0' && !f->warned_scheme) {
		f->warned_scheme = true;
		msg_warn("unsupported userPassword scheme refused dn=%s scheme=%s",
			 msg_q(e->dn), msg_q(scheme));
	}
}

static enum dir_status dirfile_check_password(void *be, enum dir_key key, const char *user,
					      const char *password, struct strbuf *err)
{
	struct dirfile *f = be;
	const struct dir_entry *e;
	const struct dir_value *v;
	size_t nv;

	dirfile_check(f);
	e = dirfile_find(f, key, user);
	nv = e ? dir_entry_get(e, "userPassword", &v) : 0;
	if (nv == 0)
		pwhash_dummy(password);
	for (size_t i = 0; i < nv; i++) {
		enum pwhash_result r = pwhash_verify(v[i].data, v[i].len, password);

		if (r == PWHASH_MATCH)
			return DIR_OK;
		if (r == PWHASH_ERROR) {
			strbuf_addstr(err, pwhash_error());
			return DIR_TEMPFAIL;
		}
		if (r == PWHASH_UNSUPPORTED)
			warn_unsupported(f, e, &v[i]);
	}
	return DIR_NOTFOUND;
}

const struct dir_backend dir_file_backend = {
	.name = "file",
	.open = dirfile_open,
	.lookup = dirfile_lookup,
	.check_password = dirfile_check_password,
	.reload = dirfile_reload,
	.close = dirfile_close,
};
