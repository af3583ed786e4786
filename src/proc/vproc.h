/* vproc.h - a virtual process: one fused program's private OS state. */
#pragma once
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>

#include "mm/brk.h"
#include "core/spinlock.h"
#include "sched/waitq.h"

struct uthread;
struct sys_stats;
struct vfork_wait;
struct hostcred;

/* The kernel's x86-64 struct sigaction, as rt_sigaction passes it. */
struct k_sigaction {
	uint64_t handler;
	uint64_t flags;
	uint64_t restorer;
	uint64_t mask;
};

/* Queued instances of real-time signals (Linux queues them; standard
 * signals coalesce into one pending bit). Filled from host signal handlers:
 * slots are claimed with atomics, a node is live once its sig is set. The
 * nodes come in chunks of 64 (one per word of used), each mapped when its
 * word is first used: most programs queue none or a few. */
#define RTQ_MAX 4096
#define RTQ_CHUNK 64
struct rtq_node {
	uint64_t seq;
	int sig;            /* 0: free or being filled */
	int tid;            /* thread-directed to this tid, or 0 for the process */
	siginfo_t info;
};
struct rtqueue {
	uint64_t used[RTQ_MAX / RTQ_CHUNK];
	uint64_t seq;
	struct rtq_node *chunk[RTQ_MAX / RTQ_CHUNK];
};

enum vp_state { VP_LIVE, VP_EXITING, VP_DEAD };

struct vproc {
	int pid, ppid, pgid, sid;    /* virtual ids: never given to the kernel */
	int state;                   /* enum vp_state, atomic */
	int exit_code;               /* exit status, or... */
	int exit_signal;             /* ...the signal that killed it */
	const char *name;            /* short name for messages and traces */
	char *exe;                   /* absolute path of the running image */
	char comm[16];               /* its name: as exec'd (basename, 15 chars), or as its main thread renamed itself */
	struct k_sigaction sigaction[64];
	uint64_t sigpending;         /* process-directed pending signals */
	uint64_t sigclaimed;         /* standard ones whose siginfo slot is taken */
	siginfo_t *siginfo;          /* their info, mapped on first use (signal.c) */
	struct brk brk;
	uint64_t arg_start, arg_end, env_start, env_end; /* on its stack */
	uint64_t stack_lo, stack_len; /* its main stack's mapping (0: none) */
	struct uthread *main_thread;
	struct uthread *threads;     /* all its threads, linked by proc_next */
	spinlock_t lock;             /* threads list */
	int nthreads;
	int pdeathsig;
	bool cpu_acct;               /* its threads' CPU time is counted (proc/cputime.c) */
	struct sys_stats *stats;     /* --stats counters, or NULL */
	struct rtqueue rtq;
#define SIGFD_MAX 16
	struct vfile *sigfd[SIGFD_MAX];  /* its signalfds (fs/signalfd.c), NULL: free */
	uint64_t sigfd_mask[SIGFD_MAX];  /* the signals each watches */
	uint64_t sigfd_seen[SIGFD_MAX];  /* watched signals queued since its last read */
	spinlock_t sigfd_lock;           /* slots: taken, filled, freed, woken */
	struct fdtable *fdt;         /* its file descriptors */
	int cwd_fd;                  /* host O_PATH fd of its working directory */
	char *cwd;                   /* and its path, for getcwd and relative paths */
	unsigned umask;
	struct rlimit rlim[RLIM_NLIMITS];
	const struct hostcred *cred; /* its user and group ids (proc/cred.h) */

