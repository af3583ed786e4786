/* pod.h - reading a pod file: the programs of an instance, in YAML or JSON. */
#pragma once

struct instance_spec;

/* Fill spec from the file; 0, or 2 after one line on stderr naming the
 * file and line of the problem. */
int pod_load(const char *path, struct instance_spec *spec);

/* Free what pod_load/pod_parse allocated for spec. */
void pod_free(struct instance_spec *spec);

/* The same from a buffer (for the fuzzer); name is used in messages. */
int pod_parse(const char *name, const unsigned char *buf, unsigned long len,
	      struct instance_spec *spec);
