// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "lib/bpf_map.h"
#include "lib/log.h"

void *bpf_map_mmap(int map_fd, size_t len, int prot, size_t *mapped, const char *what)
{
	size_t page = sysconf(_SC_PAGESIZE);
	void *mem;
	int err;

	*mapped = (len + page - 1) & ~(page - 1);
	mem = mmap(NULL, *mapped, prot, MAP_SHARED, map_fd, 0);
	if (mem != MAP_FAILED)
		return mem;
	err = errno;
	pr_warn("cannot map %s: %s\n", what, strerror(err));
	errno = err;
	return NULL;
}

const char *bpf_perm_hint(int err)
{
	if (err == -EPERM || err == -EACCES)
		return ": need root or CAP_BPF, CAP_NET_ADMIN and CAP_PERFMON";
	return "";
}

int bpf_percpu_sum(int map_fd, __u32 key, __u64 *sum)
{
	int ncpu = libbpf_num_possible_cpus();
	__u64 vals[ncpu > 0 ? ncpu : 1];

	if (ncpu <= 0)
		return ncpu ?: -EINVAL;
	if (bpf_map_lookup_elem(map_fd, &key, vals))
		return -errno;
	*sum = 0;
	for (int c = 0; c < ncpu; c++)
		*sum += vals[c];
	return 0;
}
