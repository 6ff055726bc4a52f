/* Exit codes: sysexits.h, as Postfix pipe(8) and sendmail read them. */
#ifndef POSTERN_UTIL_EXITCODES_H
#define POSTERN_UTIL_EXITCODES_H

#include <sysexits.h>

#define EX_NEGATIVE 1		/* a negative answer: check or verification failed */

#endif
