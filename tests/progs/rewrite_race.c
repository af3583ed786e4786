/* Call sites rewritten while threads run them, and signals arriving in
 * rewritten sequences.
 *
 *   rewrite_race [SECTION...]   (default: all, in order)
 *
 * glibc     8 threads released together call glibc's getppid() and
 *           write() to /dev/null in a tight loop, from the first call on
 *           (nothing calls them before: the first calls trap, and the sites
 *           are rewritten under the others); every result is checked
 * raw       the same with inline `syscall` sites of each shape a rewriter
 *           knows: mov $nr,%eax; mov $nr,%rax; mov %rcx,%rax; syscall
 *           followed by cmp $imm,%rax and by cmp $imm,%eax; and a bare
 *           site that fits no pattern
 * signals   a thread loops on syscall sites while another sends it 5,000
 *           RT signals (all must arrive: sent == received) and 5,000
 *           SIGUSR1 (coalesced: at least one, and a last one sent after
 *           the storm must arrive); the handler makes syscalls itself
 * spin      a thread in a pure user-space loop (no syscalls) receives 50
 *           signals, each awaited before the next
 * timer     a thread loops on getuid() sites (issued as is, straight from
 *           the gate under pegasus) and on write/read of a non-blocking
 *           pipe (the fd mapped in the gate) while a 20 us POSIX timer
 *           signals it: the host signals land in the middle of those calls
 *
 * The expected getppid() comes from syscall(SYS_getppid), a different
 * site. Output is the same whatever the interleaving. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "testlib.h"


static long want_ppid, want_uid;
static int devnull, devzero;

#define NT 8
#define ITERS 20000
static pthread_barrier_t go;

/* ---- glibc sites ----------------------------------------------------------- */

static __attribute__((noinline)) long glibc_calls(long n)
{
    long bad = 0;
    char c = 'x';
    for (long i = 0; i < n; i++) {
        if (getppid() != want_ppid)
            bad++;
        if (write(devnull, &c, 1) != 1)
            bad++;
        if (getuid() != want_uid)
            bad++;
    }
    return bad;
}
static void *glibc_thread(void *arg)
{
    (void)arg;
    pthread_barrier_wait(&go);
    return (void *)glibc_calls(ITERS);
}

/* ---- raw sites, one function per shape ----------------------------------------- */

/* mov $nr,%eax; syscall */
static __attribute__((noinline)) long s_mov_eax(void)
{
    long r;
    __asm__ volatile("mov $110, %%eax\n\tsyscall" : "=a"(r) : : "rcx", "r11", "memory");
    return r;
}
/* mov $nr,%eax; syscall of a call the kernel serves as is: getuid */
static __attribute__((noinline)) long s_getuid(void)
{
    long r;
    __asm__ volatile("mov $%c1, %%eax\n\tsyscall" : "=a"(r) : "i"(SYS_getuid) : "rcx", "r11", "memory");
    return r;
}
/* mov $nr,%rax; syscall (48 c7 c0) */
static __attribute__((noinline)) long s_mov_rax(void)
{
    long r;
    __asm__ volatile(".byte 0x48, 0xc7, 0xc0\n\t.long 110\n\tsyscall" : "=a"(r) : : "rcx", "r11", "memory");
    return r;
}
/* mov %rcx,%rax (48 89 c8); syscall: write(fd, buf, n), the number
 * from a register */
