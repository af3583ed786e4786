/* sys_exec.c - execve: a new image in the same virtual process. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/hostcred.h"
#include "core/log.h"
#include "core/rawsys.h"
#include "fs/fdtable.h"
#include "loader/exec.h"
#include "mm/regions.h"
#include "mm/uaccess.h"
#include "proc/cred.h"
#include "proc/signal.h"
#include "proc/fork.h"
#include "proc/posix_locks.h"
#include "proc/procfs.h"
#include "proc/spawn.h"
#include "proc/wait.h"
#include "proc/vproc.h"
#include "sched/futex.h"
#include "sched/sched.h"
#include "sched/vcpu.h"
#include "sys/systab.h"
#include "proc/timers.h"
#include "sched/xstate.h"

#define ARG_STRLEN_MAX (128u << 10) /* the kernel's MAX_ARG_STRLEN */
#define ARG_TOTAL_MAX (2u << 20)

static void free_vec(char **v)
{
	free(v); /* the strings live in the same block */
}

/* copy_vec - an app's NULL-terminated string array, into runtime memory:
 * one block, the pointers first and the strings behind them. The app's
 * pointers and lengths are read first, then the bytes copied: no per-string
 * allocation (a 128 KiB malloc each was an mmap, an mremap and a munmap per
 * string, 40 of each for a shell's exec). A string another thread changes
 * meanwhile is cut at the length first seen. */
static long copy_vec(uint64_t uvec, char ***out, size_t *total)
{
	struct { uint64_t at; size_t len; } *seen = NULL; /* len with its NUL */
	size_t n = 0, cap = 0, bytes = 0;
	long r = 0;
	for (; uvec && !r; n++) {
		uint64_t up;
		if (copy_from_user(&up, uvec + n * 8, 8)) {
			r = -EFAULT;
			break;
		}
		if (!up)
			break;
		if (n == cap) {
			void *more = realloc(seen, (cap = cap ? cap * 2 : 64) * sizeof(*seen));
			if (!more) {
				r = -ENOMEM;
				break;
			}
			seen = more;
		}
		long len = uaccess_range_ok(up, 1) ? pg_uaccess_strnlen((const char *)up, ARG_STRLEN_MAX)
						   : -EFAULT;
		if (len < 0)
			r = len;
		else if (len >= (long)ARG_STRLEN_MAX || (*total += len + 1 + 8) > ARG_TOTAL_MAX)
			r = -E2BIG;
		seen[n].at = up;
		seen[n].len = len + 1;
		bytes += len + 1;
	}
	char **v = r ? NULL : malloc((n + 1) * sizeof(*v) + bytes);
	if (!r && !v)
		r = -ENOMEM;
	char *s = (char *)(v + n + 1);
	for (size_t i = 0; i < n && !r; i++) {
		r = pg_uaccess_copy(s, (const char *)seen[i].at, seen[i].len - 1);
		s[seen[i].len - 1] = 0;
		v[i] = s;
		s += seen[i].len;
	}
	free(seen);
	if (r) {
		free(v);
		return r;
	}
	v[n] = NULL;
	*out = v;
	return 0;
}

/* close_on_exec - the program's fds marked FD_CLOEXEC go away: the host
 * fd's flag, or the entry's for an object alone. */
static void close_on_exec(struct vproc *p)
{
	int max = fdt_max(p->fdt);
	for (int v = 0; v <= max; v++) {
		int h = fdt_host(p->fdt, v);
		long fl = h >= 0 ? raw_syscall3(SYS_fcntl, h, F_GETFD, 0) : fdt_get_fdflags(p->fdt, v);
		if (fl >= 0 && (fl & FD_CLOEXEC)) {
			fdt_remove(p->fdt, v);
			if (h >= 0) {
				posix_locks_closed(p, h);
				raw_syscall3(SYS_close, h, 0, 0);
			}
		}
	}
}

/* reset_for_exec - what execve(2) resets: handled signals go back to their
 * default, POSIX timers are deleted, the alternate stack is gone, the
 * capabilities are computed again, registers and vector state start clean. The signal mask and pending signals survive. */
