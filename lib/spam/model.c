/* The model file (see model.h): loading through mmap with full checks,
 * atomic saving, scoring, and exactly reversible incremental learning. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "spam/fmath.h"
#include "spam/model.h"
#include "util/atomic.h"
#include "util/mem.h"
#include "util/sha256.h"

/* glibc 2.33 and later: the CPU features ld.so found (see csum_lanes). */
#if defined(__x86_64__) && defined(__GNUC__) && defined(__has_include)
#if __has_include(<sys/platform/x86.h>)
#include <sys/platform/x86.h>
#define HAVE_X86_FEATURES 1
#endif
#endif

_Static_assert(sizeof(struct spam_model_hdr) == 96, "model header is 96 bytes");
_Static_assert(sizeof(struct spam_learnt) == 24, "learnt record is 24 bytes");

#define BYTEORDER 0x01020304u
/* Incremental learning pushes the margin this far past zero (logits),
 * moving each feature at most STEP_MAX logits per message. */
#define LEARN_TARGET 3.0
#define STEP_MAX 1.0

/* A 64-bit checksum: Fletcher's sums over 8-byte words in four lanes,
 * mixed at the end. It catches flipped, lost and moved bytes, which is
 * what a damaged file has, and costs a fraction of a millisecond for a
 * 2 MiB model, so the filter checks the whole file on every run. */
typedef uint64_t v4u64 __attribute__((vector_size(32)));

struct csum {
	uint64_t a[4], b[4];
	uint64_t n;
};

static void csum_init(struct csum *c)
{
	memset(c, 0, sizeof(*c));
}

/* The four lanes as one vector, four words of each lane a turn: after
 * x1..x4, a grows by their sum and b by 4a plus the running sums x1,
 * x1+x2, ... (the same values as one word at a time, in a third of the
 * instructions). Returns the bytes taken, a multiple of 32. */
static inline __attribute__((always_inline)) size_t
lanes(uint64_t a[4], uint64_t b[4], const unsigned char *p, size_t len)
{
	v4u64 A, B;
	size_t i = 0;

	memcpy(&A, a, sizeof(A));
	memcpy(&B, b, sizeof(B));
	for (; i + 128 <= len; i += 128) {
		v4u64 x1, x2, x3, x4, s2, s3, s4;

		memcpy(&x1, p + i, 32);
		memcpy(&x2, p + i + 32, 32);
		memcpy(&x3, p + i + 64, 32);
		memcpy(&x4, p + i + 96, 32);
		s2 = x1 + x2;
		s3 = s2 + x3;
		s4 = s3 + x4;
		B += (A << 2) + x1 + s2 + s3 + s4;
		A += s4;
	}
	for (; i + 32 <= len; i += 32) {
		v4u64 x;

		memcpy(&x, p + i, 32);
		A += x;
		B += A;
	}
	memcpy(a, &A, sizeof(A));
	memcpy(b, &B, sizeof(B));
	return i;
}

static size_t lanes_generic(uint64_t a[4], uint64_t b[4], const unsigned char *p, size_t len)
{
	return lanes(a, b, p, len);
}

/* The filter checks the whole model in every process: with AVX2 a lane
 * vector is one register, and 1 MiB takes 15 us instead of 37 (SSE2).
 * glibc's feature bits are read, not CPUID: CPUID traps to the
 * hypervisor in a virtual machine. */
#ifdef HAVE_X86_FEATURES
__attribute__((target("avx2"))) static size_t
lanes_avx2(uint64_t a[4], uint64_t b[4], const unsigned char *p, size_t len)
{
	return lanes(a, b, p, len);
}

static size_t csum_lanes(uint64_t a[4], uint64_t b[4], const unsigned char *p, size_t len)
{
	if (CPU_FEATURE_ACTIVE(AVX2))
		return lanes_avx2(a, b, p, len);
	return lanes_generic(a, b, p, len);
}
#else
static size_t csum_lanes(uint64_t a[4], uint64_t b[4], const unsigned char *p, size_t len)
{
	return lanes_generic(a, b, p, len);
}
#endif

/* len is a multiple of 8 (every piece of the file is); pieces of a
 * multiple of 32 bytes keep the lanes aligned, others are still fine. */
static void csum_add(struct csum *c, const void *data, size_t len)
{
	const unsigned char *p = data;
	size_t i = 0;

	for (; (c->n & 3) && i + 8 <= len; i += 8) {
		uint64_t w;

		memcpy(&w, p + i, 8);
		c->a[c->n & 3] += w;
		c->b[c->n & 3] += c->a[c->n & 3];
		c->n++;
	}
	if (i + 32 <= len) {
		size_t done = csum_lanes(c->a, c->b, p + i, len - i);

		c->n += done / 8;
		i += done;
	}
	for (; i + 8 <= len; i += 8) {
		uint64_t w;

		memcpy(&w, p + i, 8);
		c->a[c->n & 3] += w;
		c->b[c->n & 3] += c->a[c->n & 3];
		c->n++;
	}
}

