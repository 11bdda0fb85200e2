// SPDX-License-Identifier: GPL-2.0
/*
 * echomap map: the Hilbert mapping against the textbook rotation algorithm, the layout, and
 * rendered maps read back with libpng: known addresses must have their RTT's colour, silent
 * ones the no-reply colour, the rest the background. Bad input: exit codes, messages with line
 * numbers, and nothing left behind.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <png.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "cmd/commands.h"
#include "config.h"
#include "map/hilbert.h"
#include "map/map.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static char dir[64];

/* ---- the Hilbert curve ---- */

/* The textbook version (Wikipedia's d2xy): bottom-up, rotating the partial result per level. */
static void ref_d2xy(unsigned int order, __u32 d, __u32 *x, __u32 *y)
{
	__u32 rx, ry, t = d, tmp;

	*x = *y = 0;
	for (__u32 s = 1; s < 1U << order; s *= 2) {
		rx = 1 & (t / 2);
		ry = 1 & (t ^ rx);
		if (!ry) {
			if (rx) {
				*x = s - 1 - *x;
				*y = s - 1 - *y;
			}
			tmp = *x;
			*x = *y;
			*y = tmp;
		}
		*x += s * rx;
		*y += s * ry;
		t /= 4;
	}
	/* echomap draws the transpose, so that a half-square block lies flat. */
	tmp = *x;
	*x = *y;
	*y = tmp;
}

static __u64 rng = 0x9e3779b97f4a7c15ULL;

static __u32 rand32(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng >> 32;
}

static void test_hilbert_vs_textbook(void **state)
{
	for (unsigned int order = 1; order <= 16; order++) {
		__u64 n = 1ULL << 2 * order;
		unsigned int checks = n <= 4096 ? n : 20000;

		for (unsigned int i = 0; i < checks; i++) {
			__u32 d = n <= 4096 ? i : (__u32)(rand32() & (n - 1)), x, y, rx, ry;

			hilbert_d2xy(order, d, &x, &y);
			ref_d2xy(order, d, &rx, &ry);
			if (x != rx || y != ry)
				fail_msg("order %u d %u: (%u,%u), textbook (%u,%u)", order, d, x, y,
					 rx, ry);
		}
	}
}

/* Corners and quadrant entries: the layout the map's description promises. */
static void test_hilbert_corners(void **state)
{
	for (unsigned int order = 1; order <= 16; order++) {
		__u32 side = 1U << order, h = side / 2, q = (__u32)(1ULL << 2 * (order - 1)), x, y;
		const struct {
			__u32 d, x, y;
		} pts[] = {
			{ 0, 0, 0 },		       /* starts top-left */
			{ q, h, 0 },		       /* top-right quadrant */
			{ 2 * q, h, h },	       /* bottom-right */
			{ 3 * q, h - 1, side - 1 },    /* bottom-left, entered on the right */
			{ 4 * q - 1, 0, side - 1 },    /* ends bottom-left */
			{ 2 * q - 1, h, h - 1 },       /* top half first, left at x = h */
		};

		for (size_t i = 0; i < ARRAY_SIZE(pts); i++) {
			hilbert_d2xy(order, pts[i].d, &x, &y);
			if (x != pts[i].x || y != pts[i].y)
				fail_msg("order %u d %u: (%u,%u), expected (%u,%u)", order,
					 pts[i].d, x, y, pts[i].x, pts[i].y);
		}
	}
}

