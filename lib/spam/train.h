/* Batch training of the scl-score model: online logistic regression with
 * a thick threshold and a cost for ham errors, per-feature AdaGrad steps
 * over several shuffled epochs, the weights averaged over the steps of
 * the last half of the epochs, the mean of a few such learners run over
 * different orders, Platt calibration on 5-fold out-of-fold margins,
 * then quantisation of the weights into a model. */
#ifndef POSTERN_SPAM_TRAIN_H
#define POSTERN_SPAM_TRAIN_H

#include <stdbool.h>
#include <stddef.h>

#include "spam/feature.h"
#include "spam/model.h"

struct spam_train_opts {
	unsigned bits;		/* feature table: 2^bits buckets */
	unsigned epochs;
	double rate;		/* AdaGrad base step */
	unsigned seed;		/* shuffling and the calibration split */
	bool norm;		/* SPAM_MODEL_NORM */
	unsigned members;	/* learners averaged (0 is 1) */
	double thick;		/* thick threshold: margin (logits) each class is pushed past */
	double ham_cost;	/* a ham misjudged weighs this many spams (training, calibration) */
};
#define SPAM_TRAIN_OPTS_INIT { SPAM_BITS_DEFAULT, 10, 4.0, 1, true, 10, 4.0, 1.5 }

struct spam_trainer;

struct spam_trainer *spam_trainer_new(const struct spam_train_opts *o);
void spam_trainer_free(struct spam_trainer *t);
/* Keeps a copy of a finished feature vector (spam_fv_finish with the
 * trainer's bits) as one example. */
void spam_trainer_add(struct spam_trainer *t, const struct spam_fv *fv, bool spam);
size_t spam_trainer_count(const struct spam_trainer *t, bool spam);
/* Trains and calibrates; returns a new writable model (the caller frees
 * it). Needs at least one example of each class, else NULL. */
struct spam_model *spam_trainer_run(struct spam_trainer *t);

/* Platt scaling: fits p = 1 / (1 + exp(-(a * s + b))) to scores s with
 * labels y (1 spam) by Newton's method on the smoothed log loss. */
void spam_platt_fit(const double *s, const bool *y, size_t n, double *a, double *b);

/* Area above the ROC curve in percent (1 - AUC) * 100 of scores with
 * labels (ties count half). 0 when a class is empty. */
double spam_roc_above(const double *s, const bool *y, size_t n);

#endif
