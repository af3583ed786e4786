/* fork.c - fork as a host fork: the child process keeps only the forking program, joined to the instance. */
#include "proc/semundo.h"
#include "proc/fork.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/forkhot.h"
#include "core/hostcred.h"
#include "core/hthread.h"
#include "core/hugetext.h"
#include "core/log.h"
#include "core/rawsys.h"
#include "fs/fdtable.h"
#include "fs/vfile.h"
#include "mm/regions.h"
#include "mm/uaccess.h"
#include "net/socket.h"
#include "proc/instance.h"
#include "proc/pidspace.h"
#include "proc/posix_locks.h"
#include "proc/spawn.h"
#include "proc/timers.h"
#include "proc/vproc.h"
#include "proc/wait.h"
#include "sched/futex.h"
#include "sched/poller.h"
#include "sched/quiesce.h"
#include "sched/sched.h"
#include "sched/vcpu.h"

/* What a fork may ask for. Sharing the fd table, cwd or dispositions with
 * a child in another process (CLONE_FILES, CLONE_FS, CLONE_SIGHAND), new
 * namespaces or a pidfd are not offered. */
#define FORK_OK (CLONE_SETTLS | CLONE_PARENT_SETTID | CLONE_CHILD_SETTID | \
		 CLONE_CHILD_CLEARTID | CLONE_DETACHED | CLONE_IO | CLONE_SYSVSEM | CSIGNAL)

/*
 * The parent process learns of its forked children's ends, stops and
 * continues from the kernel's SIGCHLD: the host handler notes it
 * (fork_host_child_note) and wakes a vCPU, whose poller reaps any host
 * child (the runtime has no others) with waitid(WNOHANG). The vCPU that a
 * parent's wait4 leaves idle is woken by the signal itself: no thread in
 * between (a reaper thread blocked in waitid was one more wakeup on every
 * child's end). reap_mu orders a child's registration (its host pid
 * stored after fork returns) before its end is looked up.
 */
FORK_HOT static pthread_mutex_t reap_mu = PTHREAD_MUTEX_INITIALIZER;
FORK_HOT static bool reap_noted;

int (*fork_prepare_hook)(void);
void (*fork_parent_hook)(void);
void (*fork_child_hook)(void);

static struct vproc *by_host_pid(int pid)
{
	for (int i = 0; i < vproc_count(); i++) {
		struct vproc *p = vproc_at(i);
		if (p && p->host_pid == pid)
			return p;
	}
	return NULL;
}

/* stood_in_ended - p's program, which its stand-in is (sys_exec.c
 * exec_elsewhere), ended: the stand-in's pid is this process's again at
 * once, before the others can find that process gone (a kill(pid, 0)
 * said ESRCH, and freed the pid, until the stand-in's own wait woke). */
static void stood_in_ended(struct vproc *p)
{
	struct vproc *s = vproc_seen_as(p);
	if (s != p)
		vproc_stand_in_back(s);
}

/* In a forked child: the program it was made for, the pid its parent's
 * process knows this process by (the program's own, but for a stand-in's:
 * fork_program_itself), and the host process that forked it. */
FORK_HOT static struct vproc *child_prog;
FORK_HOT static int child_known_as;
FORK_HOT static int parent_host;

/*
 * Orphans. A host process where a program asked to be a subreaper
 * (PR_SET_CHILD_SUBREAPER) is the kernel's subreaper too: the host
 * processes of forked programs orphaned below it become its host
 * children, which it did not fork. adopt makes one a placeholder, child
 * of the program here that takes it in (wait.c wait_orphan_reaper: the
 * nearest subreaper), as adopt_children does for the programs of one
 * process: when its end is reaped, or when a wait here would find no
 * child at all (fork_adopt_strays). Where none asked, orphans go to the
 * host's init (or a subreaper outside), as natively.
 */
FORK_HOT static bool subreaper_host; /* a fork's child is none (the kernel's rule) */

void fork_subreaper_host(void)
{
	bool want = false;
	for (int i = 0; i < vproc_count() && !want; i++) {
		struct vproc *q = vproc_at(i);
		want = q && !q->host_pid && q->child_subreaper && __atomic_load_n(&q->state, __ATOMIC_ACQUIRE) != VP_DEAD;
	}
	if (want != subreaper_host && raw_syscall3(SYS_prctl, PR_SET_CHILD_SUBREAPER, want, 0) == 0)
		subreaper_host = want;
}