/* Every point once, each step to a neighbour, and every aligned 4^k block an aligned square. */
static void test_hilbert_shape(void **state)
{
	enum { ORDER = 7, SIDE = 1 << ORDER };
	static bool seen[SIDE][SIDE];
	__u32 px = 0, py = 0, x, y;

	for (__u32 d = 0; d < SIDE * SIDE; d++) {
		hilbert_d2xy(ORDER, d, &x, &y);
		assert_true(x < SIDE && y < SIDE);
		assert_false(seen[y][x]);
		seen[y][x] = true;
		if (d)
			assert_int_equal(abs((int)x - (int)px) + abs((int)y - (int)py), 1);
		px = x;
		py = y;
	}
	for (unsigned int k = 1; k < ORDER; k++) {
		__u32 side = 1U << k;

		for (__u32 b = 0; b < SIDE * SIDE; b += side * side) {
			__u32 x0, y0;

			hilbert_d2xy(ORDER, b, &x0, &y0);
			x0 &= ~(side - 1);
			y0 &= ~(side - 1);
			for (__u32 d = b; d < b + side * side; d++) {
				hilbert_d2xy(ORDER, d, &x, &y);
				assert_true(x - x0 < side && y - y0 < side);
			}
		}
	}
}

/* ---- layout ---- */

static void test_geometry(void **state)
{
	static const struct {
		const char *net;
		unsigned int len, size, cell_bits, cols, rows, zoom;
	} cases[] = {
		{ "0.0.0.0", 0, 4096, 8, 4096, 4096, 1 }, /* the default: one /24 per pixel */
		{ "0.0.0.0", 0, 8192, 6, 8192, 8192, 1 },
		{ "0.0.0.0", 0, 16, 24, 16, 16, 1 },
		{ "10.0.0.0", 8, 4096, 0, 4096, 4096, 1 },
		{ "10.0.0.0", 9, 4096, 0, 4096, 2048, 1 }, /* 2 * 4^11 addresses: wide */
		{ "10.0.0.0", 9, 3000, 2, 2048, 1024, 1 }, /* does not fit: cells of 4 */
		{ "10.1.0.0", 16, 4096, 0, 256, 256, 16 },
		{ "198.18.5.0", 24, 4096, 0, 16, 16, MAP_ZOOM_MAX },
		{ "198.18.5.0", 24, 500, 0, 16, 16, 31 },
		{ "198.18.4.0", 23, 4096, 0, 32, 16, MAP_ZOOM_MAX },
		{ "198.18.5.6", 31, 4096, 0, 2, 1, MAP_ZOOM_MAX },
		{ "198.18.5.6", 32, 4096, 0, 1, 1, MAP_ZOOM_MAX },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct map_geom g;
		struct in_addr a;

		inet_pton(AF_INET, cases[i].net, &a);
		map_geometry(&g, ntohl(a.s_addr) | 1, cases[i].len, cases[i].size);
		if (g.cell_bits != cases[i].cell_bits || g.cols != cases[i].cols ||
		    g.rows != cases[i].rows || g.zoom != cases[i].zoom)
			fail_msg("%s/%u in %u: cells of %u bits %ux%u zoom %u", cases[i].net,
				 cases[i].len, cases[i].size, g.cell_bits, g.cols, g.rows, g.zoom);
		/* Host bits dropped; the map fits the size and the image holds map and legend. */
		assert_int_equal(g.net, (ntohl(a.s_addr) | 1) &
					    (cases[i].len ? ~0U << (32 - cases[i].len) : 0));
		assert_true(g.cols * g.zoom <= cases[i].size);
		assert_true(g.x0 + g.cols * g.zoom < g.lx && g.lx < g.width);
		assert_true(g.y0 + g.rows * g.zoom < g.height);
	}
}

/* ---- helpers for whole runs ---- */

static char *path(const char *name)
{
	static char buf[4][128];
	static int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", dir, name);
	return buf[i];
}

