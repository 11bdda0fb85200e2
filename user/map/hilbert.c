// SPDX-License-Identifier: GPL-2.0
/*
 * Hilbert index -> coordinates, top-down: two bits of the index pick a quadrant per level, and
 * the sub-curve's orientation is one of four symmetries of the square, tracked as a transpose
 * bit and a complement bit. They commute, so descending into a quadrant composes by XOR. A
 * fixed number of steps of a few bit operations each, and no branches.
 */
#include "map/hilbert.h"

void hilbert_d2xy(unsigned int order, __u32 d, __u32 *x, __u32 *y)
{
	__u32 px = 0, py = 0, swap = 0, flip = 0;

	for (int i = (int)order - 1; i >= 0; i--) {
		__u32 q = d >> 2 * i & 3;
		/* Quadrants in curve order: top-left, top-right, bottom-right, bottom-left. */
		__u32 qx = (q ^ q >> 1) & 1, qy = q >> 1;

		px = px << 1 | ((swap ? qy : qx) ^ flip);
		py = py << 1 | ((swap ? qx : qy) ^ flip);
		/* The first sub-curve is transposed, the last transposed and complemented. */
		swap ^= qx ^ 1;
		flip ^= (qx ^ 1) & qy;
	}
	*x = px;
	*y = py;
}
