/* Maildir access and the folder index (see maildir.h). */
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

#include "mail/address.h"
#include "mail/mime.h"
#include "util/mem.h"
#include "maildir.h"

static const char flag_letters[] = "DFPRST";

int md_name_parse(const char *name, size_t *base_len, unsigned *flags)
{
	size_t len = strlen(name);
	const char *info;

	*flags = 0;
	if (len == 0 || len > MD_NAME_MAX || name[0] == '.')
		return -1;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)name[i] < 0x20 || name[i] == '/' || name[i] == 0x7f)
			return -1;
	info = strstr(name, ":2,");
	if (info == NULL) {
		const char *colon = strchr(name, ':');

		*base_len = colon ? (size_t)(colon - name) : len;
		return *base_len > 0 ? 0 : -1;
	}
	*base_len = (size_t)(info - name);
	if (*base_len == 0)
		return -1;
	for (const char *f = info + 3; *f; f++) {
		const char *p = strchr(flag_letters, *f);

		if (p)
			*flags |= 1u << (p - flag_letters);
	}
	return 0;
}

void md_name_make(const char *base, size_t base_len, unsigned flags, struct strbuf *out)
{
	strbuf_reset(out);
	strbuf_add(out, base, base_len);
	strbuf_addstr(out, ":2,");
	for (int i = 0; flag_letters[i]; i++)
		if (flags & (1u << i))
			strbuf_addch(out, flag_letters[i]);
}

int md_folder_ok(const char *f)
{
	size_t len = strlen(f);

	if (len == 0)
		return 0;
	if (len > MD_FOLDER_MAX || f[0] == '.' || f[len - 1] == '.' || strstr(f, ".."))
		return -1;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)f[i];

		if (!(c >= 'a' && c <= 'z') && !(c >= 'A' && c <= 'Z') &&
		    !(c >= '0' && c <= '9') && c != ' ' && c != '-' && c != '_' && c != '.')
			return -1;
	}
	return 0;
}

void md_folder_path(const char *root, const char *folder, struct strbuf *out)
{
	strbuf_addstr(out, root);
	if (*folder) {
		strbuf_addstr(out, "/.");
		strbuf_addstr(out, folder);
	}
}

int md_folder_create(const char *root, const char *folder)
{
	struct strbuf p = STRBUF_INIT;
	static const char *const subs[] = { "", "/cur", "/new", "/tmp" };
	int rc = 0;

	md_folder_path(root, folder, &p);
	for (int i = 0; i < 4 && rc == 0; i++) {
		size_t l = p.len;

		strbuf_addstr(&p, subs[i]);
		if (mkdir(p.buf, 0700) < 0 && errno != EEXIST)
			rc = -1;
		strbuf_setlen(&p, l);
	}
	if (rc == 0 && *folder) {
		/* Maildir++ marks a folder with this file. */
		strbuf_addstr(&p, "/maildirfolder");
		close(open(p.buf, O_WRONLY | O_CREAT | O_CLOEXEC, 0600));
	}
	strbuf_release(&p);
	return rc;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

size_t md_folders(const char *root, char ***names)
{
	DIR *d = opendir(root);
	struct dirent *e;
	char **v = xcalloc(MD_FOLDERS_MAX, sizeof(*v));
	size_t n = 0;

	v[n++] = xstrdup("");
	while (d && (e = readdir(d)) != NULL && n < MD_FOLDERS_MAX) {
		if (e->d_name[0] != '.' || md_folder_ok(e->d_name + 1) < 0 || e->d_name[1] == 0)
			continue;
		v[n++] = xstrdup(e->d_name + 1);
	}
	if (d)
		closedir(d);
	qsort(v + 1, n - 1, sizeof(*v), cmp_str);
	*names = v;
	return n;
}

void md_names_free(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/* The index file: a header, fixed records newest first, then the
 * strings (each NUL-terminated; a name starts with 'c' or 'n' for
 * cur/ or new/). */
#define IDX_MAGIC "OWAIDX01"
struct idx_head {
	char magic[8];
	uint32_t count, unseen;
	int64_t cur_mtime, new_mtime;	/* ns */
	uint64_t str_off, total;
};
struct idx_rec {
	int64_t date;
	uint64_t size;
	uint32_t name, from, subj, flags;
};

struct md_index {
	char *data;
	size_t len;
	int mapped;
	const struct idx_head *h;
	const struct idx_rec *r;
};

static int64_t mtime_ns(const char *dir, const char *sub)
{
	struct strbuf p = STRBUF_INIT;
	struct stat st;
	int64_t t = -1;

	strbuf_addf(&p, "%s/%s", dir, sub);
	if (stat(p.buf, &st) == 0)
		t = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
	strbuf_release(&p);
	return t;
}

static int index_check(struct md_index *x)
{
	const struct idx_head *h = (const void *)x->data;

	if (x->len < sizeof(*h) || memcmp(h->magic, IDX_MAGIC, 8) != 0 || h->total != x->len ||
	    h->str_off > x->len || h->str_off < sizeof(*h) ||
	    (h->str_off - sizeof(*h)) / sizeof(struct idx_rec) < h->count ||
	    x->data[x->len - 1] != 0)
		return -1;
	x->h = h;
	x->r = (const void *)(x->data + sizeof(*h));
	return 0;
}

static struct md_index *index_load(const char *path)
{
	struct md_index *x;
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	void *p;

	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) < 0 || st.st_size < (off_t)sizeof(struct idx_head)) {
		close(fd);
		return NULL;
	}
	p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		return NULL;
	x = xcalloc(1, sizeof(*x));
	x->data = p;
	x->len = (size_t)st.st_size;
	x->mapped = 1;
	if (index_check(x) < 0) {
		md_index_close(x);
		return NULL;
	}
	return x;
}

