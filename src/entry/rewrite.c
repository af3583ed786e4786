/* rewrite.c - lazy rewriting of trapped syscall sites (and faulting CPUIDs) into jumps to stubs. */
#include "entry/rewrite.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/membarrier.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/bigdata.h"
#include "core/forkhot.h"
#include "core/log.h"
#include "core/rawsys.h"
#include "core/spinlock.h"
#include "entry/cpuid.h"
#include "entry/cpuid_scan.h"
#include "entry/insn.h"
#include "entry/insn_len.h"
#include "entry/lean.h"
#include "entry/site_journal.h"
#include "entry/sitemap.h"
#include "entry/stub_arena.h"
#include "loader/exec.h"
#include "mm/regions.h"
#include "mm/uaccess.h"
#include "proc/vproc.h"
#include "sched/offsets.h"
#include "sched/vcpu.h"
#include "sys/systab.h"

/*
 * Patterns (pattern mode). The syscall instruction's address is known (it
 * trapped); the instructions next to it are checked byte by byte, and a
 * number they load must be the one that trapped. A site is
 *     [pre: instructions before] syscall [post: one cmp after]
 * with pre+syscall+post >= 5 bytes, and becomes `jmp rel32` to a stub near
 * it that replays pre, enters the gate (lea rec(%rip),%rcx; jmp *8(%rcx))
 * and, on return, replays post and jumps back.
 *
 *   P_MOV_EAX  b8 imm32 | 0f 05                 mov $nr,%eax
 *   P_MOV_RAX  48 c7 c0 imm32 | 0f 05           mov $nr,%rax
 *   P_LEA      REX.W 8d modrm disp32 | 0f 05    lea disp(%reg|%rip),%reg
 *   P_MOV_REG  48 89 /r(rm=rax) | 0f 05         mov %reg,%rax
 *   P_XOR_MOV  31 /r 89 /r(rm=eax) | 0f 05      xor %r,%r; mov %r,%eax
 *   P_CMP_RAX  0f 05 | 48 3d imm32              cmp $imm,%rax after
 *   P_CMP_EAX  0f 05 | 3d imm32                 cmp $imm,%eax after
 *              (either with 31 c0 | before it: xor %eax,%eax, number 0)
 *
 * Every instruction boundary inside the patched bytes is either the
 * syscall's own position when it lies past the 5-byte jmp (a `ud2` goes
 * there: a thread stopped before its syscall, or a jump to it, traps and
 * is served as that syscall) or an "interior" point: a thread whose saved
 * %rip is one resumes at the same point in the stub (rewrite_fixup_rip()).
 */

enum pattern { P_MOV_EAX = 1, P_MOV_RAX, P_LEA, P_MOV_REG, P_XOR_MOV, P_CMP_RAX, P_CMP_EAX, P_ZPOLINE,
	       P_CPUID };

/*
 * A CPUID site (entry/cpuid.h) is the CPUID and the instructions after it
 * up to 5 bytes or more, each one insn_movable() knows, the last possibly
 * a short jcc or jmp; it becomes `jmp rel32` to a stub that calls
 * cpuid_cached below the red zone with the flags saved, runs the moved
 * instructions (a short branch as a rel32 one) and jumps back. Known
 * sites record it with this number.
 */
#define NR_CPUID (-1)
#define CPUID_POST_MAX 16

#define MAX_INTERIOR 3

struct site {
	uint64_t start;      /* first patched byte */
	uint8_t len;         /* patched bytes */
	uint8_t kind;
	uint8_t ninterior;
	uint64_t syscall_ud2;/* the ud2 where the syscall was, or 0 */
	uint64_t interior[MAX_INTERIOR]; /* boundaries covered by the jmp... */
	uint64_t post[MAX_INTERIOR];     /* ...and the same points in the stub */
	struct arena *arena; /* where its stub is (none for zpoline) */
	uint32_t stub_off;
	struct site *next_gone;
};

enum rewrite_mode rewrite_mode = REWRITE_PATTERN;
int rewrite_have_interiors;

extern void gate_fast(void), gate_zpoline(void), gate_direct(void), gate_direct_fd(void),
	gate_direct_ep(void);

/*
 * zpoline mode: a site no pattern fits becomes `call *%rax` (ff d0, the
 * same two bytes as `syscall`), which lands in a nop sled at address 0 for
 * every valid number and slides into gate_zpoline. Past the sled the page
 * holds int3s: an out-of-range number traps there (or faults beyond page
 * 0) and is served as the syscall it was. The call pushes its return
 * address below the app's %rsp: a leaf function's red zone loses 8 bytes
 * there, the known price of zpoline; that is why patterns come first.
 */
#define ZP_SLED 512
#define ZP_PAGE 4096

FORK_HOT static spinlock_t lock = SPINLOCK_INIT;
/* The value of a syscall address that was looked at and refused, and of one
 * that trapped once. */
static struct site refused_site, seen_once;
static volatile uint64_t patching; /* site address whose first byte is int3 */
static uint64_t nsites, nrefused;

/* ---- sites known by file: patched when their file is mapped again ---- */

/*
 * Each exec maps ld.so (and the program) somewhere new, where each of its
 * sites would trap again: once for a site run once (the calls of ld.so's
 * start), twice before being rewritten for one run more often (its mmap,
 * openat, read... wrappers), ~25 traps of ~2.5 µs per exec of /bin/true.
 * The loader says where it maps which file (exec_image_mapped), and so
 * does a program's own mapping of a file's code (code_mapped: the
 * libraries ld.so maps); a site that trapped in such an image is
 * remembered by (file, offset, number), and when that file is mapped
 * again the ones that were hot there are patched at once, before any
 * thread runs the image (one write each, no membarrier), where the pattern
 * still fits: the bytes are checked as at a trap, and the file is known by
 * device, inode, size and mtime. A site is hot once it trapped twice: in
 * one image, in two, or in two processes of the instance (their notes,
 * site_journal.h). It is patched into new images only if it trapped in
 * two (or is a CPUID): a page written through /proc/self/mem costs ~8
 * traps here, and a site hot in one program alone (a shell's wait4, a
 * posix_spawn child's sigactions, run on the parent's libc) is not run by
 * the programs it execs (10 of 18 pages written at each exec of
 * /bin/true were such). A wrong match (a hash collision, an image gone
 * unnoticed) only makes a site rewritten at its first trap, as all were
 * before.
 */
#define IMAGES_MAX 256  /* a ring: the loader's images and the libraries ld.so maps */
#define KNOWN_MAX 8192  /* known sites; their index has twice the slots */
#define FILES_MAX 256
/* An image: its lowest segment's address lo (offsets are from there), its
 * mapping from map_lo to hi; serial tells it from the images before it. */
static struct { uint64_t lo, map_lo, hi, file; uint32_t serial; } images[IMAGES_MAX];
static unsigned next_image;
static struct known_site {
	uint64_t key;        /* (file, offset) hash; 0: empty */
	uint64_t file;
	uint32_t off;
	int16_t nr;
	bool hot;            /* it trapped twice in an image of its file */
	bool shared;         /* in two images, or two processes: patched into new ones */
	uint8_t pre, post;   /* a CPUID's: what its patch may cover (cpuid_found) */
	uint32_t seen_in;    /* the serial of the image it first trapped in; 0: another process's */
	int next;            /* index of its file's next known site, or -1 */
} known[KNOWN_MAX] PG_BIG;      /* filled in order: a fork copies only pages in use */
static unsigned nknown;
static int16_t known_index[KNOWN_MAX * 2] PG_BIG; /* by key hash: known[] index + 1, 0 empty */
/* The files with known sites, each with the chain of its sites: a mapping
 * looks at its file's sites alone. Full: later files' sites trap, as any. */
