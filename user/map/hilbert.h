/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Hilbert curve: index along the curve -> point of the square. Address space drawn in curve
 * order keeps every aligned block of 4^k addresses (a prefix) on one 2^k x 2^k square.
 */
#ifndef ECHOMAP_MAP_HILBERT_H
#define ECHOMAP_MAP_HILBERT_H

#include <linux/types.h>

/*
 * Point d (d < 4^order) of the curve of the given order (side 2^order, order <= 16); x grows
 * to the right, y downwards. The curve starts at the top-left corner and ends at the
 * bottom-left one, and its first half fills the top half: a block of 2 * 4^k addresses is a
 * 2:1 wide rectangle. This is the transpose of the textbook (Wikipedia, Hacker's Delight)
 * orientation, which would make such blocks tall.
 */
void hilbert_d2xy(unsigned int order, __u32 d, __u32 *x, __u32 *y);

#endif