void md_index_close(struct md_index *x)
{
	if (x == NULL)
		return;
	if (x->mapped)
		munmap(x->data, x->len);
	else
		free(x->data);
	free(x);
}

size_t md_index_count(const struct md_index *x)
{
	return x->h->count;
}

size_t md_index_unseen(const struct md_index *x)
{
	return x->h->unseen;
}

static const char *str_at(const struct md_index *x, uint32_t off)
{
	return off >= x->h->str_off && off < x->len ? x->data + off : "";
}

void md_index_get(const struct md_index *x, size_t i, struct md_msg *m)
{
	const struct idx_rec *r = &x->r[i];
	const char *name = str_at(x, r->name);

	m->date = r->date;
	m->size = r->size;
	m->flags = r->flags;
	m->in_new = name[0] == 'n';
	m->name = name[0] ? name + 1 : name;
	m->from = str_at(x, r->from);
	m->subject = str_at(x, r->subj);
}

static int base_eq(const char *name, const char *base)
{
	size_t bl = strlen(base);

	return strncmp(name, base, bl) == 0 && (name[bl] == 0 || name[bl] == ':');
}

long md_index_find(const struct md_index *x, const char *base)
{
	for (size_t i = 0; i < x->h->count; i++) {
		const char *n = str_at(x, x->r[i].name);

		if (n[0] && base_eq(n + 1, base))
			return (long)i;
	}
	return -1;
}

/* Building. */
struct ent {
	struct idx_rec rec;
	char *name, *from, *subj;	/* name with its 'c'/'n' prefix */
};

static void header_read(const char *path, struct ent *e)
{
	char buf[16384];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf)) : -1;
	struct strbuf s = STRBUF_INIT, f = STRBUF_INIT;
	struct mime_limits lim = { .headers_max = 200, .header_bytes_max = 16384, .parts_max = 1 };
	struct mime_msg *m;
	const struct mime_header *h;
	struct stat st;

	if (fd >= 0 && fstat(fd, &st) == 0) {
		e->rec.size = (uint64_t)st.st_size;
		if (e->rec.date == 0)
			e->rec.date = st.st_mtime;
	}
	if (fd >= 0)
		close(fd);
	if (n <= 0) {
		e->from = xstrdup("");
		e->subj = xstrdup("");
		return;
	}
	m = mime_parse(buf, (size_t)n, &lim);
	mime_subject(m, &s);
	h = mime_header_find(mime_root(m), "From", 0);
	if (h) {
		struct mail_addr *a = NULL;
		size_t na = address_parse_list(h->value, h->value_len, 1, &a);

		if (na > 0 && a[0].display && *a[0].display)
			strbuf_addstr(&f, a[0].display);
		else if (na > 0)
			strbuf_addstr(&f, a[0].addr);
		else
			mime_header_decode(h, &f);
		address_list_free(a, na);
	}
	mime_free(m);
	e->from = strbuf_detach(&f, NULL);
	e->subj = strbuf_detach(&s, NULL);
	if (e->from == NULL)
		e->from = xstrdup("");
	if (e->subj == NULL)
		e->subj = xstrdup("");
}