static struct known_file {
	uint64_t file;
	int first;           /* index of its first known site, or -1 */
	bool swept;          /* its CPUIDs found by a sweep (cpuid_sweep_wanted) */
} files[FILES_MAX] PG_BIG;
static unsigned nfiles;

/* images_drop - the images overlapping [lo, hi) are gone. */
static void images_drop(uint64_t lo, uint64_t hi)
{
	for (unsigned i = 0; i < IMAGES_MAX; i++)
		if (images[i].map_lo < hi && lo < images[i].hi)
			images[i].hi = images[i].map_lo = images[i].lo = 0;
}

static bool images_overlap(uint64_t lo, uint64_t hi)
{
	for (unsigned i = 0; i < IMAGES_MAX; i++)
		if (__atomic_load_n(&images[i].map_lo, __ATOMIC_RELAXED) < hi &&
		    lo < __atomic_load_n(&images[i].hi, __ATOMIC_RELAXED))
			return true;
	return false;
}

/* file_of - the files[] entry of file, made if add and there is room. */
static int file_of(uint64_t file, bool add)
{
	for (unsigned i = 0; i < nfiles; i++)
		if (files[i].file == file)
			return (int)i;
	if (!add || nfiles == FILES_MAX)
		return -1;
	files[nfiles] = (struct known_file){ file, -1, false };
	return (int)nfiles++;
}

static int patch_site(uint64_t sc, long nr, bool solo);
static int patch_cpuid(uint64_t sc, bool solo, unsigned pre, unsigned post);
static bool staging; /* the image being mapped takes its patches a page at a time */
static void stage_begin(void);
static void stage_end(void);

/* image_of - the file and offset of code at sc, and its image's serial,
 * if in a known image. */
static bool image_of(uint64_t sc, uint64_t *file, uint32_t *off, uint32_t *serial)
{
	for (unsigned i = 0; i < IMAGES_MAX; i++)
		if (sc >= images[i].map_lo && sc < images[i].hi) {
			*file = images[i].file;
			*off = (uint32_t)(sc - images[i].lo);
			*serial = images[i].serial;
			return true;
		}
	return false;
}

static struct known_site *known_find(uint64_t k)
{
	for (unsigned i = k % (KNOWN_MAX * 2); k && known_index[i]; i = (i + 1) % (KNOWN_MAX * 2))
		if (known[known_index[i] - 1].key == k)
			return &known[known_index[i] - 1];
	return NULL;
}

/* known_add - the record of the site at off in file, made (then *made,
 * if asked) if there is room (full: later ones trap, as any). */
static struct known_site *known_add(uint64_t file, uint32_t off, long nr, bool *made)
{
	uint64_t k = (file + off) * 0xff51afd7ed558ccdull;
	k = k ? k : 1;
	struct known_site *ks = known_find(k);
	int f = !ks && nknown < KNOWN_MAX ? file_of(file, true) : -1;
	if (made)
		*made = f >= 0;
	if (f >= 0) {
		unsigned i = k % (KNOWN_MAX * 2);
		while (known_index[i])
			i = (i + 1) % (KNOWN_MAX * 2);
		ks = &known[nknown];
		*ks = (struct known_site){ .key = k, .file = file, .off = off, .nr = (int16_t)nr,
					   .post = CPUID_POST_MAX, .next = files[f].first };
		files[f].first = (int)nknown++;
		known_index[i] = (int16_t)nknown;
	}
	return ks;
}

/* known_note - the site at sc trapped (hot: for the second time here);
 * its record, if it has one. One known already trapped in another image
 * of its file, or in another process: hot too (a site run once by every
 * exec of a program, or by every forked child). What is new is told to
 * the instance's other processes (site_journal.h). */
static struct known_site *known_note(uint64_t sc, long nr, bool hot)
{
	uint64_t file;
	uint32_t off, serial;
	bool made = false;
	struct known_site *ks = image_of(sc, &file, &off, &serial) ? known_add(file, off, nr, &made) : NULL;
	if (!ks)
		return NULL;
	hot = hot || !made;
	if (made)
		ks->seen_in = serial;
	else if (ks->seen_in != serial)
		ks->shared = true;
	if (made || (hot && !ks->hot))
		site_journal_add(&(struct site_note){ file, off, (int16_t)nr, ks->pre, ks->post },
				 (int)raw_syscall3(SYS_getpid, 0, 0, 0));
	if (hot)
		ks->hot = true;
	return ks;
}

/* patch_live - before a fork (the vCPUs parked: no app code runs; a
 * thread stopped right after the site is moved into the stub when it goes
 * on, gate_return.c): ks became hot through another process's notes; its
 * site is patched wherever its file is mapped here, so that the children
 * inherit it patched. */
static void patch_live(const struct known_site *ks)
{
	for (unsigned i = 0; i < IMAGES_MAX; i++) {
		uint64_t sc = images[i].lo + ks->off;
		struct site *was = sitemap_get(sc);
		if (images[i].file != ks->file || sc < images[i].map_lo || sc >= images[i].hi ||
		    (was && was != &seen_once) || !sitemap_has_room())
			continue;
		if (ks->nr == NR_CPUID)
			patch_cpuid(sc, true, ks->pre, ks->post);
		else
			patch_site(sc, ks->nr, true);
	}
}

/* import_notes - with the lock held, before a fork: the sites other
 * processes of the instance learned since the last look. A site seen
 * twice (here and there, or in two of them) is hot. */
static void import_notes(void)
{
	struct site_note n;
	int self = (int)raw_syscall3(SYS_getpid, 0, 0, 0);
	while (site_journal_next(&n, self)) {
		bool made;
		struct known_site *ks = known_add(n.file, n.off, n.nr, &made);
		if (!ks)
			continue;
		if (!made)
			ks->shared = true; /* trapped here and there */
		if (ks->hot)
			continue;
		if (n.nr == NR_CPUID) {
			ks->pre = n.pre;
			ks->post = n.post;
		}
		if (made)
			continue;
		ks->hot = true;
		patch_live(ks);
	}
}

/* file_id - a file as it is now: a file rewritten in place keeps its
 * inode, not its modification time. */
static uint64_t file_id(const struct stat *st)
{
	return ((uint64_t)st->st_dev * 0x9e3779b97f4a7c15ull) ^ ((uint64_t)st->st_ino * 0xc2b2ae3d27d4eb4full) ^
	       ((uint64_t)st->st_mtim.tv_sec * 0x165667b19e3779f9ull) ^ (uint64_t)st->st_mtim.tv_nsec ^
	       ((uint64_t)st->st_size << 20) ^ 1;
}

/*
 * A sweep of ld.so takes ~0.6 ms and saves ~0.25 ms at each later start of
 * a program (its ~70 CPUIDs), so an instance that starts one program and
 * nothing else is better off without it: an interpreter is swept when it
 * is mapped a second time, or before a fork (whose child may exec; it
 * inherits the result), found again by its path.
 */
#define SWEPT_MAX 128  /* CPUIDs a sweep of one file may find (glibc 2.36's ld.so has 37) */
#define PENDING_MAX 4
static struct pending_sweep {
	uint64_t file, vaddr_lo;
	char path[256];
} pending[PENDING_MAX] PG_BIG;
static unsigned npending;

/* pending_take - with the lock held: was file mapped once, unswept? It is
 * not pending any more. */
static bool pending_take(uint64_t file)
{
	for (unsigned i = 0; i < npending; i++)
		if (pending[i].file == file) {
			pending[i] = pending[--npending];
			return true;
		}
	return false;
}

