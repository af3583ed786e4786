/* gate.S - the one way between app code and the runtime, in both directions. */
#include "entry/gate.h"
#include "sched/offsets.h"

#define SYS_MAX 512
#define LEAN_MID 0x80
#define LEAN_TRY_MID 2 /* lean_entry_c: try the mid path (entry/lean.h) */

/* The mid path's partial save: xmm0-15 and MXCSR, ~10x cheaper here. */
.macro SSE_AREA_OP op, ut
	mov UT_SSE(\ut), %rcx
	.irp r, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
	.ifc \op, save
	movups %xmm\r, (\r*16)(%rcx)
	.else
	movups (\r*16)(%rcx), %xmm\r
	.endif
	.endr
	.ifc \op, save
	stmxcsr 256(%rcx)
	.else
	ldmxcsr 256(%rcx)
	.endif
.endm

/*
 * Save what runtime code may change of the app's vector state (\ut: the
 * uthread): all of it with XSAVE, or, when the runtime's code and
 * libraries write xmm0-15 and MXCSR alone (pg_vec_lazy, sched/xstate.h),
 * just those, as the mid path does; the rest stays live in the registers
 * until a switch or a signal frame needs it in memory (vec_make_full).
 */
.macro SAVE_VECTOR_STATE ut
	cmpb $0, pg_vec_lazy(%rip)
	je 1f
	SSE_AREA_OP save, \ut
	movb $VEC_SSE, UT_VECMODE(\ut)
	jmp 2f
1:	mov UT_XSAVE(\ut), %rcx
	mov $-1, %eax
	mov $-1, %edx
	xsaveopt64 (%rcx)
	movb $VEC_FULL, UT_VECMODE(\ut)
2:
.endm


/*
 * The app's %fs base into its trap frame. With FSGSBASE it is read here;
 * without, the trap frame's is already the truth: the base changes only
 * through calls the runtime emulates (core/fsbase.h).
 */
.macro SAVE_APP_FS ut
	cmpb $0, pg_fsgsbase(%rip)
	je 1f
	rdfsbase %rax
	mov %rax, TF_FS(\ut)
1:
.endm

/*
 * Make \src (a memory operand) the %fs base: wrfsbase, or, without
 * FSGSBASE, arch_prctl(ARCH_SET_FS) unless the vCPU's kernel thread holds
 * that base already (VCPU_KFS). The selector is ALLOW wherever this is
 * used, so the syscall goes to the kernel. VCPU_KFS is "unknown" while the
 * call is under way: a host signal that restarts a return half (on_async)
 * redoes the call rather than trust a stale value. Clobbers %rax, %rcx,
 * %rdx, %rsi, %rdi, %r11 and the flags.
 */
.macro LOAD_FS src
	mov \src, %rsi
	cmpb $0, pg_fsgsbase(%rip)
	je 1f
	wrfsbase %rsi
	jmp 2f
1:	cmp %rsi, %gs:VCPU_KFS
	je 2f
	movq $-1, %gs:VCPU_KFS
	mov $0x1002, %edi               /* ARCH_SET_FS */
	mov $158, %eax                  /* SYS_arch_prctl */
	syscall
	test %rax, %rax
	jnz 2f
	mov %rsi, %gs:VCPU_KFS
2:
.endm

/* Load every app GPR and the flags from the trap frame of the uthread in
 * %rbx, then resume app code: the selector goes to BLOCK last, and the
 * jump needs no register and no app stack, so the red zone is untouched.
 * No instruction after the flags changes them. */