static uint64_t mix(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	return h ^ (h >> 33);
}

static uint64_t csum_end(const struct csum *c)
{
	uint64_t h = mix(c->n);

	for (int i = 0; i < 4; i++)
		h = mix(h ^ c->a[i]) + mix(h ^ c->b[i] ^ 0x9e3779b97f4a7c15ull);
	return h;
}

static uint64_t model_checksum(const struct spam_model_hdr *hdr, const int8_t *w,
			       const struct spam_learnt *l)
{
	struct spam_model_hdr h = *hdr;
	struct csum c;

	h.checksum = 0;
	csum_init(&c);
	csum_add(&c, &h, sizeof(h));
	csum_add(&c, w, ((size_t)1 << hdr->bits) * sizeof(*w));
	csum_add(&c, l, (size_t)hdr->nlearnt * sizeof(*l));
	return csum_end(&c);
}

static int fail(char *why, size_t whysize, const char *what)
{
	snprintf(why, whysize, "%s", what);
	return -1;
}

int spam_model_parse(const void *data, size_t len, struct spam_model *m, char *why,
		     size_t whysize)
{
	const struct spam_model_hdr *h = data;
	size_t need;

	memset(m, 0, sizeof(*m));
	if (len < sizeof(*h))
		return fail(why, whysize, "file too short for a model header");
	if (memcmp(h->magic, SPAM_MODEL_MAGIC, 8) != 0)
		return fail(why, whysize, "not an scl-score model (bad magic)");
	if (h->byteorder != BYTEORDER)
		return fail(why, whysize, "model written on a host of the other byte order");
	if (h->flags & ~(uint32_t)SPAM_MODEL_NORM)
		return fail(why, whysize, "unknown model flags");
	if (h->version != SPAM_MODEL_VERSION) {
		/* Features are part of a version: weights learnt for other
		 * features would score every message wrong, not fail. */
		snprintf(why, whysize, "model version %u, this scl-score reads version %u%s",
			 h->version, SPAM_MODEL_VERSION, h->version < SPAM_MODEL_VERSION ?
			 " (an older model: train a new one with scl-score train)" : "");
		return -1;
	}
	if (h->bits < SPAM_BITS_MIN || h->bits > SPAM_BITS_MAX)
		return fail(why, whysize, "bad feature table size");
	if (h->nlearnt > SPAM_LEARNT_MAX)
		return fail(why, whysize, "bad learnt-message count");
	need = sizeof(*h) + ((size_t)1 << h->bits) * sizeof(int8_t) +
	       (size_t)h->nlearnt * sizeof(struct spam_learnt);
	if (len != need)
		return fail(why, whysize, len < need ? "model file truncated" :
			    "model file has trailing bytes");
	if (!isfinite(h->scale) || h->scale <= 0 || h->scale > 1 || !isfinite(h->bias) || !isfinite(h->cal_a) ||
	    !isfinite(h->cal_b))
		return fail(why, whysize, "bad numbers in the model header");
	m->hdr = *h;
	m->w = (const int8_t *)((const char *)data + sizeof(*h));
	m->learnt = (const struct spam_learnt *)(m->w + ((size_t)1 << h->bits));
	if (model_checksum(h, m->w, m->learnt) != h->checksum)
		return fail(why, whysize, "bad checksum (corrupt model)");
	return 0;
}

int spam_model_seal(void *data, size_t len)
{
	struct spam_model_hdr h;
	const char *p = data;

	if (len < sizeof(h))
		return -1;
	memcpy(&h, p, sizeof(h));
	if (h.bits < SPAM_BITS_MIN || h.bits > SPAM_BITS_MAX || h.nlearnt > SPAM_LEARNT_MAX ||
	    len != sizeof(h) + ((size_t)1 << h.bits) * sizeof(int8_t) +
		   (size_t)h.nlearnt * sizeof(struct spam_learnt))
		return -1;
	h.checksum = model_checksum(&h, (const int8_t *)(p + sizeof(h)),
				    (const struct spam_learnt *)(p + sizeof(h) +
								 ((size_t)1 << h.bits)));
	memcpy(data, &h, sizeof(h));
	return 0;
}

