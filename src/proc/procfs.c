/* procfs.c - /proc/self and /proc/<vpid> as the program expects them. */
#include "proc/procfs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/uio.h>
#include <unistd.h>

#include "core/hostcred.h"
#include "core/spinlock.h"
#include "fs/fdtable.h"
#include "fs/vfile.h"
#include "mm/regions.h"
#include "mm/uaccess.h"
#include "net/procnet.h"
#include "proc/pidspace.h"
#include "proc/seccomp.h"
#include "proc/procdir.h"
#include "proc/procfs_dirs.h"
#include "proc/remote.h"
#include "proc/tty_pgrp.h"
#include "proc/vproc.h"
#include "sched/sched.h"
#include "sched/vcpu.h"

/* placeholder_info - a forked child as its own process published it (its
 * name after an exec), or as this one knows it. */
static void placeholder_info(struct vproc *p, struct prog_info *out)
{
	if (pidspace_lookup(p->pid, out) && out->host_pid == p->host_pid)
		return;
	*out = (struct prog_info){ p->pid, p->ppid, p->pgid, p->sid, p->host_pid, { 0 }, 0, 0, -1, { 0 } };
	memcpy(out->comm, p->comm, sizeof(out->comm));
}

/* stand_in_info - a program exec'd into a process of its own (sys_exec.c
 * exec_elsewhere) as that process published it: its name, command line,
 * state (a stop) are that program's. */
static bool stand_in_info(struct vproc *p, struct prog_info *out)
{
	int host = __atomic_load_n(&p->stand_in_host, __ATOMIC_ACQUIRE);
	return host > 0 && pidspace_lookup(p->pid, out) && out->host_pid == host;
}

/* A zombie has no process of its own to show: its info says so with host
 * pid 0 (every other program's is that of a live host process). */
static bool is_zombie(const struct prog_info *pi)
{
	return pi->pid && !pi->host_pid;
}

/* zombie_info - p, if it ended and waits to be reaped: what /proc shows of
 * it (ids and name; state Z, no memory, no command line, no links). */
static bool zombie_info(struct vproc *p, struct prog_info *out)
{
	if (!vproc_is_zombie(p))
		return false;
	*out = (struct prog_info){ p->pid, p->ppid, p->pgid, p->sid, 0, { 0 }, 0, 0, -1, { 0 } };
	memcpy(out->comm, p->comm, sizeof(out->comm));
	return true;
}

/* elsewhere_info - a program this process does not know (a sibling forked
 * from another process of the instance), if some process published it. */
static void elsewhere_info(int pid, struct prog_info *out)
{
	if (!pidspace_forked() || !pidspace_lookup(pid, out) || out->host_pid == getpid())
		out->pid = 0;
}

bool procfs_under_proc(const char *path)
{
	return path && !strncmp(path, "/proc", 5) && (!path[5] || path[5] == '/');
}

/* dev_name - does a path relative to /dev name one of its links to the
 * caller's fds (stdin, stdout, stderr, fd, fd/N)? */
static bool dev_name(const char *path)
{
	static const char *const names[] = { "stdin", "stdout", "stderr", "fd" };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		size_t n = strlen(names[i]);
		if (!strncmp(path, names[i], n) && (!path[n] || path[n] == '/'))
			return true;
	}
	return false;
}

/* is_host_dir - is rel of host directory fd h (rel "": h itself) the
 * host's directory at abs, whose identity *known caches? */
static bool is_host_dir(int h, const char *rel, const char *abs, struct stat *known)
{
	struct stat st;
	if (!__atomic_load_n(&known->st_ino, __ATOMIC_ACQUIRE)) {
		struct stat now;
		if (stat(abs, &now) < 0)
			return false;
		known->st_dev = now.st_dev;
		__atomic_store_n(&known->st_ino, now.st_ino, __ATOMIC_RELEASE);
	}
	return h >= 0 && !fstatat(h, rel, &st, *rel ? 0 : AT_EMPTY_PATH) && st.st_dev == known->st_dev &&
	       st.st_ino == known->st_ino;
}

/* is_dev - is host directory fd h the host's /dev? */
static bool is_dev(int h)
{
	static struct stat dev;
	return is_host_dir(h, "", "/dev", &dev);
}

/* names_proc - does a path relative to host directory fd hdir start with
 * a "proc" that is /proc (from "/": rsync walks "/proc/self/fd/2" one
 * component at a time, from an fd of "/")? */
static bool names_proc(int hdir, const char *path)
{
	static struct stat proc;
	return path[0] != '/' && procfs_may_alias(path) && is_host_dir(hdir, "proc", "/proc", &proc);
}

/* absolute - a path relative to an fd of the /proc directory (procdir.c,
 * what opendir("/proc") gives), or to a cwd in /proc, as the /proc path it
 * names; "proc/..." where that is /proc, the same; one relative to /dev
 * (an fd of it, or the cwd) that names a link to the caller's fds, as
 * /dev/... (gzip opens "/dev/", then "stdin": the host would take
 * pegasus's own); *dirfd then AT_FDCWD. Any other path as it is. */
/* plain - path without "." components and repeated or trailing slashes,
 * in place: /proc/self/fd/. and /proc/self/fd/ are the directory fd. */
static char *plain(char *path)
{
	char *w = path;
	for (const char *r = path; *r;) {
		if (r[0] == '/' && (r[1] == '/' || (r[1] == '.' && (r[2] == '/' || !r[2])))) {
			r += r[1] == '/' ? 1 : 2;
			continue;
		}
		*w++ = *r++;
	}
	if (w > path + 1 && w[-1] == '/')
		w--;
	*w = 0;
	return path;
}

static const char *absolute(struct uthread *ut, int *dirfd, const char *path, char *buf, size_t size)
{
	if (path[0] == '/') {
		if (strncmp(path, "/proc/", 6) || (!strstr(path, "//") && !strstr(path, "/.") && path[strlen(path) - 1] != '/'))
			return path;
		return (size_t)snprintf(buf, size, "%s", path) < size ? plain(buf) : path;
	}
	const char *base;
	if (*dirfd == AT_FDCWD) {
		/* pidof: chdir("/proc"), then "<pid>/stat". */
		base = ut->proc->cwd;
		if (base && !strcmp(base, "/dev") && dev_name(path))
			base = "/dev";
		else if (names_proc(ut->proc->cwd_fd, path))
			base = "";
		else if (!base || !procfs_under_proc(base))
			return path;
	} else if (!fdt_has_obj(ut->proc->fdt, *dirfd)) {
		int h = fdt_host(ut->proc->fdt, *dirfd);
		if (dev_name(path) && is_dev(h))
			base = "/dev";
		else if (names_proc(h, path))
			base = "";
		else
			return path;
	} else {
		struct vfile *f = fdt_obj(ut->proc->fdt, *dirfd);
		base = procdir_path(f);
		if (!base)
			base = procfs_numdir_path(f);
		vfile_put(f);
		if (!base)
			return path;
	}
	if ((size_t)snprintf(buf, size, "%s/%s", base, path) >= size)
		return path;
	*dirfd = AT_FDCWD;
	return plain(buf);
}

/* task_tid - the tid of "task/<tid>[/<more>]" and where <more> starts
 * (*more), or 0 for any other rest. */
static long task_tid(const char *rest, const char **more)
{
	if (strncmp(rest, "task/", 5))
		return 0;
	char *end;
	long tid = strtol(rest + 5, &end, 10);
	if (end == rest + 5 || (*end && *end != '/'))
		return 0;
	*more = *end ? end + 1 : "";
	return tid;
}

/* task_rest - "task/<tid>/<more>" of a program is its thread tid's <more>,
 * as /proc/<tid>/<more> is: *tgt becomes that thread. */
