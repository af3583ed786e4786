/* seccomp filters and strict mode: what a sandboxed program sees of its own calls.
 *
 *   seccomp_filter [SECTION...]   (default: all, in order)
 *
 * check    filters the kernel refuses (EINVAL, EFAULT), flags, actions
 *          available, notification sizes
 * actions  ERRNO (on a call the runtime serves itself, one it passes to
 *          the kernel, one on an fd chosen by its argument), TRAP (SIGSYS
 *          with its siginfo, %rax the call's number), TRACE without a
 *          tracer (ENOSYS), ERRNO 0, the mode and filter count in
 *          PR_GET_SECCOMP and /proc/self/status, a second filter above
 *          the first, a new thread's and a forked child's inheritance,
 *          an exec'd program's (EPERM for getppid there too), strict after
 *          filter (EINVAL)
 * kill     KILL_PROCESS (SIGSYS), KILL_THREAD of one thread of two (the
 *          other goes on) and of a lone thread (SIGSYS), strict mode
 *          (write works, anything else is SIGKILL)
 * ip       instruction_pointer is the address after the program's own
 *          syscall instruction, at a site followed by a cmp (glibc's
 *          syscall()'s shape), trapped or rewritten
 * tsync    TSYNC puts the filter on a thread already running; a thread
 *          with a filter of its own makes TSYNC fail with its tid
 *          (TSYNC_ESRCH: ESRCH)
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>

#include "socklib.h"

static long sys_seccomp(unsigned op, unsigned flags, void *args)
{
    return syscall(SYS_seccomp, op, flags, args);
}

#define NR_OFF offsetof(struct seccomp_data, nr)
#define ARCH_OFF offsetof(struct seccomp_data, arch)
#define ARG0_OFF offsetof(struct seccomp_data, args[0])
#define LD(off) BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (off))
#define IF_NR(nr, ret) BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (nr), 0, 1), BPF_STMT(BPF_RET | BPF_K, (ret))
#define RET(v) BPF_STMT(BPF_RET | BPF_K, (v))

static long install(struct sock_filter *f, unsigned short n, unsigned flags)
{
    struct sock_fprog p = { n, f };
    return sys_seccomp(SECCOMP_SET_MODE_FILTER, flags, &p);
}

/* Only errno 1000 for nr: one call, a thread's own filter. */
static long install_one(int nr, uint32_t ret, unsigned flags)
{
    struct sock_filter f[] = { LD(NR_OFF), IF_NR(nr, ret), RET(SECCOMP_RET_ALLOW) };
    return install(f, sizeof f / sizeof f[0], flags);
}

static void sec_check(void)
{
    CHECK(!prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs");
    struct sock_filter ok[] = { RET(SECCOMP_RET_ALLOW) };
    say("no program: %s", rs(install(ok, 0, 0)));
    say("a bad pointer: %s", rs(sys_seccomp(SECCOMP_SET_MODE_FILTER, 0, (void *)8)));
    struct sock_fprog badp = { 1, (struct sock_filter *)8 };
    say("a bad program pointer: %s", rs(sys_seccomp(SECCOMP_SET_MODE_FILTER, 0, &badp)));
    say("an unknown flag: %s", rs(install(ok, 1, 1u << 20)));
    say("an unknown operation: %s", rs(sys_seccomp(77, 0, NULL)));
    struct sock_filter noret[] = { LD(NR_OFF) };
    say("no return at the end: %s", rs(install(noret, 1, 0)));
    struct sock_filter half[] = { BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 0), RET(SECCOMP_RET_ALLOW) };
    say("a half-word load: %s", rs(install(half, 2, 0)));
    struct sock_filter odd[] = { LD(2), RET(SECCOMP_RET_ALLOW) };
    say("a misaligned load: %s", rs(install(odd, 2, 0)));
    struct sock_filter past[] = { LD(64), RET(SECCOMP_RET_ALLOW) };
    say("a load past the data: %s", rs(install(past, 2, 0)));
    struct sock_filter jump[] = { BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 5, 0), RET(SECCOMP_RET_ALLOW) };
    say("a jump out: %s", rs(install(jump, 2, 0)));
    struct sock_filter mem[] = { BPF_STMT(BPF_LD | BPF_MEM, 3), RET(SECCOMP_RET_ALLOW) };
    say("a scratch word read before written: %s", rs(install(mem, 2, 0)));
    struct sock_filter div0[] = { BPF_STMT(BPF_ALU | BPF_DIV | BPF_K, 0), RET(SECCOMP_RET_ALLOW) };
    say("a division by constant 0: %s", rs(install(div0, 2, 0)));
    struct sock_filter mod[] = { BPF_STMT(BPF_ALU | BPF_MOD | BPF_K, 3), RET(SECCOMP_RET_ALLOW) };
    say("a modulo (not seccomp's): %s", rs(install(mod, 2, 0)));
    uint32_t act = SECCOMP_RET_ALLOW;
    say("ALLOW available: %s", rs(sys_seccomp(SECCOMP_GET_ACTION_AVAIL, 0, &act)));
    act = SECCOMP_RET_KILL_PROCESS;
    say("KILL_PROCESS available: %s", rs(sys_seccomp(SECCOMP_GET_ACTION_AVAIL, 0, &act)));
    act = 0x12340000;
    say("0x12340000 available: %s", rs(sys_seccomp(SECCOMP_GET_ACTION_AVAIL, 0, &act)));
    struct seccomp_notif_sizes sz;
    long r = sys_seccomp(SECCOMP_GET_NOTIF_SIZES, 0, &sz);
    say("notification sizes: %s, data %u", rs(r), r ? 0 : sz.seccomp_data);
    say("mode after all that: %d", prctl(PR_GET_SECCOMP));
}

