/* Prints the shared config sections (log, directory, dns, tls) as mdoc, for the
 * generated part of postern.json(5). */
#include <stdio.h>

#include "conf/conf.h"
#include "dir/dir.h"
#include "dns/dns.h"
#include "tls/tls.h"

int main(void)
{
	static const struct conf_section *const shared[] = {
		&log_conf_section, &dir_conf_section, &dns_conf_section, &tls_conf_section, NULL
	};

	conf_doc_mdoc(stdout, shared);
	return 0;
}
