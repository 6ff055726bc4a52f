/* The model's commands: train (a new model from corpora), learn and
 * forget (one message, under the model's lock), eval (error rates per
 * SCL threshold and 1-ROCA%), explain (the features that weighed most). */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "spam/train.h"
#include "util/exitcodes.h"
#include "util/mem.h"
#include "util/msg.h"
#include "scl-score.h"

/* Holds the model's lock file (MODEL.lock) until the process exits:
 * learn and train read, change and replace the model under it, so
 * concurrent calls serialise and none is lost. */
static void lock_model(const struct scl *s)
{
	char *path = xasprintf("%s.lock", s->model_path);
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);

	if (fd < 0)
		msg_fatal(EX_TEMPFAIL, "cannot open lock '%s': %s", path, strerror(errno));
	while (flock(fd, LOCK_EX) < 0)
		if (errno != EINTR)
			msg_fatal(EX_TEMPFAIL, "cannot lock '%s': %s", path, strerror(errno));
	free(path);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

struct train_ctx {
	const struct scl *s;
	struct spam_trainer *t;
	struct spam_fv fv;
	unsigned bits;
	bool spam;
};

static int train_one(const char *msg, size_t len, const char *where, void *ctx)
{
	struct train_ctx *c = ctx;

	spam_fv_reset(&c->fv);
	spam_features(&c->fv, msg, len, &c->s->lim);
	spam_fv_finish(&c->fv, c->bits);
	spam_trainer_add(c->t, &c->fv, c->spam);
	return 0;
}

int cmd_train(const struct scl *s)
{
	struct spam_train_opts o = SPAM_TRAIN_OPTS_INIT;
	struct train_ctx c = { s, NULL, { 0 }, 0, false };
	struct spam_model *m;
	double t0 = now();
	int rc;

	if (s->cli->nspam == 0 || s->cli->nham == 0) {
		fprintf(stderr, "scl-score: train needs --spam PATH... and --ham PATH...\n");
		return EX_USAGE;
	}
	if (s->cli->bits)
		o.bits = s->cli->bits;
	if (s->cli->epochs)
		o.epochs = s->cli->epochs;
	c.bits = o.bits;
	c.t = spam_trainer_new(&o);
	spam_fv_init(&c.fv, false);
	c.spam = true;
	rc = corpus_walk(s->cli->spam_paths, s->cli->nspam, "spam", train_one, &c);
	c.spam = false;
	if (rc == 0)
		rc = corpus_walk(s->cli->ham_paths, s->cli->nham, "ham", train_one, &c);
	spam_fv_release(&c.fv);
	if (rc < 0) {
		spam_trainer_free(c.t);
		return EX_NOINPUT;
	}
	if ((m = spam_trainer_run(c.t)) == NULL) {
		msg_error("cannot train: no spam or no ham messages found");
		spam_trainer_free(c.t);
		return EX_DATAERR;
	}
	lock_model(s);
	if (spam_model_save(m, s->model_path) < 0)
		msg_fatal(EX_CANTCREAT, "cannot write model '%s': %s", s->model_path, strerror(errno));
	msg_info("trained model=%s spam=%zu ham=%zu buckets=%u bytes=%zu seconds=%.1f",
		 msg_q(s->model_path), spam_trainer_count(c.t, true), spam_trainer_count(c.t, false),
		 1u << o.bits, spam_model_file_size(m), now() - t0);
	spam_trainer_free(c.t);
	spam_model_free(m);
	return 0;
}