/* swept - with the lock held: file's CPUIDs as a sweep found them become
 * known sites, hot (patched wherever it is mapped from now on). */
static void swept(uint64_t file, const struct cpuid_found *found, int n)
{
	int f = file_of(file, true);
	if (f < 0 || files[f].swept)
		return;
	files[f].swept = true;
	for (int c = 0; c < n; c++) {
		struct known_site *ks = known_add(file, found[c].off, NR_CPUID, NULL);
		if (ks) {
			ks->hot = ks->shared = true;
			ks->pre = found[c].pre;
			ks->post = found[c].post;
		}
	}
}

/* sweep_pending - before a fork: the interpreters mapped once are swept. */
static void sweep_pending(void)
{
	struct cpuid_found found[SWEPT_MAX];
	spin_lock(&lock);
	while (npending) {
		struct pending_sweep ps = pending[--npending];
		spin_unlock(&lock);
		struct stat st;
		int fd = open(ps.path, O_RDONLY | O_CLOEXEC), n = -1;
		if (fd >= 0 && fstat(fd, &st) == 0 && file_id(&st) == ps.file)
			n = cpuid_scan(fd, ps.vaddr_lo, found, SWEPT_MAX);
		if (fd >= 0)
			close(fd);
		pg_debug("%s swept for CPUIDs before a fork: %d found", ps.path, n);
		spin_lock(&lock);
		if (n >= 0)
			swept(ps.file, found, n);
	}
	spin_unlock(&lock);
}

static void image_mapped(const struct mapped_image *mi)
{
	uint64_t lo = mi->lo, len = mi->len, map_lo = mi->map_lo, file = file_id(mi->st);
	/* An interpreter's CPUIDs: swept outside the lock (it reads the file). */
	struct cpuid_found cpuids[SWEPT_MAX];
	int ncpuids = -1;
	if (mi->interp && mi->fd >= 0 && rewrite_mode != REWRITE_OFF && cpuid_sweep_wanted()) {
		spin_lock(&lock);
		int f = file_of(file, false);
		bool done = f >= 0 && files[f].swept, again = !done && pending_take(file);
		if (!done && !again && npending < PENDING_MAX && mi->path[0] == '/' &&
		    strlen(mi->path) < sizeof(pending[0].path)) {
			pending[npending].file = file;
			pending[npending].vaddr_lo = mi->vaddr_lo;
			strcpy(pending[npending++].path, mi->path);
		}
		spin_unlock(&lock);
		if (again)
			ncpuids = cpuid_scan(mi->fd, mi->vaddr_lo, cpuids, SWEPT_MAX);
	}
	spin_lock(&lock);
	images_drop(map_lo, lo + len); /* what was there is gone */
	unsigned i = next_image++ % IMAGES_MAX;
	images[i].lo = lo;
	images[i].map_lo = map_lo;
	images[i].hi = lo + len;
	images[i].file = file;
	images[i].serial = next_image; /* from 1: 0 is another process's */
	if (ncpuids >= 0)
		swept(file, cpuids, ncpuids);
	/* Nothing runs this image yet: its known sites are patched now (not
	 * one run once there: it would cost a rewrite, not save a trap). */
	int f = rewrite_mode != REWRITE_OFF ? file_of(file, false) : -1;
	int ncpuid = 0, cpuid_done = 0;
	if (f >= 0)
		stage_begin();
	for (int j = f >= 0 ? files[f].first : -1; j >= 0; j = known[j].next) {
		struct known_site *ks = &known[j];
		uint64_t sc = lo + ks->off;
		if (!ks->hot || !(ks->shared || ks->nr == NR_CPUID) || sc < map_lo || ks->off >= len ||
		    sitemap_get(sc) || !sitemap_has_room())
			continue;
		if (ks->nr == NR_CPUID) {
			ncpuid++;
			cpuid_done += patch_cpuid(sc, true, ks->pre, ks->post) > 0;
		} else {
			patch_site(sc, ks->nr, true);
		}
	}
	if (staging)
		stage_end();
	spin_unlock(&lock);
	if (ncpuids >= 0)
		pg_debug("the interpreter's CPUID sites: %d found, %d of %d rewritten", ncpuids, cpuid_done, ncpuid);
}

/* code_mapped - a program mapped a file's code itself (ld.so, each
 * library's text): an image from at, of the ELF file whose segment at
 * file offset off it is. Offsets in an image are from its lowest segment's
 * address, as the loader's (text may lie at another file offset than that
 * difference: lld and mold put it a page further). Its program headers are
 * read here, not by elf_parse, which wants PT_INTERP within what it reads:
 * libc.so.6 has one 1.6 MB in. */
