/* The file names inside an attachment that is an archive (zip, 7z, rar,
 * tar, cpio, iso, and gzip/bzip2/xz compressed files), read with
 * libarchive from memory, archives inside archives down to a depth.
 * Outside input: entry count, depth and bytes decompressed are bounded;
 * an archive that is damaged stops the listing with what was read. */
#ifndef POSTERN_CONTENT_ARCHIVE_H
#define POSTERN_CONTENT_ARCHIVE_H

#include <stdbool.h>
#include <stddef.h>

struct arch_limits {
	unsigned depth_max;	/* nested archives opened below the first (3) */
	size_t entries_max;	/* entries listed in all (10000) */
	size_t bytes_max;	/* bytes of one nested archive read (64 MiB) */
};
#define ARCH_LIMITS_INIT { 3, 10000, 64u << 20 }

/* What the listing found besides names. */
struct arch_info {
	bool is_archive;	/* data was an archive at all */
	bool encrypted;		/* an entry (or the archive's header) is encrypted */
	bool truncated;		/* a limit stopped the listing */
	bool damaged;		/* libarchive reported an error */
	unsigned depth;		/* deepest level reached (the first archive is 1) */
	size_t entries;
};

/* fn gets each entry's path name (as stored, NUL-terminated) and its
 * depth (1: in the attachment itself); it returns 0 to go on, anything
 * else to stop (arch_list returns it). name: the attachment's own name
 * (for a compressed file, "x.txt.gz" holds "x.txt"), may be NULL. */
typedef int (*arch_name_fn)(const char *path, unsigned depth, void *ctx);
int arch_list(const void *data, size_t len, const char *name, const struct arch_limits *lim,
	      arch_name_fn fn, void *ctx, struct arch_info *info);

/* Whether a file name has an archive's extension (zip, 7z, rar, tar,
 * tgz, gz, bz2, xz, cab, iso, jar...). */
bool arch_name_is_archive(const char *name);

#endif
