// SPDX-License-Identifier: GPL-2.0
/*
 * LD_PRELOAD shim for the heatmeterd host tests: a resolver that hangs.
 * getaddrinfo() of a name ending in ".slow.test" touches $SLOWDNS_MARK
 * (so the test knows the resolution has started), sleeps $SLOWDNS_SECONDS
 * (default 4) and then answers 127.0.0.1: a DNS server that takes its time,
 * deterministic and without a network. Every other name goes to libc.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef int gai_fn(const char *, const char *, const struct addrinfo *, struct addrinfo **);

int getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
		struct addrinfo **res)
{
	gai_fn *next = (gai_fn *)dlsym(RTLD_NEXT, "getaddrinfo");
	static const char suffix[] = ".slow.test";
	size_t n = node ? strlen(node) : 0;

	if (n >= sizeof(suffix) - 1 && !strcmp(node + n - (sizeof(suffix) - 1), suffix)) {
		const char *mark = getenv("SLOWDNS_MARK"), *s = getenv("SLOWDNS_SECONDS");
		struct addrinfo h = { .ai_family = AF_INET, .ai_socktype = SOCK_STREAM };

		if (hints && (hints->ai_flags & AI_NUMERICHOST))
			return EAI_NONAME;	/* a name is not a number */
		if (mark)
			close(open(mark, O_WRONLY | O_CREAT | O_APPEND, 0644));
		sleep(s ? atoi(s) : 4);
		if (hints)
			h.ai_flags = hints->ai_flags & AI_NUMERICSERV;
		return next("127.0.0.1", service, &h, res);
	}
	return next(node, service, hints, res);
}