.macro LOAD_APP_REGS_AND_GO
	mov TF_RIP(%rbx), %rax
	mov %rax, %gs:VCPU_RET_RIP
	/* popfq costs a fifth of a lean call. When the app's flags differ
	 * from the runtime's only in the arithmetic ones (entry/gate.h
	 * RFLAGS_PLAIN: runtime code never sets TF, DF, AC...), set them so:
	 * OF from an add that overflows iff it was set (bit 11 to 31; bit 30
	 * is DF, clear), then SF ZF AF PF CF from %ah. */
	mov TF_RFLAGS(%rbx), %rax
	test %rax, pg_rflags_slow(%rip) /* ~RFLAGS_PLAIN, or all: no SAHF */
	jnz 7f
	mov %eax, %ecx
	shl $20, %ecx
	add %ecx, %ecx
	mov %al, %ah
	sahf
	jmp 8f
7:	pushq %rax                      /* through the runtime stack */
	popfq
8:	mov TF_RAX(%rbx), %rax
	mov TF_RCX(%rbx), %rcx
	mov TF_RDX(%rbx), %rdx
	mov TF_RSI(%rbx), %rsi
	mov TF_RDI(%rbx), %rdi
	mov TF_RBP(%rbx), %rbp
	mov TF_R8(%rbx), %r8
	mov TF_R9(%rbx), %r9
	mov TF_R10(%rbx), %r10
	mov TF_R11(%rbx), %r11
	mov TF_R12(%rbx), %r12
	mov TF_R13(%rbx), %r13
	mov TF_R14(%rbx), %r14
	mov TF_R15(%rbx), %r15
	mov TF_RSP(%rbx), %rsp
	mov TF_RBX(%rbx), %rbx
	movb $1, %gs:VCPU_SELECTOR
	jmp *%gs:VCPU_RET_RIP
.endm

/*
 * FD_ENTRY - the fd table entry of the program's fd in %edi into %r11, or a
 * jump to \fail (out of range, no such page). For the direct gates: no
 * flag is changed (jrcxz tests, BMI2 shifts); clobbers %rax and %rcx.
 */
.macro FD_ENTRY fail
	mov %edi, %eax                  /* the fd, as the kernel reads it: 32 bits */
	mov $12, %ecx
	shrx %rcx, %rax, %rcx           /* past the table's own FDT_DIRECT pages? */
	jrcxz 1f
	jmp \fail
1:	mov %gs:VCPU_CUR, %r11
	/* A thread with seccomp filters: they run on the full path. */
	mov UT_FILTER(%r11), %rcx
	jrcxz 5f
	jmp \fail
5:	mov UT_PROC(%r11), %r11
	/* A program with a file size limit: its writes are checked on the
	 * way through (sys/fsize.c), so none of its fd calls goes direct. */
	mov VP_FSIZE(%r11), %rcx
	lea 1(%rcx), %rcx               /* RLIM_INFINITY + 1: 0 */
	jrcxz 4f
	jmp \fail
4:	mov $10, %ecx
	shrx %rcx, %rax, %rcx           /* page index */
	mov VP_FDT(%r11), %r11
	mov FDT_PAGE0(%r11,%rcx,8), %rcx
	jrcxz 2f                        /* no such page */
	mov $54, %r11d
	shlx %r11, %rax, %rax
	shrx %r11, %rax, %rax           /* index in the page */
	lea (%rax,%rax), %rax
	lea (%rcx,%rax,8), %r11         /* the entry: 16 bytes each */
	jmp 3f
2:	jmp \fail
3:
.endm

	.text
	.globl gate_text_start, gate_text_end
	.globl gate_from_signal, gate_fast, gate_zpoline, gate_return, gate_return_end
	.globl gate_direct, direct_done, gate_direct_end
	.globl gate_direct_fd, direct_fd_saved, direct_fd_done, direct_fd_slow, gate_direct_fd_end
	.globl gate_direct_ep, direct_ep_saved, direct_ep_done, direct_ep_slow, gate_direct_ep_end
	.globl lean_return, lean_return_end, lean_restart
	.globl mid_return, mid_return_end, mid_restart

gate_text_start:

/*
 * gate_from_signal - continue a trapped syscall, fault or signal in runtime
 * context. A signal handler has already copied every app register into the
 * uthread's trap frame, set the SUD selector to ALLOW and pointed the
 * ucontext here with %rsp = the uthread's runtime stack and %rdi = the C
 * function that serves the event. %fs and the vector registers still hold
 * the app's values (sigreturn restored them from the frame).
 */
	.p2align 4
