/* sys_mem.c - per-program memory calls: mappings, brk, mlockall and the thread pointer. */
#include <asm/prctl.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>

#include "core/rawsys.h"
#include "fs/fdtable.h"
#include "loader/load.h"
#include "mm/regions.h"
#include <sys/shm.h>
#include <linux/mman.h>
#include "mm/brk.h"
#include "mm/uaccess.h"
#include "proc/cred.h"
#include "proc/vproc.h"
#include "sched/vcpu.h"
#include "sys/systab.h"

static long kernel(long nr, long a, long b, long c, long d, long e, long f)
{
	return raw_syscall6(nr, a, b, c, d, e, f);
}

/* stack_unused - the part of p's main stack below what it has used: Linux's
 * stack mapping starts at 128 KiB and grows down as it is touched, where
 * the loader maps the whole rlimit (stack.c). The lowest page in memory
 * stands for the lowest touched. */
static uint64_t stack_unused(struct vproc *p)
{
	uint64_t len = p->stack_len, pages = len / 4096, min = 128 << 10;
	if (len <= min || regions_size(p, p->stack_lo, len) != len)
		return 0; /* gone (unmapped by the program) */
	unsigned char *vec = malloc(pages);
	if (!vec || kernel(SYS_mincore, p->stack_lo, len, (long)vec, 0, 0, 0) < 0) {
		free(vec);
		return 0;
	}
	uint64_t i = 0;
	while (i < pages && !(vec[i] & 1))
		i++;
	free(vec);
	return i * 4096 < len - min ? i * 4096 : len - min;
}

/* as_room - may p's address space grow by len bytes at addr (0: anywhere;
 * p's own pieces there are replaced, not added)? RLIMIT_AS as Linux's
 * may_expand_vm, over what p has mapped, its break as far as it is set. */
static bool as_room(struct vproc *p, uint64_t addr, uint64_t len)
{
	uint64_t lim = p->rlim[RLIMIT_AS].rlim_cur;
	if (lim == RLIM_INFINITY)
		return true;
	uint64_t have = regions_size(p, 0, 0) - brk_unused(&p->brk) - stack_unused(p);
	uint64_t more = ((len + 4095) & ~4095ull) - (addr && len ? regions_size(p, addr, len) : 0);
	return have + more <= lim;
}

long sys_brk(struct uthread *ut, const long a[6])
{
	struct brk *b = &ut->proc->brk;
	uint64_t more = brk_growth(b, a[0]);
	if (more && !as_room(ut->proc, 0, more))
		return b->cur;
	uint64_t old = b->cur;
	long r = brk_set(b, a[0]);
	/* mlockall(MCL_FUTURE): the growth is locked too. */
	uint64_t from = (old + 4095) & ~4095ull, to = ((uint64_t)r + 4095) & ~4095ull;
	if (ut->proc->mlock_future && to > from)
		kernel(SYS_mlock2, (long)from, (long)(to - from), ut->proc->mlock_future - 1, 0, 0, 0);
	return r;
}

/* arch_prctl - %fs is the program's (per uthread, loaded at the gate); %gs
 * belongs to the runtime, so a program may not set it. */
long sys_arch_prctl(struct uthread *ut, const long a[6])
{
	uint64_t zero = 0;
	switch (a[0]) {
	case ARCH_SET_FS:
		if (!uaccess_range_ok(a[1], 0))
			return -EPERM;
		ut->tf.fs_base = a[1];
		return 0;
	case ARCH_GET_FS:
		return copy_to_user(a[1], &ut->tf.fs_base, 8) ? -EFAULT : 0;
	case ARCH_SET_GS:
		return -EPERM;
	case ARCH_GET_GS:
		return copy_to_user(a[1], &zero, 8) ? -EFAULT : 0;
	/* CPUID runs for programs; the runtime's own faulting (entry/cpuid.h)
	 * is not theirs to see, and faulting for a program is not offered. */
	case ARCH_GET_CPUID:
		return 1;
	case ARCH_SET_CPUID:
		return a[1] ? 0 : -ENODEV;
	case 0x1021: /* ARCH_GET_XCOMP_SUPP */
	case 0x1022: /* ARCH_GET_XCOMP_PERM */
	case 0x1023: /* ARCH_REQ_XCOMP_PERM */
	case 0x1024: /* ARCH_GET_XCOMP_GUEST_PERM */
		return raw_syscall3(SYS_arch_prctl, a[0], a[1], 0);
	default:
		return -EINVAL;
	}
}