/* adopt - under reap_mu: host child hpid, not forked here. NULL: none of
 * the instance's (reaped as init would), or known already (a stand-in's
 * process, sys_exec.c). */
static struct vproc *adopt(int hpid)
{
	struct prog_info pi;
	if (!pidspace_find_host(hpid, &pi) || vproc_by_pid(pi.pid))
		return NULL;
	for (int i = 0; i < vproc_count(); i++) {
		struct vproc *q = vproc_at(i);
		if (q && __atomic_load_n(&q->stand_in_host, __ATOMIC_ACQUIRE) == hpid)
			return NULL;
	}
	struct vproc *r = wait_orphan_reaper(pi.ppid, !child_prog);
	struct vproc *c = r ? vproc_new(r->name, pi.pid) : NULL;
	if (!c)
		return NULL;
	c->host_pid = hpid;
	c->pgid = pi.pgid;
	c->sid = pi.sid;
	c->cred = r->cred;
	c->attrs = r->attrs;
	memcpy(c->comm, pi.comm, sizeof(c->comm));
	wait_take_in(c, r);
	return c;
}

/* adopt_stray - host child pid as the kernel listed it: adopted if it is
 * still one (not reaped meanwhile, its pid taken again elsewhere). */
static bool adopt_stray(int pid)
{
	siginfo_t si;
	pthread_mutex_lock(&reap_mu);
	bool ours = !by_host_pid(pid) &&
		    raw_syscall6(SYS_waitid, P_PID, pid, (long)&si, WEXITED | WNOHANG | WNOWAIT | __WALL, 0, 0) == 0;
	bool took = ours && adopt(pid) != NULL;
	pthread_mutex_unlock(&reap_mu);
	return took;
}