	/* Its family (proc/wait.c and proc/spawn.c, under their lock). */
	struct vproc *root;          /* the command-line program it descends from */
	int parent_signal;           /* sent to the parent at its end (clone's CSIGNAL) */
	bool zombie;                 /* ended, its status not yet collected by a wait */
	struct vfork_wait *vfork;    /* its parent, waiting until it execs or ends */
	/* Its own host process, for an image whose addresses were taken: the
	 * host pid of the process where it is stood in for (sys_exec.c). */
	int forked_for_exec;
	/* TIOCSCTTY asked by a vfork child that leads a session beside other
	 * programs, which only a host process of its own can: its exec goes
	 * to one, which takes the terminal (sys_tty.c, sys_exec.c). A host
	 * dup of the terminal + 1, and the ioctl's argument. */
	int ctty_host1, ctty_arg;
	/* A forked child runs in another host process (proc/fork.c): its pid
	 * there (-1 while being forked), signals sent to it go there, and its
	 * host end is its end here. 0: it runs in this process. */
	int host_pid;
	/* It stands in for itself, gone on in host process stand_in_host,
	 * where its image's addresses were free (sys_exec.c, exec_elsewhere):
	 * the signals it is sent go on there. */
	int stand_in_host;
	bool vm_shared;              /* made a CLONE_VM child that runs beside it (no CLONE_VFORK) */
	/* Its host process's cwd is its own (a forked child's: chdir moves
	 * both; relative AF_UNIX names go as they are; chroot is served). */
	bool cwd_synced;
	uint64_t serial;             /* unique in this host process: the program, not its pid */
	/* Stopped beside other programs (signal.c stop_program): the stop
	 * signal, 0 when running; its threads park on stopq until SIGCONT or
	 * SIGKILL. For its parent's waits (WUNTRACED, WCONTINUED), under
	 * wait.c's lock: a stop not yet reported, a continue not yet. */
	int stop_sig;
	struct waitq stopq;
	int stop_report;
	bool cont_report;
	int host_stopsig;            /* alone, its process stopped for this signal */
	bool no_new_privs;           /* PR_SET_NO_NEW_PRIVS: kept by fork, spawn and exec */
	bool end_termed;             /* sent the instance's closing SIGTERM (instance.c) */
	bool orphaned;               /* its parent ended; the instance took it in (wait.c) */
	/* Its image has an ELF interpreter: the code it maps is ld.so's
	 * loading of libraries, whose known call sites are rewritten at once.
	 * A static program that maps code is a loader of its own (valgrind
	 * translates the guest's ld.so: rewritten, its jumps into stubs ran as
	 * guest code and crashed); its sites are rewritten as they trap. */
	bool dynamic;
	/* Its personality and prctl's PR_SET_DUMPABLE and PR_SET_THP_DISABLE:
	 * its own, kept as Linux's, never the host process's (the threads'
	 * own attributes are in struct uthread's sched). */
	struct prog_attrs {
		unsigned personality;
		uint8_t dumpable;
		bool thp_disable;
	} attrs;
	/* mlockall(MCL_FUTURE): 0, or 1 + mlock2's flags for each new mapping
	 * (sys/sys_mem.c); not kept by a fork or an execve. */
	uint8_t mlock_future;
	struct semadj *semadj;       /* its SEM_UNDO adjustments (proc/semundo.c) */
	/* ITIMER_VIRTUAL and ITIMER_PROF (indexes 0 and 1): the next expiry in
	 * its CPU time and the interval, ns (0: disarmed); checked at its
	 * slice ticks (proc/cputime.c). */
	uint64_t cpu_timer_next[2], cpu_timer_interval[2];
	bool execd;                  /* it has exec'd since its fork: its parent may no longer setpgid it */
	bool child_subreaper;        /* PR_SET_CHILD_SUBREAPER: its descendants' orphans come to it */
	struct plock_file *plocks;   /* files it holds POSIX locks on (proc/posix_locks.c) */
	/* What its parent's wait4 and waitid report of its end: a forked
	 * child's, from its host process's reap; a program of this process's,
	 * its CPU time (ran_ns and children_ns) as user time. */
	struct rusage host_usage;
	/* A program of this host process: the CPU time of its ended threads,
	 * as the scheduler estimates it (sched_ran_ns), and of its children
	 * of this process that it waited for, with their own (Linux's cutime):
	 * the host's counts do not split by program (RUSAGE_CHILDREN, times). */
	uint64_t ran_ns, children_ns;
	/* When it started, as /proc/PID/stat's starttime (clock ticks since
	 * boot), for a program started in this host process beside its parent
	 * (vfork, posix_spawn); 0: its host process's start is its own (the
	 * first program, a forked child). */
	uint64_t start_ticks;
};

/* vproc_close_fds - every fd of p is closed. */
void vproc_close_fds(struct vproc *p);