/* The old index by unique name, so a rebuild reuses what it knew. */
struct reuse {
	const struct md_index *x;
	uint32_t *slots;
	size_t n;
};

static uint32_t hash_base(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s && *s != ':'; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

static void reuse_init(struct reuse *u, const struct md_index *x)
{
	memset(u, 0, sizeof(*u));
	if (x == NULL || x->h->count == 0)
		return;
	u->x = x;
	u->n = 1;
	while (u->n < x->h->count * 2)
		u->n <<= 1;
	u->slots = xcalloc(u->n, sizeof(*u->slots));
	for (uint32_t i = 0; i < x->h->count; i++) {
		const char *nm = str_at(x, x->r[i].name);
		size_t j;

		if (!nm[0])
			continue;
		for (j = hash_base(nm + 1) & (u->n - 1); u->slots[j]; j = (j + 1) & (u->n - 1))
			;
		u->slots[j] = i + 1;
	}
}

static const struct idx_rec *reuse_find(const struct reuse *u, const char *name, size_t base_len)
{
	if (u->slots == NULL)
		return NULL;
	for (size_t j = hash_base(name) & (u->n - 1); u->slots[j]; j = (j + 1) & (u->n - 1)) {
		const struct idx_rec *r = &u->x->r[u->slots[j] - 1];
		const char *nm = str_at(u->x, r->name) + 1;

		if (strncmp(nm, name, base_len) == 0 && (nm[base_len] == 0 || nm[base_len] == ':'))
			return r;
	}
	return NULL;
}

static int ent_cmp(const void *a, const void *b)
{
	const struct ent *x = a, *y = b;

	if (x->rec.date != y->rec.date)
		return x->rec.date < y->rec.date ? 1 : -1;
	return strcmp(y->name, x->name);
}

static void scan_dir(const char *dir, int in_new, const struct reuse *u,
		     struct ent **v, size_t *n, size_t *cap)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	struct strbuf path = STRBUF_INIT;

	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		size_t bl;
		unsigned flags;
		const struct idx_rec *old;
		struct ent *e;
		const char *sz;

		if (md_name_parse(de->d_name, &bl, &flags) < 0)
			continue;
		xgrow((void **)v, cap, *n + 1, sizeof(**v));
		e = &(*v)[(*n)++];
		memset(e, 0, sizeof(*e));
		e->name = xasprintf("%c%s", in_new ? 'n' : 'c', de->d_name);
		e->rec.flags = in_new ? 0 : flags;
		old = reuse_find(u, de->d_name, bl);
		if (old) {
			e->rec.date = old->date;
			e->rec.size = old->size;
			e->from = xstrdup(str_at(u->x, old->from));
			e->subj = xstrdup(str_at(u->x, old->subj));
			continue;
		}
		e->rec.date = strtoll(de->d_name, NULL, 10);
		strbuf_reset(&path);
		strbuf_addf(&path, "%s/%s", dir, de->d_name);
		header_read(path.buf, e);
		if ((sz = strstr(de->d_name, ",S=")) != NULL && sz < de->d_name + bl)
			e->rec.size = strtoull(sz + 3, NULL, 10);
	}
	closedir(d);
	strbuf_release(&path);
}