bool fork_adopt_strays(void)
{
	/* No host child at all: the common answer, one call. */
	siginfo_t si;
	if (raw_syscall6(SYS_waitid, P_ALL, 0, (long)&si, WEXITED | WNOHANG | WNOWAIT | __WALL, 0, 0) == -ECHILD)
		return false;
	/* The kernel lists each thread's children; an orphan went to one of
	 * this process's threads. */
	char path[64], buf[4096];
	bool any = false;
	int dir = (int)raw_syscall3(SYS_open, (long)"/proc/self/task", O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
	long n;
	while (dir >= 0 && (n = raw_syscall3(SYS_getdents64, dir, (long)buf, sizeof(buf))) > 0) {
		int tids[256], nt = 0;
		for (long off = 0; off < n && nt < 256;) {
			struct { uint64_t ino; int64_t off; unsigned short reclen; unsigned char type; char name[]; } *d =
				(void *)(buf + off);
			if (d->name[0] != '.')
				tids[nt++] = atoi(d->name);
			off += d->reclen;
		}
		for (int t = 0; t < nt; t++) {
			snprintf(path, sizeof(path), "/proc/self/task/%d/children", tids[t]);
			int fd = (int)raw_syscall3(SYS_open, (long)path, O_RDONLY | O_CLOEXEC, 0);
			char list[1024];
			long got, have = 0;
			/* "pid pid ... ": a number cut by the buffer's end is
			 * carried to the next read. */
			while (fd >= 0 && (got = raw_syscall3(SYS_read, fd, (long)(list + have), sizeof(list) - 1 - have)) > 0) {
				have += got;
				list[have] = 0;
				char *at = list, *end;
				for (long pid; (pid = strtol(at, &end, 10)) > 0 && *end == ' '; at = end)
					any |= adopt_stray((int)pid);
				have = list + have - at;
				memmove(list, at, have);
			}
			if (fd >= 0)
				raw_syscall3(SYS_close, fd, 0, 0);
		}
	}
	if (dir >= 0)
		raw_syscall3(SYS_close, dir, 0, 0);
	return any;
}

/* reap_one - under reap_mu: what waitid said of host child si.si_pid
 * (usage ru) becomes its placeholder's end, stop or continue. */
static void reap_one(const siginfo_t *si, const struct rusage *ru)
{
	struct vproc *p = by_host_pid(si->si_pid);
	struct prog_info pi;
	if (!p)
		p = adopt(si->si_pid);
	if (!p)
		return;
	if (si->si_code == CLD_STOPPED || si->si_code == CLD_TRAPPED) {
		/* A forked child alone in its process stops that process
		 * (signal.c stop_program); SIGSTOP does too, and the program's
		 * own signal (TSTP...) was published. */
		bool known = pidspace_lookup(vproc_seen_as(p)->pid, &pi) && pi.host_pid == si->si_pid && pi.stopsig;
		wait_child_stopped(p, known ? pi.stopsig : si->si_status);
	} else if (si->si_code == CLD_CONTINUED) {
		wait_child_continued(p);
	} else if (__atomic_load_n(&p->state, __ATOMIC_ACQUIRE) == VP_LIVE) {
		/* Else its program ended before it, and said so
		 * (fork_end_note): reaped since, or a zombie already. */
		stood_in_ended(p);
		p->host_usage = *ru;
		if (si->si_code == CLD_EXITED)
			vproc_host_ended(p, 0, si->si_status);
		else
			vproc_host_ended(p, si->si_status, 0);
	}
}

/* reap_children - every host child's news since the last look. The
 * kernel's waitid, whose fifth argument glibc's lacks: the child's usage,
 * for its parent's wait. */
static void reap_children(void)
{
	for (;;) {
		siginfo_t si;
		struct rusage ru;
		memset(&si, 0, sizeof(si));
		memset(&ru, 0, sizeof(ru));
		/* Under reap_mu, which a fork holds until the child's host pid
		 * is stored. */
		pthread_mutex_lock(&reap_mu);
		long r = raw_syscall6(SYS_waitid, P_ALL, 0, (long)&si,
				      WEXITED | WSTOPPED | WCONTINUED | __WALL | WNOHANG, (long)&ru, 0);
		if (r == 0 && si.si_pid > 0)
			reap_one(&si, &ru);
		pthread_mutex_unlock(&reap_mu);
		if (r != 0 || si.si_pid <= 0)
			return; /* none changed (0), none left (ECHILD) */
	}
}

void fork_host_child_note(void)
{
	__atomic_store_n(&reap_noted, true, __ATOMIC_RELEASE);
}

/* A forked child's early ends (fork.h FORK_END_TAG), as their notices
 * came: a handler puts each in a free slot, a vCPU's poller takes them. */
#define ENDS_MAX 64
FORK_HOT static uint64_t ends[ENDS_MAX];
FORK_HOT static bool ends_noted;

/* send_tagged - si for program vpid of process host_pid, its code with
 * tag in si_value (fork.h: the kernel queues only negative codes). */
static enum sigq send_tagged(int host_pid, int vpid, const siginfo_t *si, uint64_t tag)
{
	siginfo_t s = *si;
	if (s.si_code >= 0) {
		s.si_value.sival_ptr = (void *)(tag << 48 | (uint64_t)(uint32_t)vpid << 16 | (uint16_t)s.si_code);
		s.si_code = SI_QUEUE;
		bool whole = s.si_signo == SIGKILL || s.si_signo == SIGSTOP;
		if (s.si_signo > 0 && s.si_signo < 32 && s.si_signo != SIGCONT &&
		    (!whole || pidspace_host_shared(host_pid))) {
			s.si_errno = s.si_signo;
			s.si_signo = FORK_SIG_CARRIER;
		}
	}
	long r = raw_syscall3(SYS_rt_sigqueueinfo, host_pid, s.si_signo, &s);
	struct vcpu *v = r == -EPERM ? vcpu_self() : NULL;
	if (v && v->cred && v->cred != hostcred_initial()) {
		/* The kernel checked this thread's ids, the program's, against
		 * the other process's leader, which runs with pegasus's own
		 * (root, for a program that dropped it: a forked child of
		 * `runuser -u postgres -- postgres` could not signal its
		 * parent). The program's right was checked on its ids
		 * (sys_signal.c); pegasus's own send it. */
		hostcred_apply(hostcred_initial());
		r = raw_syscall3(SYS_rt_sigqueueinfo, host_pid, s.si_signo, &s);
		hostcred_apply(__atomic_load_n(&v->cred, __ATOMIC_ACQUIRE));
	}
	if (r == -EAGAIN && s.si_signo == FORK_SIG_CARRIER && s.si_errno) {
		/* The queue is full (RLIMIT_SIGPENDING): a standard signal
		 * goes as itself, which the kernel always takes, at the risk
		 * of meeting one pending (a kill of a standard signal never
		 * fails for room). */
		s.si_signo = s.si_errno;
		s.si_errno = 0;
		r = raw_syscall3(SYS_rt_sigqueueinfo, host_pid, s.si_signo, &s);
	}
	return r == -EAGAIN ? SIGQ_FULL : r < 0 ? SIGQ_DROPPED : SIGQ_QUEUED;
}

bool fork_tell_ended(const struct vproc *p, int wstatus)
{
	/* Not to a process that took the parent's place: this one's parent
	 * must still be the one that forked it. */
	if (p != child_prog || parent_host <= 0 || raw_syscall3(SYS_getppid, 0, 0, 0) != parent_host)
		return false;
	/* The wait status rides where a forwarded signal's code does. */
	siginfo_t si = { .si_signo = SIGCHLD, .si_code = wstatus };
	return send_tagged(parent_host, child_known_as, &si, FORK_END_TAG) == SIGQ_QUEUED;
}

void fork_end_note(const siginfo_t *si)
{
	uint64_t v = (uint64_t)si->si_value.sival_ptr;
	for (int i = 0; i < ENDS_MAX; i++) {
		uint64_t none = 0;
		if (__atomic_compare_exchange_n(&ends[i], &none, v, false, __ATOMIC_RELEASE, __ATOMIC_RELAXED)) {
			__atomic_store_n(&ends_noted, true, __ATOMIC_RELEASE);
			sched_kick_idle();
			return;
		}
	}
	/* Full: the child's process end will tell, later. */
}

static bool ends_pending(struct sched_poller *pl)
{
	(void)pl;
	return __atomic_load_n(&ends_noted, __ATOMIC_ACQUIRE) ||
	       __atomic_load_n(&reap_noted, __ATOMIC_ACQUIRE);
}

/* ends_poll - host children reaped, and each noted end ends its
 * placeholder, as its host end would (whose reap then finds it ended). */
static bool ends_poll(struct sched_poller *pl)
{
	bool reap = __atomic_exchange_n(&reap_noted, false, __ATOMIC_ACQ_REL);
	if (reap)
		reap_children();
	if (!__atomic_exchange_n(&ends_noted, false, __ATOMIC_ACQ_REL))
		return reap;
	for (int i = 0; i < ENDS_MAX; i++) {
		uint64_t v = __atomic_exchange_n(&ends[i], 0, __ATOMIC_ACQUIRE);
		if (!v)
			continue;
		int vpid = (int)(uint32_t)(v >> 16), status = (int)(v & 0xffff);
		pthread_mutex_lock(&reap_mu);
		struct vproc *p = vproc_by_pid(vpid);
		if (p && p->host_pid > 0 && __atomic_load_n(&p->state, __ATOMIC_ACQUIRE) == VP_LIVE) {
			stood_in_ended(p);
			memset(&p->host_usage, 0, sizeof(p->host_usage));
			vproc_host_ended(p, status & 0x7f, (status >> 8) & 0xff);
		}
		pthread_mutex_unlock(&reap_mu);
	}
	return true;
}

static struct sched_poller ends_poller = { .poll = ends_poll, .pending = ends_pending, .tls = true, .vcpu = -1 };

enum sigq fork_signal_send(struct vproc *p, const siginfo_t *si)
{
	int pid = __atomic_load_n(&p->host_pid, __ATOMIC_ACQUIRE);
	if (pid <= 0 || __atomic_load_n(&p->state, __ATOMIC_ACQUIRE) == VP_DEAD)
		return SIGQ_DROPPED;
	return fork_signal_send_to(pid, p->pid, si);
}

enum sigq fork_signal_send_to(int host_pid, int vpid, const siginfo_t *si)
{
	return send_tagged(host_pid, vpid, si, FORK_SIG_TAG);
}

enum sigq fork_pdeath_send_to(int host_pid, int vpid, const siginfo_t *si)
{
	return send_tagged(host_pid, vpid, si, FORK_PDEATH_TAG);
}

FORK_HOT static bool pdeath_seen;

void fork_pdeath_arm(const struct vproc *p)
{
	if (p != child_prog || p->forked_for_exec) /* a stand-in's child keeps SIGKILL (sys_exec.c) */
		return;
	__atomic_store_n(&pdeath_seen, false, __ATOMIC_RELEASE);
	raw_syscall3(SYS_prctl, PR_SET_PDEATHSIG, p->pdeathsig, 0);
}

bool fork_pdeath_repeat(const siginfo_t *si)
{
	uint64_t v = (uint64_t)si->si_value.sival_ptr;
	bool ours = si->si_code == SI_QUEUE && (v >> 48) == FORK_PDEATH_TAG;
	bool kernel = si->si_code == SI_USER && parent_host > 0 && si->si_pid == parent_host && child_prog &&
		      !child_prog->forked_for_exec && si->si_signo == child_prog->pdeathsig;
	if (!ours && !kernel)
		return false;
	if (__atomic_exchange_n(&pdeath_seen, true, __ATOMIC_ACQ_REL))
		return true;
	raw_syscall3(SYS_prctl, PR_SET_PDEATHSIG, 0, 0);
	return false;
}

/* objects_to_kernel - before the fork: what p names that lives only in this
 * process moves into the kernel (its host_file op, as for an fd passed to
 * a kernel socket), so that both sides share it; every fd entry naming it
 * takes the kernel file when next used (fdt_settle). */
static void objects_to_kernel(struct vproc *p)
{
	int max = fdt_max(p->fdt);
	for (int v = 0; v <= max; v++) {
		struct vfile *obj = fdt_host(p->fdt, v) < 0 ? fdt_obj(p->fdt, v) : NULL;
		if (obj && obj->ops->fork_copies && obj->ops->fork_prepare)
			obj->ops->fork_prepare(obj);
		else if (obj && !obj->ops->fork_copies && !vfile_in_kernel(obj) && obj->ops->host_file)
			obj->ops->host_file(obj); /* the file owns the fd; failure: EBADF below */
		vfile_put(obj);
	}
}

/* objects_after_fork - in the child: an object that describes its process
 * is its own copy; one moved into the kernel is that kernel file, inherited
 * by the fork; any other could not follow it here (EBADF). */
static void objects_after_fork(struct vproc *p)
{
	int max = fdt_max(p->fdt);
	for (int v = 0; v <= max; v++) {
		struct vfile *obj = fdt_host(p->fdt, v) < 0 ? fdt_obj(p->fdt, v) : NULL;
		if (obj && obj->ops->fork_copies)
			vfile_after_fork(obj);
		else if (obj && vfile_in_kernel(obj))
			fdt_settle(p->fdt, v);
		else if (obj)
			fdt_remove(p->fdt, v);
		vfile_put(obj);
	}
}

/* parent_of - in the child: its parent program, in the parent's host
 * process (host pid hpid), as a placeholder that takes signals (kill of
 * getppid(), of the group) and that nothing here waits for. */
static void parent_of(struct vproc *p, int ppid, int hpid)
{
	struct vproc *pp = vproc_new(p->name, ppid);
	if (!pp)
		return; /* signals to the parent then fail with ESRCH */
	pp->pgid = p->pgid;
	pp->sid = p->sid;
	pp->cred = p->cred; /* its ids at the fork: who may signal it (its record says more) */
	pp->host_pid = hpid;
}

/*
 * Made once by the first fork of a host process and inherited: a child
 * makes no path walk for them.
 * - dev_null: what a child's host stdio becomes (release_host_stdio).
 * - The runtime's text gets copied page tables: the kernel copies them at
 *   fork only for mappings that hold anonymous memory (vma_needs_copy),
 *   and leaves a file's text to fault in the child, where the runtime's
 *   re-initialisation ran all over it: ~13 faults per forked child. One
 *   byte of it written back as it is through /proc/self/mem gives the
 *   mapping that memory (one page); its entries, a few hundred, are
 *   copied instead, ~5% of a fork+exit+wait here. Better still, where
 *   the host makes huge pages, the text moves onto one (core/hugetext.h):
 *   one entry copied, and the child's exit has one to tear down, ~9% of
 *   a fork+exit+wait. A program's own text is left as it is: a big
 *   binary's whole text copied at every fork would cost more than the
 *   few pages a child that execs touches.
 */
static int dev_null = -1;

static void fork_init(void)
{
	sched_poller_add(&ends_poller);
	dev_null = (int)raw_syscall3(SYS_open, (long)"/dev/null", O_RDWR | O_CLOEXEC, 0);
	if (hugetext_move())
		return;
	int mem = (int)raw_syscall3(SYS_open, (long)"/proc/self/mem", O_RDWR | O_CLOEXEC, 0);
	uint8_t b;
	long at = (long)(uintptr_t)fork_program;
	if (mem >= 0 && raw_syscall6(SYS_pread64, mem, (long)&b, 1, at, 0, 0) == 1)
		raw_syscall6(SYS_pwrite64, mem, (long)&b, 1, at, 0, 0);
	if (mem >= 0)
		raw_syscall3(SYS_close, mem, 0, 0);
}

/* fork_once - fork_init, by the first fork (two at once on two vCPUs: the
 * second waits for the first's), inherited done by the children. */
static void fork_once(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, fork_init);
}

