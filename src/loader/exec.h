/* exec.h - from a command name to a loaded program ready to run. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vproc;
struct brk;

/* What a loaded image tells the program it becomes. */
struct exec_image {
	/* In: the program's RLIMIT_STACK (RLIM_INFINITY: unlimited), which
	 * sizes the main stack; 0: the host's. */
	uint64_t stack_limit;
	uint64_t entry;   /* first instruction: the interpreter's, or the program's */
	uint64_t sp;      /* initial stack pointer */
	char *exe;        /* the file's real path (malloc'd; /proc/self/exe) */
	char comm[16];    /* the name Linux gives the process */
	uint64_t arg_start, arg_end, env_start, env_end; /* /proc/self/cmdline, environ */
	uint64_t stack_lo, stack_len; /* the main stack's mapping (0: none) */
	/* On -EEXIST: the program holding the addresses a non-PIE image needs. */
	struct vproc *clash;
	/* The program file's mode and owner, and whether its mount honours
	 * set-user-ID bits (not nosuid): the ids an exec gives (proc/cred.c). */
	uint32_t file_mode, file_uid, file_gid;
	bool file_nosuid;
	uint64_t *auxv;   /* the new stack's auxiliary vector (AT_* pairs) */
	bool has_interp;  /* dynamically linked: ld.so maps its libraries */
	/* The file's capabilities (security.capability, setcap): permitted,
	 * inheritable and the effective bit; has_fcaps: it has some. */
	bool has_fcaps, fcap_eff;
	uint64_t fcap_prm, fcap_inh;
};

/* exec_aux_set - give entry type of img's auxiliary vector the value val
 * (the ids and AT_SECURE, once the exec's credentials are known). */
void exec_aux_set(const struct exec_image *img, uint64_t type, uint64_t val);

/* An image exec_load mapped: where, which file (its stat, its path as
 * named, an fd open on it during the call or -1), the ELF address at lo,
 * and whether it is the program's interpreter (ld.so). */
struct stat;
struct mapped_image {
	uint64_t lo, len;    /* [lo, lo + len): what offsets in the image name */
	uint64_t vaddr_lo;
	const struct stat *st;
	const char *path;
	int fd;
	bool interp;
	uint64_t map_lo;     /* where its mapping starts (>= lo) */
};
/* Told of each image exec_load maps; NULL: no one listens. */
extern void (*exec_image_mapped)(const struct mapped_image *mi);

/**
 * exec_load - resolve @file (#! scripts; PATH for bare names if @search),
 * map it and its ELF interpreter as regions of @owner (mm/regions.h),
 * build the initial stack and reserve the break in @brk. Nothing of the
 * caller's old image is touched.
 *
 * Returns 0, or -errno with one line in @why saying which file and why;
 * -EEXIST when a non-PIE image's addresses are another program's
 * (@img->clash says whose). @given: the name the caller used, if @file
 * is it made absolute (a script's $0, AT_EXECFN); NULL: @file.
 */
int exec_load(struct vproc *owner, struct brk *brk, const char *file, const char *given,
	      char *const argv[], char *const envp[], bool search, struct exec_image *img, char *why,
	      size_t whylen);

/* The status a shell gives a command that failed with err: 127 or 126. */
int exec_status(int err);

/**
 * exec_stub - for a program whose non-PIE image cannot be mapped here
 * (exec_load said -EEXIST): a tiny start image of @owner whose first
 * instructions execve @file (resolved as exec_load does) with @argv and
 * @envp, so that the program's own execve takes it to a host process of
 * its own (sys/sys_exec.c). Should that fail, it says so on stderr (as
 * program @name) and exits with 126. Returns 0 with @img filled in like
 * exec_load's, or -errno with @why.
 */
int exec_stub(struct vproc *owner, const char *name, const char *file, char *const argv[],
	      char *const envp[], bool search, struct exec_image *img, char *why, size_t whylen);