static const char *task_rest(struct uthread **tgt, const char *rest)
{
	const char *more;
	long tid = task_tid(rest, &more);
	struct uthread *t = tid ? uthread_by_tid(tid) : NULL;
	if (!t || t->proc != (*tgt)->proc)
		return rest; /* the host's view: no such task there either */
	*tgt = t;
	return more;
}

/* other_task_rest - "task/<tid>/<more>" of a program in another host
 * process is its own <more> for each of its threads (its threads are
 * uthreads there, on no host thread of their own): ps -L listed their
 * tids and found no directory under any of them. Else rest. */
static const char *other_task_rest(const struct prog_info *other, const char *rest)
{
	const char *more;
	long tid = task_tid(rest, &more);
	int tids[256];
	int n = tid ? remote_tids(other, tids, 256) : 0;
	for (int i = 0; i < n; i++)
		if (tids[i] == tid)
			return more;
	return rest;
}

/* parse_who - split "/proc/<who>/<rest>" where who names a fused program
 * (self, thread-self, a program's virtual pid, or one of its tids): the
 * target thread goes to *tgt and rest ("" for the directory) is returned.
 * A program that runs in another host process of the instance (forked)
 * goes to *other instead (*tgt NULL, other->pid its pid). NULL if the path
 * is not about one of ours: other numbers are host processes, as they are
 * for any process on this host. */
static const char *parse_who(struct uthread *ut, int dirfd, const char *path, struct uthread **tgt,
			     struct prog_info *other)
{
	*tgt = NULL;
	other->pid = 0;
	if (dirfd != AT_FDCWD && path[0] != '/')
		return NULL;
	if (strncmp(path, "/proc/", 6))
		return NULL;
	const char *who = path + 6, *slash = strchrnul(who, '/');
	size_t n = slash - who;
	if ((n == 4 && !strncmp(who, "self", 4)) || (n == 11 && !strncmp(who, "thread-self", 11))) {
		*tgt = ut;
	} else if (n) {
		char *end;
		long pid = strtol(who, &end, 10);
		if (end == slash && pid > 0 && pid < INT_MAX) {
			struct vproc *p = vproc_by_pid(pid);
			if (p && zombie_info(p, other))
				;
			else if (p && p->host_pid > 0 && p->state != VP_DEAD)
				placeholder_info(p, other);
			else if (p && p->state != VP_DEAD && stand_in_info(p, other))
				;
			else if (p && p->state != VP_DEAD)
				*tgt = p->main_thread;
			else if (!(*tgt = uthread_by_tid(pid)))
				elsewhere_info(pid, other);
		}
	}
	if (!*tgt && !other->pid)
		return NULL;
	const char *rest = *slash ? slash + 1 : "";
	return *tgt ? task_rest(tgt, rest) : other_task_rest(other, rest);
}

/* host_rest - the host /proc/self path for rest: fd/N and fdinfo/N name
 * the program's fd N, which is some other number in the host process. */
static long host_rest(struct uthread *ut, const char *rest, char *out, size_t size)
{
	/* cwd is the program's own directory, open in the runtime. */
	if (!strcmp(rest, "cwd") || !strncmp(rest, "cwd/", 4)) {
		snprintf(out, size, "/proc/self/fd/%d%s", ut->proc->cwd_fd, rest + 3);
		return 0;
	}
	const char *num = !strncmp(rest, "fd/", 3) ? rest + 3 : !strncmp(rest, "fdinfo/", 7) ? rest + 7 : NULL;
	/* "fd/." and "fd/..": the directories, as `ls -la /proc/self/fd/` stats them. */
	if (num && num[0] == '.')
		num = NULL;
	if (num && *num) {
		char *end;
		long vfd = strtol(num, &end, 10);
		if (*end && *end != '/')
			return -ENOENT;
		/* A file that moved into the kernel (a fork) has its host fd. */
		int h = fdt_settle(ut->proc->fdt, vfd);
		if (h < 0)
			return -ENOENT;
		snprintf(out, size, "/proc/self/%.*s%d%s", (int)(num - rest), rest, h, end);
		return 0;
	}
	snprintf(out, size, "/proc/self/%s", rest);
	return 0;
}

/* A read-only file with generated bytes: a sealed-size memfd. */
static long mem_file(const char *name, const char *data, size_t len, int flags)
{
	int fd = memfd_create(name, (flags & O_CLOEXEC) ? MFD_CLOEXEC : 0);
	if (fd < 0)
		return -errno;
	for (size_t off = 0; off < len;) {
		ssize_t w = write(fd, data + off, len - off);
		if (w <= 0) {
			close(fd);
			return -EIO;
		}
		off += w;
	}
	lseek(fd, 0, SEEK_SET);
	return fd;
}

/* alone - the object behind "<dir>/N" of rest if fd N is an object alone
 * (no host fd to show), with a reference; else NULL. */
static struct vfile *alone(struct uthread *ut, const char *rest, const char *dir, long *fd)
{
	size_t n = strlen(dir);
	if (strncmp(rest, dir, n) || !rest[n])
		return NULL;
	char *end;
	long vfd = strtol(rest + n, &end, 10);
	if (*end || fdt_settle(ut->proc->fdt, vfd) >= 0)
		return NULL;
	if (fd)
		*fd = vfd;
	return fdt_obj(ut->proc->fdt, vfd);
}

/* An object alone shows as Linux shows its kind: a socket or a pipe by
 * its inode (its stat op says which), else an anonymous inode (signalfd). */
static void anon_link(struct vfile *f, char *out, size_t size)
{
	struct stat st;
	if (f->ops->stat && !f->ops->stat(f, &st) && (S_ISSOCK(st.st_mode) || S_ISFIFO(st.st_mode)))
		snprintf(out, size, "%s:[%lu]", S_ISSOCK(st.st_mode) ? "socket" : "pipe", (unsigned long)st.st_ino);
	else
		snprintf(out, size, "anon_inode:%s", f->ops->name ? f->ops->name : "[pegasus]");
}

/* anon_fdinfo - fdinfo of f as fd (fd flags fdflags): its flags have
 * O_CLOEXEC for FD_CLOEXEC, as Linux's seq_show puts it there. */
static long anon_fdinfo(struct vfile *f, int fdflags, int flags)
{
	char buf[512];
	struct stat st;
	uint64_t ino = f->ops->stat && !f->ops->stat(f, &st) ? st.st_ino : (uint64_t)f >> 4;
	unsigned fl = __atomic_load_n(&f->flags, __ATOMIC_RELAXED) | (fdflags > 0 && (fdflags & FD_CLOEXEC) ? O_CLOEXEC : 0);
	int n = snprintf(buf, sizeof(buf), "pos:\t0\nflags:\t0%o\nmnt_id:\t0\nino:\t%lu\n", fl, (unsigned long)ino);
	if (f->ops->fdinfo)
		n += f->ops->fdinfo(f, buf + n, sizeof(buf) - n);
	return mem_file("fdinfo", buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1, flags);
}

/* The bytes of a generated file (struct made below), malloc'd. */
struct text {
	char *buf;
	size_t len;
};

/* text_copy - out := a copy of len bytes of data. */
static long text_copy(struct text *out, const char *data, size_t len)
{
	out->buf = malloc(len + 1);
	if (!out->buf)
		return -ENOMEM;
	memcpy(out->buf, data, len);
	out->len = len;
	return 0;
}

/* App memory between two addresses (argv or envp strings). */
/* Where a program's argv and environment strings are, and in which host
 * process (host_pid 0: this one). */
struct strings_at {
	int host_pid;
	uint64_t arg_start, arg_end, env_start, env_end;
};

/* read_prog - n bytes at src of the program's memory. */
static bool read_prog(const struct strings_at *at, void *dst, uint64_t src, size_t n)
{
	if (!at->host_pid)
		return !copy_from_user(dst, src, n);
	struct iovec local = { dst, n }, remote = { (void *)src, n };
	return process_vm_readv(at->host_pid, &local, 1, &remote, 1, 0) == (ssize_t)n;
}