/* child_stderr - the runtime's diagnostics in a forked child go where its
 * program's stderr goes now (pg_log_set_fd). */
static int child_stderr(void)
{
	return child_prog ? fdt_host(child_prog->fdt, 2) : -1;
}

/* release_host_stdio - a forked child keeps none of the host stdio the
 * runtime was started with, unless its program uses that very fd: a
 * child that sent its own stdout elsewhere (a daemon, `(exec >/dev/null;
 * sleep) &`) would keep a reader of pegasus's stdout waiting for EOF
 * (`gpg ... | grep` while gpg-agent lives). */
static void release_host_stdio(struct vproc *p)
{
	int max = fdt_max(p->fdt);
	for (int h = 0; h < 3 && dev_null >= 0; h++) {
		bool used = false;
		for (int v = 0; v <= max && !used; v++)
			used = fdt_host(p->fdt, v) == h;
		if (!used)
			raw_syscall3(SYS_dup2, dev_null, h, 0);
	}
	child_prog = p;
	pg_log_set_fd(child_stderr);
}

/* in_child - the child process, on the thread that forked, host signals
 * held: the runtime around ut alone, ut's program as pid (parent ppid; in
 * host process hpid when forker: the program that forked), known to the
 * parent's process as known_as. */
static long in_child(struct uthread *ut, int pid, int ppid, bool forker, int known_as, int hpid,
		     const struct clone_req *req)
{
	struct vproc *p = ut->proc;
	if (fork_child_hook)
		fork_child_hook();
	regions_after_fork();
	sched_after_fork();
	p->pdeathsig = 0; /* Linux clears both in a fork's child */
	p->child_subreaper = false;
	subreaper_host = false;
	p->ctty_host1 = 0; /* a fork's child leads no session (exec_elsewhere keeps its own) */
	p->forked_for_exec = 0; /* exec_elsewhere says so after this */
	vproc_sched_forked(&ut->sched);
	p->mlock_future = 0;
	memset(p->cpu_timer_next, 0, sizeof(p->cpu_timer_next)); /* itimers are not inherited */
	semundo_forked(p);
	posix_locks_after_fork(p); /* and holds no record lock */
	vproc_after_fork(p, ut, pid, ppid);
	/* Not pegasus's own parent (a program's that stands in for itself).
	 * The forker is one of the instance's though its pid may be free by
	 * now (it ended and was reaped before this ran, under load): without
	 * a placeholder this orphan never saw its parent change. */
	if (ppid > 0 && (forker || !pidspace_outside(ppid)))
		parent_of(p, ppid, hpid);
	parent_host = hpid;
	child_known_as = known_as;
	pdeath_seen = false;
	/* The parent's unread notices are of its children, not this one's. */
	memset(ends, 0, sizeof(ends));
	ends_noted = false;
	/* This process runs it now; its parent's process may have given it
	 * to another parent already (vproc_publish takes that). */
	vproc_publish(p);
	vproc_name_host(p, ut->comm[0] ? ut->comm : p->comm);
	wait_after_fork();
	timers_after_fork();
	objects_after_fork(p);
	net_after_fork();
	pthread_mutex_init(&reap_mu, NULL);
	reap_noted = false; /* the parent's children's news */
	instance_after_fork(p);
	release_host_stdio(p);
	p->parent_signal = req->exit_signal;
	/* Alone here: the process's cwd becomes the program's (chroot, and
	 * relative AF_UNIX names without /proc, need it so). */
	p->cwd_synced = raw_syscall3(SYS_fchdir, p->cwd_fd, 0, 0) == 0;
	if (req->flags & CLONE_CHILD_CLEARTID)
		ut->clear_child_tid = req->child_tid;
	if (req->stack)
		ut->tf.rsp = req->stack;
	if (req->flags & CLONE_SETTLS)
		ut->tf.fs_base = req->tls;
	if ((req->flags & CLONE_CHILD_SETTID) && copy_to_user(req->child_tid, &pid, 4))
		return -EFAULT;
	return 0;
}