/* Once, before any program: take over the host umask and fd limit. */
void vproc_init_host(void);
/* Give the program host fds (dup'd) as its fds 0, 1, 2; -1 leaves one closed. */
int vproc_set_stdio(struct vproc *p, const int host[3]);
/* chdir for the program: dirfd is a host fd (the program's cwd for
 * relative paths); 0 or -errno. */
long vproc_chdir(struct vproc *p, int dirfd, const char *path);

/* The one instance-wide list of programs (vproc_new: NULL when memory,
 * slots or ids run out; pid 0 takes a new virtual pid, any other is one
 * the caller already holds, or another host process's program). vproc_at(i) is NULL for a slot
 * whose program was reaped; i < vproc_count(). */
struct vproc *vproc_new(const char *name, int pid);
/* vproc_thread_sched - what a new thread of the first generation (a
 * command-line program's main thread) starts with: pegasus's own. */
struct thread_sched vproc_thread_sched(void);
/* vproc_sched_forked - a new thread's copy of its creator's (a thread, a
 * spawned or forked child), as Linux's sched_fork: SCHED_RESET_ON_FORK
 * gives it the defaults. */
void vproc_sched_forked(struct thread_sched *s);
/* A reaped child leaves the list; its memory is freed a while later, so a
 * lookup racing with the reap never touches freed memory. */
void vproc_release(struct vproc *p);
/* vproc_unlist - an ended program pegasus itself started: no lookup finds
 * it any more (kill, /proc/<pid>), as its parent outside would have
 * reaped it; its record stays for the instance's end (never freed). */
void vproc_unlist(struct vproc *p);
struct vproc *vproc_by_pid(int pid);
/* The program whose pid, or one of whose threads' tid, is id; or NULL. */
struct vproc *vproc_by_id(int id);
/* Has p ended with its status not yet collected by a wait (a zombie)? */
bool vproc_is_zombie(const struct vproc *p);
/* Is p the only program running in this host process? */
bool vproc_alone(const struct vproc *p);
/* Is ut the only thread of any program in this host process (a forked
 * single-threaded server's backend)? */
bool vproc_sole_thread(const struct uthread *ut);
int vproc_count(void);
struct vproc *vproc_at(int i);
struct uthread *uthread_by_tid(int tid);
/* The same without taking locks (signal handlers): a racy but safe read. */
struct uthread *uthread_by_tid_nolock(int tid);
/* vproc_outside_target - whom a signal from outside is for: the program
 * whose pid is this host process's, if it runs here (the first one, even
 * dead: its family then; a forked child); else the instance's first
 * program (slot 0), or once that is released the first command-line
 * program alive here; NULL if none. */
struct vproc *vproc_outside_target(void);
/* A new virtual id from the instance-wide pid/tid space. */
int vproc_alloc_id(void);
/* vproc_add_thread - t joins p, with creator's seccomp filters (NULL: a
 * program's first thread made by no thread). */
void vproc_add_thread(struct vproc *p, struct uthread *t, const struct uthread *creator);
/* Remove t; returns the number of threads left. */
int vproc_remove_thread(struct vproc *p, struct uthread *t);

/* vproc_terminate - end every thread of p, which then ends with the
 * status code, or killed by sig if non-zero. The first cause wins. The
 * threads leave at their next gate crossing; the last one finishes p. */
void vproc_terminate(struct vproc *p, int sig, int code);
/* vproc_exit - exit_group(code) by the calling thread of p. */
_Noreturn void vproc_exit(struct vproc *p, int code);
/* vproc_kill - p dies of signal sig (a default action), from its thread. */
_Noreturn void vproc_kill(struct vproc *p, int sig);
/* vproc_thread_exit - the calling uthread of its program is gone; the last
 * one to go finishes the program (with code, unless already ending). */
_Noreturn void vproc_thread_exit(struct uthread *ut, int code);
/* vproc_host_ended - p, a forked child in another host process, has ended
 * there (killed by sig, or exited with code): it ends here, as a program. */
void vproc_host_ended(struct vproc *p, int sig, int code);
/**
 * vproc_after_fork - in a forked child: p is the only program, in slot 0,
 * with pid, ppid and the one thread ut (tid = pid); the threads of every
 * program are gone (woken, they would never run) and the other programs'
 * host fds closed. No signal is pending.
 */