static void reset_for_exec(struct uthread *ut, const struct exec_image *img)
{
	struct vproc *p = ut->proc;
	timers_release_all(p, true);
	for (int i = 0; i < 64; i++) {
		struct k_sigaction *ka = &p->sigaction[i];
		if (ka->handler != (uint64_t)SIG_IGN)
			memset(ka, 0, sizeof(*ka));
	}
	ut->altstack.sp = ut->altstack.size = 0;
	ut->altstack.flags = SS_DISABLE;
	bool secure;
	if (cred_exec(ut, img, &secure) == 0) {
		/* The new stack was built under the old ids: a set-user-ID
		 * file's are the program's now, and ld.so's secure mode
		 * (AT_SECURE) ignores LD_PRELOAD and the like, as on Linux. */
		const struct hostcred *c = __atomic_load_n(&ut->proc->cred, __ATOMIC_ACQUIRE);
		exec_aux_set(img, AT_EUID, c->euid);
		exec_aux_set(img, AT_EGID, c->egid);
		exec_aux_set(img, AT_SECURE, secure);
	}
	memset(&ut->tf, 0, sizeof(ut->tf));
	ut->tf.rip = img->entry;
	ut->tf.rsp = img->sp;
	ut->tf.rflags = 0x202;
	xsave_init_state(ut->xsave);
	ut->vec_mode = VEC_FULL;
	ut->clear_child_tid = 0;
	ut->comm[0] = 0; /* the new image's name, from exec_load */
	ut->robust_list = ut->robust_list_len = 0;
}

/* The old image's pieces, collected before the new one is mapped. */
/*
 * exec_elsewhere - the calling program forks (a host fork, proc/fork.c)
 * and in the child, which keeps this program alone, the other programs'
 * memory goes: 0 there, and the exec goes on. Here the program stands in
 * for that child: its vfork parent goes on, its fds are closed (the child
 * has them), the signals it is sent go on to the child (proc/signal.c), it
 * waits for the child and ends as it ends (exit code or signal). -errno if
 * the fork failed.
 */
static long exec_elsewhere(struct uthread *ut)
{
	struct vproc *p = ut->proc;
	struct clone_req req = { .flags = SIGCHLD, .exit_signal = SIGCHLD };
	long parent_host = raw_syscall3(SYS_getpid, 0, 0, 0);
	int pdeathsig = p->pdeathsig, ctty = p->ctty_host1;
	bool subreaper = p->child_subreaper;
	long child = fork_program_itself(ut, &req);
	if (child < 0)
		return child;
	if (child == 0) {
		p->forked_for_exec = (int)parent_host;
		/* An exec keeps them, the fork (a Linux fork's rule) did not:
		 * its parent's end sends the signal from the record (wait.c
		 * parent_died); orphans below come to this process. */
		p->pdeathsig = pdeathsig;
		vproc_publish(p);
		p->child_subreaper = subreaper;
		fork_subreaper_host();
		if (ctty) { /* its session is the process's now (sys_tty.c set_ctty) */
			long r = raw_syscall3(SYS_setsid, 0, 0, 0);
			if (r >= 0)
				r = raw_syscall3(SYS_ioctl, ctty - 1, TIOCSCTTY, p->ctty_arg);
			if (r < 0)
				pg_info("[%s] its terminal, asked for before its exec, was not taken: %s", p->name,
					strerror((int)-r));
			raw_syscall3(SYS_close, ctty - 1, 0, 0);
		}
		regions_release_others(p);
		/* It is the program its stand-in is: it ends with the stand-in's
		 * process (a SIGKILL of pegasus left it running, holding its
		 * ports). The forking thread is a vCPU's, which lives as long. */
		raw_syscall3(SYS_prctl, PR_SET_PDEATHSIG, SIGKILL, 0);
		if (raw_syscall3(SYS_getppid, 0, 0, 0) != parent_host)
			raw_syscall3(SYS_kill, raw_syscall3(SYS_getpid, 0, 0, 0), SIGKILL, 0);
		return 0;
	}
	vfork_release(p); /* never back in app code: its parent's stack is safe */
	ut->sigmask = ~(SIGBIT(SIGKILL) | SIGBIT(SIGSTOP));
	/* Its robust futexes are the child's, which walks them at its exec:
	 * not again here, whose tid the new image's thread has there. */
	ut->robust_list = 0;
	struct vproc *c = vproc_by_pid((int)child);
	int host = c ? __atomic_load_n(&c->host_pid, __ATOMIC_ACQUIRE) : 0;
	if (host > 0)
		__atomic_store_n(&p->stand_in_host, host, __ATOMIC_RELEASE);
	/* The child has the fds now: held here too, a pipe would never see
	 * its end (python's exec-error pipe, a shell's command substitution). */
	vproc_close_fds(p);
	struct wait_result res = { 0 };
	long w;
	while ((w = wait_child(ut, P_PID, (int)child, __WALL | WEXITED, &res)) == -EINTR &&
	       !__atomic_load_n(&ut->exiting, __ATOMIC_ACQUIRE)) {
		/* A SIGKILL went on to the child (signal.c) and takes the
		 * stand-in too. It stays pending, so every wait would end at
		 * once again (the stand-in spun on its vCPU, which then never
		 * reaped the child: `kill -9` of a Go program's os/exec child
		 * of the same non-PIE binary hung the instance). The stand-in
		 * waits on, woken by no signal, for the child the SIGKILL ends
		 * (the kernel takes a queued SIGKILL whatever its queue), and
		 * ends as it did; dying at once left the child's end to reach
		 * the stand-in's parent as an unknown child's. */
		if (signal_pending_mask(ut) & SIGBIT(SIGKILL))
			ut->sigmask = ~0ull;
	}
	vproc_stand_in_back(p); /* done when the child's end came, unless the wait failed */
	if (w == 0)
		p->host_usage = res.usage; /* what its parent's wait reports */
	if (w == 0 && res.code == CLD_KILLED)
		vproc_kill(p, res.status);
	vproc_exit(p, w == 0 ? res.status : 127);
}

