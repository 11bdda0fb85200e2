// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "lib/caps.h"

int caps_limit_thread(__u64 keep)
{
	/* pid 0: the calling thread, which is what capset changes. */
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];

	if (syscall(SYS_capget, &hdr, d))
		return -errno;
	for (int i = 0; i < _LINUX_CAPABILITY_U32S_3; i++) {
		__u32 k = keep >> (32 * i);

		d[i].effective &= k;
		d[i].permitted &= k;
		d[i].inheritable &= k;
	}
	return syscall(SYS_capset, &hdr, d) ? -errno : 0;
}