void vproc_after_fork(struct vproc *p, struct uthread *ut, int pid, int ppid);
/* vproc_end_others - exec's first step (Linux's de_thread): every thread
 * of ut's program but ut is told to end and kicked; false if the program
 * is ending already (ut ends too then). The caller waits for
 * p->nthreads to reach 1. */
bool vproc_end_others(struct uthread *ut);
/* vproc_take_leader_id - ut, alone in its program after an exec, takes the
 * program's pid as its thread id, as Linux's exec'ing thread does. */
void vproc_take_leader_id(struct uthread *ut);

/* End the host process by signal sig, as a shell will report it. */
_Noreturn void vproc_die_of_signal(int sig);

/* vproc_publish - tell the instance's other host processes what p is now
 * (its name, argv, cwd...): after an exec, a fork. Its group, session and
 * parent only in its first record: those change by the calls below and
 * pidspace_set_ppid, from either side of a fork. */
void vproc_publish(struct vproc *p);
/* The same after p was moved to another group or session (setpgid,
 * setsid), by its own process or, for a forked child, its parent's. */
void vproc_publish_group(struct vproc *p);

/* vproc_host_of - the host process that runs virtual pid (or tid) pid: 0
 * for this one (pid 0, the caller, or another program: they share its
 * kernel threads), or the host pid of another process of the instance (a
 * forked child, a sibling); -ESRCH. */
int vproc_host_of(int pid);

/* vproc_sync_ids - p's group and session as last published: a forked
 * child may have moved itself (setpgid, setsid) in its own process, or
 * its parent may have moved it from here. */
void vproc_sync_ids(struct vproc *p);

/* vproc_dispositions - the signals a program with actions sa (its
 * sigaction) ignores and those it catches, as /proc/<pid>/status's SigIgn
 * and SigCgt. */
void vproc_dispositions(const struct k_sigaction sa[64], uint64_t *ign, uint64_t *cgt);

/* vproc_seen_as - p, or the program that stands in for it when p is the
 * host process a program went on in (sys_exec.c exec_elsewhere): what its
 * parent waits for and the others name. */
struct vproc *vproc_seen_as(struct vproc *p);

/* vproc_stand_in_back - p stood in for itself in another host process
 * (sys_exec.c exec_elsewhere), which ended: p's pid is this process's
 * again for the others (kill, /proc) until p is reaped, as that process
 * published it last (its name, its group, which p takes). */
void vproc_stand_in_back(struct vproc *p);

/* vproc_ppid - p's parent as getppid(2) says: the instance's first program
 * once its parent ended (its process adopted it there), or the host's
 * reaper once the parent's whole host process is gone. */
int vproc_ppid(struct vproc *p);

struct exec_image;
/* vproc_take_image - p now runs the image exec_load made: its path, name
 * and argument/environment ranges (the path's memory becomes p's). */
void vproc_take_image(struct vproc *p, struct exec_image *img);
/* vproc_name_host - p's name is comm now: the host process whose pid p's
 * is shows it (/proc/PID/comm, what ps and pgrep read). */
void vproc_name_host(struct vproc *p, const char *comm);
/* uthread_name - ut's name: its own (PR_SET_NAME, inherited from the
 * thread that made it), else its program's (a main thread never renamed). */
const char *uthread_name(const struct uthread *ut);
/* uthread_rename - ut is named name (up to 15 bytes kept); a main
 * thread's name is its program's too, as the others and the host see it. */
void uthread_rename(struct uthread *ut, const char *name);
/* vproc_host_args - the host process's own argv strings, len bytes from
 * area, which vproc_name_host may overwrite with a program's. */
void vproc_host_args(char *area, size_t len);

/* What layers above proc do when a program is made, has ended, or is a
 * fork's child (sys/stats.c: its --stats counters); any may be NULL. */
struct vproc_hooks {
	void (*created)(struct vproc *p);
	void (*ended)(struct vproc *p);
	void (*forked)(struct vproc *p); /* p is a fork's child, in its process */
};
extern struct vproc_hooks vproc_hooks;