gate_from_signal:
	mov %rdi, %r12
	mov %gs:VCPU_CUR, %rbx
	SAVE_APP_FS %rbx
	LOAD_FS %gs:VCPU_RT_FS
	/* The runtime calls libc, which uses vector registers: save them all. */
	SAVE_VECTOR_STATE %rbx
	mov %rbx, %rdi
	call *%r12
	/* fall through */

/*
 * gate_return - go back to app code with the uthread's trap frame. Every
 * step reloads from memory, so a signal that lands anywhere in here simply
 * restarts at gate_return (see in_gate_return() in signal_entry.c) and the
 * signal is delivered by gate_prepare_return() on the second pass.
 */
	.p2align 4
gate_return:
	LOAD_FS %gs:VCPU_RT_FS
	mov %gs:VCPU_CUR, %rdi
	mov UT_RSTACK(%rdi), %rsp
	call gate_prepare_return
	mov %gs:VCPU_CUR, %rbx
	cmpb $VEC_SSE, UT_VECMODE(%rbx)
	jne 1f
	SSE_AREA_OP restore, %rbx
	jmp 2f
1:	mov UT_XSAVE(%rbx), %rcx
	mov $-1, %eax
	mov $-1, %edx
	xrstor64 (%rcx)
2:	LOAD_FS TF_FS(%rbx)
	LOAD_APP_REGS_AND_GO
gate_return_end:

/*
 * gate_fast - the entry of a rewritten call site. A stub near the site
 * jumped here with %rcx = the site's record {resume rip, &gate_fast, nr}
 * and %eax = the syscall number; every other register is the app's, %rsp
 * is the app's stack, %fs the app's, the selector still BLOCK. %rcx and
 * %r11 are free: the syscall instruction clobbers them anyway.
 */
	.p2align 4
gate_fast:
	mov %gs:VCPU_CUR, %r11
	mov %rcx, UT_FASTREC(%r11)      /* for a restart: the stub redoes the call */
	mov (%rcx), %rcx
	jmp fast_common


/*
 * gate_zpoline - the end of the nop sled at address 0: a site rewritten
 * to `call *%rax` slid down to here, its return address on the app stack.
 */
	.p2align 4
gate_zpoline:
	pop %rcx
	mov %gs:VCPU_CUR, %r11
	movq $0, UT_FASTREC(%r11)       /* a restart redoes the call *%rax */
	/* fall through */

/* fast_common: %rcx = where app code resumes after the call. */
fast_common:
	movb $0, %gs:VCPU_SELECTOR
	mov %gs:VCPU_CUR, %r11
	mov %rax, TF_RAX(%r11)
	mov %rbx, TF_RBX(%r11)
	mov %rdx, TF_RDX(%r11)
	mov %rsi, TF_RSI(%r11)
	mov %rdi, TF_RDI(%r11)
	mov %rbp, TF_RBP(%r11)
	mov %rsp, TF_RSP(%r11)
	mov %r8, TF_R8(%r11)
	mov %r9, TF_R9(%r11)
	mov %r10, TF_R10(%r11)
	mov %r12, TF_R12(%r11)
	mov %r13, TF_R13(%r11)
	mov %r14, TF_R14(%r11)
	mov %r15, TF_R15(%r11)
	mov %rcx, TF_RIP(%r11)
	/* Off the app stack before anything is pushed: its red zone stays. */
	mov UT_RSTACK(%r11), %rsp
	pushfq
	popq TF_RFLAGS(%r11)
	testl $RFLAGS_ENTRY_CLEAR, TF_RFLAGS(%r11)
	jz 6f
	pushq $0x202                    /* rare: DF, TF or AC set */
	popfq
