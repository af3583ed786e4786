/* offsets.h - field offsets shared by the C structs and the gate assembly. */
#pragma once

/* struct trap_frame */
#define TF_RAX     0
#define TF_RBX     8
#define TF_RCX     16
#define TF_RDX     24
#define TF_RSI     32
#define TF_RDI     40
#define TF_RBP     48
#define TF_RSP     56
#define TF_R8      64
#define TF_R9      72
#define TF_R10     80
#define TF_R11     88
#define TF_R12     96
#define TF_R13     104
#define TF_R14     112
#define TF_R15     120
#define TF_RIP     128
#define TF_RFLAGS  136
#define TF_FS      144

/* struct uthread */
#define UT_TF      0
#define UT_XSAVE   152
#define UT_RSTACK  160
#define UT_VECMODE 168
#define UT_SSE     176
#define UT_FASTREC 184
#define UT_FILTER  192    /* seccomp filters: non-zero sends every call the full way */

/* What gate_direct_fd reads to map an fd (asserted in entry/lean.c). */
#define UT_PROC     208
#define VP_FDT      3672
#define VP_FSIZE    3720   /* struct vproc: rlim[RLIMIT_FSIZE].rlim_cur */
#define FDT_PAGE0   16     /* struct fdtable: page[], FDT_DIRECT (4) pages */
#define FDENT_NB    4      /* struct fdent: host at 0, nb, obj */
#define FDENT_OBJ   8      /* entries are 16 bytes */
/* ...and gate_direct_ep to find a set's host epoll fd. */
#define VF_OPS      0      /* struct vfile: ops */
#define EP_LEAN_KFD 80     /* struct eventpoll_lean: lean_kfd */

/* A stub's record lies this far past the stub's first byte (rewrite.c). */
#define STUB_REC_OFF 40

/* Where the app's vector state is while the runtime serves a call. */
#define VEC_FULL   0  /* all of it in the XSAVE area */
#define VEC_SSE    1  /* xmm0-15 and MXCSR in the SSE area, the rest live */
#define VEC_FAST   2  /* the SSE area, plus ymm/zmm/k in the fast area (switched out) */

/* struct vcpu, reached through %gs */
#define VCPU_SELF     0
#define VCPU_CUR      8
#define VCPU_RT_FS    16
#define VCPU_RET_RIP  24
#define VCPU_DIRECT_REC 32
#define VCPU_DIRECT_ARG0 40
#define VCPU_DIRECT_HOST1 48
#define VCPU_DIRECT_ARG3 56
#define VCPU_KFS      64
#define VCPU_SELECTOR 72
#define VCPU_EP_LOOKED 73