/* range_text - its bytes from lo to hi (at most 1 MiB). */
static long range_text(const struct strings_at *at, uint64_t lo, uint64_t hi, struct text *out)
{
	size_t len = hi > lo ? hi - lo : 0;
	if (len > 1 << 20)
		len = 1 << 20;
	out->buf = malloc(len + 1);
	if (!out->buf)
		return -ENOMEM;
	out->len = len && read_prog(at, out->buf, lo, len) ? len : 0;
	return 0;
}

/* cmdline_text - /proc/PID/cmdline as Linux's get_mm_cmdline makes it: its
 * argv strings; but once the program wrote over their last byte
 * (setproctitle, perl's $0, nginx's "worker process" titles), the one
 * string at their start and its NUL, which may run on into the
 * environment right after them, at most a page (pgrep -f and ps read the
 * title so). */
static long cmdline_text(const struct strings_at *at, struct text *out)
{
	char last = 0;
	if (at->arg_end <= at->arg_start || !read_prog(at, &last, at->arg_end - 1, 1) || !last)
		return range_text(at, at->arg_start, at->arg_end, out);
	uint64_t end = at->env_start == at->arg_end && at->env_end >= at->env_start ? at->env_end : at->arg_end;
	if (end - at->arg_start > 4096)
		end = at->arg_start + 4096;
	long r = range_text(at, at->arg_start, end, out);
	size_t n = r ? 0 : strnlen(out->buf, out->len);
	if (!r && n < out->len)
		out->len = n + 1; /* its NUL too, when there is one */
	return r;
}

static long comm_text(const char *comm, struct text *out)
{
	char c[32];
	return text_copy(out, c, snprintf(c, sizeof(c), "%.15s\n", comm));
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "re");
	if (!f)
		return NULL;
	char *buf = NULL;
	size_t cap = 0;
	ssize_t n = getdelim(&buf, &cap, 0, f);
	fclose(f);
	*len = n > 0 ? n : 0;
	return buf;
}

/* asleep - do thread t (thread) or all its program's threads wait, parked?
 * (The host's state is a vCPU thread's: R while it runs another.) */
static bool asleep(struct uthread *t, bool thread)
{
	struct vproc *p = t->proc;
	bool all = true;
	spin_lock(&p->lock);
	for (struct uthread *u = thread ? t : p->threads; u && all; u = thread ? NULL : u->proc_next)
		all = __atomic_load_n(&u->state, __ATOMIC_ACQUIRE) == UT_BLOCKED;
	spin_unlock(&p->lock);
	return all;
}

/* cpus_line - a Cpus_allowed(_list) line of the host's, as thread t's
 * sched_getaffinity says it: the vCPUs programs see (numbered from 0),
 * within its own mask; with as many hex digits as the host's line had. */
static bool cpus_line(const struct uthread *t, const char *line, char *out, size_t cap)
{
	int n = sched_cfg.shown_cpus < 64 ? sched_cfg.shown_cpus : 64;
	uint64_t mask = n == 64 ? ~0ull : (1ull << n) - 1, want = __atomic_load_n(&t->affinity, __ATOMIC_RELAXED);
	if (want & mask)
		mask &= want;
	if (!strncmp(line, "Cpus_allowed:", 13)) {
		int digits = 0;
		for (const char *c = line + 13; *c; c++)
			digits += *c != ',' && *c != '\t' && *c != ' ';
		size_t o = snprintf(out, cap, "Cpus_allowed:\t");
		for (int d = digits - 1; d >= 0 && o < cap; d--)
			o += snprintf(out + o, cap - o, d % 8 == 7 && d != digits - 1 ? ",%x" : "%x",
				      d < 16 ? (unsigned)(mask >> (4 * d)) & 15 : 0);
		snprintf(out + o, cap - o, "\n");
		return true;
	}
	if (strncmp(line, "Cpus_allowed_list:", 18))
		return false;
	size_t o = snprintf(out, cap, "Cpus_allowed_list:\t");
	const char *sep = "";
	for (int c = 0; c < 64 && o < cap; c++) {
		if (!(mask >> c & 1))
			continue;
		int e = c;
		while (e < 63 && (mask >> (e + 1) & 1))
			e++;
		o += e > c ? snprintf(out + o, cap - o, "%s%d-%d", sep, c, e) : snprintf(out + o, cap - o, "%s%d", sep, c);
		sep = ",";
		c = e;
	}
	snprintf(out + o, cap - o, "\n");
	return true;
}

/* status: the host's lines, with the ids, capabilities, name, signal
 * sets, no_new_privs and CPU mask replaced by the program's own. */
static long status_text(struct uthread *ut, struct text *text)
{
	struct vproc *p = ut->proc;
	size_t len;
	char *host = slurp("/proc/thread-self/status", &len);
	if (!host)
		return -EIO;
	size_t cap = len + 2048, o = 0; /* room for 64 groups */
	char *out = malloc(cap);
	if (!out) {
		free(host);
		return -ENOMEM;
	}
	uint64_t ign, cgt;
	const struct hostcred *ids = __atomic_load_n(&p->cred, __ATOMIC_ACQUIRE);
	vproc_dispositions(p->sigaction, &ign, &cgt);
	for (char *line = strtok(host, "\n"); line; line = strtok(NULL, "\n")) {
		char v[64];
#define REPL(key, fmt, ...)                                           \
		if (!strncmp(line, key ":", sizeof(key))) {          \
			snprintf(v, sizeof(v), fmt, __VA_ARGS__);     \
			o += snprintf(out + o, cap - o, "%s:\t%s\n", key, v); \
			continue;                                     \
		}
		REPL("Name", "%.15s", uthread_name(ut));
		if (!strncmp(line, "State:", 6) && !p->stop_sig && asleep(ut, false)) {
			o += snprintf(out + o, cap - o, "State:\tS (sleeping)\n");
			continue;
		}
		REPL("Tgid", "%d", p->pid);
		REPL("Pid", "%d", ut->tid);
		REPL("PPid", "%d", p->ppid);
		REPL("TracerPid", "%d", 0);
		REPL("NStgid", "%d", p->pid);
		REPL("NSpid", "%d", ut->tid);
		REPL("NSpgid", "%d", p->pgid);
		REPL("NSsid", "%d", p->sid);
		REPL("Threads", "%d", p->nthreads);
		REPL("SigPnd", "%016lx", (unsigned long)ut->sigpending);
		REPL("ShdPnd", "%016lx", (unsigned long)p->sigpending);
		REPL("SigBlk", "%016lx", (unsigned long)ut->sigmask);
		REPL("SigIgn", "%016lx", (unsigned long)ign);
		REPL("SigCgt", "%016lx", (unsigned long)cgt);
		REPL("Umask", "%04o", p->umask);
		/* Its own ids: the saved ones are not the kernel thread's. */
		REPL("Uid", "%u\t%u\t%u\t%u", ids->uid, ids->euid, ids->suid, ids->fsuid);
		REPL("Gid", "%u\t%u\t%u\t%u", ids->gid, ids->egid, ids->sgid, ids->fsgid);
		if (!strncmp(line, "Groups:", 7)) { /* "Groups:\t0 4 27 ", as Linux */
			o += snprintf(out + o, cap - o, "Groups:\t");
			for (int g = 0; g < ids->ngroups; g++)
				o += snprintf(out + o, cap - o, g ? " %u" : "%u", ids->groups[g]);
			o += snprintf(out + o, cap - o, " \n");
			continue;
		}
		REPL("CapInh", "%016llx", (unsigned long long)ids->cap_inh);
		REPL("CapPrm", "%016llx", (unsigned long long)ids->cap_prm);
		REPL("CapEff", "%016llx", (unsigned long long)ids->cap_eff);
		REPL("CapBnd", "%016llx", (unsigned long long)ids->cap_bset);
		REPL("CapAmb", "%016llx", (unsigned long long)ids->cap_amb);
		REPL("NoNewPrivs", "%d", p->no_new_privs ? 1 : 0);
		REPL("Seccomp", "%d", seccomp_mode(ut));
		REPL("Seccomp_filters", "%d", seccomp_count(ut));
#undef REPL
		if (cpus_line(ut, line, out + o, cap - o)) {
			o += strlen(out + o);
			continue;
		}
		o += snprintf(out + o, cap - o, "%s\n", line);
	}
	free(host);
	*text = (struct text){ out, o };
	return 0;
}

