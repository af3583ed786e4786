/* seccomp_bpf.h - the classic BPF of seccomp filters: the kernel's checks, and an interpreter. */
#pragma once
#include <stdint.h>

/* seccomp_check - check and adapt a classic BPF program of len insns
 * (struct sock_filter) to run over struct seccomp_data, in place, as
 * Linux's bpf_check_classic and seccomp_check_filter do: 0, -EINVAL, or
 * -ENOMEM. */
long seccomp_check(void *insns, unsigned len);

/* seccomp_run_prog - the value a checked program returns for data
 * (struct seccomp_data). */
uint32_t seccomp_run_prog(const void *insns, const void *data);
