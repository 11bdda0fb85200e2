// SPDX-License-Identifier: GPL-2.0
/*
 * A map's cells drawn: every address of the prefix on a Hilbert curve, so that each sub-prefix
 * is a compact square, each cell coloured by the lowest RTT seen in it on a log-scaled viridis
 * ramp. Output is an 8-bit palette PNG (a few colours, so small and fast to encode) or, for
 * small prefixes, SVG.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <png.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/log.h"
#include "map/font.h"
#include "map/hilbert.h"
#include "map/map.h"
#include "map/space.h"

#define GAP_ZOOM      8	    /* cells this big get a one-pixel outline */
#define LABEL_ZOOM    24    /* cells this big show their address, and RTT from 40 up */
#define RTT_FLOOR_US  1.0   /* log scale: anything faster counts as 1 us */
#define HIST_DECADE   64    /* RTT histogram bins per decade, from RTT_FLOOR_US up */
#define HIST_BINS     (9 * HIST_DECADE)

enum { PAL_BG, PAL_SILENT, PAL_GRID, PAL_FAINT, PAL_INK, RAMP_BASE, RAMP_N = 256 - RAMP_BASE };

/* matplotlib's viridis (CC0) at 33 even steps; linear in between stays within 2/255 of it. */
static const __u8 viridis[33][3] = {
	{ 68, 1, 84 },    { 71, 13, 96 },   { 72, 24, 106 },  { 72, 35, 116 },  { 71, 45, 123 },
	{ 69, 54, 129 },  { 66, 64, 134 },  { 63, 73, 137 },  { 59, 82, 139 },  { 55, 90, 141 },
	{ 51, 99, 141 },  { 47, 106, 142 }, { 44, 114, 142 }, { 41, 122, 142 }, { 38, 129, 142 },
	{ 35, 137, 142 }, { 33, 144, 140 }, { 31, 152, 139 }, { 31, 159, 136 }, { 33, 166, 133 },
	{ 40, 174, 128 }, { 49, 181, 123 }, { 62, 188, 116 }, { 76, 194, 108 }, { 93, 201, 99 },
	{ 110, 206, 88 }, { 130, 211, 76 }, { 150, 216, 63 }, { 171, 220, 50 }, { 192, 223, 36 },
	{ 213, 226, 26 }, { 234, 229, 26 }, { 253, 231, 37 },
};

struct scale {
	double lo, hi; /* us, the ends of the ramp */
	float log_lo, inv_span;
};

struct canvas {
	enum map_fmt fmt;
	unsigned int w, h;
	__u8 *px; /* PNG: one palette index per pixel */
	FILE *f;  /* SVG: elements are written as they are drawn */
	__u8 pal[256][3];
};

static unsigned int text_w(const char *s, unsigned int scale)
{
	size_t n = strlen(s);

	return n ? (n * FONT_ADV - 1) * scale : 0;
}

void map_geometry(struct map_geom *g, __u32 net, unsigned int len, unsigned int size)
{
	unsigned int bits = 32 - len, r, u, pad, w, h, legend_w, legend_h;

	memset(g, 0, sizeof(*g));
	g->net = len ? net & ~0U << (32 - len) : 0;
	g->len = len;
	/* The finest cells whose grid fits: the long side is 2^ceil(cell-count bits / 2). */
	while (1U << (bits - g->cell_bits + 1) / 2 > size)
		g->cell_bits += 2;
	r = bits - g->cell_bits;
	g->order = (r + 1) / 2;
	g->cols = 1U << g->order;
	g->rows = g->cols >> (r & 1);
	g->zoom = size / g->cols < MAP_ZOOM_MAX ? size / g->cols : MAP_ZOOM_MAX;
	w = g->cols * g->zoom;
	h = g->rows * g->zoom;

	u = g->unit = w < 3200 ? 1 + w / 1600 : 3;
	pad = 10 * u;
	/* Title (scale 2u) and subtitle (u) above; the frame takes a pixel around the map. */
	g->x0 = pad + 1;
	g->y0 = 2 * pad + 27 * u;
	/* Legend: heading, a 12u x 180u bar with ticks, then two swatches with their labels. */
	g->lx = g->x0 + w + 2 * pad;
	legend_w = text_w("round-trip time", u);
	legend_h = 12 * u + 180 * u + 12 * u + 15 * u + 9 * u;
	g->width = g->lx + legend_w + pad;
	g->height = (h > legend_h ? h : legend_h) + g->y0 + pad;
}