/* sched_fields - fields 18 (priority), 19 (nice), 40 (rt_priority) and
 * 41 (policy) of a thread's stat, as Linux's do_task_stat: a real-time
 * thread's priority is -1 - rt_priority, another's 20 + nice. */
static void sched_fields(const struct thread_sched *ts, char f[4][16])
{
	bool rt = ts->policy == SCHED_FIFO || ts->policy == SCHED_RR;
	snprintf(f[0], sizeof(f[0]), "%d", rt ? -1 - ts->rt_prio : 20 + ts->nice);
	snprintf(f[1], sizeof(f[1]), "%d", ts->nice);
	snprintf(f[2], sizeof(f[2]), "%d", rt ? ts->rt_prio : 0);
	snprintf(f[3], sizeof(f[3]), "%d", ts->policy);
}

/* stat: pid, comm, ppid, pgrp, session and thread count are the program's,
 * and with ts a thread's scheduling fields; the rest (times, memory) is
 * the host's (host: its stat file); a zombie's state is Z and it has no
 * memory. */
static long stat_text(const struct prog_info *p, int nthreads, int tid, int exit_signal,
		      const struct thread_sched *ts, const char *host_path, bool asleep, struct text *text)
{
	size_t len;
	char *host = slurp(host_path, &len);
	char *rest = host ? strrchr(host, ')') : NULL;
	if (!rest) {
		free(host);
		return -EIO;
	}
	/* Fields from the 3rd (state) on, after the comm's closing paren. */
	char *tok[64];
	int n = 0;
	for (char *t = strtok(rest + 1, " \n"); t && n < 64; t = strtok(NULL, " \n"))
		tok[n++] = t;
	char ids[6][24];
	snprintf(ids[0], sizeof(ids[0]), "%d", p->ppid);
	snprintf(ids[1], sizeof(ids[1]), "%d", p->pgid);
	snprintf(ids[2], sizeof(ids[2]), "%d", p->sid);
	snprintf(ids[3], sizeof(ids[3]), "%d", nthreads);
	snprintf(ids[4], sizeof(ids[4]), "%llu", (unsigned long long)p->start_ticks);
	snprintf(ids[5], sizeof(ids[5]), "%d", exit_signal);
	/* Field 8, tpgid: the terminal's foreground host group, as the
	 * program group it stands for (ps shows + by it). */
	char tpgid[24];
	if (n > 5 && atoi(tok[5]) > 0) {
		snprintf(tpgid, sizeof(tpgid), "%d", tty_foreground_of(atoi(tok[5]), p->pgid));
		tok[5] = tpgid;
	}
	if (n > 17) {
		tok[1] = ids[0]; /* field 4: ppid */
		tok[2] = ids[1]; /* field 5: pgrp */
		tok[3] = ids[2]; /* field 6: session */
		if (nthreads > 0)
			tok[17] = ids[3]; /* field 20: num_threads */
	}
	/* Field 22, starttime: a program started beside its parent has its own
	 * (java checks it before it kills a child it started: a parent's made
	 * destroyForcibly() a no-op). */
	if (p->start_ticks && n > 19)
		tok[19] = ids[4];
	if (exit_signal && n > 35)
		tok[35] = ids[5]; /* field 38: exit_signal */
	char sf[4][16];
	if (ts && n > 38) {
		sched_fields(ts, sf);
		tok[15] = sf[0];
		tok[16] = sf[1];
		tok[37] = sf[2];
		tok[38] = sf[3];
	}
	if (is_zombie(p) && n > 21) {
		tok[0] = "Z";
		tok[20] = tok[21] = "0"; /* fields 23, 24: vsize, rss */
	} else if (p->stopsig && n > 0) {
		tok[0] = "T"; /* stopped beside other programs: its vCPU runs on */
	} else if (asleep && n > 0) {
		tok[0] = "S"; /* every thread waits: the host's says R if a vCPU runs another */
	}
	char out[4096];
	int o = snprintf(out, sizeof(out), "%d (%.15s)", tid, p->comm);
	for (int i = 0; i < n && o < (int)sizeof(out); i++)
		o += snprintf(out + o, sizeof(out) - o, " %s", tok[i]);
	if (o < (int)sizeof(out) - 1)
		out[o++] = '\n';
	free(host);
	return text_copy(text, out, o < (int)sizeof(out) ? o : (int)sizeof(out));
}

/* maps: the host's lines, clipped to the caller's own regions; its break
 * and main stack named as Linux names them (the break's reserve above it
 * is not the program's memory), and the host's vDSO and vsyscall pages,
 * which every program uses, as they are. */
struct maps_out {
	char *buf;
	size_t len, cap;
	unsigned long lo, off;
	const char *rest; /* perms and the rest of the host line */
	bool file;
	uint64_t heap_lo, heap_hi, brk_hi, stack_lo, stack_hi;
};

static void maps_room(struct maps_out *m)
{
	if (m->len + 512 > m->cap) {
		m->cap = m->cap * 2 + 4096;
		m->buf = realloc(m->buf, m->cap);
	}
}

static void maps_piece(uint64_t s, uint64_t e, void *arg)
{
	struct maps_out *m = arg;
	const char *name = NULL;
	if (!m->file && s >= m->heap_lo && e <= m->brk_hi) {
		if (s >= m->heap_hi)
			return; /* reserved for the break, not reached */
		name = "[heap]";
	} else if (!m->file && s >= m->stack_lo && e <= m->stack_hi) {
		name = "[stack]";
	}
	maps_room(m);
	unsigned long off = m->file ? m->off + (s - m->lo) : m->off;
	int n = snprintf(m->buf + m->len, m->cap - m->len, "%08lx-%08lx %.4s %08lx", (unsigned long)s,
			 (unsigned long)e, m->rest, off);
	if (name) /* the kernel's column for names */
		n += snprintf(m->buf + m->len + n, m->cap - m->len - n, " 00:00 0%*s%s\n", 73 - n - 8, "", name);
	else
		n += snprintf(m->buf + m->len + n, m->cap - m->len - n, "%s", m->rest + 13);
	m->len += n;
}

static long maps_text(struct uthread *ut, struct text *text)
{
	FILE *f = fopen("/proc/self/maps", "re");
	if (!f)
		return -errno;
	struct vproc *p = ut->proc;
	struct maps_out m = { 0 };
	if (p->brk.cur > p->brk.start) {
		m.heap_lo = p->brk.start;
		m.heap_hi = (p->brk.cur + 4095) & ~4095ull;
		m.brk_hi = p->brk.limit;
	}
	m.stack_lo = p->stack_lo;
	m.stack_hi = p->stack_lo + p->stack_len;
	char line[4096];
	while (fgets(line, sizeof(line), f)) {
		unsigned long lo, hi, off, inode;
		char perms[5];
		int pos = 0;
		if (sscanf(line, "%lx-%lx %4s %lx %*s %lu %n", &lo, &hi, perms, &off, &inode, &pos) < 5)
			continue;
		if (!inode && (!strncmp(line + pos, "[vdso]", 6) || !strncmp(line + pos, "[vvar", 5) ||
			       !strncmp(line + pos, "[vsyscall]", 10))) {
			maps_room(&m);
			m.len += snprintf(m.buf + m.len, m.cap - m.len, "%s", line);
			continue;
		}
		m.lo = lo;
		m.off = off;
		m.file = inode != 0;
		/* "rwxp 00000000 dev inode path": keep from perms on, offset redone */
		m.rest = strchr(line, ' ') + 1;
		regions_each(p, lo, hi - lo, maps_piece, &m);
	}
	fclose(f);
	if (!m.buf)
		return text_copy(text, "", 0);
	*text = (struct text){ m.buf, m.len };
	return 0;
}

