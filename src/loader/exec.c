/* exec.c - from a command name to a loaded program ready to run. */
#include "loader/exec.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "core/log.h"
#include "core/spinlock.h"
#include "loader/elf.h"
#include "loader/load.h"
#include "mm/brk.h"
#include "mm/regions.h"

#define HEAD_MAX (64u << 10)   /* bytes read to find headers and PT_INTERP */
#define SHEBANG_MAX 256        /* the kernel's BINPRM_BUF_SIZE */
#define MAX_SCRIPT_DEPTH 4     /* as the kernel's binfmt recursion limit */

/* resolve - the path execvp(3) would run for file: 0 or -errno. */
static int resolve(const char *file, bool search, char *out, size_t outsz)
{
	if (!*file)
		return -ENOENT;
	if (!search || strchr(file, '/')) {
		snprintf(out, outsz, "%s", file);
		return 0;
	}
	const char *path = getenv("PATH");
	if (!path)
		path = "/usr/local/bin:/bin:/usr/bin";
	int err = -ENOENT;
	for (const char *p = path;; p++) {
		const char *colon = strchrnul(p, ':');
		int dirlen = colon - p;
		snprintf(out, outsz, "%.*s%s%s", dirlen, p, dirlen ? "/" : "", file);
		struct stat st;
		if (stat(out, &st) == 0 && S_ISREG(st.st_mode)) {
			if (access(out, X_OK) == 0)
				return 0;
			err = -EACCES; /* keep looking, like execvp */
		}
		if (!*colon)
			break;
		p = colon;
	}
	return err;
}

/* open_exec - open a file we are about to execute, with execve's checks. */
static int open_exec(const char *path, struct stat *st)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, st) < 0 || !S_ISREG(st->st_mode) || access(path, X_OK) < 0) {
		close(fd);
		return -EACCES;
	}
	return fd;
}

/* What went wrong, for the caller to print (pegasus run) or not (execve). */
struct why {
	char *buf;
	size_t len;
};

static int fail(struct why *w, const char *what, const char *reason, int err)
{
	snprintf(w->buf, w->len, "%s: %s", what, reason);
	return err;
}

int exec_status(int err)
{
	return err == -ENOENT || err == -ENOTDIR ? 127 : 126;
}


/*
 * What an exec reads of a file: its first bytes and its ELF headers. 64 KiB,
 * so on the heap, one per exec: execs run at once on several vCPUs (these
 * were static once, and two execs mixed their headers: an ld.so recorded
 * with another's span, "corrupted shared library", stubs unmapped).
 */
struct exec_read {
	uint8_t head[HEAD_MAX];
	struct elf_info ei;
};

void (*exec_image_mapped)(const struct mapped_image *mi);

/* read_head - the first bytes of a file of size bytes, into rd->head:
 * one page, which holds the ELF headers and PT_INTERP of nearly every
 * program and any #! line; all of HEAD_MAX when the headers go past it
 * (a spawn read 100 KiB of /bin/true and ld.so where 8 do). */
#define HEAD_FIRST 4096
static ssize_t read_head(int fd, uint64_t size, struct exec_read *rd)
{
	ssize_t n = pread(fd, rd->head, HEAD_FIRST, 0);
	/* (A short read, from a network file system, is taken again too.) */
	if (n > 0 && (uint64_t)n < size && elf_parse(rd->head, n, size, &rd->ei) == ELF_CORRUPT)
		n = pread(fd, rd->head, HEAD_MAX, 0);
	return n;
}

/* map_image - map an ELF image for p and record it as p's, in one step
 * for two programs' execs at once: another's non-PIE image mapped but not
 * yet recorded made a clash with nobody (ENOMEM, not a host process of
 * its own). */
static int map_image(struct vproc *p, int fd, const struct elf_info *ei, struct loaded_elf *out)
{
	static spinlock_t lock = SPINLOCK_INIT;
	spin_lock(&lock);
	int r = elf_map(fd, ei, out);
	if (r == 0)
		regions_add(p, out->bias + ei->lo, LOADED_SPAN(ei));
	spin_unlock(&lock);
	return r;
}