struct spam_model *spam_model_load(const char *path, char *why, size_t whysize)
{
	struct spam_model *m;
	struct stat st;
	void *map;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st) < 0) {
		fail(why, whysize, strerror(errno));
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	if (st.st_size < (off_t)sizeof(struct spam_model_hdr) || st.st_size > (off_t)1 << 30) {
		close(fd);
		fail(why, whysize, "file size is not a model's");
		return NULL;
	}
	/* No MAP_POPULATE: the checksum reads the pages in order, and the
	 * faults that map them 16 at a time (the kernel's fault-around) cost
	 * half of what populating the mapping page by page does (measured:
	 * 25 against 50 us for 1 MiB). */
	map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (map == MAP_FAILED) {
		fail(why, whysize, strerror(errno));
		return NULL;
	}
	m = xcalloc(1, sizeof(*m));
	if (spam_model_parse(map, (size_t)st.st_size, m, why, whysize) < 0) {
		munmap(map, (size_t)st.st_size);
		free(m);
		return NULL;
	}
	m->map = map;
	m->map_len = (size_t)st.st_size;
	return m;
}

static void make_writable(struct spam_model *m)
{
	size_t nw = (size_t)1 << m->hdr.bits;

	m->w_own = xmemdup(m->w, nw * sizeof(int8_t));
	m->learnt_alloc = m->hdr.nlearnt + 16;
	m->learnt_own = xcalloc(m->learnt_alloc, sizeof(*m->learnt_own));
	memcpy(m->learnt_own, m->learnt, m->hdr.nlearnt * sizeof(*m->learnt_own));
	if (m->map)
		munmap(m->map, m->map_len);
	m->map = NULL;
	m->w = m->w_own;
	m->learnt = m->learnt_own;
}

struct spam_model *spam_model_load_copy(const char *path, char *why, size_t whysize)
{
	struct spam_model *m = spam_model_load(path, why, whysize);

	if (m)
		make_writable(m);
	return m;
}

struct spam_model *spam_model_new(unsigned bits, float scale)
{
	struct spam_model *m = xcalloc(1, sizeof(*m));

	memcpy(m->hdr.magic, SPAM_MODEL_MAGIC, 8);
	m->hdr.version = SPAM_MODEL_VERSION;
	m->hdr.byteorder = BYTEORDER;
	m->hdr.bits = bits;
	m->hdr.scale = scale;
	m->hdr.cal_a = 1;
	m->hdr.created = (uint64_t)time(NULL);
	m->w_own = xcalloc((size_t)1 << bits, sizeof(int8_t));
	m->learnt_alloc = 16;
	m->learnt_own = xcalloc(m->learnt_alloc, sizeof(*m->learnt_own));
	m->w = m->w_own;
	m->learnt = m->learnt_own;
	return m;
}

void spam_model_free(struct spam_model *m)
{
	if (m == NULL)
		return;
	if (m->map)
		munmap(m->map, m->map_len);
	free(m->w_own);
	free(m->learnt_own);
	free(m);
}

int8_t *spam_model_weights(struct spam_model *m)
{
	if (m->w_own == NULL)
		make_writable(m);
	return m->w_own;
}

size_t spam_model_file_size(const struct spam_model *m)
{
	return sizeof(m->hdr) + ((size_t)1 << m->hdr.bits) * sizeof(int8_t) +
	       (size_t)m->hdr.nlearnt * sizeof(struct spam_learnt);
}

int spam_model_save(struct spam_model *m, const char *path)
{
	struct atomic_file af;
	int e;

	m->hdr.checksum = model_checksum(&m->hdr, m->w, m->learnt);
	if (atomic_open(&af, path, 0644) < 0)
		return -1;
	if (write_all(af.fd, &m->hdr, sizeof(m->hdr)) < 0 ||
	    write_all(af.fd, m->w, ((size_t)1 << m->hdr.bits) * sizeof(int8_t)) < 0 ||
	    write_all(af.fd, m->learnt, m->hdr.nlearnt * sizeof(*m->learnt)) < 0) {
		e = errno;
		atomic_abort(&af);
		errno = e;
		return -1;
	}
	return atomic_commit(&af);
}

double spam_model_margin(const struct spam_model *m, const struct spam_fv *fv)
{
	long long sum = 0;
	uint32_t mask = ((uint32_t)1 << m->hdr.bits) - 1;

	for (size_t i = 0; i < fv->n; i++)
		sum += m->w[fv->f[i].id & mask];
	return m->hdr.bias + (double)sum * m->hdr.scale * spam_model_norm(m, fv->n);
}

double spam_model_norm(const struct spam_model *m, size_t n)
{
	if (!(m->hdr.flags & SPAM_MODEL_NORM) || n == 0)
		return 1;
	return 1 / fmath_sqrt((double)n);
}

double spam_model_prob(const struct spam_model *m, double margin)
{
	double z = m->hdr.cal_a * margin + m->hdr.cal_b;

	return 1.0 / (1.0 + fmath_exp(-z));
}