/* one_of - is name one of the n names? */
static bool one_of(const char *name, const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(name, names[i]))
			return true;
	return false;
}
#define ONE_OF(name, names) one_of(name, names, sizeof(names) / sizeof(names[0]))

/* The files of a zombie's directory; its links and the rest are gone. */
static bool zombie_has(const char *rest)
{
	static const char *const files[] = { "", "stat", "status", "cmdline", "comm", "maps" };
	return ONE_OF(rest, files);
}

/* other_path - the host's name for rest of a program in another host
 * process: its image for exe, its cwd's fd there for cwd, the host fd
 * there of its fd N for fd/N and fdinfo/N. A zombie's files are stood for
 * by this process's (their contents are made up). 0; 1 if fd/N is a file
 * in that process's memory, out then the link's text; -ENOENT for what it
 * does not have. */
static long other_path(const struct prog_info *pi, const char *rest, char *out, size_t size)
{
	if (is_zombie(pi) && !zombie_has(rest))
		return strcmp(rest, "environ") ? -ENOENT : -ESRCH; /* its memory is gone */
	const char *fd = !strncmp(rest, "fd/", 3) ? rest + 3 : !strncmp(rest, "fdinfo/", 7) ? rest + 7 : NULL;
	char *end;
	long vfd = fd ? strtol(fd, &end, 10) : -1;
	int h;
	char link[64];
	long r = fd && !is_zombie(pi) && !*end && *fd && vfd >= 0 && vfd <= INT_MAX
			 ? remote_fd(pi, (int)vfd, &h, link, sizeof(link)) : -EPERM;
	/* Its fd N is some other number in its process (unless that cannot
	 * be read: then the host's N, as before). */
	if (r == 0)
		snprintf(out, size, "/proc/%d/%.*s%d", pi->host_pid, (int)(fd - rest), rest, h);
	else if (r == 1)
		snprintf(out, size, "%s", link); /* no file of the host's: its link's text */
	if (r != -EPERM)
		return r;
	if (is_zombie(pi))
		snprintf(out, size, "/proc/%d%s%s", getpid(), *rest ? "/" : "", rest);
	else if (!strcmp(rest, "exe") && pi->exe[0])
		snprintf(out, size, "%s", pi->exe);
	else if ((!strcmp(rest, "cwd") || !strncmp(rest, "cwd/", 4)) && pi->cwd_fd >= 0)
		snprintf(out, size, "/proc/%d/fd/%d%s", pi->host_pid, pi->cwd_fd, rest + 3);
	else
		snprintf(out, size, "/proc/%d%s%s", pi->host_pid, *rest ? "/" : "", rest);
	return 0;
}

/* other_status - a forked child's status: its process's, with the ids and
 * name the program has; a zombie's (from this process's lines) has state
 * Z, one thread and no memory lines. */
static long other_status_text(const struct prog_info *pi, const char *host_path, struct text *text)
{
	size_t len;
	char *host = slurp(host_path, &len);
	if (!host)
		return -errno;
	size_t cap = len + 512, o = 0;
	char *out = malloc(cap);
	struct remote_status rs;
	bool own = !is_zombie(pi) && remote_status(pi, &rs);
	for (char *line = strtok(host, "\n"); out && line; line = strtok(NULL, "\n")) {
		/* Its threads and signals, as its process's runtime has them. */
		const uint64_t *sig = !own ? NULL
				      : !strncmp(line, "SigPnd:", 7) ? &rs.sigpnd
				      : !strncmp(line, "ShdPnd:", 7) ? &rs.shdpnd
				      : !strncmp(line, "SigBlk:", 7) ? &rs.sigblk
				      : !strncmp(line, "SigIgn:", 7) ? &rs.sigign
				      : !strncmp(line, "SigCgt:", 7) ? &rs.sigcgt : NULL;
		if (sig) {
			o += snprintf(out + o, cap - o, "%.7s\t%016lx\n", line, (unsigned long)*sig);
			continue;
		}
		if (own && !strncmp(line, "Threads:", 8)) {
			o += snprintf(out + o, cap - o, "Threads:\t%d\n", rs.nthreads);
			continue;
		}
		if (own && !strncmp(line, "Umask:", 6)) {
			o += snprintf(out + o, cap - o, "Umask:\t%04o\n", rs.umask);
			continue;
		}
		if (own && rs.stopsig && !strncmp(line, "State:", 6)) {
			o += snprintf(out + o, cap - o, "State:\tT (stopped)\n");
			continue;
		}
		int v = !strncmp(line, "Tgid:", 5) || !strncmp(line, "Pid:", 4) || !strncmp(line, "NStgid:", 7) ||
			!strncmp(line, "NSpid:", 6) ? pi->pid
			: !strncmp(line, "PPid:", 5) ? pi->ppid
			: !strncmp(line, "NSpgid:", 7) ? pi->pgid
			: !strncmp(line, "NSsid:", 6) ? pi->sid : -1;
		int key = (int)(strchrnul(line, ':') - line);
		if (is_zombie(pi) && (!strncmp(line, "Vm", 2) || !strncmp(line, "Rss", 3) ||
				      !strncmp(line, "Hugetlb", 7) || !strncmp(line, "Umask:", 6)))
			continue; /* no memory, no fs_struct */
		/* No signal of its own waits, none blocked or handled (these
		 * lines are this process's, standing for the zombie's). */
		if (is_zombie(pi) && (!strncmp(line, "SigPnd:", 7) || !strncmp(line, "ShdPnd:", 7) ||
				      !strncmp(line, "SigBlk:", 7) || !strncmp(line, "SigIgn:", 7) ||
				      !strncmp(line, "SigCgt:", 7))) {
			o += snprintf(out + o, cap - o, "%.7s\t%016lx\n", line, 0ul);
			continue;
		}
		if (is_zombie(pi) && !strncmp(line, "State:", 6))
			o += snprintf(out + o, cap - o, "State:\tZ (zombie)\n");
		else if (is_zombie(pi) && !strncmp(line, "Threads:", 8))
			o += snprintf(out + o, cap - o, "Threads:\t1\n");
		else if (!strncmp(line, "Name:", 5))
			o += snprintf(out + o, cap - o, "Name:\t%.15s\n", pi->comm);
		else if (v >= 0)
			o += snprintf(out + o, cap - o, "%.*s:\t%d\n", key, line, v);
		else
			o += snprintf(out + o, cap - o, "%s\n", line);
	}
	free(host);
	*text = (struct text){ out, o };
	return out ? 0 : -ENOMEM;
}

/* other_made - is rest of a program in another host process a file made
 * from what it published (stat, status, cmdline, environ, comm: its
 * process's own are pegasus's), or one a zombie has nothing left in
 * (maps)? */
static bool other_made(const struct prog_info *pi, const char *rest)
{
	static const char *const files[] = { "stat", "status", "cmdline", "environ", "comm" };
	return ONE_OF(rest, files) || (is_zombie(pi) && *rest && zombie_has(rest));
}