static __attribute__((noinline)) long s_mov_reg(long nr, long fd, const void *buf, long n)
{
    long r;
    register long rdi __asm__("rdi") = fd;
    register const void *rsi __asm__("rsi") = buf;
    register long rdx __asm__("rdx") = n;
    __asm__ volatile(".byte 0x48, 0x89, 0xc8\n\tsyscall"
                     : "=a"(r), "+c"(nr)
                     : "r"(rdi), "r"(rsi), "r"(rdx)
                     : "r11", "memory");
    return r;
}
/* mov %rdi,%rax (48 89 f8); syscall */
static __attribute__((noinline)) long s_mov_rdi(long nr)
{
    long r;
    register long rdi __asm__("rdi") = nr;
    __asm__ volatile(".byte 0x48, 0x89, 0xf8\n\tsyscall" : "=a"(r) : "r"(rdi) : "rcx", "r11", "memory");
    return r;
}
/* xor %eax,%eax; syscall; cmp $-4095,%rax: read(fd, buf, n) */
static __attribute__((noinline)) long s_cmp_rax(long fd, void *buf, long n)
{
    long r;
    register long rdi __asm__("rdi") = fd;
    register void *rsi __asm__("rsi") = buf;
    register long rdx __asm__("rdx") = n;
    unsigned char below;
    __asm__ volatile("xor %%eax, %%eax\n\tsyscall\n\tcmp $-4095, %%rax\n\tsetb %1"
                     : "=a"(r), "=q"(below)
                     : "r"(rdi), "r"(rsi), "r"(rdx)
                     : "rcx", "r11", "memory", "cc");
    return below ? r : -1000 + r; /* the cmp must have seen the result */
}
/* stc; xor %eax,%eax; syscall; cmp: read(-1): %r11 holds the flags as the
 * syscall found them, i.e. as the xor left them (CF clear, ZF set) */
static __attribute__((noinline)) long s_xor_flags(void)
{
    long r, flags;
    register long rdi __asm__("rdi") = -1;
    register long rsi __asm__("rsi") = 0;
    register long rdx __asm__("rdx") = 0;
    __asm__ volatile("stc\n\txor %%eax, %%eax\n\tsyscall\n\tcmp $-4095, %%rax\n\tmov %%r11, %1"
                     : "=a"(r), "=r"(flags)
                     : "r"(rdi), "r"(rsi), "r"(rdx)
                     : "rcx", "r11", "memory", "cc");
    return r == -EBADF && !(flags & 1) && (flags & 0x40);
}
/* lea; syscall; cmp $-4095,%eax: getppid, whose result fits in 32 bits */
static __attribute__((noinline)) long s_cmp_eax(void)
{
    long r;
    unsigned char below;
    __asm__ volatile("lea %c2, %%eax\n\tsyscall\n\t.byte 0x3d\n\t.long -4095\n\tsetb %1"
                     : "=a"(r), "=q"(below)
                     : "i"(SYS_getppid)
                     : "rcx", "r11", "memory", "cc");
    return below ? r : -1;
}
/* lea (nr), %eax ; syscall; nop: no pattern fits (zpoline's case) */
static __attribute__((noinline)) long s_bare(void)
{
    long r;
    __asm__ volatile("lea 110, %%eax\n\tsyscall\n\tnop" : "=a"(r) : : "rcx", "r11", "memory");
    return r;
}

static __attribute__((noinline)) long raw_calls(long n)
{
    long bad = 0;
    char c = 'y', z[16];
    for (long i = 0; i < n; i++) {
        if (s_mov_eax() != want_ppid)
            bad++;
        if (s_mov_rax() != want_ppid)
            bad++;
        if (s_mov_reg(SYS_write, devnull, &c, 1) != 1)
            bad++;
        if (s_mov_rdi(SYS_getppid) != want_ppid)
            bad++;
        memset(z, 1, sizeof z);
        if (s_cmp_rax(devzero, z, sizeof z) != sizeof z || z[0] || z[15])
            bad++;
        if (s_cmp_rax(-1, z, 1) != -1000 - EBADF) /* an error result, seen by the cmp */
            bad++;
        if (s_cmp_eax() != want_ppid)
            bad++;
        if (s_bare() != want_ppid)
            bad++;
        if (s_getuid() != want_uid)
            bad++;
        if (!s_xor_flags())
            bad++;
    }
    return bad;
}
static void *raw_thread(void *arg)
{
    (void)arg;
    pthread_barrier_wait(&go);
    return (void *)raw_calls(ITERS / 4);
}