/* ---- mappings: each program sees and changes only its own ---- */

static bool page_aligned(uint64_t x)
{
	return !(x & 4095);
}

/* claim_fixed - make [addr, addr+len) free for a MAP_FIXED/MREMAP_FIXED
 * of program p: its own pieces go, as the kernel would replace them; any
 * other mapping there (another program's, the runtime's) makes it fail. */
static long claim_fixed(struct vproc *p, uint64_t addr, uint64_t len)
{
	regions_unmap(p, addr, len);
	void *m = (void *)kernel(SYS_mmap, addr, len, PROT_NONE,
				 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE | MAP_NORESERVE, -1, 0);
	if ((long)m < 0 || (uint64_t)m != addr) {
		if ((long)m >= 0)
			kernel(SYS_munmap, (long)m, len, 0, 0, 0, 0);
		return -ENOMEM;
	}
	return 0; /* a placeholder the real mapping replaces */
}

long sys_mmap(struct uthread *ut, const long a[6])
{
	uint64_t addr = a[0], len = a[1];
	long flags = a[3];
	struct vproc *p = ut->proc;
	long fd = a[4];
	if ((int)fd >= 0 && !(flags & MAP_ANONYMOUS)) {
		fd = fdt_host(p->fdt, (int)fd);
		if (fd < 0)
			return fd;
	}
	if ((flags & MAP_FIXED) && !(flags & MAP_FIXED_NOREPLACE) && len &&
	    !regions_owned(p, addr, len)) {
		if (!page_aligned(addr))
			return -EINVAL;
		long r = claim_fixed(p, addr, len);
		if (r)
			return r;
	}
	if (!as_room(p, (flags & MAP_FIXED) ? addr : 0, len))
		return -ENOMEM;
	long r = kernel(SYS_mmap, a[0], a[1], a[2], a[3], fd, a[5]);
	if (r < 0 && r >= -4095)
		return r;
	regions_add(p, r, len);
	if ((a[2] & PROT_EXEC) && !(flags & MAP_ANONYMOUS) && (int)fd >= 0 && p->dynamic && regions_code_mapped_hook)
		regions_code_mapped_hook((uint64_t)r, len, (int)fd, (uint64_t)a[5]);
	/* mlockall(MCL_FUTURE): locked as it is made; past the limit, EAGAIN. */
	if (p->mlock_future && a[2] != PROT_NONE &&
	    kernel(SYS_mlock2, r, len, p->mlock_future - 1, 0, 0, 0) < 0) {
		regions_unmap(p, r, len);
		return -EAGAIN;
	}
	return r;
}

/* ---- mlockall: the program's memory, not the host process's ---- */

/*
 * The kernel's mlockall locks every mapping of the host process: the
 * runtime's reservations and other programs' memory too (about a gigabyte,
 * populated, as root; ENOMEM for a program within RLIMIT_MEMLOCK). So it
 * locks the program's own accessible pieces, and MCL_FUTURE locks each
 * mapping it makes (the break's growth too).
 */

struct pieces {
	struct { uint64_t s, e; } v[64];
	int n;
};

static void collect_piece(uint64_t s, uint64_t e, void *arg)
{
	struct pieces *got = arg;
	if (got->n < 64) {
		got->v[got->n].s = s;
		got->v[got->n].e = e;
		got->n++;
	}
}

static long add_len(uint64_t s, uint64_t e, void *arg)
{
	*(uint64_t *)arg += e - s;
	return 0;
}

