/* lean.h - calls served without saving the app's vector state or switching %fs. */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#include "sys/systab.h"

struct uthread;

/* Per syscall number: can gate_fast serve it lean? (read by gate.S) */
extern uint8_t lean_kind[SYS_MAX];

/* Fill lean_kind; with tracing or stats on, nothing is lean. page0_mapped:
 * the zpoline sled is there, so no pointer goes to the kernel unchecked. */
void lean_init(bool enabled, bool page0_mapped);
/* Which direct gate a site that loads the constant number nr may enter:
 * gate_direct (the call issued as is), gate_direct_fd (its fd in %rdi
 * mapped; _NB: only while the fd is known to be non-blocking), or none. */
enum direct_kind { DIRECT_NO, DIRECT_PLAIN, DIRECT_FD, DIRECT_FD_NB, DIRECT_EPOLL };
enum direct_kind lean_direct(long nr);
/* Serve the call in ut->tf if it can be served lean: 1 if done, 0 if not,
 * LEAN_TRY_MID where the mid path may serve it without changing %fs (a
 * kernel call each way without FSGSBASE: sys/mid_io.c). */
#define LEAN_TRY_MID 2
long lean_entry_c(struct uthread *ut);
/* Must the return to app code take the full path (signals to deliver)? */
long lean_return_check(struct uthread *ut);
