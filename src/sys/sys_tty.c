/* sys_tty.c - a terminal's job control: foreground groups in programs' ids. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <termios.h>

#include "core/rawsys.h"
#include "fs/fdtable.h"
#include "mm/uaccess.h"
#include "proc/signal.h"
#include "proc/tty_pgrp.h"
#include "proc/vproc.h"
#include "sched/vcpu.h"
#include "sys/kcall.h"
#include "sys/sys_tty.h"
#include "sys/systab.h"

static long tty_kcall(struct uthread *ut, const long a[6])
{
	return kcall(ut, SYS_ioctl, systab_get(SYS_ioctl), a);
}

/* A terminal change (tcsetpgrp, tcsetattr, tcflush...) by a caller whose
 * host group is not the foreground: the kernel sends SIGTTOU to that whole
 * group and refuses, unless the caller blocks or ignores SIGTTOU. What the
 * program blocks or ignores, this thread blocks for the call (a shell
 * taking its terminal back from a stopped job); any other caller meets
 * the kernel's rule. */
static long changed_as_program(struct uthread *ut, const long a[6])
{
	uint64_t ttou = SIGBIT(SIGTTOU);
	if (!(ut->sigmask & ttou) && ut->proc->sigaction[SIGTTOU - 1].handler != (uint64_t)SIG_IGN)
		return tty_kcall(ut, a);
	uint64_t old;
	raw_syscall6(SYS_rt_sigprocmask, SIG_BLOCK, (long)&ttou, (long)&old, 8, 0, 0);
	long r = tty_kcall(ut, a);
	raw_syscall6(SYS_rt_sigprocmask, SIG_SETMASK, (long)&old, 0, 8, 0, 0);
	return r;
}

/* TIOCSPGRP: the kernel is given the host group that stands for the
 * program group. */
static long set_foreground(struct uthread *ut, const long a[6])
{
	int vpgid;
	if (copy_from_user(&vpgid, a[2], sizeof(vpgid)))
		return -EFAULT;
	if (vpgid < 0)
		return -EINVAL;
	int host = tty_host_group(vpgid);
	long b[6] = { a[0], a[1], (long)&host, a[3], a[4], a[5] };
	long r = changed_as_program(ut, b);
	if (r == 0)
		tty_foreground_set(vpgid, host);
	return r;
}

/* TIOCGPGRP: the host group the kernel names, as the program group it
 * stands for. */
static long get_foreground(struct uthread *ut, const long a[6])
{
	int host;
	long b[6] = { a[0], a[1], (long)&host, a[3], a[4], a[5] };
	long r = tty_kcall(ut, b);
	if (r)
		return r;
	int vpgid = tty_foreground_of(host, ut->proc->pgid);
	return copy_to_user(a[2], &vpgid, sizeof(vpgid)) ? -EFAULT : 0;
}

/* TIOCSCTTY by a vfork child that leads a session beside other programs
 * (Go's os/exec with Setsid and Setctty): its host process leads no
 * session, and the kernel said EPERM. The terminal is taken when the
 * program execs, in a host process of its own (sys_exec.c); until then a
 * dup of it is kept (login_tty closes the fd it named), as Linux checks
 * it: a terminal (ENOTTY), by a session leader (EPERM from the kernel
 * below). Any other program meets the kernel's rule. */
static long set_ctty(struct uthread *ut, const long a[6])
{
	struct vproc *p = ut->proc;
	struct termios t;
	int h = fdt_host(p->fdt, a[0]);
	if (!p->vfork || p->sid != p->pid || vproc_alone(p) || h < 0)
		return TTY_NOT_JOB_CONTROL;
	if (raw_syscall3(SYS_ioctl, h, TCGETS, (long)&t) < 0)
		return -ENOTTY;
	long d = raw_syscall3(SYS_fcntl, h, F_DUPFD_CLOEXEC, 0);
	if (d < 0)
		return d;
	if (p->ctty_host1)
		raw_syscall3(SYS_close, p->ctty_host1 - 1, 0, 0);
	p->ctty_host1 = (int)d + 1;
	p->ctty_arg = (int)a[2];
	return 0;
}

long tty_ioctl(struct uthread *ut, const long a[6])
{
	switch ((unsigned)a[1]) {
	case TIOCSCTTY:
		return set_ctty(ut, a);
	case TIOCSPGRP:
		return set_foreground(ut, a);
	case TIOCGPGRP:
		return get_foreground(ut, a);
	case TCSETS: case TCSETSW: case TCSETSF:
	case TCSETA: case TCSETAW: case TCSETAF:
	case TCFLSH: case TCXONC: case TCSBRK: case TCSBRKP: case TIOCSETD:
		return changed_as_program(ut, a);
	default:
		return TTY_NOT_JOB_CONTROL;
	}
}
