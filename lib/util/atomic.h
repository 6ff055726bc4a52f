/* Durable file replacement: write to a temporary file in the same
 * directory, fsync it, rename it over the target, fsync the directory.
 * Only after atomic_commit returns 0 may the data be acknowledged. */
#ifndef POSTERN_UTIL_ATOMIC_H
#define POSTERN_UTIL_ATOMIC_H

#include <stddef.h>
#include <sys/types.h>

struct atomic_file {
	int fd;			/* write the content here */
	char *path;		/* the target */
	char *tmp;		/* the temporary file */
};

/* Returns 0 and fills af, or -1 with errno set. */
int atomic_open(struct atomic_file *af, const char *path, mode_t mode);
/* Syncs, renames into place, syncs the directory; frees af's strings.
 * Returns 0, or -1 with errno set (the temporary file is removed). */
int atomic_commit(struct atomic_file *af);
/* Removes the temporary file and frees af's strings. */
void atomic_abort(struct atomic_file *af);
/* The three steps in one for data held in memory. */
int atomic_write(const char *path, const void *data, size_t len, mode_t mode);
/* fsync of the directory holding path. */
int fsync_parent(const char *path);
/* write(2) until all is written or an error (not EINTR). */
int write_all(int fd, const void *data, size_t len);

#endif
