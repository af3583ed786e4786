/* Bad pointers handed to system calls must give EFAULT, never a crash.
 *
 *   efault         unmapped, PROT_NONE, read-only, kernel and non-canonical
 *   efault page0   pointers into page 0: (void *)1 and (void *)8
 *
 * Every call goes to the kernel (or the runtime) directly through glibc's
 * syscall() or a thin wrapper that does not touch the pointer itself; the
 * vDSO is avoided since it would fault in user space. Each line prints the
 * call, its return value and the errno name. Exits 0 when every call gave
 * the expected error, 1 otherwise. */
#include <errno.h>
#include <stdint.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>
#include <linux/futex.h>

static int failures;
static int pipe_r;

static void check(const char *set, const char *what, long ret, int expect_errno)
{
    int e = errno;
    const char *name = ret == -1 ? strerrorname_np(e) : "no error";
    int ok = ret == -1 && e == expect_errno;
    char label[160];
    snprintf(label, sizeof label, "[%s] %s", set, what);
    printf("%s %-62s -> %ld %s\n", ok ? "ok  " : "FAIL", label, ret, name ? name : "?");
    if (!ok)
        failures++;
    errno = 0;
}

#define T(call) check(set, #call, (long)(errno = 0, (call)), EFAULT)

/* Calls that make the kernel read user memory at rp. */
static void reads(const char *set, void *rp)
{
    struct stat st;
    T(write(1, rp, 5));
    T(writev(1, rp, 1));
    T(syscall(SYS_rt_sigaction, SIGUSR1, rp, NULL, 8));
    T(syscall(SYS_rt_sigprocmask, SIG_BLOCK, rp, NULL, 8));
    T(syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, rp, NULL));
    T(syscall(SYS_nanosleep, rp, NULL));
    T(syscall(SYS_sigaltstack, rp, NULL));
    T(syscall(SYS_stat, rp, &st));
    T(syscall(SYS_newfstatat, AT_FDCWD, rp, &st, 0));
    T(syscall(SYS_openat, AT_FDCWD, rp, O_RDONLY));
    T(syscall(SYS_access, rp, F_OK));
    T(syscall(SYS_chdir, rp));
    T(syscall(SYS_poll, rp, 1, 0));
    T(syscall(SYS_futex, (void *)((uintptr_t)rp & ~(uintptr_t)3), FUTEX_WAIT, 0, NULL, NULL, 0));
    T(syscall(SYS_execve, rp, NULL, NULL));
    /* A good path whose argv or envp is bad, or holds a bad string. */
    char *bad_argv[] = { "true", rp, NULL };
    T(syscall(SYS_execve, "/bin/true", rp, NULL));
    T(syscall(SYS_execve, "/bin/true", bad_argv, NULL));
    T(syscall(SYS_execve, "/bin/true", NULL, bad_argv));
}