static void status_line(const char *key)
{
    char line[256];
    FILE *f = fopen("/proc/self/status", "r");
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, key, strlen(key)) && line[strlen(key)] == ':')
            printf("%s", line);
    if (f)
        fclose(f);
    fflush(stdout);
}

static volatile sig_atomic_t trapped_code, trapped_nr, trapped_errno, trapped_rax, trapped_arch;
static void on_sys(int sig, siginfo_t *si, void *uc)
{
    (void)sig;
    trapped_code = si->si_code;
    trapped_nr = si->si_syscall;
    trapped_errno = si->si_errno;
    trapped_arch = si->si_arch == AUDIT_ARCH_X86_64;
    trapped_rax = (long)((ucontext_t *)uc)->uc_mcontext.gregs[REG_RAX];
}

static void *thread_getppid(void *arg)
{
    (void)arg;
    say("a new thread's getppid: %s", rs(syscall(SYS_getppid)));
    return NULL;
}

static int fd100(void)
{
    int p[2];
    CHECK(!pipe(p), "pipe");
    CHECK(write(p[1], "abcd", 4) == 4, "write");
    CHECK(dup2(p[0], 100) == 100, "dup2");
    close(p[1]);
    return p[0];
}

static void sec_actions(void)
{
    CHECK(!prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs");
    int other = fd100();
    struct sock_filter f[] = {
        LD(ARCH_OFF),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
        RET(SECCOMP_RET_KILL_PROCESS),
        LD(NR_OFF),
        IF_NR(SYS_getppid, SECCOMP_RET_ERRNO | EPERM),
        IF_NR(SYS_uname, SECCOMP_RET_ERRNO | EOPNOTSUPP),
        IF_NR(SYS_kill, SECCOMP_RET_TRAP | 7),
        IF_NR(SYS_mincore, SECCOMP_RET_TRACE),
        IF_NR(SYS_getpriority, SECCOMP_RET_ERRNO | 0),
        IF_NR(SYS_msync, SECCOMP_RET_ERRNO | 5000), /* capped at 4095 */
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_read, 0, 3),
        LD(ARG0_OFF),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 100, 0, 1),
        RET(SECCOMP_RET_ERRNO | EACCES),
        RET(SECCOMP_RET_ALLOW),
    };
    say("mode before: %d", prctl(PR_GET_SECCOMP));
    say("install: %s", rs(install(f, sizeof f / sizeof f[0], 0)));
    say("mode: %d", prctl(PR_GET_SECCOMP));
    status_line("Seccomp");
    status_line("Seccomp_filters");
    say("getppid: %s", rs(syscall(SYS_getppid)));
    say("getppid through glibc: %s", rs(getppid()));
    struct utsname u;
    say("uname: %s", rs(uname(&u)));
    char b[8];
    say("read of fd 100: %s", rs(read(100, b, sizeof b)));
    say("read of the same pipe as fd %s: %s", other == 100 ? "100" : "other", rs(read(other, b, 2)));
    say("mincore (TRACE, no tracer): %s", rs(syscall(SYS_mincore, 0, 0, 0)));
    say("getpriority (ERRNO 0): %s", rs(syscall(SYS_getpriority, PRIO_PROCESS, 0)));
    long m = syscall(SYS_msync, 0, 0, 0);
    say("msync (ERRNO 5000): %ld, errno %d", m, errno);
    struct sigaction sa = { .sa_sigaction = on_sys, .sa_flags = SA_SIGINFO };
    sigaction(SIGSYS, &sa, NULL);
    long k = syscall(SYS_kill, getpid(), 0);
    say("kill (TRAP 7): returned %ld; SIGSYS code %d, syscall %d (kill: %d), errno %d, arch ok %d, %%rax %d",
        k, (int)trapped_code, (int)trapped_nr, SYS_kill, (int)trapped_errno, (int)trapped_arch, (int)trapped_rax);
    /* A second filter: the most severe action wins, the newer one on a tie. */
    say("a second filter: %s", rs(install_one(SYS_getppid, SECCOMP_RET_ERRNO | EIO, 0)));
    say("getppid: %s", rs(syscall(SYS_getppid)));
    say("uname: %s", rs(uname(&u)));
    status_line("Seccomp_filters");
    pthread_t t;
    pthread_create(&t, NULL, thread_getppid, NULL);
    pthread_join(t, NULL);
    pid_t pid = fork();
    if (pid == 0) {
        say("a forked child's getppid: %s", rs(syscall(SYS_getppid)));
        char *argv[] = { "seccomp_filter", "exec-child", NULL };
        execv("/proc/self/exe", argv);
        _exit(127);
    }
    int st;
    waitpid(pid, &st, 0);
    say("the child: exit %d", WIFEXITED(st) ? WEXITSTATUS(st) : -WTERMSIG(st));
    say("strict mode now: %s", rs(prctl(PR_SET_SECCOMP, SECCOMP_MODE_STRICT)));
    say("seccomp strict now: %s", rs(sys_seccomp(SECCOMP_SET_MODE_STRICT, 0, NULL)));
}

