/* vproc.c - virtual processes: ids, lookup and the end of a program. */
#include "proc/vproc.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs/fdtable.h"

#include "core/log.h"
#include "sched/vcpu.h"
#include "sys/stats.h"
#include "sys/trace.h"

#define MAX_VPROCS 64

static struct vproc *vprocs[MAX_VPROCS];
static int nvprocs;
/* Virtual pids start well above what a fresh container's init would see, but
 * are small and stable so traces of two runs compare. */
static int next_pid = 1000;

/* The umask programs start with: pegasus's own at start-up. The host
 * process's umask is then 0, and each program's is applied by the runtime
 * to the files it creates (A_CMODE arguments). */
static unsigned default_umask = 022;

struct vproc *vproc_new(const char *name)
{
	PG_ASSERT(nvprocs < MAX_VPROCS);
	struct vproc *p = calloc(1, sizeof(*p));
	if (!p)
		pg_die("out of memory");
	p->pid = vproc_alloc_id();
	p->ppid = 1;
	p->pgid = p->pid;
	p->sid = p->pid;
	p->name = name;
	for (int r = 0; r < RLIM_NLIMITS; r++)
		getrlimit(r, &p->rlim[r]);
	p->umask = default_umask;
	p->cwd_fd = -1;
	for (int i = 0; i < SIGFD_MAX; i++)
		p->sigfd_efd[i] = -1;
	long lim = p->rlim[RLIMIT_NOFILE].rlim_cur;
	p->fdt = fdt_new(lim > FDT_PAGE * FDT_PAGES ? FDT_PAGE * FDT_PAGES : lim);
	if (stats_on && !(p->stats = calloc(1, sizeof(*p->stats))))
		pg_die("out of memory");
	vprocs[nvprocs++] = p;
	return p;
}

struct vproc *vproc_by_pid(int pid)
{
	for (int i = 0; i < nvprocs; i++)
		if (vprocs[i]->pid == pid)
			return vprocs[i];
	return NULL;
}

void vproc_init_host(void)
{
	default_umask = umask(0);
	/* All programs share the host process's fd space: give it all. */
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

int vproc_set_stdio(struct vproc *p, const int host[3])
{
	for (int i = 0; i < 3; i++) {
		if (host[i] < 0)
			continue;
		int h = fcntl(host[i], F_DUPFD, 3);
		if (h < 0)
			return -errno;
		fdt_install_at(p->fdt, i, h, NULL);
	}
	return 0;
}

int vproc_count(void)
{
	return nvprocs;
}

struct vproc *vproc_at(int i)
{
	return vprocs[i];
}

int vproc_alloc_id(void)
{
	return __atomic_fetch_add(&next_pid, 1, __ATOMIC_RELAXED);
}

struct uthread *uthread_by_tid(int tid)
{
	for (int i = 0; i < nvprocs; i++) {
		struct vproc *p = vprocs[i];
		spin_lock(&p->lock);
		struct uthread *t = p->threads;
		while (t && t->tid != tid)
			t = t->proc_next;
		spin_unlock(&p->lock);
		if (t)
			return t;
	}
	return NULL;
}

void vproc_add_thread(struct vproc *p, struct uthread *t)
{
	spin_lock(&p->lock);
	t->proc_next = p->threads;
	p->threads = t;
	p->nthreads++;
	spin_unlock(&p->lock);
}

int vproc_remove_thread(struct vproc *p, struct uthread *t)
{
	spin_lock(&p->lock);
	struct uthread **pp = &p->threads;
	while (*pp && *pp != t)
		pp = &(*pp)->proc_next;
	if (*pp)
		*pp = t->proc_next;
	int left = --p->nthreads;
	spin_unlock(&p->lock);
	return left;
}

/* With one program per instance its end is the instance's end; the exit
 * status of pegasus is the program's. */
void vproc_exit(struct vproc *p, int code)
{
	stats_print(p);
	trace_flush();
	_exit(code & 0xff);
}

void vproc_kill(struct vproc *p, int sig)
{
	stats_print(p);
	trace_flush();
	/* Die of the same signal so the shell reports it in its own words
	 * ("Segmentation fault") and with its own status (128+N). */
	struct sigaction sa = { .sa_handler = SIG_DFL };
	sigaction(sig, &sa, NULL);
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, sig);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	syscall(SYS_tgkill, getpid(), syscall(SYS_gettid), sig);
	/* Not reached unless the signal is one the host ignores here. */
	_exit(128 + sig);
}