/* other_text - the bytes of such a file. */
static long other_text(const struct prog_info *pi, const char *rest, struct text *text)
{
	char host[PATH_MAX];
	long r = other_path(pi, rest, host, sizeof(host));
	if (r < 0)
		return r;
	struct remote_status rs;
	if (!strcmp(rest, "stat") && !is_zombie(pi) && remote_status(pi, &rs)) {
		struct prog_info own = *pi; /* its threads, its stop beside others */
		if (!own.stopsig)
			own.stopsig = rs.stopsig;
		return stat_text(&own, rs.nthreads, pi->pid, 0, NULL, host, false, text);
	}
	if (!strcmp(rest, "stat"))
		return stat_text(pi, is_zombie(pi) ? 1 : 0 /* as Linux shows one */, pi->pid, 0, NULL, host, false, text);
	if (!strcmp(rest, "status"))
		return other_status_text(pi, host, text);
	struct strings_at at = { pi->host_pid, pi->arg_start, pi->arg_end, pi->env_start, pi->env_end };
	if (is_zombie(pi) && strcmp(rest, "comm"))
		return text_copy(text, "", 0); /* a zombie's cmdline, environ, maps: nothing left */
	if (!strcmp(rest, "cmdline"))
		return cmdline_text(&at, text);
	if (!strcmp(rest, "environ"))
		return range_text(&at, at.env_start, at.env_end, text);
	return comm_text(pi->comm, text);
}

/* other_open - any other file of a program in another host process: that
 * process's. */
static long other_open(const struct prog_info *pi, const char *rest, int flags)
{
	char host[PATH_MAX];
	long r = other_path(pi, rest, host, sizeof(host));
	if (r)
		return r < 0 ? r : -ENXIO; /* a file in its process's memory opens only there */
	long fd = open(host, flags, 0);
	return fd < 0 ? -errno : fd;
}

/* limits: the program's own (setrlimit, ulimit), as Linux's
 * proc_pid_limits prints them. */
static const char *const limit_names[RLIM_NLIMITS][2] = {
	[RLIMIT_CPU] = { "Max cpu time", "seconds" },
	[RLIMIT_FSIZE] = { "Max file size", "bytes" },
	[RLIMIT_DATA] = { "Max data size", "bytes" },
	[RLIMIT_STACK] = { "Max stack size", "bytes" },
	[RLIMIT_CORE] = { "Max core file size", "bytes" },
	[RLIMIT_RSS] = { "Max resident set", "bytes" },
	[RLIMIT_NPROC] = { "Max processes", "processes" },
	[RLIMIT_NOFILE] = { "Max open files", "files" },
	[RLIMIT_MEMLOCK] = { "Max locked memory", "bytes" },
	[RLIMIT_AS] = { "Max address space", "bytes" },
	[RLIMIT_LOCKS] = { "Max file locks", "locks" },
	[RLIMIT_SIGPENDING] = { "Max pending signals", "signals" },
	[RLIMIT_MSGQUEUE] = { "Max msgqueue size", "bytes" },
	[RLIMIT_NICE] = { "Max nice priority", NULL },
	[RLIMIT_RTPRIO] = { "Max realtime priority", NULL },
	[RLIMIT_RTTIME] = { "Max realtime timeout", "us" },
};

/* limit_value - v as proc_pid_limits prints it, in buf if a number. */
static const char *limit_value(rlim_t v, char *buf, size_t size)
{
	if (v == RLIM_INFINITY)
		return "unlimited";
	snprintf(buf, size, "%lu", (unsigned long)v);
	return buf;
}

static long limits_text(const struct vproc *p, struct text *text)
{
	char out[2048], soft[24], hard[24];
	int o = snprintf(out, sizeof(out), "%-25s %-20s %-20s %-10s\n", "Limit", "Soft Limit", "Hard Limit", "Units");
	for (int r = 0; r < RLIM_NLIMITS; r++) {
		o += snprintf(out + o, sizeof(out) - o, "%-25s %-20s %-20s ", limit_names[r][0],
			      limit_value(p->rlim[r].rlim_cur, soft, sizeof(soft)),
			      limit_value(p->rlim[r].rlim_max, hard, sizeof(hard)));
		o += limit_names[r][1] ? snprintf(out + o, sizeof(out) - o, "%-10s\n", limit_names[r][1])
				       : snprintf(out + o, sizeof(out) - o, "\n");
	}
	return text_copy(text, out, o);
}

/* own_stat_text - stat of thread t, running here, in this host process
 * (not a zombie): a process's CPU times are the host process's (every
 * thread's, as Linux's), a thread's (task/N/stat) those of the vCPU
 * thread that reads them. */
static long own_stat_text(struct uthread *t, bool thread, struct text *text)
{
	struct vproc *p = t->proc;
	struct prog_info pi = { p->pid, p->ppid, p->pgid, p->sid, getpid(), { 0 }, 0, 0, -1, { 0 } };
	snprintf(pi.comm, sizeof(pi.comm), "%s", uthread_name(t));
	pi.stopsig = __atomic_load_n(&p->stop_sig, __ATOMIC_ACQUIRE);
	pi.start_ticks = p->start_ticks;
	return stat_text(&pi, p->nthreads, t->tid, p->parent_signal ? p->parent_signal : SIGCHLD, &t->sched,
			 thread ? "/proc/thread-self/stat" : "/proc/self/stat", asleep(t, thread), text);
}

/* The files of a program here made from its state. (Linux reads environ
 * and maps from the memory the program had at the open, which an exec
 * leaves empty; here they are the new image's.) */
static bool own_made(const char *rest)
{
	static const char *const files[] = { "cmdline", "environ", "comm", "status", "stat", "maps", "limits" };
	return ONE_OF(rest, files);
}

/* own_text - the bytes of such a file of thread t (thread: the path named
 * the thread, task/N or thread-self). */
static long own_text(struct uthread *t, const char *rest, bool thread, struct text *text)
{
	struct vproc *p = t->proc;
	struct strings_at at = { 0, p->arg_start, p->arg_end, p->env_start, p->env_end };
	if (!strcmp(rest, "cmdline"))
		return cmdline_text(&at, text);
	if (!strcmp(rest, "environ"))
		return range_text(&at, p->env_start, p->env_end, text);
	if (!strcmp(rest, "comm"))
		return comm_text(uthread_name(t), text);
	if (!strcmp(rest, "status"))
		return status_text(t, text);
	if (!strcmp(rest, "maps"))
		return maps_text(t, text);
	if (!strcmp(rest, "limits"))
		return limits_text(p, text);
	return own_stat_text(t, thread, text);
}

/*
 * A file made from a program's state (cmdline, status, stat...) is made
 * when read, as Linux's seq_file makes it: at the first read, and again at
 * one from offset 0 or from elsewhere than the last one ended; not at the
 * open (a shell opens /proc/self/cmdline in its forked child, which then
 * execs the program that reads it). Its host fd is the host's own file of
 * that name: fstat, fcntl, mmap and sendfile answer as for a /proc file.
 */
struct made {
	struct vfile vf;
	int pid, tid;     /* whose: looked up again at each making */
	bool thread;      /* opened through task/N or thread-self */
	char rest[16];    /* its name in the directory */
	spinlock_t lock;  /* text, pos and end */
	struct text text; /* buf NULL: not made yet */
	int64_t pos;
	int64_t end;      /* where the last read ended */
};

/* made_who - whom d describes now: the thread it was opened for while that
 * lives, else what /proc/<pid> names now (the program's main thread, its
 * zombie, a program of another host process after a fork: *other). Its
 * name in the directory, in path (the caller's), or NULL (-ESRCH). */
#define MADE_PATH 64
static const char *made_who(struct uthread *reader, const struct made *d, char path[MADE_PATH],
			    struct uthread **t, struct prog_info *other)
{
	snprintf(path, MADE_PATH, "/proc/%d/%s", d->pid, d->rest);
	const char *rest = parse_who(reader, AT_FDCWD, path, t, other);
	struct uthread *u = rest && !other->pid ? uthread_by_tid(d->tid) : NULL;
	if (u && u->proc == (*t)->proc)
		*t = u;
	return rest;
}

/* made_text - d's bytes as its program is now. */
static long made_text(struct uthread *reader, const struct made *d, struct text *text)
{
	char path[MADE_PATH];
	struct uthread *t;
	struct prog_info other;
	const char *rest = made_who(reader, d, path, &t, &other);
	if (!rest)
		return -ESRCH;
	if (other.pid)
		return other_text(&other, rest, text);
	return own_text(t, rest, d->thread, text);
}

