/* exec.c - from a command name to a loaded program ready to run. */
#include "loader/exec.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/log.h"
#include "loader/elf.h"
#include "loader/load.h"
#include "mm/brk.h"
#include "proc/vproc.h"

#define HEAD_MAX (64u << 10)   /* bytes read to find headers and PT_INTERP */
#define SHEBANG_MAX 256        /* the kernel's BINPRM_BUF_SIZE */
#define MAX_SCRIPT_DEPTH 4     /* as the kernel's binfmt recursion limit */

/* resolve - the path execvp(3) would run for file: 0 or -errno. */
static int resolve(const char *file, char *out, size_t outsz)
{
	if (!*file)
		return -ENOENT;
	if (strchr(file, '/')) {
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

static int fail(const char *what, const char *why, int status)
{
	fprintf(stderr, "pegasus: %s: %s\n", what, why);
	return status;
}

static int status_of(int err)
{
	return err == -ENOENT || err == -ENOTDIR ? 127 : 126;
}

/* load_interp - map the ELF interpreter named by PT_INTERP. */
static int load_interp(const char *exe, const char *interp, struct loaded_elf *out)
{
	struct stat st;
	int fd = open_exec(interp, &st);
	if (fd < 0) {
		char why[PATH_MAX + 64];
		snprintf(why, sizeof(why), "cannot run its interpreter %s: %s", interp, strerror(-fd));
		return fail(exe, why, 126);
	}
	static uint8_t head[HEAD_MAX];
	static struct elf_info ei;
	ssize_t n = pread(fd, head, sizeof(head), 0);
	enum elf_error e = n < 0 ? ELF_CORRUPT : elf_parse(head, n, st.st_size, &ei);
	if (e == ELF_OK && (ei.type != ET_DYN || ei.has_interp))
		e = ELF_BAD_TYPE;
	int r = e == ELF_OK ? elf_map(fd, &ei, out) : 0;
	close(fd);
	if (e != ELF_OK)
		return fail(interp, elf_strerror(e), 126);
	if (r < 0)
		return fail(interp, strerror(-r), 126);
	return 0;
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

static int exec_depth(struct vproc *p, const char *file, char *const argv[], char *const envp[],
		      struct exec_image *img, int depth, const char *execfn)
{
	char path[PATH_MAX];
	int err = resolve(file, path, sizeof(path));
	if (err < 0)
		return fail(file, err == -ENOENT && !strchr(file, '/') ? "command not found" :
			    strerror(-err), status_of(err));

	struct stat st;
	int fd = open_exec(path, &st);
	if (fd < 0)
		return fail(path, strerror(-fd), status_of(fd));
	static uint8_t head[HEAD_MAX];
	ssize_t n = pread(fd, head, sizeof(head), 0);
	if (n < 0) {
		close(fd);
		return fail(path, strerror(errno), 126);
	}

	if (n >= 2 && head[0] == '#' && head[1] == '!') {
		close(fd);
		char interp[SHEBANG_MAX + 1], arg[SHEBANG_MAX + 1];
		if (depth >= MAX_SCRIPT_DEPTH || shebang(head, n, interp, arg) < 0)
			return fail(path, "exec format error (bad #! line)", 126);
		/* argv becomes: interp [arg] path argv[1..] */
		size_t argc = 0;
		while (argv[argc])
			argc++;
		char *nargv[argc + 3];
		size_t k = 0;
		nargv[k++] = interp;
		if (*arg)
			nargv[k++] = arg;
		nargv[k++] = path;
		for (size_t i = 1; i <= argc; i++)
			nargv[k++] = argv[i];
		return exec_depth(p, interp, nargv, envp, img, depth + 1, execfn ? execfn : path);
	}

	static struct elf_info ei;
	enum elf_error e = elf_parse(head, n, st.st_size, &ei);
	if (e != ELF_OK) {
		close(fd);
		return fail(path, elf_strerror(e), 126);
	}
	struct loaded_elf exe, interp = { 0 };
	err = elf_map(fd, &ei, &exe);
	close(fd);
	if (err == -EEXIST)
		return fail(path, "its fixed load address is already in use", 126);
	if (err < 0)
		return fail(path, strerror(-err), 126);
	if (ei.has_interp) {
		int st2 = load_interp(path, ei.interp, &interp);
		if (st2)
			return st2;
	}
	if (brk_init(p, exe.end) < 0)
		return fail(path, "cannot reserve the program break", 126);

	free(p->exe);
	p->exe = realpath(path, NULL);
	struct stack_spec ss = {
		.argv = argv, .envp = envp, .execfn = execfn ? execfn : path, .exe = &ei, .exe_map = &exe,
		.interp_base = ei.has_interp ? interp.bias : 0,
	};
	img->sp = stack_build(&ss);
	if (!img->sp)
		return fail(path, strerror(errno), 126);
	img->entry = ei.has_interp ? interp.entry : exe.entry;
	return 0;
}

int exec_load(struct vproc *p, const char *file, char *const argv[], char *const envp[],
	      struct exec_image *img)
{
	return exec_depth(p, file, argv, envp, img, 0, NULL);
}
