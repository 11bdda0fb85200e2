// SPDX-License-Identifier: GPL-2.0
/* echomap map: results in, an image out, written atomically. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>

#include "cmd/commands.h"
#include "lib/log.h"
#include "map/map.h"
#include "map/space.h"
#include "report/clickhouse.h"
#include "report/output.h"

/*
 * The cell array (64 MiB for the whole space) is written at random: on huge pages, where the
 * kernel allows them, that costs neither a page fault per 4 KiB nor a page walk per result.
 */
static void *alloc_huge(size_t n)
{
	size_t huge = 2 << 20;
	void *p = aligned_alloc(huge, (n + huge - 1) / huge * huge);

	if (p)
		madvise(p, n, MADV_HUGEPAGE);
	return p;
}

int map_run(const struct config *cfg)
{
	const char *path = cfg->targets[0];
	struct map m = { 0 };
	struct out_sink out;
	struct stat st;
	size_t n_cells;
	FILE *in;
	int rc;

	if (cfg->map6)
		map_geometry6(&m.g, cfg->map_net6, cfg->map_len, cfg->map_size);
	else
		map_geometry(&m.g, cfg->map_net, cfg->map_len, cfg->map_size);
	n_cells = (size_t)m.g.cols * m.g.rows;
	if (cfg->map_fmt == MAP_SVG && n_cells > MAP_SVG_MAX_CELLS) {
		pr_warn("SVG takes at most %u cells (a /16 at one address each): use PNG, a longer "
			"--prefix or a smaller --size\n",
			MAP_SVG_MAX_CELLS);
		return EXIT_USAGE;
	}
	if (ch_is_url(path)) {
		in = ch_select_results(path, cfg->where);
		if (!in)
			return EXIT_SYSTEM;
	} else {
		in = strcmp(path, "-") ? fopen(path, "r") : stdin;
	}
	if (!in) {
		pr_warn("cannot open %s: %s\n", path, strerror(errno));
		return EXIT_USAGE;
	}
	/* The results' own time, for the title; now when they come from a pipe. */
	m.when = !fstat(fileno(in), &st) && S_ISREG(st.st_mode) ? st.st_mtime : time(NULL);
	/* An unwritable output is found before reading, not after. FMT_TEXT: no header. */
	if (out_open(&out, cfg->output, FMT_TEXT)) {
		rc = EXIT_SYSTEM;
		goto out_in;
	}
	m.cell = alloc_huge(n_cells * sizeof(*m.cell));
	if (!m.cell) {
		pr_warn("out of memory for %zu cells\n", n_cells);
		rc = EXIT_SYSTEM;
		goto out_abort;
	}
	for (size_t i = 0; i < n_cells; i++)
		m.cell[i] = NAN;

	rc = map_read(&m, in, path);
	if (rc) {
		rc = rc == -EIO ? EXIT_SYSTEM : EXIT_USAGE;
		goto out_abort;
	}
	if (m.outside)
		pr_warn("results outside the map's prefix, left out: %llu (see --prefix)\n",
			m.outside);
	pr_info("%llu results drawn, %llu alive; %ux%u cells of /%u, %u pixels each\n", m.probed,
		m.alive, m.g.cols, m.g.rows, map_cell_len(&m.g), m.g.zoom);
	if (map_render(&m, cfg->map_fmt, cfg->title ?: "ICMP echo latency map", out.f)) {
		rc = EXIT_SYSTEM;
		goto out_abort;
	}
	rc = out_commit(&out) ? EXIT_SYSTEM : EXIT_ALL_UP;
	goto out_free;
out_abort:
	out_abort(&out);
out_free:
	free(m.cell);
out_in:
	if (in != stdin)
		fclose(in);
	return rc;
}