void spam_model_digest(const struct spam_fv *fv, unsigned char out[SPAM_DIGEST_LEN])
{
	unsigned char md[SHA256_LEN];
	struct sha256 c;

	sha256_init(&c);
	for (size_t i = 0; i < fv->n; i++) {
		unsigned char b[4] = { (unsigned char)fv->f[i].id, (unsigned char)(fv->f[i].id >> 8),
				       (unsigned char)(fv->f[i].id >> 16),
				       (unsigned char)(fv->f[i].id >> 24) };

		sha256_update(&c, b, 4);
	}
	sha256_final(&c, md);
	memcpy(out, md, SPAM_DIGEST_LEN);
}

static long find_learnt(const struct spam_model *m, const unsigned char *d)
{
	for (uint32_t i = 0; i < m->hdr.nlearnt; i++)
		if (memcmp(m->learnt[i].digest, d, SPAM_DIGEST_LEN) == 0)
			return (long)i;
	return -1;
}

/* Adds step to every feature of fv; the caller made sure none overflows. */
static void apply(struct spam_model *m, const struct spam_fv *fv, int32_t step)
{
	int8_t *w = spam_model_weights(m);
	uint32_t mask = ((uint32_t)1 << m->hdr.bits) - 1;

	for (size_t i = 0; i < fv->n; i++)
		w[fv->f[i].id & mask] = (int8_t)(w[fv->f[i].id & mask] + step);
}

/* The largest step (in the direction of sign) that keeps every weight
 * of fv inside int8: saturating would make forget inexact. */
static int32_t step_room(const struct spam_model *m, const struct spam_fv *fv, int sign)
{
	uint32_t mask = ((uint32_t)1 << m->hdr.bits) - 1;
	int32_t room = INT8_MAX;

	for (size_t i = 0; i < fv->n; i++) {
		int32_t w = m->w[fv->f[i].id & mask];
		int32_t r = sign > 0 ? INT8_MAX - w : w - INT8_MIN;

		if (r < room)
			room = r;
	}
	return room;
}

enum spam_learn_result spam_model_forget(struct spam_model *m, const struct spam_fv *fv)
{
	unsigned char d[SPAM_DIGEST_LEN];
	long i;

	spam_model_digest(fv, d);
	if ((i = find_learnt(m, d)) < 0)
		return SPAM_LEARN_UNKNOWN;
	spam_model_weights(m);
	apply(m, fv, -m->learnt_own[i].step);
	if (m->learnt_own[i].spam)
		m->hdr.nlearn_spam -= m->hdr.nlearn_spam > 0;
	else
		m->hdr.nlearn_ham -= m->hdr.nlearn_ham > 0;
	m->learnt_own[i] = m->learnt_own[m->hdr.nlearnt - 1];
	m->hdr.nlearnt--;
	return SPAM_LEARN_DONE;
}

enum spam_learn_result spam_model_learn(struct spam_model *m, const struct spam_fv *fv, bool spam)
{
	unsigned char d[SPAM_DIGEST_LEN];
	struct spam_learnt *rec;
	double margin, want, per;
	int32_t step = 0;
	long i;

	spam_model_digest(fv, d);
	if ((i = find_learnt(m, d)) >= 0) {
		if ((m->learnt[i].spam != 0) == spam)
			return SPAM_LEARN_ALREADY;
		spam_model_forget(m, fv);
	}
	spam_model_weights(m);
	margin = spam_model_margin(m, fv);
	want = spam ? LEARN_TARGET - margin : -LEARN_TARGET - margin;
	if (fv->n > 0 && (spam ? want > 0 : want < 0)) {
		per = want / ((double)fv->n * m->hdr.scale * spam_model_norm(m, fv->n));
		if (__builtin_fabs(per) > STEP_MAX / m->hdr.scale)
			per = per > 0 ? STEP_MAX / m->hdr.scale : -STEP_MAX / m->hdr.scale;
		if (__builtin_fabs(per) > INT8_MAX)
			per = per > 0 ? INT8_MAX : -INT8_MAX;
		step = (int32_t)(per > 0 ? ceil(per) : floor(per));
		if (abs(step) > step_room(m, fv, spam ? 1 : -1))
			step = (spam ? 1 : -1) * step_room(m, fv, spam ? 1 : -1);
		apply(m, fv, step);
	}
	if (m->hdr.nlearnt == m->learnt_alloc)
		xgrow((void **)&m->learnt_own, &m->learnt_alloc, m->hdr.nlearnt + 1,
		      sizeof(*m->learnt_own));
	m->learnt = m->learnt_own;
	rec = &m->learnt_own[m->hdr.nlearnt++];
	memcpy(rec->digest, d, SPAM_DIGEST_LEN);
	rec->step = step;
	rec->spam = spam;
	if (spam)
		m->hdr.nlearn_spam++;
	else
		m->hdr.nlearn_ham++;
	return SPAM_LEARN_DONE;
}
