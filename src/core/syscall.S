/* syscall.S - the runtime's own syscall instruction, in the SUD-exempt range. */

/*
 * The kernel checks a syscall's return address against the thread's
 * exempt range before it reads the SUD selector byte: a syscall issued from
 * here skips that user-memory read (~30 ns on these machines). The range
 * is this section alone; the padding after the instruction keeps its return
 * address inside the range.
 */
	.section pg_exempt, "ax", @progbits
	.globl pg_syscall6
	.p2align 4
/* long pg_syscall6(long nr, long a0, long a1, long a2, long a3, long a4, long a5) */
pg_syscall6:
	mov %rdi, %rax
	mov %rsi, %rdi
	mov %rdx, %rsi
	mov %rcx, %rdx
	mov %r8, %r10
	mov %r9, %r8
	mov 8(%rsp), %r9
	syscall
	ret
	.fill 16, 1, 0xcc

/*
 * long pg_syscall_cuttable(long nr, long a0, long a1, long a2, long a3,
 *                          const volatile int *cut)   (a4 = a5 = 0)
 *
 * A blocking call that a host signal may cut short before the kernel
 * starts it, which no mask juggling could do without two more syscalls:
 * the handler sets *cut (pg_cut_short below) and, if the signal landed
 * anywhere from the test of *cut up to the syscall instruction (the kernel
 * restarting the call puts %rip back on that instruction), moves %rip to
 * cuttable_cut. A signal taken inside the call ends it with EINTR: the
 * calls used here (waits) are never restarted.
 */
	.globl pg_syscall_cuttable, cuttable_window, cuttable_syscall, cuttable_cut
	.p2align 4
pg_syscall_cuttable:
	mov %rdi, %rax
	mov %rsi, %rdi
	mov %rdx, %rsi
	mov %rcx, %rdx
	mov %r8, %r10
	xor %r8d, %r8d
cuttable_window:
	cmpl $0, (%r9)
	jne cuttable_cut
	xor %r9d, %r9d                 /* the sixth argument: 0 */
cuttable_syscall:
	syscall
	ret
cuttable_cut:
	mov $-4, %rax                  /* -EINTR */
	ret
	.fill 16, 1, 0xcc

/* pg_restorer - the sigreturn of handlers installed with a raw
 * rt_sigaction (signals 32 and 33, which glibc's sigaction refuses). */
	.globl pg_restorer
	.p2align 4
pg_restorer:
	mov $15, %eax
	syscall
	.fill 16, 1, 0xcc

	.section .note.GNU-stack,"",@progbits