int cmd_learn(const struct scl *s)
{
	static const char *const said[] = { "learnt", "already learnt", "not learnt before" };
	struct strbuf msg = STRBUF_INIT;
	struct spam_model *m;
	struct spam_fv fv;
	enum spam_learn_result r;
	char why[256];

	if (!s->cli->forget && s->cli->spam == s->cli->ham) {
		fprintf(stderr, "scl-score: learn takes --spam or --ham (or --forget)\n");
		return EX_USAGE;
	}
	if (strbuf_read_fd(&msg, 0, s->max_bytes) < 0)
		msg_fatal(EX_DATAERR, "cannot read the message: %s", strerror(errno));
	lock_model(s);
	if ((m = spam_model_load_copy(s->model_path, why, sizeof(why))) == NULL)
		msg_fatal(EX_TEMPFAIL, "cannot use model '%s': %s", s->model_path, why);
	spam_fv_init(&fv, false);
	scl_features(s, m, msg.buf ? msg.buf : "", msg.len, &fv);
	r = s->cli->forget ? spam_model_forget(m, &fv) : spam_model_learn(m, &fv, s->cli->spam);
	if (r == SPAM_LEARN_DONE && spam_model_save(m, s->model_path) < 0)
		msg_fatal(EX_TEMPFAIL, "cannot write model '%s': %s", s->model_path, strerror(errno));
	printf("%s%s\n", r == SPAM_LEARN_DONE && s->cli->forget ? "forgotten" : said[r],
	       s->cli->forget ? "" : s->cli->spam ? " as spam" : " as ham");
	spam_fv_release(&fv);
	strbuf_release(&msg);
	spam_model_free(m);
	if (fflush(stdout) != 0)
		return EX_IOERR;
	return r == SPAM_LEARN_UNKNOWN ? EX_NEGATIVE : 0;
}

struct eval_ctx {
	const struct scl *s;
	const struct spam_model *m;
	struct spam_fv fv;
	double *margin;
	int *scl;
	bool *spam;
	size_t n, alloc;
	bool is_spam;
};

static int eval_one(const char *msg, size_t len, const char *where, void *ctx)
{
	struct eval_ctx *c = ctx;
	double mg;

	scl_features(c->s, c->m, msg, len, &c->fv);
	mg = spam_model_margin(c->m, &c->fv);
	if (c->n == c->alloc) {
		size_t a = c->alloc;

		xgrow((void **)&c->margin, &a, c->n + 1, sizeof(*c->margin));
		a = c->alloc;
		xgrow((void **)&c->scl, &a, c->n + 1, sizeof(*c->scl));
		xgrow((void **)&c->spam, &c->alloc, c->n + 1, sizeof(*c->spam));
	}
	c->margin[c->n] = mg;
	c->scl[c->n] = scl_from_prob(spam_model_prob(c->m, mg));
	c->spam[c->n++] = c->is_spam;
	return 0;
}

static void eval_report(const struct eval_ctx *c, bool json, double secs)
{
	size_t ns = 0, nh = 0, fp[SCL_MAX + 1] = { 0 }, fn[SCL_MAX + 1] = { 0 };
	double roca = spam_roc_above(c->margin, c->spam, c->n);
	json_t *o, *arr;

	for (size_t i = 0; i < c->n; i++) {
		ns += c->spam[i];
		nh += !c->spam[i];
		for (int t = 1; t <= SCL_MAX; t++) {
			if (!c->spam[i] && c->scl[i] >= t)
				fp[t]++;
			if (c->spam[i] && c->scl[i] < t)
				fn[t]++;
		}
	}
	if (!json) {
		printf("ham %zu spam %zu 1-ROCA%% %.4f\n", nh, ns, roca);
		printf("scl>=  ham-FP  FP%%      spam-FN  FN%%\n");
		for (int t = 1; t <= SCL_MAX; t++)
			printf("%-5d  %-6zu  %-7.3f  %-7zu  %.3f\n", t, fp[t],
			       nh ? 100.0 * fp[t] / nh : 0.0, fn[t], ns ? 100.0 * fn[t] / ns : 0.0);
		return;
	}
	o = json_pack("{s:I, s:I, s:f, s:f}", "ham", (json_int_t)nh, "spam", (json_int_t)ns,
		      "roca_percent", roca, "msgs_per_second", secs > 0 ? c->n / secs : 0.0);
	arr = json_array();
	for (int t = 1; t <= SCL_MAX; t++)
		json_array_append_new(arr, json_pack("{s:i, s:I, s:f, s:I, s:f}", "scl", t,
			"ham_fp", (json_int_t)fp[t], "fp_percent", nh ? 100.0 * fp[t] / nh : 0.0,
			"spam_fn", (json_int_t)fn[t], "fn_percent", ns ? 100.0 * fn[t] / ns : 0.0));
	json_object_set_new(o, "thresholds", arr);
	json_dumpf(o, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(6));
	printf("\n");
	json_decref(o);
}

