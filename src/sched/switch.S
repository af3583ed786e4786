/* switch.S - user-level context switch between runtime stacks. */

	.text
	.globl uctx_switch
/*
 * void uctx_switch(uint64_t *save_rsp, uint64_t new_rsp)
 * Saves the callee-saved registers on the current stack, records %rsp in
 * *save_rsp and resumes the context whose stack pointer is new_rsp. Only
 * runtime code switches, always at a call boundary, so the app's registers
 * are already in its trap frame and the SysV callee-saved set is enough.
 */
	.p2align 4
uctx_switch:
	push %rbp
	push %rbx
	push %r12
	push %r13
	push %r14
	push %r15
	mov %rsp, (%rdi)
	mov %rsi, %rsp
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %rbx
	pop %rbp
	ret

	.section .note.GNU-stack,"",@progbits