static void hammer(const char *what, void *(*fn)(void *))
{
    pthread_t t[NT];
    pthread_barrier_init(&go, NULL, NT);
    for (int i = 0; i < NT; i++)
        pthread_create(&t[i], NULL, fn, NULL);
    long bad = 0;
    for (int i = 0; i < NT; i++) {
        void *r;
        pthread_join(t[i], &r);
        bad += (long)r;
    }
    pthread_barrier_destroy(&go);
    say("%s: %d threads, wrong results: %ld", what, NT, bad);
    if (bad)
        failures++;
}

static void sec_glibc(void) { hammer("glibc getppid+write", glibc_thread); }
static void sec_raw(void) { hammer("raw sites of 9 shapes", raw_thread); }

/* ---- signals into a looping thread ----------------------------------------------- */

static atomic_long rt_got, usr_got, handler_bad;
static atomic_int stop;
static void on_rt(int sig)
{
    /* syscalls inside the handler, through the same sites */
    if (s_mov_eax() != want_ppid || getppid() != want_ppid || s_getuid() != want_uid)
        atomic_fetch_add(&handler_bad, 1);
    if (sig == SIGUSR1)
        atomic_fetch_add(&usr_got, 1);
    else
        atomic_fetch_add(&rt_got, 1);
}
static void *looper(void *arg)
{
    (void)arg;
    long bad = 0;
    char c = 'z';
    while (!atomic_load(&stop)) {
        if (s_mov_eax() != want_ppid)
            bad++;
        if (getppid() != want_ppid)
            bad++;
        if (s_cmp_eax() != want_ppid)
            bad++;
        if (s_getuid() != want_uid || getuid() != want_uid)
            bad++;
        long w = write(devnull, &c, 1);
        if (w != 1 && !(w < 0 && errno == EINTR))
            bad++;
    }
    return (void *)bad;
}

static long send_all(pthread_t t, int sig, long n)
{
    long sent = 0;
    for (long i = 0; i < n; i++) {
        int e;
        while ((e = pthread_kill(t, sig)) == EAGAIN) /* RT queue full: let it drain */
            sched_yield();
        if (e == 0)
            sent++;
        if ((i & 63) == 0)
            sched_yield();
    }
    return sent;
}

static void sec_signals(void)
{
    on_signal(SIGRTMIN + 3, on_rt, SA_RESTART);
    on_signal(SIGUSR1, on_rt, SA_RESTART);
    pthread_t t;
    pthread_create(&t, NULL, looper, NULL);
    long sent = send_all(t, SIGRTMIN + 3, 5000);
    for (int i = 0; i < 2000 && atomic_load(&rt_got) < sent; i++)
        msleep(1);
    say("RT signals into a syscall loop: sent %ld, received %ld", sent, (long)rt_got);
    long usent = send_all(t, SIGUSR1, 5000);
    for (int i = 0; i < 100; i++) /* let the last ones land */
        msleep(1);
    long before = atomic_load(&usr_got);
    pthread_kill(t, SIGUSR1);
    for (int i = 0; i < 5000 && atomic_load(&usr_got) == before; i++)
        msleep(1);
    long after = atomic_load(&usr_got);
    say("SIGUSR1 x %ld: received between 1 and %ld: %s; one more after the storm arrived: %s", usent,
        usent, before >= 1 && before <= usent ? "yes" : "no", after == before + 1 ? "yes" : "no");
    atomic_store(&stop, 1);
    void *r;
    pthread_join(t, &r);
    say("wrong results in the loop: %ld, in the handler: %ld", (long)r, (long)handler_bad);
    if (sent != 5000 || rt_got != sent || r || handler_bad)
        failures++;
}

/* ---- signals into a pure user-space loop ----------------------------------------- */

static atomic_long spin_got;
static void on_spin(int sig)
{
    (void)sig;
    atomic_fetch_add(&spin_got, 1);
}
static void *spinner(void *arg)
{
    (void)arg;
    while (!atomic_load_explicit(&stop, memory_order_relaxed))
        ;
    return NULL;
}

