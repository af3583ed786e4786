/* fuzz_seccomp.c - libFuzzer target for the seccomp BPF checker and interpreter (src/proc/seccomp_bpf.c).
 *
 * The input is a classic BPF program (8 bytes an instruction) followed by
 * 64 bytes of struct seccomp_data (zero-filled if short). A program must
 * be refused with EINVAL or accepted; an accepted one must run to its end
 * within as many steps as it has instructions (jumps only go forward),
 * reading nothing outside the data and its 16 scratch words (the
 * sanitizers watch the copies made here, each exactly its size). Built by
 * fuzz/run-libfuzzer.sh seccomp (clang) and by meson as
 * fuzz_seccomp_replay (driver.c) to replay fuzz/corpus/seccomp/. */
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proc/seccomp_bpf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t d = sizeof(struct seccomp_data);
	size_t n = size > d ? (size - d) / sizeof(struct sock_filter) : size / sizeof(struct sock_filter);
	if (n > BPF_MAXINSNS + 1)
		n = BPF_MAXINSNS + 1;
	struct sock_filter *prog = malloc(n ? n * sizeof(*prog) : 1);
	struct seccomp_data *sd = calloc(1, d);
	if (!prog || !sd)
		abort();
	memcpy(prog, data, n * sizeof(*prog));
	size_t rest = size - n * sizeof(*prog);
	memcpy(sd, data + n * sizeof(*prog), rest < d ? rest : d);
	long r = seccomp_check(prog, (unsigned)n);
	if (r != 0 && r != -EINVAL) {
		fprintf(stderr, "fuzz_seccomp: check said %ld\n", r);
		abort();
	}
	if (r == 0) {
		if (!n || n > BPF_MAXINSNS) {
			fprintf(stderr, "fuzz_seccomp: %zu instructions accepted\n", n);
			abort();
		}
		(void)seccomp_run_prog(prog, sd);
	}
	free(prog);
	free(sd);
	return 0;
}
