/* scl-score: spam confidence level for a message (SPEC section 4): the
 * filter, check, and the model's training and inspection commands. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/prog.h"
#include "dir/dir.h"
#include "spam/model.h"
#include "spam/safelist.h"
#include "util/exitcodes.h"
#include "util/msg.h"
#include "scl-score.h"

enum {
	O_MODEL = 'm',
	O_SPAM = OPT_ID(0), O_HAM, O_FORGET, O_BATCH, O_BYPASS, O_SENDER, O_SENDER_IP,
	O_RCPT, O_BITS, O_EPOCHS, O_TOP,
};

static const struct opt scl_opts[] = {
	{ "model", O_MODEL, OPT_ARG, "FILE", "file", "the model file (default from the config)" },
	{ "spam", O_SPAM, OPT_NOARG, NULL, NULL, "the paths that follow (or the message) are spam" },
	{ "ham", O_HAM, OPT_NOARG, NULL, NULL, "the paths that follow (or the message) are ham" },
	{ "forget", O_FORGET, OPT_NOARG, NULL, NULL, "learn: un-learn a message learnt before" },
	{ "batch", O_BATCH, OPT_NOARG, NULL, NULL, "check: score the message files given, in one process" },
	{ "bypass", O_BYPASS, OPT_NOARG, NULL, NULL, "the caller trusts the message: SCL -1" },
	{ "sender", O_SENDER, OPT_ARG, "ADDR", NULL, "the envelope sender (safe and blocked senders)" },
	{ "sender-ip", O_SENDER_IP, OPT_ARG, "IP", NULL, "the client IP (allowed_ips)" },
	{ "recipient", O_RCPT, OPT_ARG, "ADDR", NULL, "a recipient (repeatable): exemptions, directory" },
	{ "bits", O_BITS, OPT_ARG, "N", NULL, "train: 2^N feature buckets (16-22, default 19)" },
	{ "epochs", O_EPOCHS, OPT_ARG, "N", NULL, "train: passes over the corpus (default 10)" },
	{ "top", O_TOP, OPT_ARG, "N", NULL, "explain: how many features to show (default 20)" },
	{ NULL }
};

static const struct opt_cmd scl_cmds[] = {
	{ "filter", "< MSG", "copy the message adding X-Postern-SCL and X-Postern-Spam (the default)" },
	{ "check", "[--batch FILE...] < MSG", "print scl=N action=ACTION p=P" },
	{ "train", "--spam PATH... --ham PATH...", "build a new model from files, Maildirs, mboxes" },
	{ "learn", "--spam|--ham [--forget] < MSG", "learn (or un-learn) one message" },
	{ "eval", "--spam PATH... --ham PATH...", "error rates per SCL threshold, 1-ROCA%" },
	{ "explain", "< MSG", "JSON: the features that weighed most" },
	{ "safelist-hash", "ADDR...", "the directory's 4-byte hash of each address" },
	{ NULL }
};

static const struct conf_key scl_keys[] = {
	{ "model", CONF_PATH, "\"/var/lib/postern/scl-score.model\"", 0, 0, NULL, NULL, 0,
	  "the model file (train writes it, learn updates it)" },
	{ "exchange_header", CONF_BOOL, "false", 0, 0, NULL, NULL, 0,
	  "also write X-MS-Exchange-Organization-SCL (and remove one from outside)" },
	{ "actions", CONF_INCLUDE, NULL, 0, 0, NULL, scl_policy_keys, 0, NULL },
	{ "allowed_phrases", CONF_STRINGS, "[]", 0, 0, NULL, NULL, 0,
	  "phrases that force SCL 0 (case-insensitive, subject and body text)" },
	{ "blocked_phrases", CONF_STRINGS, "[]", 0, 0, NULL, NULL, 0,
	  "phrases that force SCL 9 (case-insensitive, subject and body text)" },
	{ "allowed_ips", CONF_STRINGS, "[]", 0, 0, NULL, NULL, 0,
	  "client addresses or CIDR prefixes whose mail bypasses (SCL -1)" },
	{ "exempt_recipients", CONF_STRINGS, "[]", 0, 0, NULL, NULL, 0,
	  "recipient addresses or @domains whose mail bypasses (SCL -1)" },
	{ "directory", CONF_BOOL, "false", 0, 0, NULL, NULL, 0,
	  "look recipients up for safe senders, blocked senders and their junk threshold" },
	{ "scan_size", CONF_SIZE, "\"512k\"", 4096, 64LL << 20, NULL, NULL, 0,
	  "bytes of a message parsed for scoring" },
	{ "max_size", CONF_SIZE, "\"64M\"", 65536, 1LL << 30, NULL, NULL, 0,
	  "bytes the filter holds in memory; the rest streams through unscored" },
	{ NULL }
};
static const struct conf_section scl_section = {
	"scl-score", scl_keys, "spam confidence level"
};
static const struct conf_section *const sections[] = {
	&log_conf_section, &dir_conf_section, &scl_section, NULL
};

static int parse_uint(const char *s, unsigned lo, unsigned hi, unsigned *out)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);

	if (end == s || *end || v < lo || v > hi)
		return -1;
	*out = (unsigned)v;
	return 0;
}

static int add_path(struct cli *c, const char *path)
{
	if (c->cls < 0) {
		fprintf(stderr, "scl-score: '%s': say --spam or --ham before paths\n", path);
		return -1;
	}
	if ((c->cls ? c->nspam : c->nham) == PATHS_MAX) {
		fprintf(stderr, "scl-score: more than %d paths\n", PATHS_MAX);
		return -1;
	}
	if (c->cls)
		c->spam_paths[c->nspam++] = path;
	else
		c->ham_paths[c->nham++] = path;
	return 0;
}

/* An operand among the options: paths go to the class the last
 * --spam/--ham named. */
