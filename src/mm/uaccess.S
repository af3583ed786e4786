/* uaccess.S - copies to and from app memory that turn a fault into -EFAULT. */

	.text
	.globl uaccess_start, uaccess_end, uaccess_fixup
	.globl pg_uaccess_copy, pg_uaccess_put_4_8, pg_uaccess_strnlen, pg_uaccess_cmpxchg32

/* Nothing between uaccess_start and uaccess_end touches the stack before it
 * returns: the fault handler resumes a faulting access at uaccess_fixup,
 * whose `ret` pops the caller's return address. */
uaccess_start:

/* long pg_uaccess_copy(void *dst, const void *src, size_t n): 0 or -EFAULT.
 * Small copies (an event, an int, a sockaddr) go 8 bytes at a time, then
 * 4, then 1: `rep movsb` costs tens of cycles to start, more than they do. */
	.p2align 4
pg_uaccess_copy:
	cmp $64, %rdx
	ja 4f
1:	cmp $8, %rdx
	jb 2f
	mov (%rsi), %rax
	mov %rax, (%rdi)
	add $8, %rsi
	add $8, %rdi
	sub $8, %rdx
	jmp 1b
2:	cmp $4, %rdx
	jb 5f
	mov (%rsi), %eax
	mov %eax, (%rdi)
	add $4, %rsi
	add $4, %rdi
	sub $4, %rdx
5:	test %rdx, %rdx
	jz 3f
	movzbl (%rsi), %eax
	mov %al, (%rdi)
	inc %rsi
	inc %rdi
	dec %rdx
	jmp 5b
3:	xor %eax, %eax
	ret
4:	mov %rdx, %rcx
	rep movsb
	xor %eax, %eax
	ret

/* long pg_uaccess_put_4_8(void *dst, uint32_t a, uint64_t b): a then b,
 * packed (an epoll_event), stored from registers: a copy of such a struct
 * just built on the stack reads it back across two stores, which the
 * CPU cannot forward (a stall longer than the copy). 0 or -EFAULT. */
	.p2align 4
pg_uaccess_put_4_8:
	mov %esi, (%rdi)
	mov %rdx, 4(%rdi)
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
