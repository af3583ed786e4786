/* trace.c - strace-like lines for every call the runtime serves (--trace). */
#include "sys/trace.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "fs/fdtable.h"
#include "fs/vfile.h"
#include "mm/uaccess.h"
#include "net/socket.h"
#include "proc/tracelog.h"
#include "proc/vproc.h"
#include "sched/vcpu.h"
#include "sys/systab.h"

struct flagname {
	unsigned long v;
	const char *n;
};

#define F(x) { x, #x }
static const struct flagname open_flags[] = {
	F(O_CREAT), F(O_EXCL), F(O_NOCTTY), F(O_TRUNC), F(O_APPEND), F(O_NONBLOCK),
	F(O_DSYNC), F(O_DIRECT), F(O_LARGEFILE), F(O_DIRECTORY), F(O_NOFOLLOW),
	F(O_NOATIME), F(O_CLOEXEC), F(O_PATH), F(O_TMPFILE), F(O_SYNC), { 0, 0 },
};
static const struct flagname prot_flags[] = {
	F(PROT_READ), F(PROT_WRITE), F(PROT_EXEC), F(PROT_GROWSDOWN), { 0, 0 },
};
static const struct flagname map_flags[] = {
	F(MAP_SHARED), F(MAP_PRIVATE), F(MAP_FIXED), F(MAP_ANONYMOUS), F(MAP_32BIT),
	F(MAP_GROWSDOWN), F(MAP_DENYWRITE), F(MAP_EXECUTABLE), F(MAP_LOCKED),
	F(MAP_NORESERVE), F(MAP_POPULATE), F(MAP_NONBLOCK), F(MAP_STACK),
	F(MAP_HUGETLB), F(MAP_FIXED_NOREPLACE), { 0, 0 },
};
static const char *const clocks[] = {
	"CLOCK_REALTIME", "CLOCK_MONOTONIC", "CLOCK_PROCESS_CPUTIME_ID",
	"CLOCK_THREAD_CPUTIME_ID", "CLOCK_MONOTONIC_RAW", "CLOCK_REALTIME_COARSE",
	"CLOCK_MONOTONIC_COARSE", "CLOCK_BOOTTIME",
};
static const char *const hows[] = { "SIG_BLOCK", "SIG_UNBLOCK", "SIG_SETMASK" };
#undef F

static void put_flags(struct trace_line *l, unsigned long v, const struct flagname *t, const char *zero)
{
	bool any = false;
	for (; t->n; t++) {
		if ((v & t->v) == t->v) {
			trace_put(l, "%s%s", any ? "|" : "", t->n);
			v &= ~t->v;
			any = true;
		}
	}
	if (v)
		trace_put(l, "%s%#lx", any ? "|" : "", v);
	else if (!any)
		trace_put(l, "%s", zero);
}

/* put_mem - app bytes as a quoted C string, at most max bytes shown. */
static void put_mem(struct trace_line *l, long addr, size_t len, bool nul_ends)
{
	char tmp[64];
	size_t n = len < sizeof(tmp) ? len : sizeof(tmp);
	if (nul_ends) {
		long s = addr ? pg_uaccess_strnlen((const char *)addr, n) : -EFAULT;
		if (s < 0 || !uaccess_range_ok(addr, 1)) {
			trace_put(l, "%#lx", addr);
			return;
		}
		n = s;
		len = pg_uaccess_strnlen((const char *)addr, 4096);
	}
	if (copy_from_user(tmp, addr, n) < 0) {
		trace_put(l, "%#lx", addr);
		return;
	}
	trace_put(l, "\"");
	for (size_t i = 0; i < n; i++) {
		unsigned char c = tmp[i];
		switch (c) {
		case '\n': trace_put(l, "\\n"); break;
		case '\t': trace_put(l, "\\t"); break;
		case '"': trace_put(l, "\\\""); break;
		case '\\': trace_put(l, "\\\\"); break;
		default:
			if (c >= 32 && c < 127)
				trace_put(l, "%c", c);
			else
				trace_put(l, "\\%o", c);
		}
	}
	trace_put(l, "\"%s", len > n ? "..." : "");
}

