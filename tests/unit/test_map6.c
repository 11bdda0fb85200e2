// SPDX-License-Identifier: GPL-2.0
/*
 * echomap map of an IPv6 prefix: its layout (cells of the prefixes that fit), the address to
 * cell placement, and rendered maps read back with libpng: known results must have their RTT's
 * colour at their cell, silent ones the no-reply colour, the rest the background; results of
 * the other family or outside the prefix are left out and counted.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <png.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "cmd/commands.h"
#include "config.h"
#include "map/hilbert.h"
#include "map/map.h"
#include "map/space.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static char dir[64];

static char *path(const char *name)
{
	static char buf[4][128];
	static int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", dir, name);
	return buf[i];
}

/* echomap's own JSON line for one result: rtt_us < 0 writes a timeout. */
static void json_row(FILE *f, const char *addr, double rtt_us)
{
	if (rtt_us < 0)
		fprintf(f,
			"{\"saddr\":\"%s\",\"name\":null,\"rtt_us\":null,\"ttl\":null,"
			"\"classification\":\"timeout\",\"success\":false,\"repeat\":false,"
			"\"replies\":0,\"scope\":\"documentation\",\"icmp_type\":null,"
			"\"icmp_code\":null,\"from\":null}\n",
			addr);
	else
		fprintf(f,
			"{\"saddr\":\"%s\",\"name\":null,\"rtt_us\":%.3f,\"ttl\":64,"
			"\"classification\":\"echoreply\",\"success\":true,\"repeat\":false,"
			"\"replies\":1,\"scope\":\"documentation\",\"icmp_type\":129,"
			"\"icmp_code\":0,\"from\":\"%s\"}\n",
			addr, rtt_us, addr);
}

