/* pod.c - reading a pod file: the programs of an instance, in YAML or JSON.
 *
 *   exit: first            # first (default) | all | a program's name
 *   grace: 5               # seconds between SIGTERM and SIGKILL at the end
 *   prefix: true           # prefix output lines with the program's name
 *   programs:
 *     - name: cache                    # default: the command's basename
 *       command: [redis-server, --port, "6390"]   # or one string, split on blanks
 *       env: {FOO: bar}                # added to the inherited environment
 *       env: {inherit: false, set: {FOO: bar}}   # or a fresh one
 *       cwd: /srv
 *       stdin: inherit | null | PATH   # stdout, stderr too (files are appended to)
 */
#include "cli/pod.h"

#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "proc/instance.h"

extern char **environ;

/* Everything a pod allocates hangs off one list, freed by pod_free(). */
struct chunk {
	struct chunk *next;
	max_align_t data[];
};

struct ctx {
	const char *file;
	yaml_document_t doc;
	struct instance_spec *spec;
};

static void *alloc(struct ctx *c, size_t n)
{
	struct chunk *ch = calloc(1, sizeof(*ch) + n);
	if (!ch) {
		fprintf(stderr, "pegasus: out of memory\n");
		exit(2);
	}
	ch->next = c->spec->arena;
	c->spec->arena = ch;
	return ch->data;
}

static void *grow(struct ctx *c, void *old, size_t oldn, size_t n)
{
	void *p = alloc(c, n);
	if (old)
		memcpy(p, old, oldn);
	return p;
}

static char *sdup(struct ctx *c, const char *s)
{
	size_t n = strlen(s) + 1;
	return memcpy(alloc(c, n), s, n);
}

void pod_free(struct instance_spec *s)
{
	for (struct chunk *ch = s->arena, *next; ch; ch = next) {
		next = ch->next;
		free(ch);
	}
	s->arena = NULL;
	s->progs = NULL;
	s->nprogs = 0;
}

static int fail(struct ctx *c, const yaml_node_t *n, const char *fmt, const char *arg)
{
	fprintf(stderr, "pegasus: %s:%lu: ", c->file, n ? (unsigned long)n->start_mark.line + 1 : 1ul);
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
	return 2;
}

static yaml_node_t *node(struct ctx *c, int id)
{
	return yaml_document_get_node(&c->doc, id);
}

static const char *scalar(const yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static bool truthy(const char *s)
{
	return !strcmp(s, "true") || !strcmp(s, "yes") || !strcmp(s, "on") || !strcmp(s, "1");
}

/* A list of strings, or one string split on blanks (no shell quoting). */
static int str_list(struct ctx *c, yaml_node_t *n, char ***out)
{
	size_t cap = 8, k = 0;
	char **v = alloc(c, cap * sizeof(char *));
	if (scalar(n)) {
		char *dup = sdup(c, scalar(n)), *save = NULL;
		for (char *t = strtok_r(dup, " \t", &save); t; t = strtok_r(NULL, " \t", &save)) {
			if (k + 2 > cap)
				v = grow(c, v, cap * sizeof(char *), 2 * cap * sizeof(char *)), cap *= 2;
			v[k++] = t;
		}
	} else if (n && n->type == YAML_SEQUENCE_NODE) {
		for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
			const char *s = scalar(node(c, *it));
			if (!s)
				return fail(c, node(c, *it), "%sexpected a string", "");
			if (k + 2 > cap)
				v = grow(c, v, cap * sizeof(char *), 2 * cap * sizeof(char *)), cap *= 2;
			v[k++] = sdup(c, s);
		}
	} else {
		return fail(c, n, "%sexpected a string or a list of strings", "");
	}
	v[k] = NULL;
	if (!k)
		return fail(c, n, "%sthe command is empty", "");
	*out = v;
	return 0;
}