static int operand_path(const char *path, void *ctx)
{
	return add_path(ctx, path);
}

static int cli_option(int id, const char *arg, void *ctx)
{
	struct cli *c = ctx;

	switch (id) {
	case O_MODEL: c->model = arg; break;
	case O_SPAM: c->spam = true; c->cls = 1; break;
	case O_HAM: c->ham = true; c->cls = 0; break;
	case O_FORGET: c->forget = true; break;
	case O_BATCH: c->batch = true; break;
	case O_BYPASS: c->bypass = true; break;
	case O_SENDER: c->sender = arg; break;
	case O_SENDER_IP: c->sender_ip = arg; break;
	case O_RCPT:
		if (c->nrcpt == RCPT_MAX) {
			fprintf(stderr, "scl-score: more than %d --recipient options\n", RCPT_MAX);
			return -1;
		}
		c->rcpt[c->nrcpt++] = arg;
		break;
	case O_BITS:
		if (parse_uint(arg, SPAM_BITS_MIN, SPAM_BITS_MAX, &c->bits) < 0) {
			fprintf(stderr, "scl-score: --bits takes 16 to 22\n");
			return -1;
		}
		break;
	case O_EPOCHS:
		if (parse_uint(arg, 1, 100, &c->epochs) < 0) {
			fprintf(stderr, "scl-score: --epochs takes 1 to 100\n");
			return -1;
		}
		break;
	case O_TOP:
		if (parse_uint(arg, 1, 10000, &c->top) < 0) {
			fprintf(stderr, "scl-score: --top takes 1 to 10000\n");
			return -1;
		}
		break;
	default: return -1;
	}
	return 0;
}

/* Zeroed (not in the file's data: 64 KiB of path arrays); main sets cls. */
static struct cli cli;

static const struct prog scl_prog = {
	"scl-score", "[options] [command] [--spam|--ham] [PATH...]",
	"spam confidence level of a message; train and inspect the model",
	scl_opts, scl_cmds, sections, cli_option, &cli, NULL,
};

static void settle(struct scl *s, const struct prog_state *st)
{
	const json_t *sec = conf_section(st->conf, "scl-score");
	static const char *allowed[256], *blocked[256];

	memset(s, 0, sizeof(*s));
	s->st = st;
	s->cli = &cli;
	s->model_path = cli.model ? cli.model : conf_str(sec, "model");
	scl_policy_from_conf(&s->pol, sec);
	for (size_t i = 0; i < conf_strings_len(sec, "allowed_phrases") && i < 256; i++)
		allowed[s->nallowed++] = conf_strings_at(sec, "allowed_phrases", i);
	for (size_t i = 0; i < conf_strings_len(sec, "blocked_phrases") && i < 256; i++)
		blocked[s->nblocked++] = conf_strings_at(sec, "blocked_phrases", i);
	s->allowed = allowed;
	s->blocked = blocked;
	s->exchange_header = conf_bool(sec, "exchange_header");
	s->use_directory = conf_bool(sec, "directory");
	s->scan_bytes = (size_t)conf_int(sec, "scan_size");
	s->max_bytes = (size_t)conf_int(sec, "max_size");
	s->lim.scan_bytes = s->scan_bytes;
}

static int safelist_cmd(const struct prog_state *st);

int main(int argc, char **argv)
{
	struct prog_state st;
	struct scl s;
	const char *cmd;
	int rc;

	signal(SIGPIPE, SIG_IGN);
	cli.cls = -1;
	/* The only JSON read is the admin's config: a fixed hash seed
	 * saves opening /dev/urandom in each process. */
	json_object_seed(0x5c15c0e);
	/* A check reads a dozen of the keys of its sections. */
	conf_lazy_defaults(true);
	cmd = prog_take_command(&scl_prog, &argc, argv);
	prog_start(&scl_prog, &st, argc, argv);
	if (cmd == NULL && st.argc > 0) {
		fprintf(stderr, "scl-score: unknown command '%s'; see --help\n", st.argv[0]);
		return EX_USAGE;
	}
	if (cmd == NULL)
		cmd = "filter";
	if (strcmp(cmd, "safelist-hash") == 0) {
		rc = safelist_cmd(&st);
		conf_free(st.conf);
		return rc;
	}
	if (strcmp(cmd, "check") != 0 || !cli.batch)
		prog_rest_args(&st, operand_path);
	settle(&s, &st);
	if (strcmp(cmd, "filter") == 0)
		rc = cmd_filter(&s);
	else if (strcmp(cmd, "check") == 0)
		rc = cmd_check(&s, st.argc, st.argv);
	else if (strcmp(cmd, "train") == 0)
		rc = cmd_train(&s);
	else if (strcmp(cmd, "learn") == 0)
		rc = cmd_learn(&s);
	else if (strcmp(cmd, "eval") == 0)
		rc = cmd_eval(&s);
	else
		rc = cmd_explain(&s);
	conf_free(st.conf);
	return rc;
}

static int safelist_cmd(const struct prog_state *st)
{
	if (st->argc == 0) {
		fprintf(stderr, "scl-score: safelist-hash needs at least one address\n");
		return EX_USAGE;
	}
	for (int i = 0; i < st->argc; i++) {
		unsigned char h[SAFELIST_HASH_LEN];

		safelist_hash(st->argv[i], strlen(st->argv[i]), h);
		printf("%02x%02x%02x%02x  %s\n", h[0], h[1], h[2], h[3], st->argv[i]);
	}
	return fflush(stdout) == 0 ? 0 : EX_IOERR;
}
