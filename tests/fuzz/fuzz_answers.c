// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness for what c-ares hands over (user/names/resolve.c): an answer's address list,
 * built from the input (per node: family, TTL, address), taken as resolve_names() takes it,
 * first address or all. take_addrs() is static, so the harness includes resolve.c.
 */
#include "names/resolve.c"

#define MAX_NODES 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ares_addrinfo_node nodes[MAX_NODES];
	struct sockaddr_in6 addrs[MAX_NODES];
	struct resolved r = { 0 };
	size_t n = 0;
	int ttl;

	if (!size)
		return 0;
	/* 9 bytes a node: family (even: IPv4), TTL, 4 address bytes */
	for (size_t off = 1; off + 9 <= size && n < MAX_NODES; off += 9, n++) {
		memset(&addrs[n], 0, sizeof(addrs[n]));
		memcpy(&ttl, data + off + 1, sizeof(ttl));
		nodes[n] = (struct ares_addrinfo_node){
			.ai_ttl = ttl,
			.ai_family = data[off] & 1 ? AF_INET6 : AF_INET,
			.ai_addr = (struct sockaddr *)&addrs[n],
			.ai_addrlen = data[off] & 1 ? sizeof(addrs[n]) : sizeof(struct sockaddr_in),
		};
		addrs[n].sin6_family = nodes[n].ai_family;
		memcpy(nodes[n].ai_family == AF_INET ? (void *)&((struct sockaddr_in *)&addrs[n])->sin_addr
						     : (void *)&addrs[n].sin6_addr,
		       data + off + 5, 4);
		if (n)
			nodes[n - 1].ai_next = &nodes[n];
	}
	/* An answer with an address gives one of each family it has, or with all at least one. */
	if (take_addrs(&r, n ? nodes : NULL, data[0] & 1) == ARES_SUCCESS &&
	    (!(r.n + r.n6) || (!(data[0] & 1) && (r.n > 1 || r.n6 > 1))))
		abort();
	resolved_free(&r, 1);
	return 0;
}