/* placeholder - the child as the parent's instance sees it: a program
 * with no thread here, whose signals go to its host process. */
static struct vproc *placeholder(struct vproc *parent, const struct clone_req *req)
{
	struct vproc *c = vproc_new(parent->name, 0);
	if (!c)
		return NULL;
	c->host_pid = -1;
	c->ppid = parent->pid;
	c->pgid = parent->pgid;
	c->sid = parent->sid;
	c->root = parent->root;
	c->parent_signal = req->exit_signal;
	c->cred = parent->cred;
	c->no_new_privs = parent->no_new_privs;
	c->attrs = parent->attrs;
	memcpy(c->comm, parent->comm, sizeof(c->comm));
	return c;
}

/* fork_host - fork_program; itself: fork_program_itself. */
static long fork_host(struct uthread *ut, const struct clone_req *req, bool itself)
{
	if (req->flags & ~(uint64_t)FORK_OK)
		return -ENOSYS;
	struct vproc *parent = ut->proc;
	struct vproc *c = placeholder(parent, req);
	if (!c)
		return -EAGAIN;
	fork_once();
	futex_shared_to_kernel();
	long r = sched_stop_others();
	/* Moved with the others stopped: a sender on another vCPU could put
	 * bytes into a socket's ring between its drain into the kernel pair
	 * and its move, and they were lost (a pipe's lock covers both). */
	if (r == 0)
		objects_to_kernel(parent);
	if (r == 0 && fork_prepare_hook && (r = fork_prepare_hook()) < 0)
		sched_resume_others();
	if (r < 0) {
		vproc_release(c);
		return r;
	}
	uint64_t held = signal_hold_host();
	pthread_mutex_lock(&reap_mu);
	int hpid = getpid();
	int slot = -1;
	if (itself)
		pidspace_note_fork();
	else
		slot = pidspace_handoff_open(c->pid);
	/* _Fork, not fork: glibc's fork handlers lock and unlock the malloc
	 * arena and walk every thread's descriptor, ~30 copy-on-write faults
	 * per fork on both sides. No runtime thread is in malloc now: the
	 * vCPUs (whose pollers reap) are parked, workers and the output pump
	 * never allocate, the monitor only once the instance ends; a thread
	 * still starting is waited for (the vCPUs, which make them, are
	 * parked). */
	hthread_wait_started();
	pid_t pid = _Fork();
	if (pid == 0) {
		if (itself)
			r = in_child(ut, parent->pid, parent->ppid, false, c->pid, hpid, req);
		else {
			int vpid = pidspace_handoff_take(slot, c->pid, hpid);
			r = in_child(ut, vpid, parent->pid, true, vpid, hpid, req);
		}
		signal_release_host(held);
		return r;
	}
	int err = errno;
	if (fork_parent_hook)
		fork_parent_hook();
	if (pid > 0 && !itself && pidspace_claim(pid)) {
		pidspace_free(c->pid);
		c->pid = pid; /* the child's pid is its host pid */
	}
	if (pid > 0 && !itself) {
		/* What the child is until it says more (it execs, say): the
		 * others' /proc/<pid> from the start. Before the handoff, so
		 * that its own updates come after this. */
		struct prog_info pi = { c->pid, parent->pid, c->pgid, c->sid, pid, { 0 },
					parent->arg_start, parent->arg_end, parent->cwd_fd, { 0 } };
		memcpy(pi.comm, parent->comm, sizeof(pi.comm));
		prog_info_set_exe(&pi, parent->exe);
		pi.vproc_addr = (uint64_t)(uintptr_t)parent; /* the child's copy is there */
		pi.env_start = parent->env_start;
		pi.env_end = parent->env_end;
		prog_info_set_ids(&pi, parent->cred);
		pidspace_publish(&pi);
		pidspace_handoff_give(slot, c->pid);
	} else if (!itself) {
		pidspace_handoff_close(slot);
	}
	sched_resume_others();
	if (pid > 0)
		__atomic_store_n(&c->host_pid, pid, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&reap_mu);
	signal_release_host(held);
	if (pid < 0) {
		vproc_release(c);
		return -err;
	}
	int vpid = c->pid;
	if ((req->flags & CLONE_PARENT_SETTID) && copy_to_user(req->parent_tid, &vpid, 4))
		return -EFAULT;
	return vpid;
}

long fork_program(struct uthread *ut, const struct clone_req *req)
{
	return fork_host(ut, req, false);
}

long fork_program_itself(struct uthread *ut, const struct clone_req *req)
{
	return fork_host(ut, req, true);
}
