// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness for the results reader of echomap map (user/map/read.c): the input is a
 * results file, JSON lines or CSV, read onto a map whose prefix and size the first bytes choose.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "map/map.h"
#include "lib/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct map m = { 0 };
	size_t n_cells;
	FILE *in;

	log_level = LOG_WARN;
	if (size < 3) /* fmemopen() takes no empty buffer */
		return 0;
	/* The whole space, a /16 or a /24 of 198.18/15, on 16 to 256 pixels. */
	map_geometry(&m.g, data[0] % 3 == 0 ? 0 : 0xc6120000, (unsigned int[]){ 0, 16, 24 }[data[0] % 3],
		     16 << (data[1] % 5));
	n_cells = (size_t)m.g.cols * m.g.rows;
	m.cell = malloc(n_cells * sizeof(*m.cell));
	in = fmemopen((void *)(data + 2), size - 2, "r");
	if (!m.cell || !in)
		abort();
	for (size_t i = 0; i < n_cells; i++)
		m.cell[i] = NAN;
	map_read(&m, in, "fuzz");
	fclose(in);
	free(m.cell);
	return 0;
}