static struct md_index *index_build(const char *dir, const struct md_index *old,
				    int64_t cur_mt, int64_t new_mt)
{
	struct strbuf sub = STRBUF_INIT, out = STRBUF_INIT;
	struct reuse u;
	struct ent *v = NULL;
	size_t n = 0, cap = 0, str_off;
	struct idx_head h;
	struct md_index *x;
	uint32_t unseen = 0;

	reuse_init(&u, old);
	strbuf_addf(&sub, "%s/cur", dir);
	scan_dir(sub.buf, 0, &u, &v, &n, &cap);
	strbuf_reset(&sub);
	strbuf_addf(&sub, "%s/new", dir);
	scan_dir(sub.buf, 1, &u, &v, &n, &cap);
	free(u.slots);
	if (n > 1)
		qsort(v, n, sizeof(*v), ent_cmp);
	str_off = sizeof(h) + n * sizeof(struct idx_rec);
	strbuf_grow(&out, str_off + n * 64);
	strbuf_setlen(&out, str_off);
	for (size_t i = 0; i < n; i++) {
		v[i].rec.name = (uint32_t)out.len;
		strbuf_add(&out, v[i].name, strlen(v[i].name) + 1);
		v[i].rec.from = (uint32_t)out.len;
		strbuf_add(&out, v[i].from, strlen(v[i].from) + 1);
		v[i].rec.subj = (uint32_t)out.len;
		strbuf_add(&out, v[i].subj, strlen(v[i].subj) + 1);
		if (!(v[i].rec.flags & MDF_SEEN))
			unseen++;
		memcpy(out.buf + sizeof(h) + i * sizeof(struct idx_rec), &v[i].rec, sizeof(v[i].rec));
		free(v[i].name);
		free(v[i].from);
		free(v[i].subj);
	}
	free(v);
	strbuf_addch(&out, 0);
	memset(&h, 0, sizeof(h));
	memcpy(h.magic, IDX_MAGIC, 8);
	h.count = (uint32_t)n;
	h.unseen = unseen;
	h.cur_mtime = cur_mt;
	h.new_mtime = new_mt;
	h.str_off = str_off;
	h.total = out.len;
	memcpy(out.buf, &h, sizeof(h));
	x = xcalloc(1, sizeof(*x));
	x->len = out.len;
	x->data = strbuf_detach(&out, NULL);
	index_check(x);
	strbuf_release(&sub);
	return x;
}

static void index_save(const struct md_index *x, const char *path)
{
	char *tmp = xasprintf("%s.%ld.tmp", path, (long)getpid());
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	/* A cache: no fsync; a torn file fails index_check and is rebuilt. */
	if (fd >= 0 && write(fd, x->data, x->len) == (ssize_t)x->len && close(fd) == 0)
		rename(tmp, path);
	else if (fd >= 0)
		close(fd);
	unlink(tmp);
	free(tmp);
}

struct md_index *md_index_open(const char *root, const char *folder, const char *cache_path)
{
	struct strbuf dir = STRBUF_INIT;
	struct md_index *old = cache_path ? index_load(cache_path) : NULL, *x;
	int64_t cm, nm;

	md_folder_path(root, folder, &dir);
	cm = mtime_ns(dir.buf, "cur");
	nm = mtime_ns(dir.buf, "new");
	if (cm < 0) {
		md_index_close(old);
		strbuf_release(&dir);
		errno = ENOENT;
		return NULL;
	}
	if (old && old->h->cur_mtime == cm && old->h->new_mtime == nm) {
		strbuf_release(&dir);
		return old;
	}
	x = index_build(dir.buf, old, cm, nm);
	md_index_close(old);
	if (cache_path)
		index_save(x, cache_path);
	strbuf_release(&dir);
	return x;
}

/* Finds the file of base in dir/cur or dir/new: via the index when it
 * is current, else by scanning both. */
int md_msg_path(const char *root, const char *folder, const struct md_index *x,
		const char *base, struct strbuf *out)
{
	struct strbuf dir = STRBUF_INIT;
	static const char *const subs[] = { "cur", "new" };
	long i;
	int rc = -1;

	if (md_name_parse(base, &(size_t){ 0 }, &(unsigned){ 0 }) < 0 || strchr(base, ':'))
		return -1;
	md_folder_path(root, folder, &dir);
	if (x && (i = md_index_find(x, base)) >= 0) {
		struct md_msg m;

		md_index_get(x, (size_t)i, &m);
		strbuf_reset(out);
		strbuf_addf(out, "%s/%s/%s", dir.buf, m.in_new ? "new" : "cur", m.name);
		if (access(out->buf, F_OK) == 0) {
			strbuf_release(&dir);
			return 0;
		}
	}
	for (int s = 0; s < 2 && rc < 0; s++) {
		struct strbuf d = STRBUF_INIT;
		DIR *dd;
		struct dirent *de;

		strbuf_addf(&d, "%s/%s", dir.buf, subs[s]);
		if ((dd = opendir(d.buf)) != NULL) {
			while ((de = readdir(dd)) != NULL)
				if (base_eq(de->d_name, base)) {
					strbuf_reset(out);
					strbuf_addf(out, "%s/%s", d.buf, de->d_name);
					rc = 0;
					break;
				}
			closedir(dd);
		}
		strbuf_release(&d);
	}
	strbuf_release(&dir);
	return rc;
}