6:
	mov %r11, %rbx
	/* Lean path: calls that need neither libc nor the vector registers
	 * are served on the app's %fs with its vector state left live. Not
	 * a thread with seccomp filters: they run on the full path. */
	cmpq $0, UT_FILTER(%rbx)
	jne 1f
	mov TF_RAX(%rbx), %rax
	cmp $SYS_MAX, %rax
	jae 1f
	lea lean_kind(%rip), %rdx
	movzbl (%rdx,%rax), %eax
	test %eax, %eax
	je 1f
	cmp $LEAN_MID, %eax
	je mid
	mov %rbx, %rdi
	call lean_entry_c
	cmp $LEAN_TRY_MID, %eax         /* an object's read, write or wait */
	je mid
	test %eax, %eax
	jz 1f
	mov %rbx, %rdi
	call lean_return_check
	test %eax, %eax
	jnz lean_restart
lean_return:
	LOAD_APP_REGS_AND_GO
lean_return_end:
	/* Full path. */
1:	SAVE_APP_FS %rbx
	LOAD_FS %gs:VCPU_RT_FS
	SAVE_VECTOR_STATE %rbx
	mov %rbx, %rdi
	call fast_entry_c
	jmp gate_return
/*
 * Mid path: calls that may block and switch uthreads (futex, sched_yield)
 * but call no library code and touch no TLS. With FSGSBASE the runtime's
 * %fs is loaded (12 ns); without, the app's stays (a kernel call each
 * way saved: pg_mid_app_fs), but in a sanitizer build, whose
 * instrumentation calls its runtime (which uses TLS) from any code. Of the vector state only xmm0-15 and MXCSR are saved
 * (runtime code is SSE-only); a switch, a signal or the full path
 * completes the save (vec_make_full).
 */
mid:
	cmpb $0, pg_mid_app_fs(%rip)
	jne 4f
	SAVE_APP_FS %rbx
	LOAD_FS %gs:VCPU_RT_FS
4:	SSE_AREA_OP save, %rbx
	movb $VEC_SSE, UT_VECMODE(%rbx)
	mov %rbx, %rdi
	call mid_entry_c
	mov %gs:VCPU_CUR, %rbx          /* it may have moved to another vCPU */
	test %eax, %eax
	jz mid_full
	cmpb $VEC_FAST, UT_VECMODE(%rbx)
	jne 3f
	mov %eax, %r12d                  /* switched out with plain moves: back */
	mov %rbx, %rdi
	call vec_switch_in
3:	cmpb $VEC_SSE, UT_VECMODE(%rbx)
	jne gate_return                 /* switched out meanwhile: saved in full */
	mov %rbx, %rdi
	call lean_return_check
	test %eax, %eax
	jnz mid_restart
mid_return:
	LOAD_FS TF_FS(%rbx)
	SSE_AREA_OP restore, %rbx
	LOAD_APP_REGS_AND_GO
mid_return_end:

/* A signal waits, or landed in mid_return: complete the save, go full. */
mid_restart:
	mov %gs:VCPU_CUR, %rbx
	mov UT_RSTACK(%rbx), %rsp
	LOAD_FS %gs:VCPU_RT_FS
	cmpb $0, pg_vec_lazy(%rip)
	jne gate_return
	mov %rbx, %rdi
	call vec_make_full
	jmp gate_return

/* Not for the mid path after all (a timeout...): the full one. */
mid_full:
	LOAD_FS %gs:VCPU_RT_FS
	cmpb $0, pg_vec_lazy(%rip)
	jne 5f
	mov %rbx, %rdi
	call vec_make_full
5:	mov %rbx, %rdi
	call fast_entry_c
	jmp gate_return

/* Served lean, but a signal waits (or one landed in lean_return): save
 * what the full return needs, the app's %fs and vector state being still
 * live, and take it. Restartable from the top like gate_return. */