/* run_child - fn in a forked child with no core dump: its wait status. */
static void run_child(const char *what, void (*fn)(void))
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        struct rlimit no = { 0, 0 };
        setrlimit(RLIMIT_CORE, &no);
        prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
        fn();
        _exit(0);
    }
    int st;
    waitpid(pid, &st, 0);
    if (WIFSIGNALED(st))
        say("%s: killed by %s", what, sigabbrev_np(WTERMSIG(st)));
    else
        say("%s: exit %d", what, WEXITSTATUS(st));
}

static void kill_process(void)
{
    say("install: %s", rs(install_one(SYS_getuid, SECCOMP_RET_KILL_PROCESS, 0)));
    syscall(SYS_getuid);
    say("not reached");
}

static void *thread_getgid(void *arg)
{
    (void)arg;
    syscall(SYS_getgid);
    say("not reached: the thread's getgid returned");
    return NULL;
}

static void kill_thread(void)
{
    say("install: %s", rs(install_one(SYS_getgid, SECCOMP_RET_KILL_THREAD, 0)));
    pthread_t t;
    pthread_create(&t, NULL, thread_getgid, NULL);
    msleep(200); /* not joined: a thread killed so never clears its tid */
    say("the other thread goes on");
    syscall(SYS_getgid);
    say("not reached: the lone thread's getgid returned");
}

static void strict(void)
{
    say("strict: %s", rs(prctl(PR_SET_SECCOMP, SECCOMP_MODE_STRICT)));
    static const char line[] = "write works in strict mode\n";
    syscall(SYS_write, 1, line, sizeof line - 1);
    syscall(SYS_getpid);
    syscall(SYS_write, 1, "not reached\n", 12);
}

static void sec_kill(void)
{
    run_child("KILL_PROCESS", kill_process);
    run_child("KILL_THREAD", kill_thread);
    run_child("strict mode", strict);
}

static volatile int go, own_tid;
static void *waiter(void *arg)
{
    (void)arg;
    while (!__atomic_load_n(&go, __ATOMIC_ACQUIRE))
        msleep(5);
    say("the running thread's getppid after TSYNC: %s", rs(syscall(SYS_getppid)));
    return NULL;
}

static void *own_filter(void *arg)
{
    (void)arg;
    own_tid = (int)syscall(SYS_gettid);
    CHECK(!install_one(SYS_getuid, SECCOMP_RET_ERRNO | EPERM, 0), "own filter");
    __atomic_store_n(&go, 1, __ATOMIC_RELEASE);
    while (__atomic_load_n(&go, __ATOMIC_ACQUIRE) != 2)
        msleep(5);
    return NULL;
}

static void tsync_ok(void)
{
    pthread_t t;
    pthread_create(&t, NULL, waiter, NULL);
    say("TSYNC: %s", rs(install_one(SYS_getppid, SECCOMP_RET_ERRNO | EPERM, SECCOMP_FILTER_FLAG_TSYNC)));
    __atomic_store_n(&go, 1, __ATOMIC_RELEASE);
    pthread_join(t, NULL);
}