static int env_map(struct ctx *c, yaml_node_t *m, char ***env, size_t *n, size_t *cap)
{
	if (m->type != YAML_MAPPING_NODE)
		return fail(c, m, "%sexpected a mapping of variables", "");
	for (yaml_node_pair_t *p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++) {
		const char *k = scalar(node(c, p->key)), *v = scalar(node(c, p->value));
		if (!k || !v || !*k || strchr(k, '='))
			return fail(c, node(c, p->key), "%sbad environment variable", "");
		size_t kl = strlen(k);
		for (size_t i = 0; i < *n; i++) { /* replace an inherited one */
			if (!strncmp((*env)[i], k, kl) && (*env)[i][kl] == '=') {
				(*env)[i] = (*env)[--*n];
				break;
			}
		}
		if (*n + 2 > *cap)
			*env = grow(c, *env, *cap * sizeof(char *), 2 * *cap * sizeof(char *)), *cap *= 2;
		char *kv = alloc(c, kl + strlen(v) + 2);
		sprintf(kv, "%s=%s", k, v);
		(*env)[(*n)++] = kv;
	}
	return 0;
}

static int env_of(struct ctx *c, yaml_node_t *e, char ***out)
{
	bool inherit = true;
	yaml_node_t *set = e;
	if (e->type == YAML_MAPPING_NODE) {
		for (yaml_node_pair_t *p = e->data.mapping.pairs.start; p < e->data.mapping.pairs.top; p++) {
			const char *k = scalar(node(c, p->key));
			if (k && !strcmp(k, "inherit") && scalar(node(c, p->value))) {
				inherit = truthy(scalar(node(c, p->value)));
				set = NULL;
			} else if (k && !strcmp(k, "set")) {
				set = node(c, p->value);
			}
		}
		/* {inherit: ..., set: {...}} or a plain {VAR: value} map */
		if (!set) {
			for (yaml_node_pair_t *p = e->data.mapping.pairs.start; p < e->data.mapping.pairs.top; p++) {
				const char *k = scalar(node(c, p->key));
				if (k && !strcmp(k, "set"))
					set = node(c, p->value);
			}
		}
	}
	size_t n = 0, cap = 16;
	char **env = alloc(c, cap * sizeof(char *));
	for (char **v = environ; inherit && *v; v++) {
		if (n + 2 > cap)
			env = grow(c, env, cap * sizeof(char *), 2 * cap * sizeof(char *)), cap *= 2;
		env[n++] = *v;
	}
	if (set) {
		int r = env_map(c, set, &env, &n, &cap);
		if (r)
			return r;
	}
	env[n] = NULL;
	*out = env;
	return 0;
}

static int program(struct ctx *c, yaml_node_t *m, struct prog_spec *ps)
{
	if (m->type != YAML_MAPPING_NODE)
		return fail(c, m, "%sa program is a mapping (name, command, env, cwd, stdin...)", "");
	ps->line = m->start_mark.line + 1;
	ps->env = environ;
	static const char *const io[3] = { "stdin", "stdout", "stderr" };
	for (yaml_node_pair_t *p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++) {
		yaml_node_t *kn = node(c, p->key), *vn = node(c, p->value);
		const char *k = scalar(kn);
		int r = 0;
		if (!k) {
			r = fail(c, kn, "%sexpected a key", "");
		} else if (!strcmp(k, "name")) {
			if (!scalar(vn) || !*scalar(vn))
				r = fail(c, vn, "%sname: expected a string", "");
			else
				ps->name = sdup(c, scalar(vn));
		} else if (!strcmp(k, "command")) {
			r = str_list(c, vn, &ps->argv);
		} else if (!strcmp(k, "env")) {
			r = env_of(c, vn, &ps->env);
		} else if (!strcmp(k, "cwd")) {
			if (!scalar(vn))
				r = fail(c, vn, "%scwd: expected a path", "");
			else
				ps->cwd = sdup(c, scalar(vn));
		} else {
			int i = 0;
			while (i < 3 && strcmp(k, io[i]))
				i++;
			if (i == 3)
				r = fail(c, kn, "unknown key '%s' in a program", k);
			else if (!scalar(vn))
				r = fail(c, vn, "%sexpected inherit, null or a path", "");
			else
				ps->stdio[i] = sdup(c, scalar(vn));
		}
		if (r)
			return r;
	}
	if (!ps->argv)
		return fail(c, m, "%sa program needs a command", "");
	if (!ps->name) {
		char *b = sdup(c, ps->argv[0]);
		ps->name = sdup(c, basename(b));
	}
	return 0;
}