lean_restart:
	mov %gs:VCPU_CUR, %rbx
	mov UT_RSTACK(%rbx), %rsp
	SAVE_APP_FS %rbx
	LOAD_FS %gs:VCPU_RT_FS
	SAVE_VECTOR_STATE %rbx
	jmp gate_return

gate_text_end:

/*
 * gate_direct - the entry of a rewritten site whose call goes to the kernel
 * exactly as the app made it (lean_direct(): no fd, id or path to map, and
 * it never blocks). The stub jumped here with %rcx = its record and %eax =
 * the number it loaded; the call is issued from here, inside SUD's exempt
 * range (section pg_exempt, with core/syscall.S), with every other app
 * register live. Nothing in here changes the flags, touches the app stack
 * or needs the selector: the app's state is whole at every instruction, and a host signal landing in here is turned
 * into it by direct_to_gate() in host_signals.c, as the app just before
 * its stub (the call not issued yet) or just after its call.
 */
	.pushsection pg_exempt, "ax", @progbits
	.p2align 4
gate_direct:
	mov %rcx, %gs:VCPU_DIRECT_REC
	mov %gs:VCPU_CUR, %rcx
	mov UT_FILTER(%rcx), %rcx       /* seccomp filters: the full path's */
	jrcxz 1f
	mov %gs:VCPU_DIRECT_REC, %rcx
	jmp gate_fast
1:	syscall
direct_done:
	mov %gs:VCPU_DIRECT_REC, %rcx
	mov (%rcx), %rcx                /* resume rip: %rcx as the syscall leaves it */
	jmp *%rcx
gate_direct_end:

/*
 * gate_direct_fd - the same for a call whose one translated argument is
 * the fd in %rdi (read, write, pread64, fstat...): the program's fd is looked
 * up in its table here and replaced by the host fd for the call, the app's
 * %rdi kept in the vCPU and put back after it. An fd the table cannot
 * serve this way (out of range, free, a user-space object, or, when the
 * record's nr has bit 32 set, not known to be non-blocking) goes to
 * gate_fast with the registers as the stub left them. Still nothing
 * changes the flags: the tests are jrcxz, the shifts BMI2's shlx/shrx, a
 * subtraction is not+lea; so %rax, %rcx and %r11 are the only scratch, as
 * the syscall clobbers them anyway. Host signals in here: direct_to_gate().
 */
	.p2align 4
gate_direct_fd:
	mov %rcx, %gs:VCPU_DIRECT_REC
	mov %rdi, %gs:VCPU_DIRECT_ARG0
direct_fd_saved:
	FD_ENTRY direct_fd_slow
	/* The host fd first, then what goes with it: an install writes them
	 * in the other order (x86 keeps both orders), so an O_NONBLOCK read
	 * here is never an earlier file's. */
	movslq (%r11), %rcx
	lea 1(%rcx), %rcx               /* host + 1: 0 for a free entry (-1); an
	                                   open's number (FDT_RESERVED, -2) goes to
	                                   the kernel as fd -2: EBADF, as Linux's */
	jrcxz 9f
	mov %rcx, %gs:VCPU_DIRECT_HOST1
	mov FDENT_OBJ(%r11), %rcx
	jrcxz 2f                        /* an object serves itself */
9:	jmp direct_fd_slow              /* (jrcxz reaches 127 bytes) */
2:	mov %gs:VCPU_DIRECT_REC, %rcx
	mov 20(%rcx), %ecx              /* bit 32 of the record's nr */
	jrcxz 3f
	mov $1, %eax                    /* non-blocking, as of this generation? */
	shrx %eax, FDENT_NB(%r11), %ecx /* gen << 1 | flag: the file bit dropped */
	mov fdt_flags_gen(%rip), %eax
	lea 1(%rax,%rax), %eax          /* gen << 1 | O_NONBLOCK */
	not %eax
	lea 1(%rcx,%rax), %ecx          /* nb - that */
	jrcxz 3f
	jmp direct_fd_slow
