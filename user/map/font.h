/* SPDX-License-Identifier: GPL-2.0 */
/* Built-in 5x7 bitmap font; a character cell is FONT_ADV x FONT_H pixels at scale 1. */
#ifndef ECHOMAP_MAP_FONT_H
#define ECHOMAP_MAP_FONT_H

#define FONT_W	 5
#define FONT_H	 7
#define FONT_ADV 6 /* glyph width plus one column of spacing */

/* FONT_H rows of the glyph of c, bit FONT_W - 1 leftmost; '?' for anything not printable ASCII. */
const unsigned char *font_glyph(char c);

#endif
