/* fuzz_pod.c - libFuzzer target for the pod file parser (src/cli/pod.c).
 *
 * Any input must either be refused (status 2, one message) or give a spec
 * whose every program has a name and a non-empty NULL-terminated argv, and
 * whose names are unique; pod_free() must release it all (LeakSanitizer).
 * Built by fuzz/run-libfuzzer.sh (clang, -fsanitize=fuzzer) and by meson as
 * fuzz_pod_replay (driver.c) to replay fuzz/corpus/pod/. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/pod.h"
#include "proc/instance.h"

static void check(int cond, const char *what)
{
	if (!cond) {
		fprintf(stderr, "fuzz_pod: broken invariant: %s\n", what);
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct instance_spec spec;
	memset(&spec, 0, sizeof(spec));
	int r = pod_parse("fuzz", data, size, &spec);
	check(r == 0 || r == 2, "status is 0 or 2");
	if (r == 0) {
		check(spec.nprogs > 0, "at least one program");
		for (int i = 0; i < spec.nprogs; i++) {
			struct prog_spec *p = &spec.progs[i];
			check(p->name && *p->name, "a program has a name");
			check(p->argv && p->argv[0], "a program has a command");
			for (int j = 0; j < i; j++)
				check(strcmp(p->name, spec.progs[j].name) != 0, "names are unique");
		}
		check(spec.exit_policy != EXIT_NAMED || spec.exit_name, "exit by name has a name");
	}
	pod_free(&spec);
	return 0;
}