static void sec_spin(void)
{
    on_signal(SIGUSR2, on_spin, 0);
    atomic_store(&stop, 0);
    pthread_t t;
    pthread_create(&t, NULL, spinner, NULL);
    long n = 0;
    for (int i = 0; i < 50; i++) {
        pthread_kill(t, SIGUSR2);
        for (int k = 0; k < 5000 && atomic_load(&spin_got) < i + 1; k++)
            msleep(1);
        if (atomic_load(&spin_got) == i + 1)
            n++;
    }
    atomic_store(&stop, 1);
    pthread_join(t, NULL);
    say("signals into a thread spinning without syscalls: %ld of 50 handled one by one", n);
    if (n != 50)
        failures++;
}

/* ---- timer signals into getuid loops ------------------------------------------- */

static atomic_long tick_got, tick_bad;
static void on_tick(int sig)
{
    (void)sig;
    if (getuid() != want_uid || s_getuid() != want_uid)
        atomic_fetch_add(&tick_bad, 1);
    char c;
    int saved = errno;
    if (read(-1, &c, 1) != -1 || errno != EBADF)
        atomic_fetch_add(&tick_bad, 1);
    errno = saved;
    atomic_fetch_add(&tick_got, 1);
}
static void *uid_looper(void *arg)
{
    long bad = 0, calls = 0;
    atomic_int *ready = arg;
    int p[2];
    if (pipe2(p, O_NONBLOCK))
        return (void *)1L;
    atomic_store(ready, (int)syscall(SYS_gettid));
    char c = 0, d;
    while (!atomic_load(&stop) || calls < 1000) {
        if (getuid() != want_uid)
            bad++;
        if (s_getuid() != want_uid)
            bad++;
        /* fd calls: the fd mapped on the way in, the app's %rdi back after */
        c++;
        if (write(p[1], &c, 1) != 1 || read(p[0], &d, 1) != 1 || d != c || read(p[0], &d, 1) != -1)
            bad++;
        calls += 2;
    }
    close(p[0]);
    close(p[1]);
    return (void *)bad;
}

static void sec_timer(void)
{
    on_signal(SIGRTMIN + 4, on_tick, SA_RESTART);
    atomic_store(&stop, 0);
    atomic_int tid = 0;
    pthread_t t;
    pthread_create(&t, NULL, uid_looper, &tid);
    while (!atomic_load(&tid))
        sched_yield();
    struct sigevent sev;
    memset(&sev, 0, sizeof sev);
    sev.sigev_notify = SIGEV_THREAD_ID;
    sev.sigev_signo = SIGRTMIN + 4;
    sev._sigev_un._tid = atomic_load(&tid);
    timer_t tm;
    if (timer_create(CLOCK_MONOTONIC, &sev, &tm)) {
        say("timer_create: %s", strerror(errno));
        failures++;
        return;
    }
    struct itimerspec its = { { 0, 20000 }, { 0, 20000 } };
    timer_settime(tm, 0, &its, NULL);
    for (int i = 0; i < 5000 && (atomic_load(&tick_got) < 2000 || i < 300); i++)
        msleep(1);
    timer_delete(tm);
    atomic_store(&stop, 1);
    void *r;
    pthread_join(t, &r);
    say("timer signals into getuid loops: 2000 handled: %s; wrong results in the loop: %ld, "
        "in the handler: %ld", atomic_load(&tick_got) >= 2000 ? "yes" : "no", (long)r,
        (long)tick_bad);
    if (atomic_load(&tick_got) < 2000 || r || tick_bad)
        failures++;
}

static const struct section sections[] = {
    { "glibc", sec_glibc }, { "raw", sec_raw }, { "signals", sec_signals }, { "spin", sec_spin },
    { "timer", sec_timer },
};

int main(int argc, char **argv)
{
    want_ppid = syscall(SYS_getppid);
    want_uid = syscall(SYS_getuid);
    devnull = open("/dev/null", O_WRONLY);
    devzero = open("/dev/zero", O_RDONLY);
    return run_sections("rewrite_race", argc, argv, sections, sizeof sections / sizeof sections[0]);
}