static int top(struct ctx *c, struct instance_spec *s)
{
	yaml_node_t *root = yaml_document_get_root_node(&c->doc);
	if (!root || root->type != YAML_MAPPING_NODE)
		return fail(c, root, "%sexpected a mapping with a 'programs' list", "");
	yaml_node_t *progs = NULL;
	for (yaml_node_pair_t *p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top; p++) {
		yaml_node_t *kn = node(c, p->key), *vn = node(c, p->value);
		const char *k = scalar(kn), *v = scalar(vn);
		if (!k)
			return fail(c, kn, "%sexpected a key", "");
		if (!strcmp(k, "programs")) {
			progs = vn;
		} else if (!strcmp(k, "exit")) {
			if (!v)
				return fail(c, vn, "%sexit: first, all or a program's name", "");
			s->exit_policy = !strcmp(v, "first") ? EXIT_FIRST : !strcmp(v, "all") ? EXIT_ALL : EXIT_NAMED;
			if (s->exit_policy == EXIT_NAMED)
				s->exit_name = sdup(c, v);
		} else if (!strcmp(k, "grace")) {
			char *end;
			long g = v ? strtol(v, &end, 10) : -1;
			if (!v || *end || g < 0 || g > 3600)
				return fail(c, vn, "%sgrace: seconds, 0 to 3600", "");
			s->grace_ms = g * 1000;
		} else if (!strcmp(k, "prefix")) {
			if (!v)
				return fail(c, vn, "%sprefix: true or false", "");
			s->prefix = truthy(v);
		} else {
			return fail(c, kn, "unknown key '%s' (expected programs, exit, grace, prefix)", k);
		}
	}
	if (!progs || progs->type != YAML_SEQUENCE_NODE || progs->data.sequence.items.start == progs->data.sequence.items.top)
		return fail(c, progs ? progs : root, "%s'programs' must be a non-empty list", "");
	size_t np = progs->data.sequence.items.top - progs->data.sequence.items.start;
	s->progs = alloc(c, np * sizeof(*s->progs));
	for (size_t i = 0; i < np; i++) {
		int r = program(c, node(c, progs->data.sequence.items.start[i]), &s->progs[i]);
		if (r)
			return r;
		for (size_t j = 0; j < i; j++)
			if (!strcmp(s->progs[j].name, s->progs[i].name))
				return fail(c, node(c, progs->data.sequence.items.start[i]),
					    "two programs are named '%s'", s->progs[i].name);
		s->nprogs++;
	}
	return 0;
}

int pod_parse(const char *name, const unsigned char *buf, unsigned long len,
	      struct instance_spec *spec)
{
	struct ctx c = { .file = name, .spec = spec };
	yaml_parser_t parser;
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_string(&parser, buf, len);
	if (!yaml_parser_load(&parser, &c.doc)) {
		fprintf(stderr, "pegasus: %s:%lu: %s\n", name, (unsigned long)parser.problem_mark.line + 1,
			parser.problem ? parser.problem : "syntax error");
		yaml_parser_delete(&parser);
		return 2;
	}
	int r = top(&c, spec);
	yaml_document_delete(&c.doc);
	yaml_parser_delete(&parser);
	return r;
}

int pod_load(const char *path, struct instance_spec *spec)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "pegasus: %s: %s\n", path, strerror(errno));
		return 2;
	}
	unsigned char *buf = malloc(1 << 20);
	size_t n = fread(buf, 1, 1 << 20, f);
	fclose(f);
	int r = pod_parse(path, buf, n, spec);
	free(buf);
	return r;
}
