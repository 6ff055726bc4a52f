/* Message spooling for the content layer: memory first, an unlinked
 * temporary file past spool.mem_max, mapped at the end. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "content/spool.h"
#include "util/atomic.h"
#include "util/mem.h"
#include "util/msg.h"

void spool_init(struct spool *sp, size_t mem_max, const char *dir)
{
	memset(sp, 0, sizeof(*sp));
	strbuf_init(&sp->mem, 0);
	sp->mem_max = mem_max;
	sp->dir = dir ? dir : "/tmp";
	sp->fd = -1;
}

static int spill(struct spool *sp)
{
	char *path = xasprintf("%s/postern-spool.XXXXXX", sp->dir);

	sp->fd = mkstemp(path);
	if (sp->fd < 0) {
		msg_error("cannot create spool file in '%s': %s", sp->dir, strerror(errno));
		free(path);
		return -1;
	}
	unlink(path);
	free(path);
	if (write_all(sp->fd, sp->mem.buf, sp->mem.len) < 0) {
		msg_error("cannot write spool file in '%s': %s", sp->dir, strerror(errno));
		return -1;
	}
	strbuf_release(&sp->mem);
	return 0;
}

int spool_add(struct spool *sp, const void *data, size_t len)
{
	if (sp->failed)
		return -1;
	if (sp->fd < 0 && sp->mem.len + len > sp->mem_max && spill(sp) < 0)
		goto fail;
	if (sp->fd < 0) {
		strbuf_add(&sp->mem, data, len);
	} else if (write_all(sp->fd, data, len) < 0) {
		msg_error("cannot write spool file in '%s': %s", sp->dir, strerror(errno));
		goto fail;
	}
	sp->len += len;
	return 0;
fail:
	sp->failed = true;
	return -1;
}

const char *spool_data(struct spool *sp, size_t *len)
{
	*len = sp->len;
	if (sp->failed)
		return NULL;
	if (sp->fd < 0)
		return sp->mem.buf ? sp->mem.buf : "";
	if (sp->map == NULL) {
		sp->map = mmap(NULL, sp->len, PROT_READ, MAP_PRIVATE, sp->fd, 0);
		if (sp->map == MAP_FAILED) {
			msg_error("cannot map spool file: %s", strerror(errno));
			sp->map = NULL;
			sp->failed = true;
			return NULL;
		}
	}
	return sp->map;
}

void spool_reset(struct spool *sp)
{
	if (sp->map)
		munmap(sp->map, sp->len);
	if (sp->fd >= 0)
		close(sp->fd);
	sp->map = NULL;
	sp->fd = -1;
	sp->len = 0;
	sp->failed = false;
	strbuf_reset(&sp->mem);
}

void spool_release(struct spool *sp)
{
	spool_reset(sp);
	strbuf_release(&sp->mem);
}
