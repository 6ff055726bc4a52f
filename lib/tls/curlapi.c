/* libcurl through dlopen (see curlapi.h). */
#include <dlfcn.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "tls/curlapi.h"

#define LIBCURL "libcurl.so.4"

static struct curl_api api;
static bool tried, ok;
static char failed[200];

/* dlsym returns void *; copying the bytes keeps the conversion to a
 * function pointer well defined. */
static bool sym(void *lib, const char *name, void *slot, size_t size)
{
	void *p = dlsym(lib, name);

	if (p == NULL) {
		snprintf(failed, sizeof(failed), "%s has no %s", LIBCURL, name);
		return false;
	}
	memcpy(slot, &p, size);
	return true;
}

#define SYM(lib, name, field) sym(lib, name, &api.field, sizeof(api.field))

const struct curl_api *curl_api(const char **why)
{
	void *lib;

	if (!tried) {
		tried = true;
		lib = dlopen(LIBCURL, RTLD_NOW | RTLD_LOCAL);
		if (lib == NULL)
			snprintf(failed, sizeof(failed), "cannot load %s: %s", LIBCURL, dlerror());
		else
			ok = SYM(lib, "curl_global_init", global_init) &&
			     SYM(lib, "curl_easy_init", easy_init) &&
			     SYM(lib, "curl_easy_setopt", easy_setopt) &&
			     SYM(lib, "curl_easy_perform", easy_perform) &&
			     SYM(lib, "curl_easy_getinfo", easy_getinfo) &&
			     SYM(lib, "curl_easy_cleanup", easy_cleanup) &&
			     SYM(lib, "curl_easy_strerror", easy_strerror) &&
			     SYM(lib, "curl_slist_append", slist_append) &&
			     SYM(lib, "curl_slist_free_all", slist_free_all);
		if (ok)
			api.global_init(CURL_GLOBAL_DEFAULT);
	}
	if (!ok && why)
		*why = failed[0] ? failed : "cannot start libcurl";
	return ok ? &api : NULL;
}