/* Calls that make the kernel write user memory at wp. */
static void writes(const char *set, void *wp)
{
    T(read(pipe_r, wp, 5));
    T(syscall(SYS_uname, wp));
    T(syscall(SYS_getcwd, wp, 100));
    T(syscall(SYS_rt_sigaction, SIGUSR1, NULL, wp, 8));
    T(syscall(SYS_rt_sigprocmask, SIG_BLOCK, NULL, wp, 8));
    T(syscall(SYS_rt_sigpending, wp, 8));
    T(syscall(SYS_sigaltstack, NULL, wp));
    T(syscall(SYS_fstat, 1, wp));
    T(syscall(SYS_clock_gettime, CLOCK_MONOTONIC, wp));
    T(syscall(SYS_gettimeofday, wp, NULL));
    T(syscall(SYS_getrusage, RUSAGE_SELF, wp));
    T(syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, NULL, wp));
    T(syscall(SYS_sched_getaffinity, 0, 128, wp));
    T(syscall(SYS_pipe2, wp, 0));
    T(syscall(SYS_getrandom, wp, 16, 0));
    T(syscall(SYS_readlink, "/proc/self/cwd", wp, 64));
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    /* "page0" checks pointers into page 0 (what the brief calls
     * write(1, (void *)1, 5), read into (void *)8, ...); they are a case of
     * their own because a runtime that maps page 0 cannot pass them. */
    int page0 = argc > 1 && strcmp(argv[1], "page0") == 0;

    void *none = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    void *ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    /* The unmapped page lies far below where mmap places things (and
     * outside ASan's shadow): a hole left among the others is the next
     * one-page mapping's, the runtime's too (ASan's internal allocator
     * under the sanitizer build: 1 run in 20), and the "bad" pointer
     * then named live memory of the runtime. */
    void *gone = mmap((void *)0x500000000000UL, 4096, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (gone == MAP_FAILED)
        gone = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (none == MAP_FAILED || ro == MAP_FAILED || gone == MAP_FAILED) {
        perror("mmap");
        return 2;
    }
    munmap(gone, 4096);

    int p[2];
    if (pipe(p) != 0) {
        perror("pipe");
        return 2;
    }
    if (write(p[1], "0123456789", 10) != 10)
        return 2;
    pipe_r = p[0];

    /* volatile: keep the compiler from reasoning about these pointers */
    if (page0) {
        void *volatile one = (void *)1, *volatile eight = (void *)8;
        reads("(void *)1", one);
        writes("(void *)8", eight);
    } else {
        void *volatile kernel = (void *)0xffffffff81000000UL;
        void *volatile noncanon = (void *)0x8000000000000000UL;
        reads("unmapped", gone);
        writes("unmapped", gone);
        reads("PROT_NONE", none);
        writes("PROT_NONE", none);
        writes("read-only", ro);
        reads("kernel", kernel);
        writes("kernel", kernel);
        reads("non-canonical", noncanon);
        writes("non-canonical", noncanon);

        /* A good buffer with a length no range holds: EFAULT before
         * anything moves (vfs_read checks the whole range), whatever the
         * file; one not open for it says EBADF first. */
        const char *set = "length (size_t)-1";
        static char big[16];
        size_t volatile huge = (size_t)-1;
        int sv[2], z = open("/dev/zero", O_RDWR);
        if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0 || write(sv[1], "x", 1) != 1 || z < 0) {
            perror("socketpair or /dev/zero");
            return 2;
        }
        T(read(sv[0], big, huge));
        T(write(sv[0], big, huge));
        T(read(pipe_r, big, huge));
        T(write(p[1], big, huge));
        T(read(z, big, huge));
        check(set, "write(pipe_r, big, huge) (EBADF)", (errno = 0, write(pipe_r, big, huge)), EBADF);
        check(set, "read(p[1], big, huge) (EBADF)", (errno = 0, read(p[1], big, huge)), EBADF);
        /* pread's ESPIPE comes before the file's mode (ksys_pread64). */
        check(set, "pread(p[1], big, 1, 0) (ESPIPE)", (errno = 0, pread(p[1], big, 1, 0)), ESPIPE);
        check(set, "pwrite(pipe_r, big, 1, 0) (ESPIPE)", (errno = 0, pwrite(pipe_r, big, 1, 0)), ESPIPE);
        /* The last page below the user half is no user range either. */
        char *volatile top = (char *)0x7ffffffff000UL;
        T(read(sv[0], top, 4096));
        char one = 0;
        long got = recv(sv[0], &one, 1, MSG_DONTWAIT);
        printf("%s the socket still holds its byte\n", got == 1 && one == 'x' ? "ok  " : "FAIL");
        failures += !(got == 1 && one == 'x');
    }

    /* The pipe data the failed reads did not consume is still there (not
     * waited for: a failure says so, not the test's timeout). */
    fcntl(pipe_r, F_SETFL, O_NONBLOCK);
    char buf[16] = {0};
    long n = read(pipe_r, buf, sizeof buf);
    printf("%s pipe still holds %ld bytes: %.*s\n", n == 10 ? "ok  " : "FAIL", n,
           n > 0 ? (int)n : 0, buf);
    if (n != 10)
        failures++;

    /* And the process is still healthy. */
    struct utsname u;
    int ok = uname(&u) == 0 && strcmp(u.sysname, "Linux") == 0;
    printf("%s uname with a good pointer still works\n", ok ? "ok  " : "FAIL");
    if (!ok)
        failures++;

    printf("%s\n", failures ? "efault: FAILED" : "efault: all ok");
    return failures ? 1 : 0;
}