/* text_to_iov - t's bytes from offset at into the app's buffers: the
 * count, or -EFAULT if none could be copied. */
static long text_to_iov(const struct text *t, int64_t at, const struct iovec *iov, int n)
{
	size_t done = 0;
	for (int i = 0; i < n && (size_t)at + done < t->len; i++) {
		size_t k = t->len - at - done < iov[i].iov_len ? t->len - at - done : iov[i].iov_len;
		if (copy_to_user((uint64_t)iov[i].iov_base, t->buf + at + done, k))
			return done ? (long)done : -EFAULT;
		done += k;
	}
	return (long)done;
}

static long made_read(struct vfile *f, struct uthread *ut, struct vmsg *m)
{
	struct made *d = (struct made *)f;
	if ((f->flags & O_ACCMODE) == O_WRONLY)
		return -EBADF;
	spin_lock(&d->lock);
	int64_t at = m->off >= 0 ? m->off : d->pos;
	bool make = !d->text.buf || at == 0 || at != d->end;
	spin_unlock(&d->lock);
	struct text fresh = { 0 };
	long r = make ? made_text(ut, d, &fresh) : 0;
	if (r < 0)
		return r;
	spin_lock(&d->lock);
	if (fresh.buf) {
		struct text old = d->text;
		d->text = fresh;
		fresh = old;
	}
	at = m->off >= 0 ? m->off : d->pos;
	r = text_to_iov(&d->text, at, m->iov, m->iovcnt);
	if (r >= 0)
		d->end = at + r;
	if (r > 0 && m->off < 0)
		d->pos = at + r;
	spin_unlock(&d->lock);
	free(fresh.buf);
	return r;
}

/* A write to comm renames the thread, as Linux's comm_write: each buffer
 * (writev's one by one) names it with its first 15 bytes, a newline kept;
 * only a thread of the writer's own program (EINVAL). The host's file
 * would rename a thread of pegasus's. The other files' writes are the
 * host file's (EINVAL, as theirs). */
static long made_write(struct vfile *f, struct uthread *ut, struct vmsg *m)
{
	struct made *d = (struct made *)f;
	if (strcmp(d->rest, "comm"))
		return VFILE_NOOP;
	char path[MADE_PATH];
	struct uthread *t;
	struct prog_info other;
	if (!made_who(ut, d, path, &t, &other))
		return -ESRCH;
	if (other.pid || t->proc != ut->proc)
		return -EINVAL;
	size_t n = 0;
	for (int i = 0; i < m->iovcnt; i++) {
		char name[16] = { 0 };
		size_t k = m->iov[i].iov_len < 15 ? m->iov[i].iov_len : 15;
		if (copy_from_user(name, (uint64_t)m->iov[i].iov_base, k))
			return n ? (long)n : -EFAULT;
		uthread_rename(t, name);
		n += m->iov[i].iov_len;
	}
	return (long)n;
}

/* As Linux's seq_lseek: from the start or the position; cmdline and
 * environ (of size 0) from the end too. */
static long made_lseek(struct vfile *f, int64_t off, int whence)
{
	struct made *d = (struct made *)f;
	bool sized = !strcmp(d->rest, "cmdline") || !strcmp(d->rest, "environ");
	if (whence != SEEK_SET && whence != SEEK_CUR && !(sized && whence == SEEK_END))
		return -EINVAL;
	spin_lock(&d->lock);
	int64_t to = off + (whence == SEEK_CUR ? d->pos : 0);
	if (to >= 0)
		d->pos = to;
	spin_unlock(&d->lock);
	return to >= 0 ? to : -EINVAL;
}

static void made_release(struct vfile *f)
{
	free(((struct made *)f)->text.buf);
	free(f);
}

static const struct vfile_ops made_ops = {
	.read = made_read, .write = made_write, .lseek = made_lseek, .release = made_release,
};

/* made_open - file rest of thread t's program (other: of a program in
 * another host process) opened with flags: the host's own file of the
 * name, with in *obj the made file (O_PATH: the host's file alone). */
static long made_open(struct uthread *t, const struct prog_info *other, const char *rest, bool thread, int flags,
		      struct vfile **obj)
{
	char host[PATH_MAX];
	long r = other->pid ? other_path(other, rest, host, sizeof(host)) : host_rest(t, rest, host, sizeof(host));
	if (r < 0)
		return r;
	long h = open(host, flags, 0);
	if (h < 0 || (flags & O_PATH))
		return h < 0 ? -errno : h;
	struct made *d = calloc(1, sizeof(*d));
	if (!d) {
		close(h);
		return -ENOMEM;
	}
	vfile_init(&d->vf, &made_ops, flags & ~(O_CLOEXEC | O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC));
	d->pid = other->pid ? other->pid : t->proc->pid;
	d->tid = other->pid ? 0 : t->tid;
	d->thread = thread;
	snprintf(d->rest, sizeof(d->rest), "%s", rest);
	*obj = &d->vf;
	return h;
}

/* The symlinks of /dev that name the caller's fds, and their targets. */
static const char *const dev_links[][2] = {
	{ "/dev/fd", "/proc/self/fd" },
	{ "/dev/stdin", "/proc/self/fd/0" },
	{ "/dev/stdout", "/proc/self/fd/1" },
	{ "/dev/stderr", "/proc/self/fd/2" },
};

/* dev_link - the target of path if it is one of those symlinks, or NULL. */
static const char *dev_link(const char *path)
{
	for (size_t i = 0; i < sizeof(dev_links) / sizeof(dev_links[0]); i++)
		if (!strcmp(path, dev_links[i][0]))
			return dev_links[i][1];
	return NULL;
}

/* dev_alias - the kernel would resolve those symlinks in pegasus's own
 * process (its fd N, not the program's): the /proc path a path through
 * them stands for, or path. */
static const char *dev_alias(const char *path, char *buf, size_t size)
{
	const char *target = dev_link(path);
	if (target)
		return target;
	if (!strncmp(path, "/dev/fd/", 8)) {
		snprintf(buf, size, "/proc/self/fd/%s", path + 8);
		return buf;
	}
	return path;
}

bool procfs_may_alias(const char *head)
{
	/* No library call: the lean path asks too, on the program's %fs. */
	static const char dev[] = "/dev/";
	if (head[0] == 'p' && head[1] == 'r' && head[2] == 'o' && head[3] == 'c' && (!head[4] || head[4] == '/'))
		return true; /* relative: /proc if it starts from "/" (absolute()) */
	for (int i = 0; i < 5; i++)
		if (head[i] != dev[i])
			return false;
	return (head[5] == 'f' && head[6] == 'd') || (head[5] == 's' && head[6] == 't' && head[7] == 'd');
}