static void build_palette(__u8 pal[256][3])
{
	static const __u32 fixed[RAMP_BASE] = {
		[PAL_BG] = MAP_RGB_BG,
		[PAL_SILENT] = MAP_RGB_SILENT,
		[PAL_GRID] = MAP_RGB_GRID,
		[PAL_FAINT] = MAP_RGB_FAINT,
		[PAL_INK] = MAP_RGB_INK,
	};

	for (int i = 0; i < RAMP_BASE; i++)
		for (int c = 0; c < 3; c++)
			pal[i][c] = fixed[i] >> (16 - 8 * c);
	for (int i = 0; i < RAMP_N; i++) {
		double p = i * 32.0 / (RAMP_N - 1);
		int k = p < 32 ? (int)p : 31;

		for (int c = 0; c < 3; c++)
			pal[RAMP_BASE + i][c] =
			    lrint(viridis[k][c] + (p - k) * (viridis[k + 1][c] - viridis[k][c]));
	}
}

/* The 1-2-5 series value at or above (up) or at or below v, so legend ends read cleanly. */
static double nice(double v, bool up)
{
	static const double steps[] = { 1, 2, 5, 10 };
	double d = pow(10, floor(log10(v)));

	if (up) {
		for (int i = 0; i < 4; i++)
			if (steps[i] * d >= v * (1 - 1e-9))
				return steps[i] * d;
	}
	for (int i = 3; i > 0; i--)
		if (steps[i] * d <= v * (1 + 1e-9))
			return steps[i] * d;
	return d;
}

/*
 * The range of the cells' RTTs from the 1st to the 99th percentile, so that a few stragglers of
 * seconds do not squeeze everything else into one colour, widened to 1-2-5 values; 0.1 ms to
 * 1 s when nothing answered. Below a hundred cells that is the plain minimum and maximum.
 */
static void make_scale(struct scale *s, const struct map *m)
{
	unsigned long long hist[HIST_BINS] = { 0 }, n = 0, seen = 0, lo_rank, hi_rank;
	size_t n_cells = (size_t)m->g.cols * m->g.rows;
	float min = INFINITY, max = 0;
	int b, lo_bin = -1;

	for (size_t i = 0; i < n_cells; i++) {
		float v = m->cell[i];

		if (isnan(v) || isinf(v))
			continue;
		min = fminf(min, v);
		max = fmaxf(max, v);
		hist[(int)fminf(log10f(fmaxf(v, RTT_FLOOR_US)) * HIST_DECADE, HIST_BINS - 1)]++;
		n++;
	}
	s->lo = 100;
	s->hi = 1e6;
	if (n) {
		lo_rank = n / 100;
		hi_rank = n - 1 - n / 100;
		for (b = 0; seen <= hi_rank; b++) {
			seen += hist[b];
			if (lo_bin < 0 && seen > lo_rank)
				lo_bin = b;
		}
		/* b is one past the bin holding the high percentile: its upper edge. */
		s->lo = fmax(pow(10, (double)lo_bin / HIST_DECADE), min);
		s->hi = fmin(pow(10, (double)b / HIST_DECADE), max);
		s->lo = nice(fmax(s->lo, RTT_FLOOR_US), false);
		s->hi = nice(fmax(s->hi, RTT_FLOOR_US), true);
		if (s->hi <= s->lo)
			s->hi = nice(s->lo * 1.5, true);
	}
	s->log_lo = logf(s->lo);
	s->inv_span = 1 / logf(s->hi / s->lo);
}

static double scale_pos(const struct scale *s, float rtt_us)
{
	float t = (logf(fmaxf(rtt_us, RTT_FLOOR_US)) - s->log_lo) * s->inv_span;

	return t < 0 ? 0 : t > 1 ? 1 : t;
}

static int ramp(double t)
{
	return RAMP_BASE + (int)lrint(t * (RAMP_N - 1));
}