/* cli_parse and map_run on "echomap map ARGS"; stderr into *err. */
static int run(char **err, const char *arg, ...)
{
	char *argv[32] = { "echomap", "map" };
	int argc = 2, rc, saved;
	struct config cfg;
	FILE *cap = tmpfile();
	va_list ap;
	long n;

	va_start(ap, arg);
	for (const char *a = arg; a; a = va_arg(ap, const char *))
		argv[argc++] = (char *)a;
	va_end(ap);
	argv[argc] = NULL;
	assert_non_null(cap);
	fflush(stderr);
	saved = dup(2);
	dup2(fileno(cap), 2);
	rc = cli_parse(argc, argv, &cfg);
	rc = rc ? EXIT_USAGE : map_run(&cfg);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	n = ftell(cap);
	*err = calloc(1, n + 1);
	rewind(cap);
	assert_int_equal(fread(*err, 1, n, cap), (size_t)n);
	fclose(cap);
	for (const char *l = *err, *e; (e = strchr(l, '\n')); l = e + 1)
		printf("# stderr: %.*s\n", (int)(e - l), l);
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

/* The colour near the top-left corner of cell number d along the curve. */
static __u32 cell_pixel(const struct image *im, const struct map_geom *g, __u32 d)
{
	__u32 x, y;

	hilbert_d2xy(g->order, d, &x, &y);
	return pixel(im, g->x0 + x * g->zoom + g->zoom / 16, g->y0 + y * g->zoom + g->zoom / 16);
}

static void assert_rgb_near(__u32 got, __u32 want, int tol, const char *what)
{
	for (int s = 0; s < 24; s += 8)
		if (abs((int)(got >> s & 0xff) - (int)(want >> s & 0xff)) > tol)
			fail_msg("%s: #%06x, expected #%06x", what, got, want);
}

static void geometry6(struct map_geom *g, const char *net, unsigned int len, unsigned int size)
{
	__u8 b[16];

	assert_int_equal(inet_pton(AF_INET6, net, b), 1);
	map_geometry6(g, b, len, size);
}

static void test_geometry6(void **state)
{
	static const struct {
		const char *net;
		unsigned int len, size, cell_len, cols, rows;
	} cases[] = {
		{ "2001:db8::", 32, 4096, 56, 4096, 4096 }, /* the default size */
		{ "2001:db8::", 32, 256, 48, 256, 256 },
		{ "2001:db8::", 32, 8192, 58, 8192, 8192 },
		{ "2001:db8:1::", 48, 256, 64, 256, 256 },
		{ "::", 0, 4096, 24, 4096, 4096 },
		{ "2001:db8::", 96, 4096, 120, 4096, 4096 },
		{ "2001:db8::", 99, 4096, 122, 4096, 2048 }, /* 2^29 addresses: wide */
		{ "2001:db8:1::", 120, 4096, 128, 16, 16 },
		{ "2001:db8:1::7", 128, 4096, 128, 1, 1 },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct map_geom g;

		geometry6(&g, cases[i].net, cases[i].len, cases[i].size);
		if (map_cell_len(&g) != cases[i].cell_len || g.cols != cases[i].cols ||
		    g.rows != cases[i].rows)
			fail_msg("%s/%u in %u: cells of /%u, %ux%u", cases[i].net, cases[i].len,
				 cases[i].size, map_cell_len(&g), g.cols, g.rows);
		assert_true(g.v6);
		assert_true(g.cols * g.zoom <= cases[i].size);
	}
}

/* Where addresses land: the cell of their bits after the prefix, or outside. */
static void test_addr(void **state)
{
	struct map_geom g, g4;
	bool outside;
	__u32 a;

	(void)state;
	geometry6(&g, "2001:db8:ffff::1", 32, 256); /* host bits ignored */
	assert_null(map_addr(&g, "2001:db8:1::5", &a, &outside));
	assert_false(outside);
	assert_int_equal(a >> g.cell_bits, 1);
	assert_null(map_addr(&g, "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", &a, &outside));
	assert_false(outside);
	assert_int_equal(a >> g.cell_bits, 65535);
	assert_null(map_addr(&g, "2001:db9::", &a, &outside));
	assert_true(outside);
	assert_null(map_addr(&g, "198.18.0.1", &a, &outside));
	assert_true(outside);
	assert_non_null(map_addr(&g, "2001:db8::g", &a, &outside));
	/* An IPv4 map leaves IPv6 results out, as results outside its prefix. */
	map_geometry(&g4, 0, 0, 256);
	assert_null(map_addr(&g4, "2001:db8::1", &a, &outside));
	assert_true(outside);
	assert_null(map_addr(&g4, "198.18.0.1", &a, &outside));
	assert_false(outside);
	assert_int_equal(a, 0xc6120001);
	/* Past /96: the address's own last bits. */
	geometry6(&g, "2001:db8:1::", 120, 4096);
	assert_null(map_addr(&g, "2001:db8:1::ab", &a, &outside));
	assert_false(outside);
	assert_int_equal(a - g.net, 0xab);
	assert_null(map_addr(&g, "2001:db8:1::1:ab", &a, &outside));
	assert_true(outside);
}

/* A /32 at /48 per cell: colours where the results are, the lowest RTT of a cell winning. */
static void test_render_prefix(void **state)
{
	FILE *f = fopen(path("v6.json"), "w");
	struct map_geom g;
	struct image im;
	char *err;

	(void)state;
	assert_non_null(f);
	json_row(f, "2001:db8:1::5", 100);		/* cell 1: the ramp's start */
	json_row(f, "2001:db8:1:ff::9", 5000);		/* the same /48, slower */
	json_row(f, "2001:db8:ff::1", 100000);		/* cell 255: the ramp's end */
	json_row(f, "2001:db8:ffff:ffff::1", -1);	/* cell 65535: silent */
	json_row(f, "2001:db9::1", 5);			/* outside */
	json_row(f, "198.18.0.1", 5);			/* the other family */
	fclose(f);
	assert_int_equal(run(&err, "-v", "--prefix", "2001:db8::/32", "--size", "256", "-o",
			     path("v6.png"), path("v6.json"), NULL),
			 EXIT_ALL_UP);
	assert_non_null(strstr(err, "outside the map's prefix, left out: 2 "));
	assert_non_null(strstr(err, "4 results drawn, 3 alive; 256x256 cells of /48"));
	free(err);
	geometry6(&g, "2001:db8::", 32, 256);
	read_png(path("v6.png"), &im);
	assert_int_equal(im.h, g.height);
	assert_rgb_near(cell_pixel(&im, &g, 1), 0x440154, 3, "2001:db8:1::/48");
	assert_rgb_near(cell_pixel(&im, &g, 255), 0xfde725, 3, "2001:db8:ff::/48");
	assert_rgb_near(cell_pixel(&im, &g, 65535), MAP_RGB_SILENT, 0, "2001:db8:ffff::/48");
	/* The rest: background, but for the lines along the /40s' left and top edges. */
	for (__u32 d = 0; d < 65536; d += 97) {
		bool on_line;
		__u32 x, y;

		if (d == 1 || d == 255 || d == 65535)
			continue;
		hilbert_d2xy(g.order, d, &x, &y);
		on_line = (x && x % 16 == 0) || (y && y % 16 == 0);
		assert_int_equal(pixel(&im, g.x0 + x, g.y0 + y),
				 on_line ? MAP_RGB_GRID : MAP_RGB_BG);
	}
	free(im.rgb);
}

/* A /120: one cell per address, as CSV of a mixed sweep (its IPv4 rows left out). */
static void test_render_small(void **state)
{
	FILE *f = fopen(path("v6.csv"), "w");
	struct map_geom g;
	struct image im;
	char *err;

	(void)state;
	assert_non_null(f);
	fputs("saddr,name,rtt_us,ttl,classification,success,repeat,scope,icmp_type,icmp_code,"
	      "from,errors,error_type,error_code,error_from\n", f);
	fputs("198.18.0.7,,3.074,64,echoreply,1,0,reserved,0,0,198.18.0.7,0,,,\n", f);
	fputs("2001:db8:1::7,,100.000,64,echoreply,1,0,documentation,129,0,2001:db8:1::7,0,,,\n",
	      f);
	fputs("2001:db8:1::ff,,100000.000,64,echoreply,1,0,documentation,129,0,2001:db8:1::ff,0,,,\n",
	      f);
	fputs("2001:db8:1::10,,,,timeout,0,0,documentation,,,,0,,,\n", f);
	fclose(f);
	assert_int_equal(run(&err, "--prefix", "2001:db8:1::/120", "-o", path("small.png"),
			     path("v6.csv"), NULL),
			 EXIT_ALL_UP);
	assert_non_null(strstr(err, "left out: 1 "));
	free(err);
	geometry6(&g, "2001:db8:1::", 120, 4096);
	read_png(path("small.png"), &im);
	assert_rgb_near(cell_pixel(&im, &g, 7), 0x440154, 3, "::7");
	assert_rgb_near(cell_pixel(&im, &g, 0xff), 0xfde725, 3, "::ff");
	assert_rgb_near(cell_pixel(&im, &g, 0x10), MAP_RGB_SILENT, 0, "::10");
	assert_rgb_near(cell_pixel(&im, &g, 8), MAP_RGB_BG, 0, "::8");
	free(im.rgb);
}

static void test_cli6(void **state)
{
	char *ok[] = { "echomap", "map", "--prefix", "2001:db8:1:2::/32", "-o", "x", "r.json",
		       NULL };
	char *too_long[] = { "echomap", "map", "--prefix", "2001:db8::/129", "-o", "x", "r", NULL };
	char *no_len[] = { "echomap", "map", "--prefix", "2001:db8::", "-o", "x", "r", NULL };
	struct config cfg;
	__u8 want[16];
	int saved = dup(2), null = open("/dev/null", O_WRONLY);

	(void)state;
	fflush(stderr);
	dup2(null, 2);
	assert_int_equal(cli_parse(7, too_long, &cfg), -EINVAL);
	assert_int_equal(cli_parse(7, no_len, &cfg), -EINVAL);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	close(null);
	assert_int_equal(cli_parse(7, ok, &cfg), 0);
	assert_true(cfg.map6);
	assert_int_equal(cfg.map_len, 32);
	inet_pton(AF_INET6, "2001:db8:1:2::", want);
	assert_memory_equal(cfg.map_net6, want, 16);
}

static int setup(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/echomap-map6-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[96];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_geometry6),     cmocka_unit_test(test_addr),
		cmocka_unit_test(test_render_prefix), cmocka_unit_test(test_render_small),
		cmocka_unit_test(test_cli6),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