/* name_image - the image's path, and its name: Linux names a process
 * after the file exec'd (fn: the name asked for, symlink or script). */
static void name_image(struct exec_image *img, const char *path, const char *fn)
{
	img->exe = realpath(path, NULL);
	const char *slash = strrchr(fn, '/');
	snprintf(img->comm, sizeof(img->comm), "%.15s", slash ? slash + 1 : fn);
}

/* An ELF interpreter, opened and checked, not yet mapped. */
struct interp_file {
	const char *name;
	int fd;
	struct stat st;
	struct exec_read *rd;
};

static void interp_close(struct interp_file *f)
{
	if (f->fd >= 0)
		close(f->fd);
	free(f->rd);
	f->fd = -1;
	f->rd = NULL;
}

/* interp_open - open and check the ELF interpreter named by PT_INTERP
 * (exe's): before the image is mapped, as Linux opens it before its point
 * of no return. Checked after, a missing one failed once a non-PIE image
 * had taken the place of the old one (a non-PIE program exec'ing one at
 * the same addresses), or in a host process of its own (a vfork child,
 * whose parent's memory was gone there): SIGKILL or SIGSEGV, not ENOENT. */
static int interp_open(struct why *w, const char *exe, const char *name, struct interp_file *f)
{
	*f = (struct interp_file){ .name = name };
	f->fd = open_exec(name, &f->st);
	if (f->fd < 0) {
		char reason[PATH_MAX + 64];
		snprintf(reason, sizeof(reason), "cannot run its interpreter %s: %s", name, strerror(-f->fd));
		return fail(w, exe, reason, f->fd); /* open_exec's own error, as Linux's */
	}
	if (!(f->rd = malloc(sizeof(*f->rd)))) {
		interp_close(f);
		return fail(w, name, strerror(ENOMEM), -ENOMEM);
	}
	struct elf_info *ei = &f->rd->ei;
	ssize_t n = read_head(f->fd, f->st.st_size, f->rd);
	enum elf_error e = n < 0 ? ELF_CORRUPT : elf_parse(f->rd->head, n, f->st.st_size, ei);
	if (e == ELF_OK && (ei->type != ET_DYN || ei->has_interp))
		e = ELF_BAD_TYPE;
	if (e != ELF_OK) {
		interp_close(f);
		return fail(w, name, elf_strerror(e), -ELIBBAD);
	}
	return 0;
}

/* interp_map - map the opened interpreter, for p; f is closed. */
static int interp_map(struct vproc *p, struct why *w, struct interp_file *f, struct loaded_elf *out)
{
	const struct elf_info *ei = &f->rd->ei;
	int r = map_image(p, f->fd, ei, out);
	if (r == 0 && exec_image_mapped)
		exec_image_mapped(&(struct mapped_image){ out->bias + ei->lo, LOADED_SPAN(ei), ei->lo, &f->st, f->name,
							  f->fd, true, out->bias + ei->lo });
	interp_close(f);
	return r < 0 ? fail(w, f->name, strerror(-r), r) : 0;
}

/* shebang - split "#!interp [arg]" as the kernel does: one optional
 * argument, everything after the interpreter name up to the newline. */
static int shebang(const uint8_t *head, size_t n, char *interp, char *arg)
{
	char line[SHEBANG_MAX + 1];
	size_t len = n < SHEBANG_MAX ? n : SHEBANG_MAX;
	memcpy(line, head, len);
	line[len] = 0;
	char *nl = strchr(line, '\n');
	if (nl)
		*nl = 0;
	char *p = line + 2;
	while (*p == ' ' || *p == '\t')
		p++;
	if (!*p)
		return -ENOEXEC;
	char *end = p + strcspn(p, " \t");
	char *a = end;
	while (*a == ' ' || *a == '\t')
		a++;
	*end = 0;
	char *ae = a + strlen(a);
	while (ae > a && (ae[-1] == ' ' || ae[-1] == '\t'))
		*--ae = 0;
	strcpy(interp, p);
	strcpy(arg, a);
	return 0;
}

/* file_caps - the file's capabilities, as get_vfs_caps_from_disk reads
 * them (revision 2 or 3: two 32-bit words of each set, little-endian). */