static int cell_colour(const struct scale *s, float v)
{
	if (isnan(v))
		return PAL_BG;
	return isinf(v) ? PAL_SILENT : ramp(scale_pos(s, v));
}

/* Black or white, whichever reads better on the given colour. */
static int ink_on(const struct canvas *c, int colour)
{
	const __u8 *p = c->pal[colour];

	return 299 * p[0] + 587 * p[1] + 114 * p[2] > 140000 ? PAL_INK : PAL_BG;
}

static void fill(struct canvas *c, int x, int y, int w, int h, int colour)
{
	const __u8 *p = c->pal[colour];

	if (c->fmt == MAP_SVG) {
		fprintf(c->f,
			"<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" "
			"fill=\"#%02x%02x%02x\"/>\n",
			x, y, w, h, p[0], p[1], p[2]);
		return;
	}
	/* Clipped, so that a layout slip costs a cut-off label rather than memory. */
	if (x < 0) {
		w += x;
		x = 0;
	}
	if (y < 0) {
		h += y;
		y = 0;
	}
	if (x + w > (int)c->w)
		w = c->w - x;
	if (y + h > (int)c->h)
		h = c->h - y;
	for (int r = 0; r < h && w > 0; r++)
		memset(c->px + (size_t)(y + r) * c->w + x, colour, w);
}

/* Anything but printable ASCII becomes '?', in SVG as in the bitmap font. */
static void svg_text(FILE *f, const char *s)
{
	for (; *s; s++) {
		unsigned char ch = *s;

		if (ch == '&')
			fputs("&amp;", f);
		else if (ch == '<')
			fputs("&lt;", f);
		else if (ch == '>')
			fputs("&gt;", f);
		else
			fputc(ch >= ' ' && ch <= '~' ? ch : '?', f);
	}
}

/* Text with its top-left corner at (x, y), FONT_ADV x FONT_H pixels per character at scale 1. */
static void text(struct canvas *c, int x, int y, unsigned int scale, int colour, const char *s)
{
	const __u8 *p = c->pal[colour];

	if (c->fmt == MAP_SVG) {
		/* A monospace em of 10: about 6 wide, capitals 7 high, like the bitmap font. */
		fprintf(c->f, "<text x=\"%d\" y=\"%u\" font-size=\"%u\" fill=\"#%02x%02x%02x\">", x,
			y + FONT_H * scale, 10 * scale, p[0], p[1], p[2]);
		svg_text(c->f, s);
		fputs("</text>\n", c->f);
		return;
	}
	for (; *s; s++, x += FONT_ADV * scale) {
		const unsigned char *g = font_glyph(*s);

		for (int row = 0; row < FONT_H; row++)
			for (int col = 0; col < FONT_W; col++)
				if (g[row] >> (FONT_W - 1 - col) & 1)
					fill(c, x + col * scale, y + row * scale, scale, scale,
					     colour);
	}
}

/* Text on a background box, for labels drawn over data. */
static void label(struct canvas *c, int x, int y, unsigned int u, const char *s)
{
	fill(c, x, y, text_w(s, u) + 2 * u, (FONT_H + 2) * u, PAL_BG);
	text(c, x + u, y + u, u, PAL_INK, s);
}

/* "20 us", "1.5 ms", "1 s" */
static void fmt_us(char *buf, size_t n, double us)
{
	if (us < 1e3)
		snprintf(buf, n, "%g us", us);
	else if (us < 1e6)
		snprintf(buf, n, "%g ms", us / 1e3);
	else
		snprintf(buf, n, "%g s", us / 1e6);
}

/* At most six characters, to fit a 40-pixel cell: "0.08ms", "12.3ms", "850ms", "1.5s" */
static void fmt_cell_rtt(char *buf, size_t n, double us)
{
	if (us < 1e4)
		snprintf(buf, n, "%.*fms", us < 1e3 ? 2 : 1, us / 1e3);
	else if (us < 1e6)
		snprintf(buf, n, "%.0fms", us / 1e3);
	else
		snprintf(buf, n, "%.*fs", us < 1e7 ? 1 : 0, us / 1e6);
}

/* The pixel line in front of cell column or row i: in the gap when cells have outlines. */
static int edge(const struct map_geom *g, unsigned int origin, unsigned int i)
{
	return origin + i * g->zoom - (g->zoom >= GAP_ZOOM);
}