static void code_mapped(uint64_t at, uint64_t len, int host_fd, uint64_t off)
{
	struct stat st;
	Elf64_Ehdr eh;
	Elf64_Phdr ph[64];
	if (fstat(host_fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    pread(host_fd, &eh, sizeof(eh), 0) != (ssize_t)sizeof(eh) || memcmp(eh.e_ident, ELFMAG, SELFMAG) ||
	    eh.e_phentsize != sizeof(Elf64_Phdr) || !eh.e_phnum || eh.e_phnum > 64)
		return;
	size_t n = eh.e_phnum * sizeof(Elf64_Phdr);
	if (pread(host_fd, ph, n, (off_t)eh.e_phoff) != (ssize_t)n)
		return;
	uint64_t lowest = UINT64_MAX, vaddr = UINT64_MAX;
	for (int i = 0; i < eh.e_phnum; i++) {
		if (ph[i].p_type != PT_LOAD)
			continue;
		lowest = ph[i].p_vaddr < lowest ? ph[i].p_vaddr & ~4095ull : lowest;
		if ((ph[i].p_offset & ~4095ull) == off)
			vaddr = ph[i].p_vaddr & ~4095ull;
	}
	if (vaddr == UINT64_MAX || vaddr - lowest > at)
		return;
	uint64_t lo = at - (vaddr - lowest);
	image_mapped(&(struct mapped_image){ lo, at + len - lo, lowest, &st, "", -1, false, at });
}

/* ---- sites that are gone: their records and stubs, reused later ---- */

/*
 * A forgotten site's record and stub are reused only after RETIRE_DELAY
 * more sites are gone: a signal handler that found the record just before
 * (sitemap_get is lock-free) is long done with it by then, and a thread
 * still in the stub (blocked in a call whose code was unmapped under it)
 * returns through the stub it left, not through another site's.
 */
#define RETIRE_DELAY 256
FORK_HOT static struct site *retired[RETIRE_DELAY];
FORK_HOT static unsigned nretired;
FORK_HOT static struct site *gone; /* the sites one forget takes, through next_gone */

static void retire(struct site *s)
{
	struct site *old = retired[nretired % RETIRE_DELAY];
	retired[nretired++ % RETIRE_DELAY] = s;
	if (!old)
		return;
	if (old->arena)
		stub_free(old->arena, old->stub_off);
	free(old);
}

/* A site goes with its first byte. */
static void forget_one(uint64_t key, void *val)
{
	struct site *s = val;
	if (s == &refused_site || s == &seen_once || s->start != key)
		return;
	s->next_gone = gone;
	gone = s;
}

/*
 * rewrite_forget - code in [start, start + len) is going away (munmap, a
 * MAP_FIXED over it, an exec dropping the old image): its sites and
 * refusals are forgotten, so code mapped there later is matched afresh and
 * no return address in it is taken for a stub's interior point.
 */
void rewrite_forget(uint64_t start, uint64_t len)
{
	/* Most unmaps touch neither an image nor a site: no lock for them.
	 * (An image recorded meanwhile over the same range is the program's
	 * own race between its mmap and its munmap.) */
	if (sitemap_empty() && !images_overlap(start, start + len))
		return;
	spin_lock(&lock);
	images_drop(start, start + len);
	if (sitemap_empty()) {
		spin_unlock(&lock);
		return;
	}
	gone = NULL;
	sitemap_forget(start, start + len, forget_one);
	while (gone) {
		struct site *s = gone;
		gone = s->next_gone;
		/* Its other keys too, should the range end inside it. */
		if (s->syscall_ud2)
			sitemap_forget(s->syscall_ud2, s->syscall_ud2 + 1, NULL);
		for (int k = 0; k < s->ninterior; k++)
			sitemap_forget(s->interior[k], s->interior[k] + 1, NULL);
		retire(s);
	}
	spin_unlock(&lock);
}

bool rewrite_is_old_syscall(uint64_t ip)
{
	struct site *s = sitemap_get(ip);
	return s && s->syscall_ud2 == ip;
}

/* refuse - remember a site that stays trapping, counted once. */
static void refuse(uint64_t sc)
{
	uint8_t b[16] = { 0 };
	copy_from_user(b, sc - 8, 16);
	pg_debug("call site at %#lx left trapping: %02x %02x %02x %02x %02x %02x %02x %02x [%02x %02x] "
		 "%02x %02x %02x %02x %02x %02x", (unsigned long)sc, b[0], b[1], b[2], b[3], b[4],
		 b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
	nrefused++;
	if (sitemap_has_room())
		sitemap_put(sc, &refused_site);
}

bool rewrite_is_patching(uint64_t ip)
{
	if (!ip)
		return false;
	if (ip - 1 == __atomic_load_n(&patching, __ATOMIC_ACQUIRE))
		return true;
	/* The int3 was hit while patching, but the signal is handled only
	 * now that the patch is complete: a site starts there, run it. */
	struct site *s = sitemap_get(ip - 1);
	return s && s != &refused_site && s->start == ip - 1;
}

uint64_t rewrite_app_ip(uint64_t rec, uint64_t rip)
{
	/* The stub's tail (patch_site): the moved cmp, 48 3d imm32 or 3d
	 * imm32, then jmp rel32 back past the site; the cmp stood just
	 * before that. */
	if (!rec || rip < rec - STUB_REC_OFF || rip >= rec)
		return rip;
	const uint8_t *p = (const uint8_t *)rip;
	int n = p[0] == 0x48 && p[1] == 0x3d ? 6 : p[0] == 0x3d ? 5 : 0;
	if (!n || p[n] != 0xe9)
		return rip;
	int32_t rel;
	memcpy(&rel, p + n + 1, sizeof(rel));
	return rip + (uint64_t)n + 5 + (uint64_t)(int64_t)rel - (uint64_t)n;
}

uint64_t rewrite_fixup_rip(uint64_t rip)
{
	/* Stopped right after a syscall whose site another thread is
	 * patching now (its second trap came while this one's call was
	 * served): those bytes are half-written until the site is in the map.
	 * The patch takes microseconds, and its writer holds nothing this
	 * thread has. */
	uint64_t p;
	while ((p = __atomic_load_n(&patching, __ATOMIC_ACQUIRE)) && rip > p && rip < p + 16)
		__builtin_ia32_pause();
	struct site *s = sitemap_get(rip);
	for (int i = 0; s && i < s->ninterior; i++)
		if (s->interior[i] == rip)
			return s->post[i];
	return rip;
}

uint64_t rewrite_cpuid_resume(uint64_t ip)
{
	/* A patch covering ip goes in int3 first and enters the map last:
	 * it is waited for (microseconds, its writer holds nothing of ours). */
	uint64_t p;
	while ((p = __atomic_load_n(&patching, __ATOMIC_ACQUIRE)) && ip >= p && ip < p + 16)
		__builtin_ia32_pause();
	if (cpuid_at(ip))
		return ip; /* not rewritten after all (refused): fault again, as a CPUID */
	struct site *s = sitemap_get(ip);
	return s && s != &refused_site && s != &seen_once && s->kind == P_CPUID ? rewrite_fixup_rip(ip) : 0;
}

/* App code is written through /proc/self/mem, as a debugger sets a
 * breakpoint: no mprotect (so no window where the page is writable, no
 * split VMA), and no lookup of the page's protection to put back. */
static int self_mem = -1;
/* In a forked child until its first rewrite: self_mem is the parent's. */
FORK_HOT static bool self_mem_stale;
/* A forked child traps this many calls before it rewrites any site: most
 * children run a few calls (exit, exec) on sites the parent never ran,
 * where a rewrite (a code page copied, three membarriers) costs far more
 * than the traps; a child that lives on rewrites its sites at their next
 * trap. */
#define CHILD_TRAPS_FIRST 64
FORK_HOT static int child_traps;

/* open_self_mem - /proc/self/mem for writing. A program that changed its
 * ids (a daemon's setuid to nobody: memcached -d, dnsmasq) made the
 * process non-dumpable, and its /proc files root's: it is made dumpable
 * for the open, as it was, then put back. */
static int open_self_mem(void)
{
	int fd = open("/proc/self/mem", O_RDWR | O_CLOEXEC);
	if (fd >= 0 || (errno != EACCES && errno != EPERM))
		return fd;
	int was = (int)raw_syscall3(SYS_prctl, PR_GET_DUMPABLE, 0, 0);
	if (was < 0 || raw_syscall3(SYS_prctl, PR_SET_DUMPABLE, 1, 0) < 0)
		return -1;
	fd = open("/proc/self/mem", O_RDWR | O_CLOEXEC);
	raw_syscall3(SYS_prctl, PR_SET_DUMPABLE, was, 0);
	return fd;
}

/* reopen_mem - the child's own /proc/self/mem (and membarrier registration,
 * which is the mm's), at its first rewrite: most children rewrite nothing
 * before they exec or exit, and the open costs a path walk in /proc. If it
 * cannot be had, this process rewrites no more sites: they trap, slower
 * but right (it once ended the program). */
static int reopen_mem(void)
{
	int fd = open_self_mem();
	if (fd < 0 || dup3(fd, self_mem, O_CLOEXEC) < 0) {
		int err = fd < 0 ? errno : EBADF;
		if (fd >= 0)
			close(fd);
		pg_info("cannot reopen /proc/self/mem after a fork (%s): call sites are not rewritten in this process",
			strerror(err));
		rewrite_mode = REWRITE_OFF;
		self_mem_stale = false;
		return -err;
	}
	close(fd);
	raw_syscall3(SYS_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE, 0, 0);
	self_mem_stale = false;
	return 0;
}

int rewrite_fork_prepare(void)
{
	sweep_pending();
	spin_lock(&lock);
	if (rewrite_mode != REWRITE_OFF)
		import_notes();
	return 0;
}

void rewrite_fork_parent(void)
{
	spin_unlock(&lock);
}

void rewrite_after_fork(void)
{
	/* The inherited /proc/self/mem is the parent's memory. The stub
	 * arenas are the child's own copy-on-write copy (stub_arena.h). */
	self_mem_stale = self_mem >= 0;
	child_traps = CHILD_TRAPS_FIRST;
	/* Taken by this thread in the parent, for the fork (rewrite_fork_prepare). */
	spin_unlock(&lock);
}

/* ---- emitting ---- */

/* A stub is composed here and written whole before its site is patched
 * (install): the arena is never writable (stub_arena.h). */
struct emit {
	uint8_t buf[STUB_SIZE];
	uint8_t *p;
	uint64_t at; /* the arena address of p */
};

static void emit_init(struct emit *e, const struct site *s)
{
	memset(e->buf, 0xcc, sizeof(e->buf));
	e->p = e->buf;
	e->at = (uint64_t)s->arena->rx + s->stub_off;
}

static void put(struct emit *e, const void *b, size_t n)
{
	memcpy(e->p, b, n);
	e->p += n;
	e->at += n;
}

static void put32(struct emit *e, uint32_t v)
{
	put(e, &v, 4);
}

static void put_rel32(struct emit *e, uint64_t target)
{
	put32(e, (uint32_t)(int32_t)(target - (e->at + 4)));
}

/* ---- matching ---- */

struct match {
	enum pattern kind;
	uint64_t start;      /* first byte of pre (or the syscall) */
	uint8_t pre[12], pre_len;
	uint8_t bound[2], nbound;  /* boundaries inside pre, as offsets */
	int8_t rip_disp;     /* offset in pre of a %rip-relative disp32, or -1 */
	uint8_t post[6], post_len;
	bool load_nr;        /* pre is just "load nr": a constant, a direct gate may take it */
};

static bool is_prefix(uint8_t b)
{
	return (b & 0xf0) == 0x40 || b == 0x66 || b == 0x67 || b == 0xf0 || b == 0xf2 ||
	       b == 0xf3 || b == 0x2e || b == 0x36 || b == 0x3e || b == 0x26 || b == 0x64 ||
	       b == 0x65;
}

static void set_pre(struct match *m, const uint8_t *from, int n)
{
	memcpy(m->pre, from, n);
	m->pre_len = n;
	m->rip_disp = -1;
}

static bool match_site(uint64_t sc, long nr, struct match *m)
{
	uint8_t b[24];
	if (copy_from_user(b, sc - 12, 20))
		return false;
	const uint8_t *at = b + 12; /* at[0..1] == 0f 05 */
	if (at[0] != 0x0f || at[1] != 0x05)
		return false;
	memset(m, 0, sizeof(*m));
	m->rip_disp = -1;
	uint32_t imm;
	memcpy(&imm, at - 4, 4);
	if (at[-5] == 0xb8 && imm == (uint32_t)nr && !is_prefix(at[-6])) {
		m->kind = P_MOV_EAX, m->load_nr = true;
		set_pre(m, at - 5, 5);
	} else if (at[-7] == 0x48 && at[-6] == 0xc7 && at[-5] == 0xc0 && imm == (uint32_t)nr) {
		m->kind = P_MOV_RAX, m->load_nr = true;
		set_pre(m, at - 7, 7);
	} else if ((at[-7] & 0xf8) == 0x48 && !(at[-7] & 1) && at[-6] == 0x8d &&
		   ((at[-5] & 0xc7) == 0x05 || ((at[-5] & 0xc0) == 0x80 && (at[-5] & 7) != 4)) &&
		   !is_prefix(at[-8])) {
		/* lea disp32(%rip) or disp32(%reg), no SIB, no REX.B */
		m->kind = P_LEA;
		set_pre(m, at - 7, 7);
		if ((at[-5] & 0xc7) == 0x05)
			m->rip_disp = 3;
	} else if (at[-3] == 0x48 && at[-2] == 0x89 && (at[-1] & 0xc7) == 0xc0 && !is_prefix(at[-4])) {
		m->kind = P_MOV_REG;
		set_pre(m, at - 3, 3);
	} else if (at[-4] == 0x31 && (at[-3] & 0xc0) == 0xc0 && at[-2] == 0x89 &&
		   (at[-1] & 0xc7) == 0xc0 && !is_prefix(at[-5])) {
		m->kind = P_XOR_MOV;
		set_pre(m, at - 4, 4);
		m->bound[m->nbound++] = 2;
	} else if (at[2] == 0x48 && at[3] == 0x3d) {
		m->kind = P_CMP_RAX;
		memcpy(m->post, at + 2, 6);
		m->post_len = 6;
	} else if (at[2] == 0x3d) {
		m->kind = P_CMP_EAX;
		memcpy(m->post, at + 2, 5);
		m->post_len = 5;
	} else {
		return false;
	}
	/* xor %eax,%eax before it (glibc's read): the number is a constant
	 * too, loaded by the stub, so the site may take a direct gate. */
	if (m->post_len && nr == 0 && at[-2] == 0x31 && at[-1] == 0xc0 && !is_prefix(at[-3])) {
		set_pre(m, at - 2, 2);
		m->load_nr = true;
	}
	m->start = sc - m->pre_len;
	return m->pre_len + 2 + m->post_len >= 5;
}

/* move_disp - the %rip-relative disp32 at at, for an instruction moved by
 * delta bytes: false if the target is then out of its reach (the stub may
 * be up to 1.75 GiB away, stub_arena.c; the target already 2 GiB: a
 * module's own data, its usual target, is far nearer). */
static bool move_disp(uint8_t *at, int64_t delta)
{
	int32_t d;
	memcpy(&d, at, 4);
	int64_t nd = (int64_t)d - delta;
	if (nd != (int32_t)nd)
		return false;
	d = (int32_t)nd;
	memcpy(at, &d, 4);
	return true;
}

/* The longest patch: a syscall site's 12-byte pre, the syscall and a 6-byte
 * post (struct match), or a CPUID and CPUID_POST_MAX moved bytes. */
#define SITE_MAX 20
_Static_assert(2 + CPUID_POST_MAX <= SITE_MAX, "SITE_MAX");

/* Would the new patch touch bytes an earlier one rewrote? */
static bool overlaps(uint64_t start, unsigned len)
{
	for (uint64_t a = start >= SITE_MAX ? start - SITE_MAX : 0; a < start + len; a++) {
		struct site *s = sitemap_get(a);
		if (s && s->start == a && a + s->len > start)
			return true;
	}
	return false;
}

/* ---- patching live code ---- */

static void sync_cores(void)
{
	/* Every thread of the process serialises its instruction stream
	 * before it runs on, so none keeps executing stale bytes. */
	raw_syscall3(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE, 0, 0);
}


static int mem_write(uint64_t addr, const uint8_t *b, size_t n)
{
	if (rewrite_mode == REWRITE_OFF)
		return -EACCES; /* no /proc/self/mem here (reopen_mem) */
	if (self_mem_stale && reopen_mem() < 0)
		return -EACCES;
	long r = raw_syscall6(SYS_pwrite64, self_mem, (long)b, n, addr, 0, 0);
	return r == (long)n ? 0 : r < 0 ? (int)r : -EIO;
}

/*
 * Patches made as an image is mapped, before anything runs it: staged a
 * page at a time and written with one write a page (a write a site was a
 * sixth of an exec of /bin/true: ld.so's, libc's and the program's ~40
 * sites, in ~12 pages). Only between stage_begin and stage_end, with the
 * lock held.
 */
#define STAGE_PAGES 16
static struct staged_page {
	uint64_t page;
	bool stubs;     /* an arena's page: written before the sites' */
	uint8_t bytes[4096];
} *stage;
static unsigned nstaged;

static void stage_begin(void)
{
	if (!stage)
		stage = malloc(STAGE_PAGES * sizeof(*stage));
	staging = stage != NULL;
	nstaged = 0;
}

/* stage_end - the staged pages written (on failure, a page's sites may be
 * left half there: as a failed write of each, refused at its first trap). */
static void stage_end(void)
{
	/* Stubs first: a site page written without its stubs' page (that
	 * write failing) would jump into an empty slot. */
	for (int stubs = 1; stubs >= 0; stubs--)
		for (unsigned i = 0; i < nstaged; i++)
			if (stage[i].stubs == stubs)
				mem_write(stage[i].page, stage[i].bytes, sizeof(stage[i].bytes));
	nstaged = 0;
	staging = false;
}

/* stage_write - len bytes at addr, into their pages' staged copies (an
 * arena's, stubs, written first); a page that cannot be read is written
 * to at once. */
static int stage_write(uint64_t addr, const uint8_t *b, size_t len, bool stubs)
{
	while (len) {
		uint64_t page = addr & ~4095ull;
		size_t off = addr - page, n = len < 4096 - off ? len : 4096 - off;
		unsigned i = 0;
		while (i < nstaged && stage[i].page != page)
			i++;
		if (i == nstaged) {
			if (nstaged == STAGE_PAGES) {
				stage_end();
				staging = true;
				i = 0;
			}
			if (copy_from_user(stage[i].bytes, page, sizeof(stage[i].bytes))) {
				int r = mem_write(addr, b, n);
				if (r < 0)
					return r;
				goto next;
			}
			stage[i].page = page;
			stage[i].stubs = stubs;
			nstaged = i + 1;
		}
		memcpy(stage[i].bytes + off, b, n);
	next:
		addr += n;
		b += n;
		len -= n;
	}
	return 0;
}

/*
 * alone - can only the calling thread run the code at sc? Its program's
 * own code (not a vfork parent's it runs on), one thread, no CLONE_VM
 * child beside it. Then the patch is one write, with no membarrier: a
 * membarrier interrupts every vCPU running (an IPI each), 3 per site,
 * and an exec'd image rewrites its sites afresh (6 for /bin/true).
 * The thread itself serialises on its way back from the kernel's write
 * and the runtime's return path before it runs the site again.
 */
static bool alone(struct uthread *ut, uint64_t sc)
{
	struct vproc *p = ut->proc;
	return __atomic_load_n(&p->nthreads, __ATOMIC_ACQUIRE) == 1 && !p->vm_shared &&
	       regions_owner(sc) == p;
}

/* poke - replace len live bytes at start: an int3 first (threads arriving
 * meanwhile trap and retry), then the tail, then the first byte; in one
 * write when no other thread can run them (alone()). */
static int poke(uint64_t start, const uint8_t *code, unsigned len, bool solo)
{
	static const uint8_t int3 = 0xcc;
	uint8_t orig;
	if (copy_from_user(&orig, start, 1))
		return -EFAULT;
	__atomic_store_n(&patching, start, __ATOMIC_SEQ_CST);
	if (solo)
		return staging ? stage_write(start, code, len, false) : mem_write(start, code, len);
	int r = mem_write(start, &int3, 1);
	if (r < 0)
		return r;
	sync_cores();
	if (len > 1 && (r = mem_write(start + 1, code + 1, len - 1)) < 0) {
		mem_write(start, &orig, 1); /* the site stays as it was */
		sync_cores();
		return r;
	}
	sync_cores();
	r = mem_write(start, code, 1);
	sync_cores();
	/* `patching` stays set until the site is in the map (done()): a
	 * thread that hit the int3 may be handled only now. */
	return r;
}

/* zpoline_site - the fallback: `syscall` becomes `call *%rax` in place. */
/* done - a patch is over: its site is findable, the int3 window closed. */
static void done(void)
{
	__atomic_store_n(&patching, 0, __ATOMIC_SEQ_CST);
}

static void zpoline_site(uint64_t sc, bool solo)
{
	static const uint8_t call_rax[2] = { 0xff, 0xd0 };
	struct site *s = calloc(1, sizeof(*s));
	if (!s || overlaps(sc, 2) || poke(sc, call_rax, 2, solo) < 0) {
		done();
		free(s);
		refuse(sc);
		return;
	}
	*s = (struct site){ .start = sc, .len = 2, .kind = P_ZPOLINE };
	sitemap_put(sc, s);
	done();
	nsites++;
}

bool rewrite_zpoline_return(uint64_t ret)
{
	struct site *s = sitemap_get(ret - 2);
	return rewrite_mode == REWRITE_ZPOLINE && s && s->kind == P_ZPOLINE && s->start == ret - 2;
}

/* new_site - a record and a stub slot for a patch of len bytes at start:
 * NULL if it would touch an earlier patch or no stub fits within reach
 * (*err 0: the site does not fit) or memory ran out (*err -1). */
static struct site *new_site(uint64_t start, unsigned len, enum pattern kind, int *err)
{
	struct arena *a;
	*err = 0;
	if (overlaps(start, len) || !(a = arena_near(start)))
		return NULL;
	struct site *s = calloc(1, sizeof(*s));
	if (!s) {
		*err = -1;
		return NULL;
	}
	s->arena = a;
	s->stub_off = stub_alloc(a);
	s->start = start;
	s->len = (uint8_t)len;
	s->kind = kind;
	return s;
}

/* drop_site - a record from new_site that is not installed after all. */
static void drop_site(struct site *s)
{
	stub_free(s->arena, s->stub_off);
	free(s);
}

/* install - write s's stub (its bytes), then the jmp to it over its site
 * (the trapping instruction at sc): 1, or -1 when either cannot be
 * written (refused then). */
static int install(struct site *s, uint64_t sc, const uint8_t *bytes, bool solo)
{
	uint64_t stub = (uint64_t)s->arena->rx + s->stub_off;
	if ((staging ? stage_write(stub, bytes, STUB_SIZE, true) : mem_write(stub, bytes, STUB_SIZE)) < 0) {
		refuse(sc);
		drop_site(s);
		return -1;
	}
	/* The patch: jmp, then int3 filler (never executed), then the ud2. */
	uint8_t code[32];
	memset(code, 0xcc, sizeof(code));
	code[0] = 0xe9;
	int32_t rel = (int32_t)(stub - (s->start + 5));
	memcpy(code + 1, &rel, 4);
	if (s->syscall_ud2) {
		code[s->syscall_ud2 - s->start] = 0x0f;
		code[s->syscall_ud2 - s->start + 1] = 0x0b;
	}

	/* Before the patch: a thread stopped at one of its interior points
	 * waits in rewrite_fixup_rip until it is done. */
	if (s->ninterior)
		__atomic_store_n(&rewrite_have_interiors, 1, __ATOMIC_RELEASE);
	if (poke(s->start, code, s->len, solo) < 0) {
		done();
		refuse(sc);
		drop_site(s);
		return -1;
	}
	sitemap_put(s->start, s);
	if (s->syscall_ud2)
		sitemap_put(s->syscall_ud2, s);
	for (int i = 0; i < s->ninterior; i++)
		sitemap_put(s->interior[i], s);
	done();
	nsites++;
	return 1;
}

/*
 * patch_site - with the lock held: the site of the syscall at sc (number
 * nr) becomes a jump to a stub. 1 done, 0 no pattern fits (or no stub
 * room within reach), -1 it could not be written (refused then).
 */
static int patch_site(uint64_t sc, long nr, bool solo)
{
	struct match m;
	int err;
	if (!match_site(sc, nr, &m))
		return 0;
	unsigned len = m.pre_len + 2 + m.post_len;
	struct site *s = new_site(m.start, len, m.kind, &err);
	if (!s)
		return err;
	uint64_t stub = (uint64_t)s->arena->rx + s->stub_off;
	struct emit em;
	emit_init(&em, s);
	uint64_t rec = stub + STUB_REC_OFF; /* code below stays under it */

	/* pre, replayed as it was (the number load itself, with its exact
	 * effect on the flags), its boundaries mapped and a %rip-relative
	 * displacement moved. */
	uint64_t pre_at = em.at;
	uint8_t pre[12];
	memcpy(pre, m.pre, m.pre_len);
	if (m.rip_disp >= 0 && !move_disp(pre + m.rip_disp, (int64_t)(pre_at - m.start))) {
		drop_site(s);
		return 0;
	}
	put(&em, pre, m.pre_len);
	for (int i = 0; i < m.nbound; i++) {
		s->interior[s->ninterior] = m.start + m.bound[i];
		s->post[s->ninterior++] = pre_at + m.bound[i];
	}
	/* The syscall's own position: a ud2 past the jmp, or an interior point. */
	if (m.pre_len >= 5) {
		s->syscall_ud2 = m.start + m.pre_len;
	} else if (m.pre_len) {
		s->interior[s->ninterior] = m.start + m.pre_len;
		s->post[s->ninterior++] = em.at;
	}
	put(&em, (uint8_t[]){ 0x48, 0x8d, 0x0d }, 3); /* lea rec(%rip),%rcx */
	put_rel32(&em, rec);
	put(&em, (uint8_t[]){ 0xff, 0x61, 0x08 }, 3); /* jmp *8(%rcx) */
	uint64_t resume = m.start + len;
	if (m.post_len) { /* post: the relocated cmp, then back */
		resume = em.at;
		s->interior[s->ninterior] = m.start + m.pre_len + 2;
		s->post[s->ninterior++] = em.at;
		put(&em, m.post, m.post_len);
		put(&em, (uint8_t[]){ 0xe9 }, 1);
		put_rel32(&em, m.start + len);
	}
	PG_ASSERT(em.at <= rec);
	/* A number the stub loads itself, of a call that needs nothing from
	 * the runtime, is issued straight from the gate. */
	enum direct_kind dk = m.load_nr ? lean_direct(nr) : DIRECT_NO;
	void (*gate)(void) = dk == DIRECT_PLAIN	 ? gate_direct
			     : dk == DIRECT_EPOLL ? gate_direct_ep
			     : dk != DIRECT_NO	  ? gate_direct_fd
						  : gate_fast;
	/* Bit 32 of the number tells gate_direct_fd to check O_NONBLOCK. */
	uint64_t recv[3] = { resume, (uint64_t)gate, (uint64_t)nr | (uint64_t)(dk == DIRECT_FD_NB) << 32 };
	memcpy(em.buf + STUB_REC_OFF, recv, sizeof(recv));

	return install(s, sc, em.buf, solo);
}

/* put_cpuid_call - the stub's lookup: below the red zone, flags kept (the
 * call clobbers both); lit is the stub's literal holding cpuid_cached. */
static void put_cpuid_call(struct emit *em, uint64_t lit)
{
	put(em, (uint8_t[]){ 0x48, 0x8d, 0x64, 0x24, 0x80 }, 5); /* lea -0x80(%rsp),%rsp */
	put(em, (uint8_t[]){ 0x9c, 0xff, 0x15 }, 3);             /* pushfq; call *lit(%rip) */
	put_rel32(em, lit);
	put(em, (uint8_t[]){ 0x9d, 0x48, 0x8d, 0xa4, 0x24, 0x80, 0, 0, 0 }, 9); /* popfq; lea 0x80(%rsp),%rsp */
}

/* cpuid_stub_end - the stub's last jump (to back) and its literal; then
 * the jmp over the site. */
static int cpuid_stub_end(struct site *s, struct emit *em, uint64_t back, uint64_t sc, bool solo)
{
	uint64_t lit = (uint64_t)s->arena->rx + s->stub_off + STUB_SIZE - 8;
	put(em, (uint8_t[]){ 0xe9 }, 1);
	put_rel32(em, back);
	PG_ASSERT(em->at <= lit);
	uint64_t target = (uint64_t)cpuid_cached;
	memcpy(em->buf + STUB_SIZE - 8, &target, 8);
	return install(s, sc, em->buf, solo);
}

/* cpuid_after - the CPUID at sc and the instructions after it, up to 5
 * bytes or more, none starting past post bytes after it (a branch's
 * target there), become a jump to a stub: the lookup, the moved
 * instructions (a last short jcc or jmp as a rel32 one), a jump back. */
static int cpuid_after(uint64_t sc, bool solo, unsigned post)
{
	uint8_t b[2 + CPUID_POST_MAX];
	if (copy_from_user(b, sc, sizeof(b)) || b[0] != 0x0f || b[1] != 0xa2)
		return 0;
	unsigned len = 2, nbound = 0;
	uint8_t bound[MAX_INTERIOR];
	int8_t disp[MAX_INTERIOR];
	bool branch = false; /* the last one moved is a short jcc or jmp */
	while (len < 5 && !branch) {
		if (nbound == MAX_INTERIOR || len - 2 >= post)
			return 0;
		int d, n = insn_movable(b + len, (int)(sizeof(b) - len), &d);
		if (!n && ((b[len] & 0xf0) == 0x70 || b[len] == 0xeb)) {
			branch = true;
			n = 2;
			d = -1;
		}
		if (!n)
			return 0;
		bound[nbound] = (uint8_t)len;
		disp[nbound++] = (int8_t)(d < 0 ? -1 : (int)len + d);
		len += n;
	}
	if (len < 5)
		return 0;
	int err;
	struct site *s = new_site(sc, len, P_CPUID, &err);
	if (!s)
		return err;
	struct emit em;
	emit_init(&em, s);
	put_cpuid_call(&em, (uint64_t)s->arena->rx + s->stub_off + STUB_SIZE - 8);
	/* The moved instructions, a %rip-relative displacement moved with them. */
	uint64_t post_at = em.at;
	uint8_t moved[CPUID_POST_MAX];
	memcpy(moved, b + 2, len - 2);
	for (unsigned i = 0; i < nbound; i++) {
		if (disp[i] >= 0 && !move_disp(moved + disp[i] - 2, (int64_t)(post_at - (sc + 2)))) {
			drop_site(s);
			return 0;
		}
		s->interior[i] = sc + bound[i];
		s->post[i] = post_at + bound[i] - 2;
	}
	s->ninterior = (uint8_t)nbound;
	if (branch) { /* as a rel32 one to the same target */
		unsigned at = bound[nbound - 1];
		put(&em, moved, at - 2);
		if (b[at] == 0xeb)
			put(&em, (uint8_t[]){ 0xe9 }, 1);
		else
			put(&em, (uint8_t[]){ 0x0f, (uint8_t)(0x80 | (b[at] & 0xf)) }, 2);
		put_rel32(&em, sc + len + (int8_t)b[at + 1]);
	} else {
		put(&em, moved, len - 2);
	}
	return cpuid_stub_end(s, &em, sc + len, sc, solo);
}

/* cpuid_before - the instructions just before the CPUID at sc, 5 bytes or
 * more of the pre bytes there (whole instructions), become a jump to a
 * stub that runs them, then the lookup, and jumps past the CPUID. The
 * CPUID stays: a branch to it runs it as it is (and it is refused, so
 * that a fault there does not patch over it). */
static int cpuid_before(uint64_t sc, bool solo, unsigned pre)
{
	uint8_t b[CPUID_POST_MAX];
	if (pre < 5 || pre > sizeof(b) || copy_from_user(b, sc - pre, pre))
		return 0;
	unsigned start = 0; /* the latest whole instruction leaving 5 bytes or more */
	for (unsigned i = 0; i + 5 <= pre;) {
		start = i;
		int n = insn_len(b + i, pre - i);
		if (!n)
			return 0;
		i += (unsigned)n;
	}
	unsigned len = pre - start, nbound = 0;
	uint8_t moved[CPUID_POST_MAX];
	memcpy(moved, b + start, len);
	int disp[MAX_INTERIOR + 1];
	unsigned bound[MAX_INTERIOR + 1];
	for (unsigned i = 0; i < len; nbound++) {
		if (nbound > MAX_INTERIOR)
			return 0;
		int d, n = insn_movable(moved + i, (int)(len - i), &d);
		if (!n)
			return 0;
		bound[nbound] = i;
		disp[nbound] = d < 0 ? -1 : (int)i + d;
		i += (unsigned)n;
	}
	uint64_t at = sc - len;
	int err;
	struct site *s = new_site(at, len, P_CPUID, &err);
	if (!s)
		return err;
	struct emit em;
	emit_init(&em, s);
	uint64_t moved_at = em.at;
	for (unsigned i = 0; i < nbound; i++) {
		if (disp[i] >= 0 && !move_disp(moved + disp[i], (int64_t)(moved_at - at))) {
			drop_site(s);
			return 0;
		}
		if (i > 0) { /* the first is the site's start */
			s->interior[s->ninterior] = at + bound[i];
			s->post[s->ninterior++] = moved_at + bound[i];
		}
	}
	put(&em, moved, len);
	put_cpuid_call(&em, (uint64_t)s->arena->rx + s->stub_off + STUB_SIZE - 8);
	int r = cpuid_stub_end(s, &em, sc + 2, at, solo);
	if (r > 0 && sitemap_has_room())
		sitemap_put(sc, &refused_site);
	return r;
}

/*
 * patch_cpuid - with the lock held: the CPUID at sc becomes a jump to a
 * stub that answers it from the cache, with the instructions after it
 * (post: bytes they may span, see cpuid_found) or else those before it
 * (pre). 1 done, 0 it does not fit (or no stub room within reach), -1 it
 * could not be written.
 */
static int patch_cpuid(uint64_t sc, bool solo, unsigned pre, unsigned post)
{
	int r = cpuid_after(sc, solo, post);
	return r == 0 ? cpuid_before(sc, solo, pre) : r;
}

/* rewrite_cpuid_site - a program's CPUID at sc faulted (entry/cpuid.c):
 * its site is rewritten at once, as a trap costs far more than a rewrite. */
void rewrite_cpuid_site(struct uthread *ut, uint64_t sc)
{
	if (rewrite_mode == REWRITE_OFF || sitemap_get(sc))
		return;
	bool solo = alone(ut, sc);
	spin_lock(&lock);
	if (!sitemap_get(sc) && sitemap_has_room()) {
		struct known_site *ks = known_note(sc, NR_CPUID, true);
		int r = patch_cpuid(sc, solo, ks ? ks->pre : 0, ks ? ks->post : CPUID_POST_MAX);
		if (r == 0)
			refuse(sc);
		if (r > 0)
			pg_debug("[%s] rewrote a CPUID site at %#lx", ut->proc->name, (unsigned long)sc);
	}
	spin_unlock(&lock);
}

void rewrite_site(struct uthread *ut, uint64_t sc, long nr)
{
	const struct sysent *e = systab_get(nr);
	if (rewrite_mode == REWRITE_OFF || (e && (e->flags & SF_NOREWRITE)))
		return;
	/* Rewritten meanwhile or refused before (a refused site traps at
	 * every call): seen without a lock or a region lookup. */
	struct site *was = sitemap_get(sc);
	if (was && was != &seen_once)
		return;
	/*
	 * Deferred rewrites (a forked child's first traps, a site's first trap)
	 * only while no other thread can run the site: a thread that trapped
	 * at it without rewriting it goes back to just after its syscall,
	 * which the rewrite by another thread's trap would turn into the
	 * middle of a jmp, with nothing to stop it between its fix-up check
	 * (rewrite_fixup_rip) and that instruction (python3-threading and
	 * threads-cond died so in the %fs mode, whose return path makes a
	 * kernel call in that window). With other threads a site is rewritten
	 * at its first trap: any thread that trapped there then went through
	 * the lock after the patch.
	 */
	bool solo = alone(ut, sc);
	spin_lock(&lock);
	struct site *known_as = sitemap_get(sc);
	if ((known_as && known_as != &seen_once) || !sitemap_has_room()) { /* rewritten meanwhile, refused before, or no room */
		spin_unlock(&lock);
		return;
	}
	known_note(sc, nr, known_as != NULL || !solo);
	/* A forked child's first traps are noted (and told), not rewritten:
	 * most children exec or exit soon, and their first rewrite costs a
	 * /proc/self/mem of their own (reopen_mem). */
	if (solo && child_traps && __atomic_sub_fetch(&child_traps, 1, __ATOMIC_RELAXED) > 0) {
		spin_unlock(&lock);
		return;
	}
	if (!known_as && solo) {
		/* A site is rewritten at its second trap: most sites of a short
		 * program run once (ld.so's start, exit), and a rewrite (a code
		 * page copied, a membarrier to every vCPU) costs more than a trap. */
		sitemap_put(sc, &seen_once);
		spin_unlock(&lock);
		return;
	}
	int r = patch_site(sc, nr, solo);
	if (r == 0) {
		if (rewrite_mode == REWRITE_ZPOLINE)
			zpoline_site(sc, solo);
		else
			refuse(sc);
	}
	spin_unlock(&lock);
	if (r <= 0)
		return;
	pg_debug("[%s] rewrote %s site at %#lx", ut->proc->name, e ? e->name : "?", (unsigned long)sc);
}

void rewrite_get_stats(struct rewrite_stats *st)
{
	st->sites = nsites;
	st->refused = nrefused;
}

static int zpoline_map(void)
{
	uint8_t *z = mmap(NULL, ZP_PAGE, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (z == MAP_FAILED)
		return -errno;
	if (z != NULL) {
		munmap(z, ZP_PAGE);
		return -EPERM;
	}
	/* Writing through a pointer the compiler knows is NULL is undefined
	 * (gcc emits ud2): hide its value. */
	__asm__("" : "+r"(z));
	memset(z, 0x90, ZP_SLED);                 /* nop sled */
	static const uint8_t jmp_rip[6] = { 0xff, 0x25, 0, 0, 0, 0 }; /* jmp *0(%rip) */
	memcpy(z + ZP_SLED, jmp_rip, 6);
	uint64_t target = (uint64_t)gate_zpoline;
	memcpy(z + ZP_SLED + 6, &target, 8);
	memset(z + ZP_SLED + 14, 0xcc, ZP_PAGE - ZP_SLED - 14); /* int3: out of range */
	return mprotect(z, ZP_PAGE, PROT_READ | PROT_EXEC) < 0 ? -errno : 0;
}

int rewrite_init(enum rewrite_mode mode)
{
	rewrite_mode = mode;
	if (mode == REWRITE_OFF)
		return 0;
	regions_unmapped_hook = rewrite_forget;
	exec_image_mapped = image_mapped;
	regions_code_mapped_hook = code_mapped;
	site_journal_init();
	if (mode == REWRITE_ZPOLINE) {
		int r = zpoline_map();
		if (r < 0)
			return r;
	}
	self_mem = open("/proc/self/mem", O_RDWR | O_CLOEXEC);
	if (self_mem < 0) {
		pg_warn("cannot open /proc/self/mem: call sites are not rewritten");
		rewrite_mode = REWRITE_OFF;
		return 0;
	}
	if (raw_syscall3(SYS_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE, 0, 0) < 0) {
		pg_warn("membarrier SYNC_CORE unavailable: call sites are not rewritten");
		rewrite_mode = REWRITE_OFF;
	}
	return 0;
}

void rewrite_print_stats(FILE *f)
{
	struct rewrite_stats rs;
	rewrite_get_stats(&rs);
	fprintf(f, "  call sites rewritten: %lu, refused (still trapping): %lu\n", rs.sites, rs.refused);
}