static void put_arg(struct trace_line *l, int kind, long v, long next, long ret)
{
	switch (kind) {
	case A_INT: case A_FD: case A_PID: case A_MSEC: trace_put(l, "%d", (int)v); break;
	case A_UINT: case A_SIZE: trace_put(l, "%lu", (unsigned long)v); break;
	case A_MSGFLAGS: trace_put(l, "%#x", (unsigned)v); break;
	case A_DIRFD:
		if ((int)v == AT_FDCWD)
			trace_put(l, "AT_FDCWD");
		else
			trace_put(l, "%d", (int)v);
		break;
	case A_PATH: case A_STR: put_mem(l, v, 4096, true); break;
	case A_IBUF: put_mem(l, v, next, false); break;
	case A_OBUF:
		if (ret > 0)
			put_mem(l, v, ret, false);
		else
			trace_put(l, "%#lx", v);
		break;
	case A_OFLAGS: {
		static const char *const acc[] = { "O_RDONLY", "O_WRONLY", "O_RDWR", "O_ACCMODE" };
		trace_put(l, "%s", acc[v & O_ACCMODE]);
		if (v & ~O_ACCMODE) {
			trace_put(l, "|");
			put_flags(l, v & ~(long)O_ACCMODE, open_flags, "0");
		}
		break;
	}
	case A_MODE: case A_CMODE: trace_put(l, "0%lo", v); break;
	case A_PROT: put_flags(l, v, prot_flags, "PROT_NONE"); break;
	case A_MFLAGS: put_flags(l, v, map_flags, "0"); break;
	case A_SIG:
		if (v > 0 && v < 65 && sigabbrev_np(v))
			trace_put(l, "SIG%s", sigabbrev_np(v));
		else
			trace_put(l, "%ld", v);
		break;
	case A_HOW:
		if (v >= 0 && v < 3)
			trace_put(l, "%s", hows[v]);
		else
			trace_put(l, "%ld", v);
		break;
	case A_CLOCK:
		if (v >= 0 && v < 8)
			trace_put(l, "%s", clocks[v]);
		else
			trace_put(l, "%ld", v);
		break;
	default:
		if (v)
			trace_put(l, "%#lx", v);
		else
			trace_put(l, "NULL");
	}
}

static void put_call(struct trace_line *l, struct uthread *ut, long nr, const struct sysent *e,
		     const long a[6], long ret)
{
	trace_put_head(l, ut);
	if (e)
		trace_put(l, "%s(", e->name);
	else
		trace_put(l, "syscall_%ld(", nr);
	for (int i = 0; e && i < 6 && e->args[i] != A_END; i++) {
		if (i)
			trace_put(l, ", ");
		put_arg(l, e->args[i], a[i], i < 5 ? a[i + 1] : 0, ret);
	}
	trace_put(l, ")");
}

/* Calls that do not return are printed on the way in, like strace. */
void trace_enter(struct uthread *ut, long nr, const struct sysent *e, const long a[6])
{
	if (!e || (strcmp(e->name, "exit_group") && strcmp(e->name, "exit")))
		return;
	struct trace_line l = { .n = 0 };
	put_call(&l, ut, nr, e, a, 0);
	trace_put(&l, " = ? <%s>", sys_class_name(e->cls));
	trace_emit(&l);
}

/* socket_backend - who serves the socket a socket call made or used:
 * "local" (a user-space socket of the runtime's) or "kernel"; NULL for
 * other calls. */
static const char *socket_backend(struct uthread *ut, long nr, const long a[6], long ret)
{
	long fd;
	switch (nr) {
	case SYS_socket: case SYS_accept: case SYS_accept4:
		fd = ret;
		break;
	case SYS_connect: case SYS_bind: case SYS_listen:
		fd = ret < 0 ? -1 : a[0];
		break;
	default:
		return NULL;
	}
	if (fd < 0)
		return NULL;
	struct vfile *f = fdt_obj(ut->proc->fdt, fd);
	const char *b = f && f->sock ? net_backend(f) : fdt_host(ut->proc->fdt, fd) >= 0 ? "kernel" : NULL;
	vfile_put(f);
	return b;
}

void trace_exit(struct uthread *ut, long nr, const struct sysent *e, const long a[6], long ret)
{
	struct trace_line l = { .n = 0 };
	put_call(&l, ut, nr, e, a, ret);
	if (ret == SYS_FRAME_REPLACED)
		trace_put(&l, " = %ld", (long)ut->tf.rax);
	else if (ret == SYS_RESTART)
		trace_put(&l, " = ? ERESTARTSYS (to be restarted)");
	else if (ret < 0 && ret > -4096)
		trace_put(&l, " = -1 %s (%s)", strerrorname_np(-ret) ? strerrorname_np(-ret) : "E?",
		    strerror(-ret));
	else if (e && (e->args[0] == A_HEX || e->args[1] == A_PROT) && ret > 4096)
		trace_put(&l, " = %#lx", ret);
	else
		trace_put(&l, " = %ld", ret);
	trace_put(&l, " <%s>", sys_class_name(e ? e->cls : CLS_NONE));
	const char *b = socket_backend(ut, nr, a, ret);
	if (b)
		trace_put(&l, " [%s]", b);
	trace_emit(&l);
}