int md_msg_flags(const char *root, const char *folder, const struct md_index *x,
		 const char *base, unsigned set, unsigned clear)
{
	struct strbuf from = STRBUF_INIT, to = STRBUF_INIT, name = STRBUF_INIT;
	const char *slash;
	size_t bl;
	unsigned flags;
	int rc = -1;

	if (md_msg_path(root, folder, x, base, &from) == 0) {
		slash = strrchr(from.buf, '/');
		md_name_parse(slash + 1, &bl, &flags);
		if (slash - from.buf >= 4 && strncmp(slash - 4, "/new", 4) == 0)
			flags = 0;
		md_name_make(slash + 1, bl, (flags | set) & ~clear, &name);
		md_folder_path(root, folder, &to);
		strbuf_addf(&to, "/cur/%s", name.buf);
		rc = strcmp(from.buf, to.buf) == 0 ? 0 : rename(from.buf, to.buf);
	}
	strbuf_release(&from);
	strbuf_release(&to);
	strbuf_release(&name);
	return rc;
}

int md_msg_move(const char *root, const char *folder, const struct md_index *x,
		const char *base, const char *to)
{
	struct strbuf from = STRBUF_INIT, dst = STRBUF_INIT, name = STRBUF_INIT;
	int rc = -1;

	if (md_folder_create(root, to) == 0 && md_msg_path(root, folder, x, base, &from) == 0) {
		const char *slash = strrchr(from.buf, '/');
		size_t bl;
		unsigned flags;
		int in_new = slash - from.buf >= 4 && strncmp(slash - 4, "/new", 4) == 0;

		md_name_parse(slash + 1, &bl, &flags);
		if (in_new)
			flags = 0;
		md_name_make(slash + 1, bl, flags, &name);
		md_folder_path(root, to, &dst);
		strbuf_addf(&dst, "/cur/%s", name.buf);
		rc = rename(from.buf, dst.buf);
	}
	strbuf_release(&from);
	strbuf_release(&dst);
	strbuf_release(&name);
	return rc;
}

int md_msg_delete(const char *root, const char *folder, const struct md_index *x,
		  const char *base)
{
	struct strbuf p = STRBUF_INIT;
	int rc = md_msg_path(root, folder, x, base, &p) == 0 ? unlink(p.buf) : -1;

	strbuf_release(&p);
	return rc;
}

int md_deliver(const char *root, const char *folder, const char *data, size_t len,
	       unsigned flags, struct strbuf *base)
{
	static unsigned seq;
	struct strbuf tmp = STRBUF_INIT, dst = STRBUF_INIT, name = STRBUF_INIT;
	struct timespec ts;
	char host[64];
	int fd, rc = -1;

	if (md_folder_create(root, folder) < 0)
		return -1;
	clock_gettime(CLOCK_REALTIME, &ts);
	if (gethostname(host, sizeof(host)) < 0)
		snprintf(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = 0;
	for (char *h = host; *h; h++)
		if (*h == '/' || *h == ':')
			*h = '_';
	strbuf_reset(base);
	strbuf_addf(base, "%lld.M%ldP%ldQ%u.%s,S=%zu", (long long)ts.tv_sec, ts.tv_nsec / 1000,
		    (long)getpid(), ++seq, host, len);
	md_folder_path(root, folder, &tmp);
	strbuf_addf(&tmp, "/tmp/%s", base->buf);
	md_name_make(base->buf, base->len, flags, &name);
	md_folder_path(root, folder, &dst);
	strbuf_addf(&dst, "/cur/%s", name.buf);
	fd = open(tmp.buf, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd >= 0) {
		if (write(fd, data, len) == (ssize_t)len && fsync(fd) == 0 && close(fd) == 0) {
			fd = -1;
			if (link(tmp.buf, dst.buf) == 0)
				rc = 0;
		}
		if (fd >= 0)
			close(fd);
		unlink(tmp.buf);
	}
	strbuf_release(&tmp);
	strbuf_release(&dst);
	strbuf_release(&name);
	return rc;
}
