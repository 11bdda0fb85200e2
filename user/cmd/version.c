// SPDX-License-Identifier: GPL-2.0
/* echomap --version. Only this file includes the generated build_info.h, so a new commit
 * recompiles it alone (and relinks). */
#include <bpf/libbpf.h>

#include "build_info.h"
#include "cmd/version.h"

void version_print(FILE *f)
{
	fprintf(f, "echomap %s (commit %s)\n", EM_VERSION, EM_COMMIT);
	/* libbpf says which one the dynamic linker picked; libxdp has no such call. */
	fprintf(f, "libbpf %u.%u (built against %s)\n", libbpf_major_version(),
		libbpf_minor_version(), EM_LIBBPF_BUILD);
	fprintf(f, "libxdp %s at build time (libxdp has no run-time version call)\n",
		EM_LIBXDP_BUILD);
}