static void draw_cell_outlines(struct canvas *c, const struct map_geom *g)
{
	for (unsigned int i = 1; i < g->cols; i++)
		fill(c, edge(g, g->x0, i), g->y0, 1, g->rows * g->zoom, PAL_FAINT);
	for (unsigned int i = 1; i < g->rows; i++)
		fill(c, g->x0, edge(g, g->y0, i), g->cols * g->zoom, 1, PAL_FAINT);
}

/* Cells big enough to carry their own address (see draw_cell_labels). */
static bool cells_labelled(const struct map_geom *g)
{
	return !g->cell_bits && !g->shift6 && g->zoom >= LABEL_ZOOM;
}

/*
 * Lines around the next octet-aligned sub-prefixes (the /8s of the whole space, the /24s of a
 * /16), labelled with their leading octets. Drawn under the data when called with labels false,
 * so a line never hides a result; the labels go on top afterwards. Over labelled cells they are
 * small, to stay in the strip above a cell's own text.
 */
static void draw_boundaries(struct canvas *c, const struct map_geom *g, bool labels)
{
	unsigned int level = (g->len / 8 + 1) * 8, side, side_px;
	unsigned int u = cells_labelled(g) ? 1 : g->unit;
	char buf[16];

	/* An IPv6 map's lines are its /LEN+8s, but its octets are no labels for them. */
	if (g->len >= 24 || 32 - level <= g->cell_bits || (labels && g->v6))
		return;
	side = 1U << (32 - level - g->cell_bits) / 2;
	side_px = side * g->zoom;
	if (side_px < 8)
		return;
	for (__u32 k = 0; k < 1U << (level - g->len); k++) {
		__u32 net = g->net + (k << (32 - level)), x, y;
		int px, py, n = 0;

		hilbert_d2xy(g->order, k << (32 - level - g->cell_bits), &x, &y);
		/* The curve enters a square at a corner, not always the top-left one. */
		x &= ~(side - 1);
		y &= ~(side - 1);
		px = g->x0 + x * g->zoom;
		py = g->y0 + y * g->zoom;
		if (!labels) {
			if (x)
				fill(c, edge(g, g->x0, x), py, 1, side_px, PAL_GRID);
			if (y)
				fill(c, px, edge(g, g->y0, y), side_px, 1, PAL_GRID);
			continue;
		}
		for (unsigned int o = 0; o < level / 8; o++)
			n += snprintf(buf + n, sizeof(buf) - n, "%s%u", o ? "." : "",
				      net >> (24 - 8 * o) & 0xff);
		/* A label hides what is under it: only where it takes a corner, not the square. */
		if (2 * (text_w(buf, u) + 3 * u) <= side_px && 2 * (FONT_H + 3) * u <= side_px)
			label(c, px + u, py + u, u, buf);
	}
}

static void draw_cells(struct canvas *c, const struct map *m, const struct scale *s)
{
	const struct map_geom *g = &m->g;
	unsigned int z = g->zoom, inner = z - (z >= GAP_ZOOM);

	for (unsigned int y = 0; y < g->rows; y++) {
		const float *row = m->cell + (size_t)y * g->cols;

		for (unsigned int x = 0; x < g->cols; x++)
			if (!isnan(row[x]))
				fill(c, g->x0 + x * z, g->y0 + y * z, inner, inner,
				     cell_colour(s, row[x]));
	}
}

/* The last octet in every cell, and the RTT when there is room: a small prefix stays readable. */
static void draw_cell_labels(struct canvas *c, const struct map *m, const struct scale *s)
{
	const struct map_geom *g = &m->g;
	unsigned int z = g->zoom, big = z >= 40, oct_scale = big ? 2 : 1;
	char buf[16];

	if (!cells_labelled(g))
		return;
	for (__u32 d = 0; d < g->cols * g->rows; d++) {
		__u32 x, y;
		float v;
		int px, py, ink, top;

		hilbert_d2xy(g->order, d, &x, &y);
		v = m->cell[(size_t)y * g->cols + x];
		ink = isnan(v) ? PAL_GRID : ink_on(c, cell_colour(s, v));
		px = g->x0 + x * z;
		py = g->y0 + y * z;
		/* Octet and RTT lines stacked and centred: 7 * 2 + 4 + 7 pixels. */
		top = py + (z - (big ? 25 : FONT_H)) / 2;
		snprintf(buf, sizeof(buf), g->v6 ? "%x" : "%u", (g->net + d) & 0xff);
		text(c, px + ((int)z - (int)text_w(buf, oct_scale)) / 2, top, oct_scale, ink, buf);
		if (!big || isnan(v) || isinf(v))
			continue;
		fmt_cell_rtt(buf, sizeof(buf), v);
		text(c, px + ((int)z - (int)text_w(buf, 1)) / 2, top + 18, 1, ink, buf);
	}
}