int cmd_eval(const struct scl *s)
{
	struct eval_ctx c;
	double t0;
	int rc;

	if (s->cli->nspam == 0 && s->cli->nham == 0) {
		fprintf(stderr, "scl-score: eval needs --spam PATH... and/or --ham PATH...\n");
		return EX_USAGE;
	}
	memset(&c, 0, sizeof(c));
	c.s = s;
	c.m = scl_model_or_exit(s);
	spam_fv_init(&c.fv, false);
	t0 = now();
	c.is_spam = true;
	rc = corpus_walk(s->cli->spam_paths, s->cli->nspam, "spam", eval_one, &c);
	c.is_spam = false;
	if (rc == 0)
		rc = corpus_walk(s->cli->ham_paths, s->cli->nham, "ham", eval_one, &c);
	if (rc == 0)
		eval_report(&c, s->st->json, now() - t0);
	spam_fv_release(&c.fv);
	free(c.margin);
	free(c.scl);
	free(c.spam);
	spam_model_free((struct spam_model *)c.m);
	if (rc < 0)
		return EX_NOINPUT;
	return fflush(stdout) == 0 ? 0 : EX_IOERR;
}

/* A feature name as a JSON string: names are cut bytes of any text, so
 * what is not valid UTF-8 is given as '?'. */
static json_t *name_json(const char *name)
{
	json_t *j = json_string(name);
	char *c;

	if (j)
		return j;
	c = xstrdup(name);
	for (char *p = c; *p; p++)
		if ((unsigned char)*p >= 0x80 || (unsigned char)*p < 0x20)
			*p = '?';
	j = json_string(c);
	free(c);
	return j;
}

struct weighed {
	size_t i;
	double w;
};

static int weighed_cmp(const void *a, const void *b)
{
	double x = __builtin_fabs(((const struct weighed *)a)->w), y = __builtin_fabs(((const struct weighed *)b)->w);

	return x < y ? 1 : x > y ? -1 : 0;
}

int cmd_explain(const struct scl *s)
{
	struct spam_model *m = scl_model_or_exit(s);
	struct strbuf msg = STRBUF_INIT;
	struct spam_fv fv;
	struct weighed *v;
	size_t top = s->cli->top ? s->cli->top : 20;
	json_t *o, *arr;
	double mg, p;

	if (strbuf_read_fd(&msg, 0, s->max_bytes) < 0)
		msg_fatal(EX_DATAERR, "cannot read the message: %s", strerror(errno));
	spam_fv_init(&fv, true);
	scl_features(s, m, msg.buf ? msg.buf : "", msg.len, &fv);
	mg = spam_model_margin(m, &fv);
	p = spam_model_prob(m, mg);
	v = xmalloc((fv.n + 1) * sizeof(*v));
	for (size_t i = 0; i < fv.n; i++) {
		v[i].i = i;
		v[i].w = m->w[fv.f[i].id] * (double)m->hdr.scale;
	}
	qsort(v, fv.n, sizeof(*v), weighed_cmp);
	o = json_pack("{s:i, s:f, s:f, s:f, s:I}", "scl", scl_from_prob(p), "p", p, "margin", mg,
		      "bias", (double)m->hdr.bias, "features", (json_int_t)fv.n);
	arr = json_array();
	for (size_t i = 0; i < fv.n && i < top; i++)
		json_array_append_new(arr, json_pack("{s:o, s:f}", "feature",
			name_json(spam_fv_name(&fv, v[i].i)), "weight", v[i].w));
	json_object_set_new(o, "top", arr);
	json_dumpf(o, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(5));
	printf("\n");
	json_decref(o);
	free(v);
	spam_fv_release(&fv);
	strbuf_release(&msg);
	spam_model_free(m);
	return fflush(stdout) == 0 ? 0 : EX_IOERR;
}