long procfs_open(struct uthread *self, int dirfd, const char *path, int flags, struct vfile **obj)
{
	struct uthread *ut;
	struct prog_info other;
	char abs[PATH_MAX], alias[PATH_MAX];
	path = absolute(self, &dirfd, path, abs, sizeof(abs));
	path = dev_alias(path, alias, sizeof(alias));
	if (procdir_is_root(dirfd, path))
		return procdir_open(flags, obj);
	const char *rest = parse_who(self, dirfd, path, &ut, &other);
	/* /proc/net is the instance's, whoever asks: the kernel's lines and
	 * the local sockets'. */
	const char *net = rest ? (!strncmp(rest, "net/", 4) ? rest + 4 : NULL)
			       : (dirfd == AT_FDCWD || path[0] == '/') && !strncmp(path, "/proc/net/", 10) ? path + 10 : NULL;
	size_t nlen;
	char *text = net ? procnet_file(net, &nlen) : NULL;
	if (text) {
		long r = mem_file(net, text, nlen, flags);
		free(text);
		return r;
	}
	if (!rest)
		return -ENOSYS;
	/* The directory itself: what is opened relative to it stays ours. */
	bool dir = (!*rest || !strcmp(rest, ".")) && (flags & O_ACCMODE) == O_RDONLY;
	if (other.pid && other_made(&other, rest))
		return made_open(NULL, &other, rest, false, flags, obj);
	bool fds = !strcmp(rest, "fd") || !strcmp(rest, "fd/");
	bool tasks = !strcmp(rest, "task") || !strcmp(rest, "task/");
	if (other.pid && (fds || tasks) && !is_zombie(&other) && remote_fds(&other, NULL, 0) >= 0)
		return procfs_numdir(other.pid, fds ? NUMDIR_FD : NUMDIR_TASK, flags, obj);
	if (other.pid) {
		long fd = other_open(&other, rest, flags);
		return dir && fd >= 0 ? procdir_open_pid(other.pid, fd, flags, obj) : fd;
	}
	if (fds || tasks)
		return procfs_numdir(ut->proc->pid, fds ? NUMDIR_FD : NUMDIR_TASK, flags, obj);
	struct vproc *p = ut->proc;
	if (own_made(rest)) {
		bool thread = strstr(path, "/task/") || !strncmp(path, "/proc/thread-self", 17);
		return made_open(ut, &other, rest, thread, flags, obj);
	}
	if (!strcmp(rest, "exe") && p->exe)
		return open(p->exe, flags & ~(O_CREAT | O_TRUNC | O_WRONLY | O_RDWR));
	long vfd;
	struct vfile *f = alone(ut, rest, "fdinfo/", &vfd);
	if (f) {
		long r = anon_fdinfo(f, fdt_get_fdflags(ut->proc->fdt, vfd), flags);
		vfile_put(f);
		return r;
	}
	if ((f = alone(ut, rest, "fd/", &vfd))) {
		/* A pipe opens again; an anonymous inode cannot. */
		struct vfile *nf = f->ops->reopen ? f->ops->reopen(f, flags) : NULL;
		vfile_put(f);
		if (!nf)
			return -ENXIO;
		*obj = nf;
		return FDT_NOHOST;
	}
	/* Anything else: the host's view of this same process. */
	char host[PATH_MAX];
	long r = host_rest(ut, rest, host, sizeof(host));
	if (r < 0)
		return r;
	long fd = open(host, flags, 0);
	if (fd >= 0 && dir)
		return procdir_open_pid(p->pid, fd, flags, obj);
	return fd < 0 ? -errno : fd;
}

long procfs_readlink(struct uthread *ut, int dirfd, const char *path, long ubuf, size_t size)
{
	char link[PATH_MAX], abs[PATH_MAX], alias[PATH_MAX];
	/* The symlink itself: its text, as natively. */
	const char *dev = dev_link(path);
	path = dev_alias(path, alias, sizeof(alias));
	path = absolute(ut, &dirfd, path, abs, sizeof(abs));
	if (dev) {
		snprintf(link, sizeof(link), "%s", dev);
	} else if (dirfd == AT_FDCWD && (!strcmp(path, "/proc/self") || !strcmp(path, "/proc/self/"))) {
		snprintf(link, sizeof(link), "%d", ut->proc->pid);
	} else if (dirfd == AT_FDCWD && !strcmp(path, "/proc/thread-self")) {
		snprintf(link, sizeof(link), "%d/task/%d", ut->proc->pid, ut->tid);
	} else {
		struct uthread *t;
		struct prog_info other;
		struct vfile *f;
		const char *rest = parse_who(ut, dirfd, path, &t, &other);
		if (!rest)
			return -ENOSYS;
		if (is_zombie(&other)) {
			return -ENOENT;
		} else if (other.pid && !strcmp(rest, "exe") && other.exe[0]) {
			snprintf(link, sizeof(link), "%s", other.exe);
		} else if (other.pid) {
			char host[PATH_MAX];
			long r = other_path(&other, rest, host, sizeof(host));
			if (r < 0)
				return r;
			if (r == 1)
				snprintf(link, sizeof(link), "%s", host);
			ssize_t n = r == 1 ? (ssize_t)strlen(link) : readlink(host, link, sizeof(link) - 1);
			if (n < 0)
				return -errno;
			link[n] = 0;
		} else if (!strcmp(rest, "exe") && t->proc->exe) {
			snprintf(link, sizeof(link), "%s", t->proc->exe);
		} else if (!strcmp(rest, "cwd")) {
			snprintf(link, sizeof(link), "%s", t->proc->cwd);
		} else if ((f = alone(t, rest, "fd/", NULL))) {
			anon_link(f, link, sizeof(link));
			vfile_put(f);
		} else {
			char host[PATH_MAX];
			long r = host_rest(t, rest, host, sizeof(host));
			if (r < 0)
				return r;
			ssize_t n = readlink(host, link, sizeof(link) - 1);
			if (n < 0)
				return -errno;
			link[n] = 0;
		}
	}
	size_t n = strlen(link);
	if (n > size)
		n = size;
	return copy_to_user(ubuf, link, n) ? -EFAULT : (long)n;
}

/* resolve - path, through /dev's links and relative to a /proc directory
 * fd, as what follows whose /proc entry it names (parse_who), or NULL.
 * abs and alias: the caller's PATH_MAX buffers. */
static const char *resolve(struct uthread *ut, int dirfd, const char *path, char *abs, char *alias,
			   struct uthread **t, struct prog_info *other)
{
	path = absolute(ut, &dirfd, path, abs, PATH_MAX);
	path = dev_alias(path, alias, PATH_MAX);
	return parse_who(ut, dirfd, path, t, other);
}

int procfs_fd_alone(struct uthread *ut, int dirfd, const char *path)
{
	char abs[PATH_MAX], alias[PATH_MAX];
	struct uthread *t;
	struct prog_info other;
	const char *rest = resolve(ut, dirfd, path, abs, alias, &t, &other);
	if (!rest || other.pid || t->proc != ut->proc || strncmp(rest, "fd/", 3))
		return -1;
	struct vfile *f = alone(ut, rest, "fd/", NULL);
	if (!f)
		return -1;
	vfile_put(f);
	return (int)strtol(rest + 3, NULL, 10);
}

long procfs_path(struct uthread *ut, int dirfd, const char *path, bool nofollow, char *out, size_t size)
{
	char abs[PATH_MAX], alias[PATH_MAX];
	struct uthread *t;
	struct prog_info other;
	const char *rest = resolve(ut, dirfd, path, abs, alias, &t, &other);
	if (!rest)
		return -ENOSYS;
	/* The host's own numbers, not /proc/self: lstat of the directory is
	 * a directory, as /proc/<pid> is. */
	/* The link itself: any of the host's links of the kind (lrwxrwxrwx,
	 * size 0: `[ -L /proc/self/exe ]`, python's realpath, ls -l). */
	if (nofollow && (!strcmp(rest, "exe") || !strcmp(rest, "cwd") || !strcmp(rest, "root")) &&
	    !is_zombie(&other)) {
		snprintf(out, size, "/proc/%d/%s", getpid(), rest);
		return 0;
	}
	if (other.pid) {
		long r = other_path(&other, rest, out, size);
		if (r == 1 && nofollow) /* a file in its process's memory: its link is a link */
			snprintf(out, size, "/proc/%d/exe", getpid());
		return r == 1 && !nofollow ? -ENXIO : r < 0 ? r : 0;
	}
	if (!strcmp(rest, "exe") && t->proc->exe) {
		snprintf(out, size, "%s", t->proc->exe);
		return 0;
	}
	char host[PATH_MAX];
	long r = host_rest(t, rest, host, sizeof(host));
	if (r < 0)
		return r;
	/* host_rest says /proc/self/...; "" names the directory itself. */
	snprintf(out, size, "/proc/%d%s%s", getpid(), *rest ? "/" : "", host + strlen("/proc/self/"));
	return 0;
}