static void draw_legend(struct canvas *c, const struct map *m, const struct scale *s)
{
	const struct map_geom *g = &m->g;
	unsigned int u = g->unit, bar_h = 180 * u, top = g->y0 + 12 * u, tx = g->lx + 17 * u;
	int placed[32], n_placed = 0;
	double ticks[32];
	int n_ticks = 0;
	char buf[16];

	text(c, g->lx, g->y0, u, PAL_INK, "round-trip time");
	/* Slow at the top, one row per pixel: the ramp is stretched or sampled to fit. */
	for (unsigned int i = 0; i < bar_h; i++)
		fill(c, g->lx, top + i, 12 * u, 1, ramp(1 - (double)i / (bar_h - 1)));

	/* Ends first, then decades (and 2s and 5s in a short range), none crowding another. */
	ticks[n_ticks++] = s->lo;
	ticks[n_ticks++] = s->hi;
	for (double d = pow(10, floor(log10(s->lo))); d < s->hi && n_ticks < 30; d *= 10) {
		ticks[n_ticks++] = d;
		if (s->hi / s->lo <= 100) {
			ticks[n_ticks++] = 2 * d;
			ticks[n_ticks++] = 5 * d;
		}
	}
	for (int i = 0; i < n_ticks; i++) {
		double t = log(ticks[i] / s->lo) / log(s->hi / s->lo);
		int y = top + lrint((1 - t) * (bar_h - 1)), j;

		if (t < -1e-9 || t > 1 + 1e-9)
			continue;
		for (j = 0; j < n_placed && abs(placed[j] - y) >= (int)(10 * u); j++)
			;
		if (j < n_placed)
			continue;
		placed[n_placed++] = y;
		fill(c, g->lx + 12 * u, y, 3 * u, u, PAL_INK);
		fmt_us(buf, sizeof(buf), ticks[i]);
		text(c, tx, y - FONT_H * u / 2, u, PAL_INK, buf);
	}

	top += bar_h + 12 * u;
	fill(c, g->lx, top, 12 * u, 9 * u, PAL_SILENT);
	text(c, tx, top + u, u, PAL_INK, "no reply");
	top += 15 * u;
	fill(c, g->lx, top, 12 * u, 9 * u, PAL_GRID);
	fill(c, g->lx + 1, top + 1, 12 * u - 2, 9 * u - 2, PAL_BG);
	text(c, tx, top + u, u, PAL_INK, "not probed");
}

static void draw(struct canvas *c, const struct map *m, const char *title, const char *sub)
{
	const struct map_geom *g = &m->g;
	unsigned int u = g->unit, pad = 10 * u, w = g->cols * g->zoom, h = g->rows * g->zoom;
	unsigned int gap = g->zoom >= GAP_ZOOM;
	struct scale s;

	make_scale(&s, m);
	if (c->fmt == MAP_SVG)
		fill(c, 0, 0, c->w, c->h, PAL_BG);
	text(c, pad, pad, 2 * u, PAL_INK, title);
	text(c, pad, pad + 20 * u, u, PAL_INK, sub);
	if (gap)
		draw_cell_outlines(c, g);
	draw_boundaries(c, g, false);
	draw_cells(c, m, &s);
	/* The frame sits in the cells' gap when they have one, else just outside the map. */
	fill(c, g->x0 - 1, g->y0 - 1, w + 2 - gap, 1, PAL_GRID);
	fill(c, g->x0 - 1, g->y0 + h - gap, w + 2 - gap, 1, PAL_GRID);
	fill(c, g->x0 - 1, g->y0 - 1, 1, h + 2 - gap, PAL_GRID);
	fill(c, g->x0 + w - gap, g->y0 - 1, 1, h + 2 - gap, PAL_GRID);
	draw_cell_labels(c, m, &s);
	draw_boundaries(c, g, true);
	draw_legend(c, m, &s);
}

