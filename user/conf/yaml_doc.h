/* SPDX-License-Identifier: GPL-2.0 */
/* A YAML file loaded whole (libyaml's document API), and its errors said as FILE:LINE: why. */
#ifndef ECHOMAP_CONF_YAML_DOC_H
#define ECHOMAP_CONF_YAML_DOC_H

#include <yaml.h>

struct yaml_src {
	const char *path;
	yaml_document_t doc;
};

/* Reads src->path into src->doc: 0, -EINVAL after one "path:LINE: reason" line, -ENOENT,
 * -ENOMEM. */
int yaml_load(struct yaml_src *src, const char *what);
/* One "path:LINE: message" line (the node's line, or 1); returns -EINVAL. */
int __attribute__((format(printf, 3, 4)))
yaml_bad(const struct yaml_src *src, const yaml_node_t *n, const char *fmt, ...);
yaml_node_t *yaml_node(const struct yaml_src *src, int id);
/* The node's text, or NULL when it is not a scalar. */
const char *yaml_scalar(const yaml_node_t *n);
/* A scalar without NUL bytes into *out, or yaml_bad() naming what it should have been. */
int yaml_want_scalar(const struct yaml_src *src, const yaml_node_t *n, const char *what,
		     const char **out);

#endif
