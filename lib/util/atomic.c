/* Durable replacement of a file: temp, fsync, rename, fsync dir. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/atomic.h"
#include "util/mem.h"

int write_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int fsync_parent(const char *path)
{
	char *copy = xstrdup(path);
	int fd, rc, e;

	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(copy);
	if (fd < 0)
		return -1;
	rc = fsync(fd);
	e = errno;
	close(fd);
	errno = e;
	return rc;
}

int atomic_open(struct atomic_file *af, const char *path, mode_t mode)
{
	af->path = xstrdup(path);
	af->tmp = xasprintf("%s.tmp.%ld.XXXXXX", path, (long)getpid());
	af->fd = mkostemp(af->tmp, O_CLOEXEC);
	if (af->fd < 0) {
		int e = errno;

		free(af->path);
		free(af->tmp);
		af->path = af->tmp = NULL;
		errno = e;
		return -1;
	}
	if (fchmod(af->fd, mode) < 0) {
		int e = errno;

		atomic_abort(af);
		errno = e;
		return -1;
	}
	return 0;
}

static void atomic_forget(struct atomic_file *af)
{
	free(af->path);
	free(af->tmp);
	af->path = af->tmp = NULL;
	af->fd = -1;
}

int atomic_commit(struct atomic_file *af)
{
	int e;

	if (fsync(af->fd) < 0 || close(af->fd) < 0) {
		e = errno;
		af->fd = -1;
		goto fail;
	}
	af->fd = -1;
	if (rename(af->tmp, af->path) < 0) {
		e = errno;
		goto fail;
	}
	if (fsync_parent(af->path) < 0) {
		e = errno;
		atomic_forget(af);
		errno = e;
		return -1;
	}
	atomic_forget(af);
	return 0;
fail:
	unlink(af->tmp);
	atomic_forget(af);
	errno = e;
	return -1;
}

void atomic_abort(struct atomic_file *af)
{
	if (af->fd >= 0)
		close(af->fd);
	if (af->tmp)
		unlink(af->tmp);
	atomic_forget(af);
}

int atomic_write(const char *path, const void *data, size_t len, mode_t mode)
{
	struct atomic_file af;

	if (atomic_open(&af, path, mode) < 0)
		return -1;
	if (write_all(af.fd, data, len) < 0) {
		int e = errno;

		atomic_abort(&af);
		errno = e;
		return -1;
	}
	return atomic_commit(&af);
}