static long exec_path(struct uthread *ut, char *path, const char *given, uint64_t uargv, uint64_t uenvp);

/* loadable - does path look like what an exec can load (executable, an
 * ELF file or a script)? Checked before an exec goes to a host process of
 * its own by choice, whence a failure cannot return to a vfork child. */
static bool loadable(const char *path)
{
	char magic[4] = { 0 };
	int fd = (int)raw_syscall3(SYS_open, (long)path, O_RDONLY | O_CLOEXEC, 0);
	if (fd < 0)
		return false;
	long n = raw_syscall3(SYS_read, fd, (long)magic, sizeof(magic));
	raw_syscall3(SYS_close, fd, 0, 0);
	return raw_syscall3(SYS_access, (long)path, X_OK, 0) == 0 && n >= 2 &&
	       (!memcmp(magic, "#!", 2) || (n == 4 && !memcmp(magic, "\177ELF", 4)));
}

/* exec_alone - the program's other threads ended (Linux's de_thread): a
 * thread spinning in app code ends at its next slice, a blocked one at
 * once; ut takes the program's pid as its id. False if the program is
 * being killed meanwhile. */
static bool exec_alone(struct uthread *ut)
{
	struct vproc *p = ut->proc;
	if (__atomic_load_n(&p->nthreads, __ATOMIC_ACQUIRE) > 1) {
		if (!vproc_end_others(ut))
			return false;
		while (__atomic_load_n(&p->nthreads, __ATOMIC_ACQUIRE) > 1) {
			if (__atomic_load_n(&ut->exiting, __ATOMIC_ACQUIRE))
				return false;
			signal_wait(ut, 0, now_ns() + 50000);
		}
	}
	vproc_take_leader_id(ut);
	return true;
}

/*
 * exec_at - execveat(dirfd, path, argv, envp, flags), which execve is
 * with AT_FDCWD: the path made absolute (the program's own cwd, or the
 * dirfd through /proc/self/fd: the fd itself with AT_EMPTY_PATH, as
 * fexecve), and the name the program gave kept for a script's $0 (the
 * kernel's bprm->filename: /dev/fd/N[/path] for a dirfd).
 */
static long exec_at(struct uthread *ut, int dirfd, uint64_t upath, int flags, uint64_t uargv,
		    uint64_t uenvp)
{
	char given[PATH_MAX], path[PATH_MAX];
	if (flags & ~(AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW))
		return -EINVAL;
	long r = strncpy_from_user(given, upath, sizeof(given));
	if (r < 0)
		return r;
	if (!given[0] && !(flags & AT_EMPTY_PATH))
		return -ENOENT;
	if (given[0] == '/')
		r = snprintf(path, sizeof(path), "%s", given);
	else if (dirfd == AT_FDCWD)
		r = snprintf(path, sizeof(path), "%s/%s", ut->proc->cwd, given);
	else if ((r = snprintf(path, sizeof(path), "/proc/self/fd/%d%s%s", dirfd, given[0] ? "/" : "", given)) > 0)
		snprintf(given, sizeof(given), "/dev/%s", path + strlen("/proc/self/"));
	return (size_t)r >= sizeof(path) ? -ENAMETOOLONG : exec_path(ut, path, given, uargv, uenvp);
}

long sys_execve(struct uthread *ut, const long a[6])
{
	return exec_at(ut, AT_FDCWD, a[0], 0, a[1], a[2]);
}

long sys_execveat(struct uthread *ut, const long a[6])
{
	return exec_at(ut, (int)a[0], a[1], (int)a[4], a[2], a[3]);
}

/* exec_path - execve of an absolute path (given: as the app named it, or
 * NULL) with the app's argv and envp. */
