/* cpuid_cached.S - what a rewritten CPUID site calls: the answer from entry/cpuid.c's cache. */

/*
 * In: %eax leaf, %ecx subleaf. Out: %eax, %ebx, %ecx, %edx as CPUID gives
 * them. Every other register is kept; the flags are not (the stub saves
 * them). Runs on the app's stack, %fs and vector state, so it touches
 * memory and nothing else. A key not in the cache is asked of the
 * instruction itself (which, where CPUID faults, faults into on_fault and
 * is answered by cpuid_emulate), and the answer fills a free slot; the
 * key and hash are cpuid.c's.
 */
	.text
	.globl cpuid_cached, cpuid_cached_end
	.p2align 4
cpuid_cached:
	push %rsi
	push %rdi
	push %r8
	push %r9
	mov %eax, %esi                  /* the leaf */
	xor %edi, %edi                  /* the subleaf, for the leaves that have them */
	cmp $64, %eax
	jae 1f
	mov cpuid_subleaf_mask(%rip), %r8
	bt %rax, %r8
	jnc 3f
	jmp 2f
1:	cmp $0x8000001d, %eax
	je 2f
	cmp $0x80000020, %eax
	je 2f
	cmp $0x80000026, %eax
	je 2f
	mov %eax, %r8d
	shr $28, %r8d
	cmp $4, %r8d                    /* the hypervisor's 0x4xxxxxxx */
	jne 3f
2:	mov %ecx, %edi
3:	imul $0x9e3779b1, %esi, %r8d
	imul $0x85ebca6b, %edi, %r9d
	xor %r9d, %r8d                  /* the hash */
	mov $256, %r9d                  /* slots left to probe */
4:	movzbl %r8b, %eax
	shl $5, %eax
	lea cpuid_cache(%rip), %rdx
	add %rax, %rdx                  /* the slot: 32 bytes */
	cmpl $2, (%rdx)                 /* FULL: filled, never changed again */
	jne 6f
	cmp 4(%rdx), %esi
	jne 5f
	cmp 8(%rdx), %edi
	jne 5f
	mov 12(%rdx), %eax
	mov 16(%rdx), %ebx
	mov 20(%rdx), %ecx
	mov 24(%rdx), %edx
	pop %r9
	pop %r8
	pop %rdi
	pop %rsi
	ret
5:	inc %r8d
	dec %r9d
	jnz 4b
	/* Not in the cache. An EMPTY slot this thread takes (EMPTY -> FILLING,
	 * as cpuid.c's answer() does) is filled here: where CPUID cannot
	 * fault, nothing else would fill it. The FULL store comes last; x86
	 * keeps stores in order, so a reader seeing FULL sees the answer. */
6:	cmpl $0, (%rdx)
	jne 7f
	mov %rdx, %r9
	xor %eax, %eax
	mov $1, %r8d
	lock cmpxchg %r8d, (%r9)        /* EMPTY -> FILLING, or lost to another */
	jne 7f
	mov %esi, 4(%r9)
	mov %edi, 8(%r9)
	mov %esi, %eax
	mov %edi, %ecx
	cpuid                           /* faulting: answered by on_fault */
	mov %eax, 12(%r9)
	mov %ebx, 16(%r9)
	mov %ecx, 20(%r9)
	mov %edx, 24(%r9)
	movl $2, (%r9)                  /* FULL */
	pop %r9
	pop %r8
	pop %rdi
	pop %rsi
	ret
7:	mov %esi, %eax
	mov %edi, %ecx
	pop %r9
	pop %r8
	pop %rdi
	pop %rsi
	cpuid
	ret
cpuid_cached_end:

	.section .note.GNU-stack,"",@progbits
