/* uaccess.S - copies to and from app memory that turn a fault into -EFAULT. */

	.text
	.globl uaccess_start, uaccess_end, uaccess_fixup
	.globl pg_uaccess_copy, pg_uaccess_strnlen, pg_uaccess_cmpxchg32

/* Nothing between uaccess_start and uaccess_end touches the stack before it
 * returns: the fault handler resumes a faulting access at uaccess_fixup,
 * whose `ret` pops the caller's return address. */
uaccess_start:

/* long pg_uaccess_copy(void *dst, const void *src, size_t n): 0 or -EFAULT */
	.p2align 4
pg_uaccess_copy:
	mov %rdx, %rcx
	rep movsb
	xor %eax, %eax
	ret

/* long pg_uaccess_strnlen(const char *s, size_t max): length (max if no NUL
 * within max bytes) or -EFAULT */
	.p2align 4
pg_uaccess_strnlen:
	xor %eax, %eax
1:	cmp %rsi, %rax
	jae 2f
	cmpb $0, (%rdi,%rax)
	je 2f
	inc %rax
	jmp 1b
2:	ret

/* long pg_uaccess_cmpxchg32(uint32_t *p, uint32_t expect, uint32_t desired):
 * the value found at p (zero-extended; swapped if it was expect) or -EFAULT */
	.p2align 4
pg_uaccess_cmpxchg32:
	mov %esi, %eax
	lock cmpxchg %edx, (%rdi)
	ret

uaccess_end:

uaccess_fixup:
	mov $-14, %rax
	ret

	.section .note.GNU-stack,"",@progbits
