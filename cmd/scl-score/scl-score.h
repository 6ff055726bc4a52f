/* scl-score's private interfaces: the settings main.c gathers from the
 * config and the command line, and the subcommands in the other files. */
#ifndef SCL_SCORE_H
#define SCL_SCORE_H

#include <stdbool.h>
#include <stddef.h>

#include "conf/prog.h"
#include "spam/feature.h"
#include "spam/model.h"
#include "spam/scl.h"

#define RCPT_MAX 64
#define PATHS_MAX 4096

/* The path arrays last: a filter run touches only the first page. */
struct cli {
	const char *model;
	const char *sender, *sender_ip;
	size_t nrcpt;
	bool bypass, forget, batch, spam, ham;
	int cls;		/* while parsing operands: 1 spam, 0 ham, -1 none */
	size_t nspam, nham;
	unsigned bits, epochs, top;
	const char *rcpt[RCPT_MAX];
	const char *spam_paths[PATHS_MAX], *ham_paths[PATHS_MAX];
};

/* Everything a subcommand needs; built once by main.c. */
struct scl {
	const struct prog_state *st;
	const struct cli *cli;
	const char *model_path;
	struct scl_policy pol;
	const char *const *allowed, *const *blocked;	/* phrases */
	size_t nallowed, nblocked;
	bool exchange_header, use_directory;
	size_t scan_bytes, max_bytes;
	struct spam_fx_limits lim;
};

/* One message's answer. */
struct verdict {
	int scl;
	double p;
	double margin;		/* the model's, in logits */
	enum scl_action action;
	const char *reason;	/* static: "model", "safe-sender", ... */
};

/* filter.c */
int cmd_filter(const struct scl *s);
int cmd_check(const struct scl *s, int argc, char **argv);
/* Loads the model or exits 75 with the reason. */
struct spam_model *scl_model_or_exit(const struct scl *s);
/* Features of a message, finished for m. */
void scl_features(const struct scl *s, const struct spam_model *m, const char *msg, size_t len,
		  struct spam_fv *fv);

/* learn.c */
int cmd_train(const struct scl *s);
int cmd_learn(const struct scl *s);
int cmd_eval(const struct scl *s);
int cmd_explain(const struct scl *s);

/* corpus.c: every message under paths (files, Maildir folders, mbox
 * files), given to fn; progress on a terminal. fn returns 0 to go on.
 * Returns 0, or -1 when a path could not be read (logged). */
typedef int (*corpus_fn)(const char *msg, size_t len, const char *where, void *ctx);
int corpus_walk(const char *const *paths, size_t n, const char *what, corpus_fn fn, void *ctx);
/* Progress line on stderr when it is a terminal. */
void progress_update(const char *what, size_t done, bool final);

#endif