static void file_caps(int fd, struct exec_image *img)
{
	uint32_t v[6] = { 0 }; /* magic_etc, {permitted, inheritable} x 2, rootid */
	ssize_t n = fgetxattr(fd, "security.capability", v, sizeof(v));
	uint32_t rev = v[0] & VFS_CAP_REVISION_MASK;
	img->has_fcaps = n >= (ssize_t)XATTR_CAPS_SZ_2 &&
			 (rev == VFS_CAP_REVISION_2 || rev == VFS_CAP_REVISION_3);
	if (!img->has_fcaps)
		return;
	img->fcap_eff = v[0] & VFS_CAP_FLAGS_EFFECTIVE;
	img->fcap_prm = v[1] | (uint64_t)v[3] << 32;
	img->fcap_inh = v[2] | (uint64_t)v[4] << 32;
}

static int exec_depth(struct vproc *p, struct brk *brk, const char *file, char *const argv[], char *const envp[],
		      bool search, struct exec_image *img, struct why *w, int depth,
		      const char *execfn);

/* exec_read_in - exec_depth's work, with rd for what it reads of the file. */
static int exec_read_in(struct vproc *p, struct brk *brk, const char *file, char *const argv[],
			char *const envp[], bool search, struct exec_image *img, struct why *w, int depth,
			const char *execfn, struct exec_read *rd)
{
	uint8_t *head = rd->head;
	struct elf_info *ei = &rd->ei;
	char path[PATH_MAX];
	int err = resolve(file, search, path, sizeof(path));
	if (err < 0)
		return fail(w, file, err == -ENOENT && search && !strchr(file, '/') ?
			    "command not found" : strerror(-err), err);

	struct stat st;
	int fd = open_exec(path, &st);
	if (fd < 0)
		return fail(w, path, strerror(-fd), fd);
	ssize_t n = read_head(fd, st.st_size, rd);
	if (n < 0) {
		close(fd);
		return fail(w, path, strerror(errno), -errno);
	}

	if (n >= 2 && head[0] == '#' && head[1] == '!') {
		close(fd);
		char interp[SHEBANG_MAX + 1], arg[SHEBANG_MAX + 1];
		if (depth >= MAX_SCRIPT_DEPTH || shebang(head, n, interp, arg) < 0)
			return fail(w, path, "exec format error (bad #! line)", -ENOEXEC);
		/* argv becomes: interp [arg] path argv[1..] */
		size_t argc = 0;
		while (argv[argc])
			argc++;
		char **nargv = malloc((argc + 3) * sizeof(char *)); /* not a VLA: argc may be 100,000 */
		if (!nargv)
			return fail(w, path, strerror(ENOMEM), -ENOMEM);
		size_t k = 0;
		nargv[k++] = interp;
		if (*arg)
			nargv[k++] = arg;
		/* The script as its caller named it (the kernel's
		 * bprm->filename: `./bin/tool` stays relative in $0), a PATH
		 * search's result, or a #! line's interpreter further down. */
		nargv[k++] = (char *)(depth ? path : execfn ? execfn : strchr(file, '/') ? file : path);
		for (size_t i = 1; i <= argc; i++)
			nargv[k++] = argv[i];
		int r = exec_depth(p, brk, interp, nargv, envp, false, img, w, depth + 1, execfn ? execfn : path);
		free(nargv);
		return r;
	}

	/* Set-user-ID bits count on a mount that honours them (not nosuid). */
	struct statvfs sv;
	img->file_mode = st.st_mode;
	img->file_uid = st.st_uid;
	img->file_gid = st.st_gid;
	img->file_nosuid = fstatvfs(fd, &sv) < 0 || (sv.f_flag & ST_NOSUID);
	file_caps(fd, img);
	enum elf_error e = elf_parse(head, n, st.st_size, ei);
	if (e != ELF_OK) {
		close(fd);
		return fail(w, path, elf_strerror(e), -ENOEXEC);
	}
	struct interp_file ifile = { .fd = -1 };
	if (ei->has_interp && (err = interp_open(w, path, ei->interp, &ifile)) < 0) {
		close(fd);
		return err;
	}
	struct loaded_elf exe, interp = { 0 };
	err = map_image(p, fd, ei, &exe);
	close(fd);
	if (err < 0)
		interp_close(&ifile);
	if (err == -EEXIST) {
		/* A non-PIE program needs its addresses; another one has them. */
		char reason[256];
		struct vproc *o = NULL;
		for (uint64_t a = ei->lo; a < ei->hi && !o; a += 4096)
			o = regions_owner(a);
		snprintf(reason, sizeof(reason),
			 "cannot be fused: it must load at %#lx-%#lx (not position-independent), "
			 "which %s uses", (unsigned long)ei->lo, (unsigned long)ei->hi,
			 o ? "another program of this instance" : "the runtime");
		img->clash = o;
		return fail(w, path, reason, o ? -EEXIST : -ENOMEM);
	}
	if (err < 0)
		return fail(w, path, strerror(-err), err);
	if (exec_image_mapped)
		exec_image_mapped(&(struct mapped_image){ exe.bias + ei->lo, LOADED_SPAN(ei), ei->lo, &st, path, -1,
							  false, exe.bias + ei->lo });
	if (ei->has_interp && (err = interp_map(p, w, &ifile, &interp)) < 0)
		return err;
	if (brk_init(brk, p, exe.end) < 0)
		return fail(w, path, "cannot reserve the program break", -ENOMEM);

	name_image(img, path, execfn ? execfn : path);
	struct stack_spec ss = {
		.argv = argv, .envp = envp, .execfn = execfn ? execfn : path, .exe = ei, .exe_map = &exe,
		.interp_base = ei->has_interp ? interp.bias : 0, .limit = img->stack_limit,
	};
	img->sp = stack_build(&ss);
	if (!img->sp)
		return fail(w, path, strerror(errno), -errno);
	regions_add(p, ss.stack_lo, ss.stack_len);
	img->entry = ei->has_interp ? interp.entry : exe.entry;
	img->has_interp = ei->has_interp;
	img->stack_lo = ss.stack_lo;
	img->stack_len = ss.stack_len;
	img->arg_start = ss.arg_start;
	img->arg_end = ss.arg_end;
	img->env_start = ss.env_start;
	img->env_end = ss.env_end;
	img->auxv = ss.auxv;
	return 0;
}

