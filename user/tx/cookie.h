/* SPDX-License-Identifier: GPL-2.0 */
/* The probe cookie's per-run key; the cookie itself is include/echomap_cookie.h. */
#ifndef ECHOMAP_TX_COOKIE_H
#define ECHOMAP_TX_COOKIE_H

#include <linux/types.h>

#include "echomap_cookie.h"

/* Fill key with 128 random bits from getrandom(2); returns 0 or -errno. */
int em_cookie_key(__u64 key[2]);

#endif