static void tsync_fails(void)
{
    pthread_t t;
    pthread_create(&t, NULL, own_filter, NULL);
    while (!__atomic_load_n(&go, __ATOMIC_ACQUIRE))
        msleep(5);
    long r = install_one(SYS_getppid, SECCOMP_RET_ERRNO | EPERM, SECCOMP_FILTER_FLAG_TSYNC);
    say("TSYNC over a thread with its own filter: %s", r == own_tid ? "its tid" : rs(r));
    r = install_one(SYS_getppid, SECCOMP_RET_ERRNO | EPERM, SECCOMP_FILTER_FLAG_TSYNC | SECCOMP_FILTER_FLAG_TSYNC_ESRCH);
    say("with TSYNC_ESRCH: %s", rs(r));
    say("without TSYNC: %s", rs(install_one(SYS_getppid, SECCOMP_RET_ERRNO | EPERM, 0)));
    say("getppid: %s", rs(syscall(SYS_getppid)));
    __atomic_store_n(&go, 2, __ATOMIC_RELEASE);
    pthread_join(t, NULL);
}

/* Threads made while another thread's TSYNC runs: each made after it
 * returned has the filter (one made meanwhile joined the program before
 * the walk, or took the new chain). */
static volatile int synced, escaped, made_after;
static void *probe(void *arg)
{
    if (arg && syscall(SYS_getppid) >= 0)
        __atomic_add_fetch(&escaped, 1, __ATOMIC_RELAXED);
    return NULL;
}

static void *spawner(void *arg)
{
    (void)arg;
    for (int i = 0; i < 60; i++) {
        int after = __atomic_load_n(&synced, __ATOMIC_ACQUIRE);
        pthread_t t;
        if (pthread_create(&t, NULL, probe, after ? (void *)1 : NULL))
            continue;
        pthread_join(t, NULL);
        if (after)
            __atomic_add_fetch(&made_after, 1, __ATOMIC_RELAXED);
    }
    return NULL;
}

static void tsync_race(void)
{
    pthread_t s[4];
    for (int i = 0; i < 4; i++)
        pthread_create(&s[i], NULL, spawner, NULL);
    msleep(2);
    long r = install_one(SYS_getppid, SECCOMP_RET_ERRNO | EPERM, SECCOMP_FILTER_FLAG_TSYNC);
    __atomic_store_n(&synced, 1, __ATOMIC_RELEASE);
    for (int i = 0; i < 4; i++)
        pthread_join(s[i], NULL);
    say("TSYNC beside threads being made: %s; a thread made after it without the filter: %s", rs(r),
        escaped ? "yes" : "none");
}

/* A call site shaped as glibc's syscall(): the cmp right after it, and
 * before it no instruction the rewriter could move instead (the nop). */
extern char seccomp_site_after[];
__attribute__((noinline)) static long site_call(long nr)
{
    long r;
    __asm__ volatile("nop\n\t"
                     "syscall\n\t"
                     ".globl seccomp_site_after\n"
                     "seccomp_site_after:\n\t"
                     "cmp $-4095, %%rax\n\t"
                     : "=a"(r)
                     : "a"(nr)
                     : "rcx", "r11", "memory", "cc");
    return r;
}

static void ip_check(void)
{
    uint64_t at = (uint64_t)(uintptr_t)seccomp_site_after;
    struct sock_filter f[] = {
        LD(NR_OFF),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getppid, 0, 5),
        LD(offsetof(struct seccomp_data, instruction_pointer)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)at, 0, 2),
        LD(offsetof(struct seccomp_data, instruction_pointer) + 4),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)(at >> 32), 1, 0),
        RET(SECCOMP_RET_ERRNO | EPERM),
        RET(SECCOMP_RET_ALLOW),
    };
    say("install: %s", rs(install(f, sizeof f / sizeof f[0], 0)));
    int ok = 0;
    /* trapped first, rewritten after (a forked child rewrites only after
     * its first 64 traps) */
    for (int i = 0; i < 200; i++)
        ok += site_call(SYS_getppid) > 0;
    say("getppid from the site the filter allows: %d of 200", ok);
    say("getppid from elsewhere: %s", rs(syscall(SYS_getppid)));
}

static void sec_ip(void)
{
    run_child("instruction_pointer", ip_check);
}

static void sec_tsync(void)
{
    run_child("TSYNC", tsync_ok);
    run_child("TSYNC while threads are made", tsync_race);
    go = 0;
    run_child("TSYNC refused", tsync_fails);
}

int main(int argc, char **argv)
{
    if (argc == 2 && !strcmp(argv[1], "exec-child")) {
        say("after exec: mode %d, getppid %s", prctl(PR_GET_SECCOMP), rs(syscall(SYS_getppid)));
        return 0;
    }
    alarm(20);
    static const struct section secs[] = {
        {"check", sec_check}, {"actions", sec_actions}, {"kill", sec_kill}, {"ip", sec_ip}, {"tsync", sec_tsync},
    };
    return run_sections("seccomp_filter", argc, argv, secs, sizeof secs / sizeof secs[0]);
}