static long lock_piece(uint64_t s, uint64_t e, void *arg)
{
	return kernel(SYS_mlock2, (long)s, (long)(e - s), *(long *)arg, 0, 0, 0);
}

/* each_accessible - fn on each piece of p's memory that some protection
 * lets it touch (a PROT_NONE reservation is not locked: the kernel would
 * count it), as /proc/self/maps gives them; -errno, or fn's first. */
static long each_accessible(struct vproc *p, long (*fn)(uint64_t s, uint64_t e, void *arg), void *arg)
{
	FILE *f = fopen("/proc/self/maps", "re");
	if (!f)
		return -ENOMEM;
	/* The main stack's untouched part neither: Linux's stack mapping
	 * grows as it is touched, the loader's is mapped whole. */
	uint64_t cold_lo = p->stack_lo, cold_hi = p->stack_lo + stack_unused(p);
	char line[512];
	long r = 0;
	while (!r && fgets(line, sizeof(line), f)) {
		unsigned long s, e;
		char prot[5];
		if (sscanf(line, "%lx-%lx %4s", &s, &e, prot) != 3 || !strncmp(prot, "---", 3))
			continue;
		/* Collected first: fn must not run under the table's lock. */
		struct pieces got = { .n = 0 };
		regions_each(p, s, e - s, collect_piece, &got);
		for (int i = 0; !r && i < got.n; i++) {
			uint64_t lo = got.v[i].s, hi = got.v[i].e;
			if (lo < cold_hi && hi > cold_lo)
				lo = hi > cold_hi ? cold_hi : hi; /* the stack's cold part is its bottom */
			if (lo < hi)
				r = fn(lo, hi, arg);
		}
	}
	fclose(f);
	return r;
}

long sys_mlockall(struct uthread *ut, const long a[6])
{
	int flags = (int)a[0];
	if (!flags || (flags & ~(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT)) || flags == MCL_ONFAULT)
		return -EINVAL;
	struct vproc *p = ut->proc;
	long how = (flags & MCL_ONFAULT) ? MLOCK_ONFAULT : 0;
	if (flags & MCL_CURRENT) {
		/* Linux's test: all the memory against RLIMIT_MEMLOCK, unless
		 * CAP_IPC_LOCK (the program's, not the host process's). */
		uint64_t total = 0;
		each_accessible(p, add_len, &total);
		if (total > p->rlim[RLIMIT_MEMLOCK].rlim_cur && !cred_capable(ut, CAP_IPC_LOCK))
			return -ENOMEM;
		long r = each_accessible(p, lock_piece, &how);
		if (r)
			return r;
	}
	p->mlock_future = (flags & MCL_FUTURE) ? (uint8_t)(how + 1) : 0;
	return 0;
}

static long unlock_piece(uint64_t s, uint64_t e, void *arg)
{
	(void)arg;
	kernel(SYS_munlock, (long)s, (long)(e - s), 0, 0, 0, 0);
	return 0;
}

long sys_munlockall(struct uthread *ut, const long a[6])
{
	(void)a;
	each_accessible(ut->proc, unlock_piece, NULL);
	ut->proc->mlock_future = 0;
	return 0;
}

long sys_munmap(struct uthread *ut, const long a[6])
{
	if (!page_aligned(a[0]) || !a[1])
		return -EINVAL;
	/* What is not the caller's is, for it, not mapped: nothing to do. */
	regions_unmap(ut->proc, a[0], a[1]);
	return 0;
}

/* The range must be entirely the caller's, else it "contains unmapped
 * pages" as far as the caller can tell. */
