/* pidspace.h - the instance's virtual pid space, shared by its host processes. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "core/hostcred.h"

/* pidspace_claim - take pid if no program or thread of the instance, in any
 * of its host processes, holds it: true if taken. */
bool pidspace_claim(int pid);
/* pidspace_alloc - the next free pid after the last one given out (wrapping
 * below PID_SPACE_MAX), taken; -EAGAIN when none is free. */
int pidspace_alloc(void);
/* pidspace_keep_outside - pid is a host process (or group, or session)
 * outside the instance that its programs name: pegasus's parent, group or
 * session. No program or thread of the instance gets it (up to three). */
void pidspace_keep_outside(int pid);
/* pidspace_outside - does pid name a host process outside the instance
 * (neither a program's nor a thread's in any of its host processes), those
 * kept outside included? */
bool pidspace_outside(int pid);
/* pidspace_outside_known - pid is pegasus's parent, group or session:
 * outside for sure, never a number the instance used and freed (another
 * host process may hold it now). */
bool pidspace_outside_known(int pid);
/* pidspace_free - pid is no longer a program's or a thread's. */
void pidspace_free(int pid);

/* What the instance's host processes tell each other about a program
 * (/proc of a program that runs in another host process: ps). */
struct prog_info {
	int pid, ppid, pgid, sid;
	int host_pid;                /* the host process that runs it */
	char comm[16];
	uint64_t arg_start, arg_end; /* its argv strings, in that process */
	int cwd_fd;                  /* its working directory, a host fd there */
	char exe[256];               /* its image's path (cut short if longer) */
	int pdeathsig;               /* PR_SET_PDEATHSIG: its parent sends it (wait.c) */
	int subreaper;               /* PR_SET_CHILD_SUBREAPER: its process's orphans are its (vproc_ppid) */
	int stood_in_at;             /* the host process where a stand-in waits for it (vproc.forked_for_exec) */
	int stopsig;                 /* the stop signal its process stopped for */
	int execd;                   /* it exec'd since its fork (setpgid: EACCES) */
	uint64_t start_ticks;        /* vproc.start_ticks */
	uint64_t vproc_addr;         /* its struct vproc, in that process (proc/remote.h) */
	uint32_t uid, suid;          /* its real and saved uids: who may signal it */
	uint64_t env_start, env_end; /* its environment strings, in that process */
};

/* prog_info_set_exe - pi->exe := exe (NULL: empty), cut short if longer.
 * Not snprintf: a forked child publishes itself at once, and its first call
 * of the formatter would fault in pages of libc's code for a copy. */
static inline void prog_info_set_exe(struct prog_info *pi, const char *exe)
{
	size_t n = exe ? strnlen(exe, sizeof(pi->exe) - 1) : 0;
	memcpy(pi->exe, exe ? exe : "", n);
	pi->exe[n] = 0;
}

/* prog_info_set_ids - who may signal the program: its real and saved uids
 * (none: root's). */
static inline void prog_info_set_ids(struct prog_info *pi, const struct hostcred *c)
{
	pi->uid = c ? c->uid : 0;
	pi->suid = c ? c->suid : 0;
}

/* pidspace_publish - record or update what pi->pid is (its owner only);
 * its ppid, pgid and sid only in a new record: later, the setters below. */
void pidspace_publish(const struct prog_info *pi);
/* pidspace_set_group, pidspace_set_ppid - pid's group and session, its
 * parent, now (by its own process or its parent's: a setpgid, an adoption);
 * no-ops without a record. */
void pidspace_set_group(int pid, int pgid, int sid);
void pidspace_set_ppid(int pid, int ppid);
/* pidspace_host_shared - do two or more published programs run in host
 * process host_pid, a stand-in for one elsewhere counted (whose end there
 * would end it: sys_exec.c)? */
bool pidspace_host_shared(int host_pid);
/* pidspace_unpublish - pid is no program any more (reaped). */
void pidspace_unpublish(int pid);
/* pidspace_unpublish_gone - pid's record, if it still names host process
 * host_pid (found gone), is dropped: true if so. */
bool pidspace_unpublish_gone(int pid, int host_pid);
/* pidspace_lookup - what was published for pid: true and *out if any. */
bool pidspace_lookup(int pid, struct prog_info *out);
/* pidspace_check_host - the kernel's kill(0) of pi's host process (0 for
 * this one). A record whose process is gone (ESRCH: reaped by the host's
 * init, an orphan whose parent process ended first) is unpublished here,
 * as nobody in the instance will: its pid said its old group and session
 * (monit's getpgid check of a stopped service never saw it go). */
long pidspace_check_host(const struct prog_info *pi);
/* pidspace_lookup_live - pidspace_lookup of a program whose host process
 * is still there (a zombie too). */
bool pidspace_lookup_live(int pid, struct prog_info *out);
/* pidspace_find_host - the program host process host_pid runs (its leader,
 * whose pid is the host's, if there are several): an orphan the kernel
 * gave a subreaper's process (fork.c adopt). */
bool pidspace_find_host(int host_pid, struct prog_info *out);
/* pidspace_subreaper_in - a program of host process host_pid that asked to
 * be a subreaper (its pid), or 0. */
int pidspace_subreaper_in(int host_pid);
/* pidspace_note_fork - the instance has more than one host process now
 * (pidspace_handoff_open says so too). */
void pidspace_note_fork(void);
/* pidspace_forked - has the instance more than one host process (ever)?
 * Until then, every program is this process's: no need to look here. */
bool pidspace_forked(void);
/* pidspace_list - up to max published pids, unordered; their count. */
int pidspace_list(int *pids, int max);

/*
 * A forked child's pid is its host pid when no one in the instance holds
 * that id (so its pid file names a process `kill` reaches), else the
 * fallback its parent took before the fork. Only the parent knows the host
 * pid in time and can claim it without racing the child, so it decides and
 * hands the answer over: open a slot before the fork (-1: none free, the
 * fallback stands), give the pid after it, and the child takes it (waiting
 * if need be; the fallback if its parent process is gone). A fork that
 * failed closes the slot.
 */
int pidspace_handoff_open(int fallback);
void pidspace_handoff_give(int slot, int pid);
int pidspace_handoff_take(int slot, int fallback, int parent_host_pid);
void pidspace_handoff_close(int slot);
