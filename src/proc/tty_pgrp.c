/* tty_pgrp.c - a terminal's foreground group and job-control groups, in
 * programs' ids and in the host's.
 *
 * Program groups are virtual (setpgid moves nothing on the host), but the
 * terminal signals host groups: a shell's TIOCSPGRP with a job's id gave
 * the kernel a pid that led no host group, and Ctrl-Z reached no one. A
 * job that has a host process of its own (a forked child) is moved to a
 * host group too, and a group whose programs share this host process is
 * given to the kernel as this process's group; the signal's arrival then
 * names the program group again. */
#include <errno.h>
#include <sys/syscall.h>

#include "core/rawsys.h"
#include "proc/tty_pgrp.h"
#include "proc/vproc.h"

/* The foreground group a program here last set, and the host group the
 * kernel was given for it. One controlling terminal per host process. */
static int fg_vpgid, fg_host;

int tty_host_group(int vpgid)
{
	int h = vproc_host_of(vpgid);
	if (h < 0)
		return vpgid;
	long g = raw_syscall3(SYS_getpgid, h, 0, 0);
	return g < 0 ? vpgid : (int)g;
}

void tty_foreground_set(int vpgid, int host)
{
	__atomic_store_n(&fg_host, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&fg_vpgid, vpgid, __ATOMIC_RELAXED);
	__atomic_store_n(&fg_host, host, __ATOMIC_RELEASE);
}

int tty_foreground_of(int host, int caller_pgid)
{
	int h = __atomic_load_n(&fg_host, __ATOMIC_ACQUIRE);
	if (h && h == host)
		return __atomic_load_n(&fg_vpgid, __ATOMIC_RELAXED);
	/* This host process's own group (pegasus run in the foreground by a
	 * shell without job control: `sh -c "...; pegasus run -- bash -i"`,
	 * where pegasus leads no group): every program here is in the
	 * foreground as the kernel sees it, so the caller's group is the
	 * answer. The host id, which no program's group is, made bash -i
	 * think itself in the background and stop the whole process. */
	return host == raw_syscall3(SYS_getpgid, 0, 0, 0) ? caller_pgid : host;
}

int tty_signal_group(int fallback)
{
	int h = __atomic_load_n(&fg_host, __ATOMIC_ACQUIRE);
	if (h && h == raw_syscall3(SYS_getpgid, 0, 0, 0))
		return __atomic_load_n(&fg_vpgid, __ATOMIC_RELAXED);
	return fallback;
}

void tty_mirror_pgid(struct vproc *p, bool alone)
{
	int host = alone ? (int)raw_syscall3(SYS_getpid, 0, 0, 0) : p->host_pid;
	if (host <= 0)
		return; /* it shares a host process with other programs */
	int group = p->pgid == p->pid ? host : tty_host_group(p->pgid);
	raw_syscall3(SYS_setpgid, host, group, 0);
}
