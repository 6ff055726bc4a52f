/* certsel's private interface between option handling (main.c) and the
 * three ways of reporting (report.c): the path, --list/--json, --check. */
#ifndef POSTERN_CERTSEL_H
#define POSTERN_CERTSEL_H

#include <stdbool.h>
#include <time.h>

#include "tls/certstore.h"

/* Nagios plugin exit codes for --check. */
enum { CHECK_OK = 0, CHECK_WARNING = 1, CHECK_CRITICAL = 2, CHECK_UNKNOWN = 3 };

struct certsel {
	struct certstore_query q;
	const char *names[CERTSTORE_NAMES_MAX];
	time_t at;		/* the time judged at, never 0 */
	long warn_days;
	bool list, check, json;
};

/* Each returns the exit code. rc is certstore_select's result; why its
 * message. */
int report_path(const struct certsel *cs, int rc, const struct certstore_choice *ch,
		const struct certstore_list *l, const char *why);
int report_list(const struct certsel *cs, int rc, const struct certstore_list *l,
		const char *why);
int report_json(const struct certsel *cs, int rc, const struct certstore_choice *ch,
		const struct certstore_list *l, const char *why);
int report_check(const struct certsel *cs, int rc, const struct certstore_choice *ch,
		 const struct certstore_list *l, const char *why);

#endif