void exec_aux_set(const struct exec_image *img, uint64_t type, uint64_t val)
{
	for (uint64_t *a = img->auxv; a && a[0] != AT_NULL; a += 2)
		if (a[0] == type)
			a[1] = val;
}

/* exec_depth - load file (a #! script: its interpreter, depth scripts deep)
 * into p's address space as an image to start. */
static int exec_depth(struct vproc *p, struct brk *brk, const char *file, char *const argv[], char *const envp[],
		      bool search, struct exec_image *img, struct why *w, int depth,
		      const char *execfn)
{
	struct exec_read *rd = malloc(sizeof(*rd));
	if (!rd)
		return fail(w, file, strerror(ENOMEM), -ENOMEM);
	int r = exec_read_in(p, brk, file, argv, envp, search, img, w, depth, execfn, rd);
	free(rd);
	return r;
}

int exec_load(struct vproc *owner, struct brk *brk, const char *file, const char *given,
	      char *const argv[], char *const envp[], bool search, struct exec_image *img, char *why,
	      size_t whylen)
{
	struct why w = { why, whylen };
	return exec_depth(owner, brk, file, argv, envp, search, img, &w, 0, given);
}

/* Bytes of the stub's code: the three movabs and the exit status are
 * patched in by exec_stub. */
static const uint8_t stub_code[] = {
	0x48, 0xbf, 0, 0, 0, 0, 0, 0, 0, 0, /* movabs $path, %rdi */
	0x48, 0xbe, 0, 0, 0, 0, 0, 0, 0, 0, /* movabs $argv, %rsi */
	0x48, 0xba, 0, 0, 0, 0, 0, 0, 0, 0, /* movabs $envp, %rdx */
	0xb8, 59, 0, 0, 0,                  /* mov $SYS_execve, %eax */
	0x0f, 0x05,                         /* syscall: only back on failure */
	0xbf, 2, 0, 0, 0,                   /* mov $2, %edi */
	0x48, 0xbe, 0, 0, 0, 0, 0, 0, 0, 0, /* movabs $msg, %rsi */
	0xba, 0, 0, 0, 0,                   /* mov $msglen, %edx */
	0xb8, 1, 0, 0, 0,                   /* mov $SYS_write, %eax */
	0x0f, 0x05,                         /* syscall */
	0xbf, 126, 0, 0, 0,                 /* mov $126, %edi */
	0xb8, 231, 0, 0, 0,                 /* mov $SYS_exit_group, %eax */
	0x0f, 0x05,                         /* syscall */
	0x0f, 0x0b,                         /* ud2 */
};
#define STUB_PATH 2
#define STUB_ARGV 12
#define STUB_ENVP 22
#define STUB_MSG 44
#define STUB_MSGLEN 53
#define STUB_STACK (64u << 10)

