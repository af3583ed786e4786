/* sud.h - Syscall User Dispatch: the catch-all for every syscall of app code. */
#pragma once

struct vcpu;

/* Turn SUD on for the calling thread, with v->selector as its switch.
 * Returns 0 or -errno (kernels before 5.11 say EINVAL). */
int sud_enable(struct vcpu *v);
/* Can this host do SUD at all? Probed in a throwaway thread. */
int sud_probe(void);
