/* SPDX-License-Identifier: GPL-2.0 */
/* echomap --version: what was built, from which commit, against which libraries. */
#ifndef ECHOMAP_VERSION_H
#define ECHOMAP_VERSION_H

#include <stdio.h>

void version_print(FILE *f);

#endif
