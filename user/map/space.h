/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The address space a map covers, of either family. An IPv6 prefix is drawn as a 32-bit space:
 * the 32 bits after its length (or its last bits, for a prefix longer than /96) take the place
 * of an IPv4 address, so one geometry, curve and renderer serve both.
 */
#ifndef ECHOMAP_MAP_SPACE_H
#define ECHOMAP_MAP_SPACE_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "map/map.h"

/* map_geometry for the IPv6 prefix net/len (net as in the header): the smallest cells that fit. */
void map_geometry6(struct map_geom *g, const __u8 net[16], unsigned int len, unsigned int size);

/*
 * A result's address (text) as the 32-bit address the map places, or *outside when it is not
 * in the map's prefix (another family's address neither). NULL, or why it is no address.
 */
const char *map_addr(const struct map_geom *g, const char *s, __u32 *addr, bool *outside);

/* The prefix length of one cell (a /48 of a /32 map at 256 pixels). */
unsigned int map_cell_len(const struct map_geom *g);

/* The map's prefix as text, "198.18.0.0/16" or "2001:db8::/32". */
void map_prefix_text(const struct map_geom *g, char *buf, size_t len);

#endif