static long own_range(struct uthread *ut, long nr, const long a[6], long err)
{
	if (!page_aligned(a[0]))
		return -EINVAL;
	if (a[1] && !regions_owned(ut->proc, a[0], a[1]))
		return err;
	return kernel(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
}

/*
 * mprotect - on the program's own pages. PROT_GROWSDOWN names the main
 * stack: the kernel's grows down and the change reaches its lowest page;
 * the loader's is a plain mapping, so the range is extended down to it
 * here (above its guard page). glibc asks so to make the stack executable
 * when it loads a library linked with -z execstack.
 */
long sys_mprotect(struct uthread *ut, const long a[6])
{
	struct vproc *p = ut->proc;
	uint64_t lo = p->stack_lo + STACK_GUARD, hi = p->stack_lo + p->stack_len;
	if ((a[2] & PROT_GROWSDOWN) && p->stack_len && (uint64_t)a[0] >= lo && (uint64_t)a[0] < hi &&
	    page_aligned(a[0]) && (uint64_t)a[0] + a[1] <= hi) {
		const long b[6] = { (long)lo, a[0] + a[1] - (long)lo, a[2] & ~PROT_GROWSDOWN };
		return own_range(ut, SYS_mprotect, b, -ENOMEM);
	}
	return own_range(ut, SYS_mprotect, a, -ENOMEM);
}

long sys_madvise(struct uthread *ut, const long a[6])
{
	long r = own_range(ut, SYS_madvise, a, -ENOMEM);
	if (r == 0 && (int)a[2] == MADV_DONTFORK)
		regions_note_dontfork();
	return r;
}

long sys_pkey_mprotect(struct uthread *ut, const long a[6])
{
	return own_range(ut, SYS_pkey_mprotect, a, -ENOMEM);
}

long sys_mremap(struct uthread *ut, const long a[6])
{
	struct vproc *p = ut->proc;
	uint64_t old = a[0], oldlen = a[1], newlen = a[2], nw = a[4];
	long flags = a[3];
	if (!page_aligned(old))
		return -EINVAL;
	if (!regions_owned(p, old, oldlen ? oldlen : 4096))
		return -EFAULT;
	/* Growing in place or moving: the new length; kept (DONTUNMAP): both. */
	uint64_t grows = (flags & MREMAP_DONTUNMAP) ? newlen : newlen > oldlen ? newlen - oldlen : 0;
	if (grows && !as_room(p, 0, grows))
		return -ENOMEM;
	if (flags & MREMAP_FIXED) {
		if (!page_aligned(nw))
			return -EINVAL;
		long r = claim_fixed(p, nw, newlen);
		if (r)
			return r;
	}
	/* The old range leaves the table before the kernel may free it (and
	 * give it to another program); back if the call fails. */
	bool moves = oldlen && !(flags & MREMAP_DONTUNMAP);
	if (moves)
		regions_remove(p, old, oldlen);
	long r = kernel(SYS_mremap, a[0], a[1], a[2], a[3], a[4], 0);
	if (r < 0 && r > -4096) {
		if (flags & MREMAP_FIXED)
			kernel(SYS_munmap, nw, newlen, 0, 0, 0, 0);
		if (moves)
			regions_add(p, old, oldlen);
		return r;
	}
	regions_add(p, r, newlen);
	return r;
}

long sys_shmat(struct uthread *ut, const long a[6])
{
	struct shmid_ds ds;
	if (ut->proc->rlim[RLIMIT_AS].rlim_cur != RLIM_INFINITY &&
	    kernel(SYS_shmctl, a[0], IPC_STAT, (long)&ds, 0, 0, 0) == 0 && !as_room(ut->proc, 0, ds.shm_segsz))
		return -ENOMEM;
	long r = kernel(SYS_shmat, a[0], a[1], a[2], 0, 0, 0);
	if ((r >= 0 || r < -4095) && kernel(SYS_shmctl, a[0], IPC_STAT, (long)&ds, 0, 0, 0) == 0)
		regions_add(ut->proc, r, ds.shm_segsz);
	return r;
}

long sys_shmdt(struct uthread *ut, const long a[6])
{
	if (regions_owner(a[0]) != ut->proc)
		return -EINVAL;
	regions_remove(ut->proc, a[0], 4096); /* at least its first page; see docs */
	long r = kernel(SYS_shmdt, a[0], 0, 0, 0, 0, 0);
	if (r)
		regions_add(ut->proc, a[0], 4096);
	return r;
}
