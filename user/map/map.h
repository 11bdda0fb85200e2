/* SPDX-License-Identifier: GPL-2.0 */
/* A latency map: sweep results read into cells along a Hilbert curve, drawn by round-trip time. */
#ifndef ECHOMAP_MAP_MAP_H
#define ECHOMAP_MAP_MAP_H

#include <stdbool.h>
#include <stdio.h>
#include <time.h>
#include <linux/types.h>

/* Colours outside the viridis RTT ramp, as 0xRRGGBB. */
#define MAP_RGB_BG     0xffffff /* page, and space that was not probed */
#define MAP_RGB_SILENT 0xbebebe /* probed, no echo reply */
#define MAP_RGB_GRID   0x8c8c8c /* frame and prefix boundaries */
#define MAP_RGB_FAINT  0xe0e0e0 /* outlines of cells big enough to have them */
#define MAP_RGB_INK    0x000000 /* text */

#define MAP_SIZE_MIN	  16
#define MAP_SIZE_MAX	  8192
#define MAP_ZOOM_MAX	  48	/* pixels per cell side at most: a /24 is 768 pixels wide */
#define MAP_SVG_MAX_CELLS 65536 /* one element per cell: a /16 at one address per cell */

enum map_fmt { MAP_PNG, MAP_SVG };

/* Where things go: the prefix in cells of 4^k addresses on a curve, zoomed, and the legend. */
struct map_geom {
	__u32 net; /* host order */
	unsigned int len;
	unsigned int cell_bits;	    /* log2 of the addresses in a cell; even */
	unsigned int order;	    /* of the Hilbert curve over the cells */
	unsigned int cols, rows;    /* cells; rows = cols / 2 when the cell count is 2 * 4^k */
	unsigned int zoom;	    /* pixels per cell side */
	unsigned int unit;	    /* text scale: 1 for maps up to 1600 pixels, at most 3 */
	unsigned int x0, y0;	    /* top-left pixel of the map */
	unsigned int lx;	    /* left edge of the legend */
	unsigned int width, height; /* of the image; a long title may widen it */
	/* An IPv6 map (space.h): net and len above are the 32 bits drawn, shift6 above bit 0. */
	bool v6;
	__u8 net6[16];
	unsigned int len6, shift6;
};

/*
 * Lays out a map of net/len whose longer side is at most size pixels: the smallest cells
 * that fit, each drawn as a zoom x zoom square.
 */
void map_geometry(struct map_geom *g, __u32 net, unsigned int len, unsigned int size);

struct map {
	struct map_geom g;
	float *cell; /* raster order; NAN: not probed, INFINITY: no reply, else lowest RTT in us */
	unsigned long long probed, alive, outside, malformed;
	time_t when;
};

/*
 * Every result of in (sweep -F json or -F csv; path names it in messages) into m's cells, which
 * the caller has set to NAN: 0, -EINVAL when there is nothing to draw (after saying why), -EIO
 * on a read error.
 */
int map_read(struct map *m, FILE *in, const char *path);

/* m drawn into f under title; 0, or -ENOMEM / -EIO after saying why. */
int map_render(const struct map *m, enum map_fmt fmt, const char *title, FILE *f);

#endif