static int write_png(FILE *f, const struct canvas *c, const char *title)
{
	png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
	png_infop info = png ? png_create_info_struct(png) : NULL;
	png_color plte[256];
	png_text txt[] = {
		{ .compression = PNG_TEXT_COMPRESSION_NONE, .key = "Title", .text = (char *)title },
		{ .compression = PNG_TEXT_COMPRESSION_NONE, .key = "Software", .text = "echomap" },
	};

	if (!info) {
		png_destroy_write_struct(&png, NULL);
		return -ENOMEM;
	}
	/* libpng reports its errors (a full disk, say) on stderr, then lands here. */
	if (setjmp(png_jmpbuf(png))) {
		png_destroy_write_struct(&png, &info);
		return -EIO;
	}
	png_init_io(png, f);
	png_set_IHDR(png, info, c->w, c->h, 8, PNG_COLOR_TYPE_PALETTE, PNG_INTERLACE_NONE,
		     PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
	for (int i = 0; i < 256; i++)
		plte[i] = (png_color){ c->pal[i][0], c->pal[i][1], c->pal[i][2] };
	png_set_PLTE(png, info, plte, 256);
	png_set_text(png, info, txt, 2);
	/* Filters do not help palette images; a low level keeps a 4096-pixel map well under 1 s. */
	png_set_filter(png, 0, PNG_FILTER_NONE);
	png_set_compression_level(png, 3);
	png_write_info(png, info);
	for (unsigned int y = 0; y < c->h; y++)
		png_write_row(png, c->px + (size_t)y * c->w);
	png_write_end(png, NULL);
	png_destroy_write_struct(&png, &info);
	return 0;
}

int map_render(const struct map *m, enum map_fmt fmt, const char *title, FILE *f)
{
	const struct map_geom *g = &m->g;
	struct canvas c = { .fmt = fmt, .f = f };
	char sub[256], when[32], prefix[INET6_ADDRSTRLEN + 4], cell[48];
	unsigned int u = g->unit;
	int err;

	map_prefix_text(g, prefix, sizeof(prefix));
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M UTC", gmtime(&m->when));
	if (map_cell_len(g) < 128 && g->v6)
		snprintf(cell, sizeof(cell), "/%u", map_cell_len(g));
	else if (g->cell_bits)
		snprintf(cell, sizeof(cell), "/%u (%u addresses)", 32 - g->cell_bits,
			 1U << g->cell_bits);
	else
		snprintf(cell, sizeof(cell), "1 address");
	snprintf(sub, sizeof(sub), "%s   %s   %llu alive / %llu probed (%.1f%%)   1 cell = %s",
		 prefix, when, m->alive, m->probed, m->probed ? 100.0 * m->alive / m->probed : 0.0,
		 cell);

	c.w = g->width;
	if (c.w < text_w(title, 2 * u) + 20 * u)
		c.w = text_w(title, 2 * u) + 20 * u;
	if (c.w < text_w(sub, u) + 20 * u)
		c.w = text_w(sub, u) + 20 * u;
	c.h = g->height;
	build_palette(c.pal);

	if (c.fmt == MAP_SVG) {
		fprintf(f,
			"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%u\" height=\"%u\" "
			"shape-rendering=\"crispEdges\" font-family=\"monospace\">\n<title>",
			c.w, c.h);
		svg_text(f, title);
		fputs("</title>\n", f);
		draw(&c, m, title, sub);
		fputs("</svg>\n", f);
		return 0;
	}
	c.px = malloc((size_t)c.w * c.h);
	if (!c.px) {
		pr_warn("out of memory for a %ux%u image\n", c.w, c.h);
		return -ENOMEM;
	}
	memset(c.px, PAL_BG, (size_t)c.w * c.h);
	draw(&c, m, title, sub);
	err = write_png(f, &c, title);
	free(c.px);
	return err;
}