static void write_file(const char *name, const char *text)
{
	FILE *f = fopen(path(name), "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* echomap's own JSON line for one result: rtt_us < 0 writes a timeout. */
static void json_row(FILE *f, const char *addr, double rtt_us)
{
	if (rtt_us < 0)
		fprintf(f,
			"{\"saddr\":\"%s\",\"name\":null,\"rtt_us\":null,\"ttl\":null,"
			"\"classification\":\"timeout\",\"success\":false,\"repeat\":false,"
			"\"replies\":0,\"scope\":\"public\",\"icmp_type\":null,\"icmp_code\":null,"
			"\"from\":null}\n",
			addr);
	else
		fprintf(f,
			"{\"saddr\":\"%s\",\"name\":\"h-%s\",\"rtt_us\":%.3f,\"ttl\":61,"
			"\"classification\":\"echoreply\",\"success\":true,\"repeat\":false,"
			"\"replies\":1,\"scope\":\"public\",\"icmp_type\":0,\"icmp_code\":0,"
			"\"from\":\"%s\"}\n",
			addr, addr, rtt_us, addr);
}

/* Runs the command line through cli_parse and map_run; stderr goes to *err when asked. */
static int run(char **err, const char *arg, ...)
{
	char *argv[32] = { "echomap", "map" };
	int argc = 2, rc, saved;
	struct config cfg;
	FILE *cap = NULL;
	va_list ap;

	va_start(ap, arg);
	for (const char *a = arg; a; a = va_arg(ap, const char *))
		argv[argc++] = (char *)a;
	va_end(ap);
	argv[argc] = NULL;

	fflush(stderr);
	saved = dup(2);
	if (err) {
		cap = tmpfile();
		assert_non_null(cap);
		dup2(fileno(cap), 2);
	}
	rc = cli_parse(argc, argv, &cfg);
	rc = rc ? EXIT_USAGE : map_run(&cfg);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	if (err) {
		long n = ftell(cap);

		*err = calloc(1, n + 1);
		rewind(cap);
		assert_int_equal(fread(*err, 1, n, cap), (size_t)n);
		fclose(cap);
	}
	return rc;
}

struct image {
	unsigned int w, h;
	__u8 *rgb;
};

static void read_png(const char *file, struct image *im)
{
	png_image img = { .version = PNG_IMAGE_VERSION };

	assert_true(png_image_begin_read_from_file(&img, file));
	img.format = PNG_FORMAT_RGB;
	im->w = img.width;
	im->h = img.height;
	im->rgb = malloc(PNG_IMAGE_SIZE(img));
	assert_non_null(im->rgb);
	assert_true(png_image_finish_read(&img, NULL, im->rgb, 0, NULL));
}

static __u32 pixel(const struct image *im, unsigned int x, unsigned int y)
{
	const __u8 *p = im->rgb + ((size_t)y * im->w + x) * 3;

	assert_true(x < im->w && y < im->h);
	return p[0] << 16 | p[1] << 8 | p[2];
}

/* The colour near the top-left corner of the cell holding addr (clear of labels and gaps). */
static __u32 cell_pixel(const struct image *im, const struct map_geom *g, const char *addr)
{
	struct in_addr a;
	__u32 x, y;

	assert_int_equal(inet_pton(AF_INET, addr, &a), 1);
	ref_d2xy(g->order, (ntohl(a.s_addr) - g->net) >> g->cell_bits, &x, &y);
	return pixel(im, g->x0 + x * g->zoom + g->zoom / 16, g->y0 + y * g->zoom + g->zoom / 16);
}

static void assert_rgb_near(__u32 got, __u32 want, int tol, const char *what)
{
	for (int s = 0; s < 24; s += 8)
		if (abs((int)(got >> s & 0xff) - (int)(want >> s & 0xff)) > tol)
			fail_msg("%s: #%06x, expected #%06x", what, got, want);
}

/* No temporary output may survive a run, failed or not. */
static void assert_no_temp_files(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	assert_non_null(d);
	while ((e = readdir(d)))
		if (strstr(e->d_name, ".tmp."))
			fail_msg("temporary file left behind: %s", e->d_name);
	closedir(d);
}

/* ---- rendering ---- */

/*
 * A /24: five RTTs at the quarters of a log scale from 0.1 ms to 100 ms (which the scale's
 * ends then are), so their colours are viridis at 0, 1/4, 1/2, 3/4 and 1 (matplotlib's
 * values); some silent hosts; the rest not probed.
 */
static const struct {
	const char *addr;
	double rtt_us;
	__u32 rgb;
} known[] = {
	{ "198.18.5.1", 100, 0x440154 },
	{ "198.18.5.77", 562.341, 0x3b528b },
	{ "198.18.5.130", 3162.278, 0x21918c },
	{ "198.18.5.200", 17782.794, 0x5ec962 },
	{ "198.18.5.255", 100000, 0xfde725 },
};
static const char *const silent[] = { "198.18.5.0", "198.18.5.64", "198.18.5.128" };
static const char *const unprobed[] = { "198.18.5.2", "198.18.5.100", "198.18.5.254" };

static void write_known(const char *name)
{
	FILE *f = fopen(path(name), "w");

	assert_non_null(f);
	for (size_t i = 0; i < ARRAY_SIZE(known); i++)
		json_row(f, known[i].addr, known[i].rtt_us);
	for (size_t i = 0; i < ARRAY_SIZE(silent); i++)
		json_row(f, silent[i], -1);
	/* Outside the prefix: counted apart, not drawn. */
	json_row(f, "203.0.113.9", 5);
	fclose(f);
}

static void check_known(const char *png)
{
	struct map_geom g;
	struct image im;

	map_geometry(&g, 0xc6120500, 24, 4096);
	read_png(png, &im);
	assert_int_equal(im.w, g.width);
	assert_int_equal(im.h, g.height);
	assert_int_equal(g.cols * g.zoom, 16 * MAP_ZOOM_MAX);
	for (size_t i = 0; i < ARRAY_SIZE(known); i++)
		assert_rgb_near(cell_pixel(&im, &g, known[i].addr), known[i].rgb, 3, known[i].addr);
	for (size_t i = 0; i < ARRAY_SIZE(silent); i++)
		assert_rgb_near(cell_pixel(&im, &g, silent[i]), MAP_RGB_SILENT, 0, silent[i]);
	for (size_t i = 0; i < ARRAY_SIZE(unprobed); i++)
		assert_rgb_near(cell_pixel(&im, &g, unprobed[i]), MAP_RGB_BG, 0, unprobed[i]);
	free(im.rgb);
}

static void test_render_known(void **state)
{
	char *err;

	write_known("known.json");
	assert_int_equal(run(&err, "--prefix", "198.18.5.0/24", "-o", path("known.png"),
			     path("known.json"), NULL),
			 EXIT_ALL_UP);
	assert_non_null(strstr(err, "outside the map's prefix, left out: 1 "));
	free(err);
	check_known(path("known.png"));
	assert_no_temp_files();
}

/* The same results as CSV, with Windows line ends, draw the same map. */
static void test_render_csv(void **state)
{
	FILE *f = fopen(path("known.csv"), "w");

	assert_non_null(f);
	fputs("saddr,name,rtt_us,ttl,classification,success,repeat,scope,icmp_type,icmp_code,"
	      "from\r\n",
	      f);
	for (size_t i = 0; i < ARRAY_SIZE(known); i++)
		fprintf(f, "%s,,%.3f,61,echoreply,1,0,public,0,0,%s\r\n", known[i].addr,
			known[i].rtt_us, known[i].addr);
	for (size_t i = 0; i < ARRAY_SIZE(silent); i++)
		fprintf(f, "%s,,,,timeout,0,0,public,,,\r\n", silent[i]);
	fclose(f);
	assert_int_equal(run(NULL, "--prefix", "198.18.5.0/24", "--size", "4096", "-o",
			     path("csv.png"), path("known.csv"), NULL),
			 EXIT_ALL_UP);
	check_known(path("csv.png"));
}

/* The whole space at one /16 per pixel: cells merge addresses, the lowest RTT wins. */
static void test_render_whole_space(void **state)
{
	FILE *f = fopen(path("space.json"), "w");
	struct map_geom g;
	struct image im;

	assert_non_null(f);
	json_row(f, "10.1.2.3", -1);
	json_row(f, "10.1.200.3", 2000);
	json_row(f, "10.1.9.9", 1000); /* same /16: this one colours it */
	json_row(f, "172.16.0.1", -1);
	json_row(f, "203.0.113.7", 1000);
	fclose(f);
	assert_int_equal(
	    run(NULL, "--size", "256", "-o", path("space.png"), path("space.json"), NULL),
	    EXIT_ALL_UP);
	map_geometry(&g, 0, 0, 256);
	assert_int_equal(g.cell_bits, 16);
	read_png(path("space.png"), &im);
	/* The subtitle is wider than this small map and its legend: it widens the image. */
	assert_true(im.w > g.width);
	assert_int_equal(im.h, g.height);
	/* One RTT value: the scale runs from it (1 ms) up to 2 ms, so it is viridis' start. */
	assert_rgb_near(cell_pixel(&im, &g, "10.1.0.0"), 0x440154, 3, "10.1/16");
	assert_rgb_near(cell_pixel(&im, &g, "203.0.113.0"), 0x440154, 3, "203.0/16");
	assert_rgb_near(cell_pixel(&im, &g, "172.16.0.0"), MAP_RGB_SILENT, 0, "172.16/16");
	/* Unprobed: the background, unless the line along a /8's left or top edge is there. */
	for (__u32 b = 2; b < 256; b++) {
		bool on_line;
		__u32 x, y;

		ref_d2xy(g.order, 10 << 8 | b, &x, &y);
		on_line = (x && x % 16 == 0) || (y && y % 16 == 0);
		assert_int_equal(pixel(&im, g.x0 + x, g.y0 + y),
				 on_line ? MAP_RGB_GRID : MAP_RGB_BG);
	}
	free(im.rgb);
}

/* The default full-space map, 4096 x 4096 cells, from 200000 scattered results (its speed is
 * measured by make bench, not here). */
static void test_render_large(void **state)
{
	FILE *f = fopen(path("big.json"), "w");
	struct stat st;
	char addr[16];

	assert_non_null(f);
	for (int i = 0; i < 200000; i++) {
		__u32 a = rand32();

		snprintf(addr, sizeof(addr), "%u.%u.%u.%u", a >> 24, a >> 16 & 0xff, a >> 8 & 0xff,
			 a & 0xff);
		json_row(f, addr, i % 3 ? 100.0 + i % 100000 : -1);
	}
	fclose(f);
	assert_int_equal(run(NULL, "-o", path("big.png"), path("big.json"), NULL), EXIT_ALL_UP);
	assert_int_equal(stat(path("big.png"), &st), 0);
	assert_true(st.st_size > 4096);
	unlink(path("big.json"));
	unlink(path("big.png"));
}

static void test_svg(void **state)
{
	char *svg, *p, *err;
	int silent_rects = 0;
	FILE *f;
	long n;

	write_known("svg.json");
	assert_int_equal(run(&err, "--prefix", "198.18.5.0/24", "-F", "svg", "--title", "a<b&c",
			     "-o", path("m.svg"), path("svg.json"), NULL),
			 EXIT_ALL_UP);
	free(err);
	f = fopen(path("m.svg"), "r");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	svg = calloc(1, n + 1);
	assert_int_equal(fread(svg, 1, n, f), (size_t)n);
	fclose(f);
	assert_memory_equal(svg, "<svg ", 5);
	assert_non_null(strstr(svg, "<title>a&lt;b&amp;c</title>"));
	assert_non_null(strstr(svg, "</svg>\n"));
	/* One rectangle per silent cell, and the legend's swatch. */
	for (p = svg; (p = strstr(p, "fill=\"#bebebe\"")); p++)
		silent_rects++;
	assert_int_equal(silent_rects, ARRAY_SIZE(silent) + 1);
	free(svg);
	/* A cell per address of a /8 is far too many elements. */
	assert_int_equal(run(&err, "--prefix", "10.0.0.0/8", "-F", "svg", "-o", path("big.svg"),
			     path("svg.json"), NULL),
			 EXIT_USAGE);
	assert_non_null(strstr(err, "SVG takes at most 65536 cells"));
	free(err);
	assert_int_equal(access(path("big.svg"), F_OK), -1);
}

/* ---- bad input ---- */

static void test_empty_input(void **state)
{
	char *err, buf[8] = "";
	FILE *f;

	write_file("empty.json", "");
	/* An existing map stays as it was when the new one cannot be drawn. */
	write_file("keep.png", "old");
	assert_int_equal(run(&err, "-o", path("keep.png"), path("empty.json"), NULL), EXIT_USAGE);
	assert_non_null(strstr(err, "empty.json: no results to draw (empty file)"));
	free(err);
	write_file(
	    "header.csv",
	    "saddr,name,rtt_us,ttl,classification,success,repeat,scope,icmp_type,icmp_code,from\n");
	assert_int_equal(run(&err, "-o", path("keep.png"), path("header.csv"), NULL), EXIT_USAGE);
	assert_non_null(strstr(err, "no results to draw"));
	free(err);
	write_file("text.txt", "198.18.0.1 rtt=0.081ms ttl=61\n");
	assert_int_equal(run(&err, "-o", path("keep.png"), path("text.txt"), NULL), EXIT_USAGE);
	assert_non_null(strstr(err, "text.txt:1: not echomap results"));
	free(err);
	assert_int_equal(run(&err, "-o", path("keep.png"), path("missing.json"), NULL), EXIT_USAGE);
	assert_non_null(strstr(err, "cannot open"));
	free(err);

	f = fopen(path("keep.png"), "r");
	assert_non_null(f);
	assert_non_null(fgets(buf, sizeof(buf), f));
	fclose(f);
	assert_string_equal(buf, "old");
	assert_no_temp_files();
}

static int count_lines(const char *s, const char *needle)
{
	int n = 0;

	for (const char *p = s; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

static void test_malformed_lines(void **state)
{
	FILE *f = fopen(path("bad.json"), "w");
	char *err, want[160];
	struct map_geom g;
	struct image im;

	assert_non_null(f);
	/* Line 1 good; 2 bad address; 3 bad RTT; 4 blank; 5 no RTT; 6 no comma; 7 good. */
	json_row(f, "198.18.5.1", 100);
	fputs("{\"saddr\":\"198.18.5.300\",\"rtt_us\":1}\n", f);
	fputs("{\"saddr\":\"198.18.5.3\",\"rtt_us\":\"x\",\"classification\":\"echoreply\"}\n", f);
	fputs("\n", f);
	fputs("{\"saddr\":\"198.18.5.4\",\"classification\":\"echoreply\"}\n", f);
	fputs("{\"saddr\":\"198.18.5.5\" \"rtt_us\":1}\n", f);
	fputs("{\"name\":\"a\\\"b}\",\"saddr\":\"198.18.5.6\",\"rtt_us\":100000}\n", f);
	/* 8 to 22: a nested value; 23: text after the object; 24: a good timeout. */
	for (int i = 0; i < 15; i++)
		fputs("{\"saddr\":\"198.18.5.9\",\"rtt_us\":{}}\n", f);
	fputs("{\"saddr\":\"198.18.5.10\"} trailing\n", f);
	json_row(f, "198.18.5.11", -1);
	fclose(f);

	assert_int_equal(
	    run(&err, "--prefix", "198.18.5.0/24", "-o", path("bad.png"), path("bad.json"), NULL),
	    EXIT_ALL_UP);
	/* Line numbers count blank lines too; ten named, the rest only counted. */
	for (int line = 2; line <= 8; line++) {
		snprintf(want, sizeof(want), "%s:%d: ", path("bad.json"), line);
		if ((line == 4 || line == 7) != !strstr(err, want))
			fail_msg("line %d: %s", line, err);
	}
	snprintf(want, sizeof(want), "%s:13: ", path("bad.json"));
	assert_non_null(strstr(err, want));
	snprintf(want, sizeof(want), "%s:14: ", path("bad.json"));
	assert_null(strstr(err, want));
	assert_int_equal(count_lines(err, "\n"), 11);
	assert_non_null(strstr(err, "20 malformed lines skipped, the first 10 shown"));
	free(err);

	/* The good lines are drawn. */
	map_geometry(&g, 0xc6120500, 24, 4096);
	read_png(path("bad.png"), &im);
	assert_rgb_near(cell_pixel(&im, &g, "198.18.5.1"), 0x440154, 3, "line 1");
	assert_rgb_near(cell_pixel(&im, &g, "198.18.5.6"), 0xfde725, 3, "line 7");
	assert_rgb_near(cell_pixel(&im, &g, "198.18.5.11"), MAP_RGB_SILENT, 0, "line 24");
	assert_rgb_near(cell_pixel(&im, &g, "198.18.5.3"), MAP_RGB_BG, 0, "line 3");
	free(im.rgb);

	/* Nothing valid at all: nothing to draw. */
	write_file("allbad.json", "{\"saddr\":1}\n{oops\n");
	assert_int_equal(run(&err, "-o", path("allbad.png"), path("allbad.json"), NULL),
			 EXIT_USAGE);
	assert_non_null(strstr(err, "no results to draw"));
	free(err);
	assert_int_equal(access(path("allbad.png"), F_OK), -1);
}

static void test_unwritable_output(void **state)
{
	char *err;

	write_known("w.json");
	assert_int_equal(run(&err, "-o", path("no/such/dir/map.png"), path("w.json"), NULL),
			 EXIT_SYSTEM);
	assert_non_null(strstr(err, "cannot write"));
	free(err);
	assert_no_temp_files();
}

/* --size and --format mean other things for sweep; map needs its output. */
static void test_cli(void **state)
{
	char *sweep_big[] = { "echomap", "sweep", "--size", "4096", "192.0.2.1", NULL };
	char *map_ok[] = { "echomap", "map", "--size", "4096", "-F", "svg", "--prefix",
			   "10.1.2.3/16", "-o", "x", "r.json", NULL };
	char *map_no_out[] = { "echomap", "map", "r.json", NULL };
	char *map_two[] = { "echomap", "map", "-o", "x", "a", "b", NULL };
	char *map_bad_prefix[] = { "echomap", "map", "--prefix", "10.1.2.3", "-o", "x", "a", NULL };
	char *map_big[] = { "echomap", "map", "--size", "9000", "-o", "x", "a", NULL };
	struct config cfg;
	int saved = dup(2), null = open("/dev/null", O_WRONLY);

	/* The rejections print one line each: not wanted in the TAP stream. */
	fflush(stderr);
	dup2(null, 2);
	assert_int_equal(cli_parse(5, sweep_big, &cfg), -EINVAL);
	assert_int_equal(cli_parse(3, map_no_out, &cfg), -EINVAL);
	assert_int_equal(cli_parse(6, map_two, &cfg), -EINVAL);
	assert_int_equal(cli_parse(7, map_bad_prefix, &cfg), -EINVAL);
	assert_int_equal(cli_parse(7, map_big, &cfg), -EINVAL);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	close(null);

	assert_int_equal(cli_parse(11, map_ok, &cfg), 0);
	assert_int_equal(cfg.cmd, CMD_MAP);
	assert_int_equal(cfg.map_size, 4096);
	assert_int_equal(cfg.map_fmt, MAP_SVG);
	assert_int_equal(cfg.map_net, 0x0a010203);
	assert_int_equal(cfg.map_len, 16);
	assert_string_equal(cfg.targets[0], "r.json");
}

static int setup(void **state)
{
	strcpy(dir, "/tmp/echomap-map-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[96];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_hilbert_vs_textbook),
	    cmocka_unit_test(test_hilbert_corners),
	    cmocka_unit_test(test_hilbert_shape),
	    cmocka_unit_test(test_geometry),
	    cmocka_unit_test(test_render_known),
	    cmocka_unit_test(test_render_csv),
	    cmocka_unit_test(test_render_whole_space),
	    cmocka_unit_test(test_render_large),
	    cmocka_unit_test(test_svg),
	    cmocka_unit_test(test_empty_input),
	    cmocka_unit_test(test_malformed_lines),
	    cmocka_unit_test(test_unwritable_output),
	    cmocka_unit_test(test_cli),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
