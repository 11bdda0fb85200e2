// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "conf/yaml_doc.h"
#include "lib/log.h"

int yaml_bad(const struct yaml_src *src, const yaml_node_t *n, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	pr_warn("%s:%zu: %s\n", src->path, n ? n->start_mark.line + 1 : 1, msg);
	return -EINVAL;
}

yaml_node_t *yaml_node(const struct yaml_src *src, int id)
{
	return yaml_document_get_node((yaml_document_t *)&src->doc, id);
}

const char *yaml_scalar(const yaml_node_t *n)
{
	return n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

int yaml_want_scalar(const struct yaml_src *src, const yaml_node_t *n, const char *what,
		     const char **out)
{
	*out = yaml_scalar(n);
	if (!*out || (n->type == YAML_SCALAR_NODE && strlen(*out) != n->data.scalar.length))
		return yaml_bad(src, n, "%s must be a plain value", what);
	return 0;
}

int yaml_load(struct yaml_src *src, const char *what)
{
	yaml_parser_t parser;
	FILE *f = fopen(src->path, "r");
	int err = 0;

	if (!f) {
		pr_warn("cannot read the %s '%s': %s\n", what, src->path, strerror(errno));
		return -ENOENT;
	}
	if (!yaml_parser_initialize(&parser)) {
		fclose(f);
		return -ENOMEM;
	}
	yaml_parser_set_input_file(&parser, f);
	if (!yaml_parser_load(&parser, &src->doc)) {
		err = parser.error == YAML_MEMORY_ERROR ? -ENOMEM : -EINVAL;
		if (err == -EINVAL)
			pr_warn("%s:%zu: %s%s%s\n", src->path, parser.problem_mark.line + 1,
				parser.problem ? parser.problem : "not YAML",
				parser.context ? " " : "", parser.context ? parser.context : "");
	}
	yaml_parser_delete(&parser);
	fclose(f);
	return err;
}