3:	mov %gs:VCPU_DIRECT_HOST1, %rcx
	lea -1(%rcx), %rdi
	mov %gs:VCPU_DIRECT_REC, %rcx
	mov 16(%rcx), %eax
	syscall
direct_fd_done:
	mov %gs:VCPU_DIRECT_ARG0, %rdi
	mov %gs:VCPU_DIRECT_REC, %rcx
	mov (%rcx), %rcx
	jmp *%rcx
direct_fd_slow:
	mov %gs:VCPU_DIRECT_ARG0, %rdi
	mov %gs:VCPU_DIRECT_REC, %rcx
	mov 16(%rcx), %eax
	jmp gate_fast
gate_direct_fd_end:

/*
 * gate_direct_ep - epoll_wait, or epoll_pwait without a mask, on a set
 * whose members are all kernel files (fs/epoll.h: lean_kfd): the call goes
 * to the set's host epoll fd, whose events carry the program's data as
 * they are, with timeout 0; the app's %rdi and %r10 are kept in the vCPU
 * and put back after it. Anything else goes to gate_fast as the stub left
 * it: another fd, a set with members of its own, a mask, an error, and
 * nothing ready when the app would wait (the full path parks the uthread,
 * not the vCPU). Flag-free like gate_direct_fd; %rdi and %r10 are scratch
 * once saved. Host signals in here: direct_to_gate().
 */
	.p2align 4
gate_direct_ep:
	mov %rcx, %gs:VCPU_DIRECT_REC
	mov %rdi, %gs:VCPU_DIRECT_ARG0
	mov %r10, %gs:VCPU_DIRECT_ARG3
direct_ep_saved:
	lea -281(%rax), %rcx            /* epoll_pwait: only without a mask */
	jrcxz 1f
	jmp 2f
1:	mov %r8, %rcx
	jrcxz 2f
	jmp direct_ep_slow
2:	FD_ENTRY direct_ep_slow
	movslq (%r11), %rcx
	lea 1(%rcx), %rcx               /* host + 1: 0 for an object alone (or a free entry) */
	jrcxz 4f
	jmp direct_ep_slow
4:	mov FDENT_OBJ(%r11), %rdi
	mov %rdi, %rcx
	jrcxz 9f
	mov VF_OPS(%rdi), %rax
	lea eventpoll_ops(%rip), %rcx
	not %rcx
	lea 1(%rax,%rcx), %rcx          /* ops - &eventpoll_ops */
	jrcxz 5f
9:	jmp direct_ep_slow
5:	movslq EP_LEAN_KFD(%rdi), %rcx
	lea 1(%rcx), %rcx               /* kfd + 1: 0 once the set has members of its own */
	jrcxz 9b
	lea -1(%rcx), %rdi
	mov $0, %r10d
	mov $232, %eax                  /* epoll_wait */
	syscall
direct_ep_done:
	mov %rax, %rcx
	jrcxz 6f                        /* nothing ready */
	mov $63, %ecx
	shrx %rcx, %rax, %rcx
	jrcxz 7f                        /* events */
	jmp direct_ep_slow              /* an error: the full path answers it */
6:	mov %gs:VCPU_DIRECT_ARG3, %ecx  /* the app's timeout (an int) */
	jrcxz 7f
	movb $1, %gs:VCPU_EP_LOOKED     /* the full path need not look again */
	jmp direct_ep_slow
7:	mov %gs:VCPU_DIRECT_ARG0, %rdi
	mov %gs:VCPU_DIRECT_ARG3, %r10
	mov %gs:VCPU_DIRECT_REC, %rcx
	mov (%rcx), %rcx
	jmp *%rcx
direct_ep_slow:
	mov %gs:VCPU_DIRECT_ARG0, %rdi
	mov %gs:VCPU_DIRECT_ARG3, %r10
	mov %gs:VCPU_DIRECT_REC, %rcx
	mov 16(%rcx), %eax
	jmp gate_fast
gate_direct_ep_end:
	.popsection

	.section .note.GNU-stack,"",@progbits
