/* Archive listing over libarchive (see archive.h). Nested archives are
 * found by content, not by name: each entry's first bytes are checked
 * for an archive's or a compressor's magic before it is read whole. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <archive.h>
#include <archive_entry.h>

#include "content/archive.h"
#include "util/mem.h"
#include "util/strbuf.h"

struct walk {
	const struct arch_limits *lim;
	arch_name_fn fn;
	void *ctx;
	struct arch_info *info;
	int stop;
};

static const char *const arch_exts[] = {
	"zip", "7z", "rar", "tar", "tgz", "tbz", "tbz2", "txz", "gz", "bz2", "xz", "lz",
	"lzma", "zst", "cab", "iso", "jar", "cpio", "arj", "lha", "lzh", "z", "ace",
	NULL
};

bool arch_name_is_archive(const char *name)
{
	const char *dot = name ? strrchr(name, '.') : NULL;

	if (dot == NULL)
		return false;
	for (const char *const *e = arch_exts; *e; e++)
		if (strcasecmp(dot + 1, *e) == 0)
			return true;
	return false;
}

/* Magic numbers of what libarchive reads (without the raw format). */
static bool magic_is_archive(const unsigned char *p, size_t n)
{
	static const struct { const char *m; size_t len, off; } magics[] = {
		{ "PK\003\004", 4, 0 }, { "PK\005\006", 4, 0 }, { "7z\274\257\047\034", 6, 0 },
		{ "Rar!\032\007", 6, 0 }, { "\037\213", 2, 0 }, { "BZh", 3, 0 },
		{ "\3757zXZ", 5, 0 }, { "ustar", 5, 257 }, { "MSCF", 4, 0 },
		{ "070701", 6, 0 }, { "070707", 6, 0 }, { "\x28\xb5\x2f\xfd", 4, 0 },
		{ "CD001", 5, 0x8001 },
	};

	for (size_t i = 0; i < sizeof(magics) / sizeof(magics[0]); i++)
		if (n >= magics[i].off + magics[i].len &&
		    memcmp(p + magics[i].off, magics[i].m, magics[i].len) == 0)
			return true;
	return false;
}

static bool magic_is_compressed(const unsigned char *p, size_t n)
{
	return (n >= 2 && p[0] == 0x1f && p[1] == 0x8b) || (n >= 3 && memcmp(p, "BZh", 3) == 0) ||
	       (n >= 5 && memcmp(p, "\3757zXZ", 5) == 0) ||
	       (n >= 4 && memcmp(p, "\x28\xb5\x2f\xfd", 4) == 0);
}

static void walk_mem(struct walk *w, const void *data, size_t len, const char *name,
		     unsigned depth);

/* Reads the current entry's data (up to bytes_max) and lists it when
 * it is an archive itself. */
static void nested(struct walk *w, struct archive *a, const char *path, unsigned depth)
{
	struct strbuf sb = STRBUF_INIT;
	char buf[16384];
	la_ssize_t n;

	while ((n = archive_read_data(a, buf, sizeof(buf))) > 0) {
		if (sb.len == 0 && !magic_is_archive((unsigned char *)buf, (size_t)n) &&
		    !arch_name_is_archive(path))
			return;	/* not an archive: no need to read on */
		if (sb.len + (size_t)n > w->lim->bytes_max) {
			w->info->truncated = true;
			strbuf_release(&sb);
			return;
		}
		strbuf_add(&sb, buf, (size_t)n);
	}
	if (n < 0) {
		/* reading failed: encrypted or damaged */
		const char *e = archive_error_string(a);

		if (e && strstr(e, "ncrypt"))
			w->info->encrypted = true;
		else
			w->info->damaged = true;
	}
	if (sb.len && magic_is_archive((unsigned char *)sb.buf, sb.len))
		walk_mem(w, sb.buf, sb.len, path, depth + 1);
	strbuf_release(&sb);
}

static struct archive *open_mem(const void *data, size_t len, bool raw)
{
	struct archive *a = archive_read_new();

	archive_read_support_filter_all(a);
	if (raw)
		archive_read_support_format_raw(a);
	else
		archive_read_support_format_all(a);
	if (archive_read_open_memory(a, data, len) != ARCHIVE_OK) {
		archive_read_free(a);
		return NULL;
	}
	return a;
}

/* A lone compressed file: its name is the outer one without the
 * compressor's extension; its content may be an archive (x.tar.gz is
 * read directly by libarchive; this is for x.zip.gz and x.exe.gz). */
static void walk_raw(struct walk *w, const void *data, size_t len, const char *name,
		     unsigned depth)
{
	struct archive *a = open_mem(data, len, true);
	struct archive_entry *e;
	char inner[1024];
	const char *dot;

	if (a == NULL)
		return;
	snprintf(inner, sizeof(inner), "%s", name ? name : "data");
	if ((dot = strrchr(inner, '.')) && dot != inner)
		inner[dot - inner] = 0;
	if (archive_read_next_header(a, &e) == ARCHIVE_OK) {
		w->info->is_archive = true;
		w->info->entries++;
		if (depth > w->info->depth)
			w->info->depth = depth;
		w->stop = w->fn(inner, depth, w->ctx);
		if (!w->stop && depth <= w->lim->depth_max)
			nested(w, a, inner, depth);
	} else {
		w->info->damaged = true;
	}
	archive_read_free(a);
}

static void walk_mem(struct walk *w, const void *data, size_t len, const char *name,
		     unsigned depth)
{
	struct archive *a;
	struct archive_entry *e;
	int r = ARCHIVE_OK;

	if (w->stop || depth > w->lim->depth_max + 1) {
		w->info->truncated = w->info->truncated || !w->stop;
		return;
	}
	if ((a = open_mem(data, len, false)) == NULL) {
		if (magic_is_compressed(data, len))
			walk_raw(w, data, len, name, depth);
		return;
	}
	while (!w->stop && (r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
		const char *path = archive_entry_pathname(e);

		w->info->is_archive = true;
		if (depth > w->info->depth)
			w->info->depth = depth;
		if (w->info->entries++ >= w->lim->entries_max) {
			w->info->truncated = true;
			break;
		}
		if (archive_entry_is_encrypted(e))
			w->info->encrypted = true;
		w->stop = w->fn(path ? path : "", depth, w->ctx);
		if (!w->stop && depth <= w->lim->depth_max && !archive_entry_is_encrypted(e) &&
		    archive_entry_filetype(e) == AE_IFREG)
			nested(w, a, path ? path : "", depth);
	}
	if (!w->stop && r != ARCHIVE_EOF && r != ARCHIVE_OK) {
		if (archive_read_has_encrypted_entries(a) > 0)
			w->info->encrypted = true;
		else if (w->info->is_archive || r == ARCHIVE_FATAL)
			w->info->damaged = w->info->is_archive;
	}
	if (archive_read_has_encrypted_entries(a) > 0)
		w->info->encrypted = true;
	archive_read_free(a);
}

int arch_list(const void *data, size_t len, const char *name, const struct arch_limits *lim,
	      arch_name_fn fn, void *ctx, struct arch_info *info)
{
	static const struct arch_limits def = ARCH_LIMITS_INIT;
	struct walk w = { lim ? lim : &def, fn, ctx, info, 0 };

	memset(info, 0, sizeof(*info));
	if (len == 0 || !magic_is_archive(data, len))
		return 0;
	walk_mem(&w, data, len, name, 1);
	return w.stop;
}