static long exec_path(struct uthread *ut, char *path, const char *given, uint64_t uargv, uint64_t uenvp)
{
	char **argv = NULL, **envp = NULL;
	size_t total = 0;
	long r;
	/* /proc/self/exe, /proc/<vpid>/..., /dev/fd/N: as the program means them
	 * (the host's /proc/self/exe is pegasus). */
	char host[PATH_MAX];
	if ((procfs_under_proc(path) || procfs_may_alias(path)) &&
	    procfs_path(ut, AT_FDCWD, path, false, host, sizeof(host)) == 0)
		memcpy(path, host, strlen(host) + 1);
	if ((r = copy_vec(uargv, &argv, &total)) < 0)
		return r;
	if ((r = copy_vec(uenvp, &envp, &total)) < 0) {
		free_vec(argv);
		return r;
	}

	struct vproc *p = ut->proc;
	struct brk brk;
	struct exec_image img;
	char why[PATH_MAX + 256];
	/* The old image's regions get an owner of their own while the new
	 * image loads. A region may be recorded that the kernel no longer maps
	 * (memory a forked child did not inherit: MADV_DONTFORK, which V8 uses
	 * everywhere), and the new image may land right there: its regions_add
	 * then cuts that record, so unmapping the old image spares the new. */
	struct vproc *old = calloc(1, sizeof(*old));
	if (!old) {
		free_vec(argv);
		free_vec(envp);
		return -ENOMEM;
	}
	regions_reown(p, old);
	img.stack_limit = p->rlim[RLIMIT_STACK].rlim_cur;
	r = 0;
	bool ctty = p->ctty_host1 && !p->forked_for_exec && loadable(path);
	if (ctty) {
		/* A session leader that took a terminal beside other programs:
		 * it goes on in a host process of its own, which takes it. */
		regions_reown(old, p);
		r = exec_elsewhere(ut);
		regions_reown(p, old);
	}
	if (r == 0)
		r = exec_load(p, &brk, path, given, argv, envp, false, &img, why, sizeof(why));
	if (r < 0 && ctty) {
		/* Its parent's memory stayed behind: no way back to the program. */
		pg_info("[%s] exec of %s failed in a host process of its own: %s", p->name, path, why);
		vproc_kill(p, SIGKILL);
	}
	if (r == -EEXIST && img.clash == old) {
		/* Its own old image holds what the new one needs (a non-PIE
		 * program exec'ing itself): the old one goes first, as Linux's
		 * point of no return comes before the mapping; a failure from
		 * here ends the program (SIGKILL), as Linux's does. Its robust
		 * futexes first, while the old memory is there. */
		futex_robust_exit(&ut->robust_list, ut->tid);
		regions_release(old);
		r = exec_load(p, &brk, path, given, argv, envp, false, &img, why, sizeof(why));
		if (r < 0) {
			free_vec(argv);
			free_vec(envp);
			free(old);
			pg_info("[%s] exec of %s failed after its old image was dropped: %s", p->name, path, why);
			vproc_kill(p, SIGKILL);
		}
	} else if (r == -EEXIST && !p->forked_for_exec) {
		/* A non-PIE image whose addresses another program of the instance
		 * holds (gcc's driver and cc1): it runs in a host process of its
		 * own, this program standing in for it here. */
		bool parents_memory = p->vfork != NULL; /* a vfork child's */
		regions_reown(old, p);
		r = exec_elsewhere(ut);
		regions_reown(p, old);
		if (r == 0) {
			r = exec_load(p, &brk, path, given, argv, envp, false, &img, why, sizeof(why));
			/* That memory went from this process with the other
			 * programs': no way back to the program. */
			if (r < 0 && parents_memory) {
				pg_info("[%s] exec of %s failed in a host process of its own: %s", p->name, path,
					why);
				vproc_kill(p, SIGKILL);
			}
		}
	}
	free_vec(argv);
	free_vec(envp);
	if (r < 0) {
		/* The old image is untouched: the caller goes on with an error. */
		regions_reown(old, p);
		free(old);
		return r == -EEXIST ? -ENOMEM : r;
	}
	/* Point of no return: the other threads end (they would run on in
	 * the old image's freed memory), then this one's robust futexes go,
	 * as Linux's de_thread and exec_mm_release, then the old image. */
	bool alone = exec_alone(ut);
	futex_robust_exit(&ut->robust_list, ut->tid);
	if (!alone) {
		regions_release(old);
		free(old);
		vproc_thread_exit(ut, 0); /* the program is being killed */
	}
	regions_release(old);
	free(old);
	p->brk = brk;
	vproc_take_image(p, &img);
	close_on_exec(p);
	reset_for_exec(ut, &img);
	vfork_release(p); /* its own memory now: the vfork parent goes on */
	return SYS_FRAME_REPLACED;
}