static uint64_t put_str(char **at, const char *s)
{
	size_t n = strlen(s) + 1;
	memcpy(*at, s, n);
	*at += n;
	return (uint64_t)(*at - n);
}

int exec_stub(struct vproc *owner, const char *name, const char *file, char *const argv[],
	      char *const envp[], bool search, struct exec_image *img, char *why, size_t whylen)
{
	struct why w = { why, whylen };
	char path[PATH_MAX], msg[PATH_MAX + 128];
	int err = resolve(file, search, path, sizeof(path));
	if (err < 0)
		return fail(&w, file, strerror(-err), err);
	int msglen = snprintf(msg, sizeof(msg),
			      "pegasus: [%s] %s: cannot run in a host process of its own\n", name, path);
	if (msglen >= (int)sizeof(msg))
		msglen = sizeof(msg) - 1;
	size_t argc = 0, envc = 0, strings = strlen(path) + 1 + msglen + 1;
	for (; argv[argc]; argc++)
		strings += strlen(argv[argc]) + 1;
	for (; envp && envp[envc]; envc++)
		strings += strlen(envp[envc]) + 1;
	/* A code page, then the strings, the two vectors and a stack. */
	size_t data = (strings + 7) / 8 * 8 + (argc + envc + 2) * 8;
	size_t len = 4096 + (data + STUB_STACK + 4095) / 4096 * 4096;
	char *base = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (base == MAP_FAILED)
		return fail(&w, path, strerror(errno), -errno);
	/* Strings first, then the vectors (8-aligned) that point into them. */
	char *at = base + 4096;
	uint64_t *vargv = (uint64_t *)(base + 4096 + (strings + 7) / 8 * 8), *venvp = vargv + argc + 1;
	uint64_t upath = put_str(&at, path);
	uint64_t uargs = (uint64_t)at;
	for (size_t i = 0; i < argc; i++)
		vargv[i] = put_str(&at, argv[i]);
	uint64_t uenv = (uint64_t)at;
	for (size_t i = 0; i < envc; i++)
		venvp[i] = put_str(&at, envp[i]);
	uint64_t uenv_end = (uint64_t)at;
	vargv[argc] = venvp[envc] = 0;
	uint64_t umsg = (uint64_t)at;
	memcpy(at, msg, msglen);
	uint64_t uargv = (uint64_t)vargv, uenvp = (uint64_t)venvp;
	uint32_t ulen = msglen;
	memcpy(base, stub_code, sizeof(stub_code));
	memcpy(base + STUB_PATH, &upath, 8);
	memcpy(base + STUB_ARGV, &uargv, 8);
	memcpy(base + STUB_ENVP, &uenvp, 8);
	memcpy(base + STUB_MSG, &umsg, 8);
	memcpy(base + STUB_MSGLEN, &ulen, 4);
	if (mprotect(base, 4096, PROT_READ | PROT_EXEC) < 0) {
		err = -errno;
		munmap(base, len);
		return fail(&w, path, strerror(-err), err);
	}
	regions_add(owner, (uint64_t)base, len);
	img->entry = (uint64_t)base;
	img->sp = ((uint64_t)base + len - 64) & ~15ull;
	name_image(img, path, path);
	img->arg_start = uargs;
	img->arg_end = uenv;
	img->env_start = uenv;
	img->env_end = uenv_end;
	return 0;
}
