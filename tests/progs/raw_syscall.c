/* Raw `syscall` instructions from inline asm, not through glibc.
 *
 * Checks what the kernel ABI promises: return values, -errno for errors,
 * -ENOSYS for an unknown number, and that every register except rax, rcx
 * and r11 (and the 128-byte red zone below %rsp) survives the instruction,
 * the flags too (a call entered with DF set crashed pegasus: its runtime
 * code ran with it).
 * Prints deterministic lines; exits 0 when every check held, 1 otherwise. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

static int failures;

#define CHECK(cond, ...)                                  \
    do {                                                  \
        if (cond) {                                       \
            printf("ok   ");                              \
        } else {                                          \
            printf("FAIL ");                              \
            failures++;                                   \
        }                                                 \
        printf(__VA_ARGS__);                              \
        putchar('\n');                                    \
    } while (0)

static long sc0(long n)
{
    long r;
    __asm__ volatile("syscall" : "=a"(r) : "a"(n) : "rcx", "r11", "memory");
    return r;
}

static long sc1(long n, long a)
{
    long r;
    __asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a) : "rcx", "r11", "memory");
    return r;
}

static long sc3(long n, long a, long b, long c)
{
    long r;
    __asm__ volatile("syscall"
                     : "=a"(r)
                     : "a"(n), "D"(a), "S"(b), "d"(c)
                     : "rcx", "r11", "memory");
    return r;
}

static long sc6(long n, long a, long b, long c, long d, long e, long f)
{
    long r;
    register long r10 __asm__("r10") = d;
    register long r8 __asm__("r8") = e;
    register long r9 __asm__("r9") = f;
    __asm__ volatile("syscall"
                     : "=a"(r)
                     : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                     : "rcx", "r11", "memory");
    return r;
}

/* regtest(nr, out): loads known values into every register the syscall ABI
 * preserves, fills the red zone with a pattern, executes `syscall` with
 * %rax = nr, then stores the registers into out[0..11], the result into
 * out[12] and the number of red-zone qwords that changed into out[13].
 * regtest_getpid(ignored, out) is the same with `mov $39, %eax` right before
 * the `syscall`: the shape a runtime may rewrite after the first trap, so
 * calling it twice checks the rewritten path as well. */
#define REGTEST_ASM(name, loadnr)                                  \
    ".text\n"                                                      \
    ".globl " name "\n"                                            \
    ".type " name ",@function\n" name ":\n"                         \
    "  push %rbx\n"                                                \
    "  push %rbp\n"                                                \
    "  push %r12\n"                                                \
    "  push %r13\n"                                                \
    "  push %r14\n"                                                \
    "  push %r15\n"                                                \
    "  push %rsi\n" /* out pointer at 0(%rsp) */                    \
    "  mov %rdi, %rax\n"                                           \
    /* red zone: 16 qwords below %rsp, slot i holds 0x5a5a0000+i */ \
    "  .irp n,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16\n"             \
    "  movq $0x5a5a0000+\\n, -\\n*8(%rsp)\n"                         \
    "  .endr\n"                                                    \
    "  mov $0x1111111111111101, %rbx\n"                            \
    "  mov $0x2222222222222202, %rbp\n"                            \
    "  mov $0x3333333333333303, %r12\n"                            \
    "  mov $0x4444444444444404, %r13\n"                            \
    "  mov $0x5555555555555505, %r14\n"                            \
    "  mov $0x6666666666666606, %r15\n"                            \
    "  mov $0x7777777777777707, %rdi\n"                            \
    "  mov $0x0888888888888808, %rsi\n"                            \
    "  mov $0x0999999999999909, %rdx\n"                            \
    "  mov $0x0aaaaaaaaaaaaa0a, %r10\n"                            \
    "  mov $0x0bbbbbbbbbbbbb0b, %r8\n"                             \
    "  mov $0x0ccccccccccccc0c, %r9\n"                             \
    loadnr                                                         \
    "  syscall\n"                                                  \
    /* count changed red-zone slots into %r11, using rcx and r11 */ \
    "  xor %r11d, %r11d\n"                                         \
    "  .irp n,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16\n"             \
    "  mov -\\n*8(%rsp), %rcx\n"                                    \
    "  cmp $0x5a5a0000+\\n, %rcx\n"                                 \
    "  je 9f\n"                                                    \
    "  inc %r11\n"                                                 \
    "9:\n"                                                         \
    "  .endr\n"                                                    \
    "  push %rax\n" /* result; out pointer now at 8(%rsp) */        \
    "  mov 8(%rsp), %rax\n"                                        \
    "  mov %rbx, 0(%rax)\n"                                        \
    "  mov %rbp, 8(%rax)\n"                                        \
    "  mov %r12, 16(%rax)\n"                                       \
    "  mov %r13, 24(%rax)\n"                                       \
    "  mov %r14, 32(%rax)\n"                                       \
    "  mov %r15, 40(%rax)\n"                                       \
    "  mov %rdi, 48(%rax)\n"                                       \
    "  mov %rsi, 56(%rax)\n"                                       \
    "  mov %rdx, 64(%rax)\n"                                       \
    "  mov %r10, 72(%rax)\n"                                       \
    "  mov %r8, 80(%rax)\n"                                        \
    "  mov %r9, 88(%rax)\n"                                        \
    "  mov %r11, 104(%rax)\n"                                      \
    "  pop %rcx\n" /* result */                                     \
    "  mov %rcx, 96(%rax)\n"                                       \
    "  add $8, %rsp\n"                                             \
    "  pop %r15\n"                                                 \
    "  pop %r14\n"                                                 \
    "  pop %r13\n"                                                 \
    "  pop %r12\n"                                                 \
    "  pop %rbp\n"                                                 \
    "  pop %rbx\n"                                                 \
    "  ret\n"                                                      \
    ".size " name ", .-" name "\n"

__asm__(REGTEST_ASM("regtest", ""));
__asm__(REGTEST_ASM("regtest_getpid", "  mov $39, %eax\n"));

void regtest(long nr, unsigned long *out);
void regtest_getpid(long nr, unsigned long *out);

static const char *const regnames[12] = {"rbx", "rbp", "r12", "r13", "r14", "r15",
                                         "rdi", "rsi", "rdx", "r10", "r8",  "r9"};
static const unsigned long regvals[12] = {
    0x1111111111111101UL, 0x2222222222222202UL, 0x3333333333333303UL, 0x4444444444444404UL,
    0x5555555555555505UL, 0x6666666666666606UL, 0x7777777777777707UL, 0x0888888888888808UL,
    0x0999999999999909UL, 0x0aaaaaaaaaaaaa0aUL, 0x0bbbbbbbbbbbbb0bUL, 0x0ccccccccccccc0cUL};

static void check_regs(const char *what, void (*fn)(long, unsigned long *), long nr,
                       long expect)
{
    unsigned long out[14];
    memset(out, 0, sizeof out);
    fn(nr, out);
    int bad = 0;
    for (int i = 0; i < 12; i++) {
        if (out[i] != regvals[i]) {
            printf("     %s: %s changed to %#lx\n", what, regnames[i], out[i]);
            bad++;
        }
    }
    CHECK(bad == 0, "%s: callee registers and argument registers preserved", what);
    CHECK(out[13] == 0, "%s: red zone intact (%lu qwords changed)", what, out[13]);
    CHECK((long)out[12] == expect, "%s: result %s", what,
          (long)out[12] == expect ? "as expected" : "unexpected");
}

/* The arithmetic flags and DF, which the kernel gives back as they were. */
#define FLAGS_KEPT 0xcd5ul

/* A raw read (or any 3-argument call) entered with the flags `in`: the
 * flags after it. `mov $nr, %eax; syscall` is a shape the rewriter knows,
 * so under pegasus this is a rewritten site (its lean or mid path). */
#define SC3_FLAGS(nr, a, b, c, in, ret)                                          \
    ({                                                                          \
        unsigned long out_;                                                     \
        register long a_ __asm__("rdi") = (a), b_ __asm__("rsi") = (b);         \
        register long c_ __asm__("rdx") = (c);                                  \
        __asm__ volatile("pushq %[fl]\n\tpopfq\n\tmov %[n], %%eax\n\tsyscall\n\t" \
                         "pushfq\n\tpopq %[out]\n\tcld"                         \
                         : "=&a"(ret), [out] "=r"(out_), "+r"(a_), "+r"(b_), "+r"(c_) \
                         : [fl] "r"((in) | 0x202ul), [n] "i"(nr)                \
                         : "rcx", "r11", "memory", "cc");                        \
        out_;                                                                   \
    })

/* Every arithmetic flag and DF survive a syscall; with DF set the call's
 * own copies still go forward (the kernel clears DF on entry). */
static void check_flags(void)
{
    static const unsigned long pats[] = {0x0, 0x1, 0x4, 0x10, 0x40, 0x80, 0x800, 0x8d5, 0x841, 0x881, 0x400, 0xcd5};
    long r;
    int bad = 0;
    for (unsigned i = 0; i < sizeof pats / sizeof pats[0]; i++) {
        unsigned long out = SC3_FLAGS(SYS_getppid, 0, 0, 0, pats[i], r);
        if ((out & FLAGS_KEPT) != pats[i] || r != getppid()) {
            printf("     flags %#lx came back %#lx\n", pats[i], out & FLAGS_KEPT);
            bad++;
        }
    }
    CHECK(!bad, "12 patterns of arithmetic flags and DF survive getppid");

    int p[2];
    static char src[3000], dst[3000];
    for (unsigned i = 0; i < sizeof src; i++)
        src[i] = (char)(i * 7 + 1);
    if (pipe(p)) {
        CHECK(0, "pipe");
        return;
    }
    for (unsigned long fl = 0; fl <= 0x400; fl += 0x400) {
        if (write(p[1], src, sizeof src) != (long)sizeof src)
            CHECK(0, "write to the pipe");
        memset(dst, 0, sizeof dst);
        unsigned long out = SC3_FLAGS(SYS_read, p[0], (long)dst, sizeof dst, fl | 0x81, r);
        CHECK(r == (long)sizeof dst && !memcmp(src, dst, sizeof dst) && (out & FLAGS_KEPT) == (fl | 0x81),
              "read of 3000 bytes from a pipe with DF %s: the bytes in order, the flags kept", fl ? "set" : "clear");
    }
    close(p[0]);
    close(p[1]);
}

static volatile sig_atomic_t usr1_seen;

static void on_usr1(int sig)
{
    (void)sig;
    usr1_seen++;
}

/* DF set across calls while signals keep arriving from another process:
 * one that lands as the call returns must not run the runtime's code
 * with the program's DF (it crashed so), and DF comes back each time. */
static void check_df_signals(void)
{
    struct sigaction sa = { .sa_handler = on_usr1, .sa_flags = SA_RESTART };
    sigaction(SIGUSR1, &sa, NULL);
    pid_t parent = getpid(), c = fork();
    if (c == 0) {
        for (int i = 0; i < 20000 && kill(parent, SIGUSR1) == 0; i++)
            ;
        _exit(0);
    }
    long r, bad = 0, calls = 0;
    int st;
    while (waitpid(c, &st, WNOHANG) == 0) {
        for (int i = 0; i < 1000; i++, calls++) {
            unsigned long out = SC3_FLAGS(SYS_getppid, 0, 0, 0, 0x400ul, r);
            bad += !(out & 0x400) || r != getppid();
        }
    }
    signal(SIGUSR1, SIG_DFL);
    CHECK(!bad && calls > 0, "DF kept across getppid while another process sends signals");
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);

    long pid1 = sc0(SYS_getpid), pid2 = sc0(SYS_getpid);
    CHECK(pid1 > 0 && pid1 == pid2, "getpid twice gives the same positive pid");
    CHECK(pid1 == getpid(), "raw getpid equals glibc getpid");

    long tid = sc0(SYS_gettid);
    CHECK(tid == pid1, "gettid equals getpid in the main thread");

    long ppid = sc0(SYS_getppid);
    CHECK(ppid >= 0 && ppid == getppid(), "raw getppid equals glibc getppid");

    static const char msg[] = "written by a raw syscall\n";
    long n = sc3(SYS_write, 1, (long)msg, sizeof msg - 1);
    CHECK(n == (long)sizeof msg - 1, "write returned %ld", n);

    n = sc3(SYS_write, 1, (long)msg, 0);
    CHECK(n == 0, "write of 0 bytes returned %ld", n);

    n = sc3(SYS_write, 999, (long)msg, 3);
    CHECK(n == -EBADF, "write to fd 999 gives -EBADF (%ld)", n);

    n = sc0(1000);
    CHECK(n == -ENOSYS, "syscall 1000 gives -ENOSYS (%ld)", n);
    n = sc0(-1);
    CHECK(n == -ENOSYS, "syscall -1 gives -ENOSYS (%ld)", n);

    struct utsname u;
    memset(&u, 0, sizeof u);
    n = sc1(SYS_uname, (long)&u);
    CHECK(n == 0, "uname returned %ld", n);
    printf("     sysname=%s machine=%s\n", u.sysname, u.machine);

    /* Six arguments: a private anonymous mmap, then munmap. */
    long p = sc6(SYS_mmap, 0, 4096, 3 /* RW */, 0x22 /* PRIVATE|ANON */, -1, 0);
    CHECK(p > 0 && (p & 4095) == 0, "mmap with six arguments gives a page");
    if (p > 0) {
        *(volatile char *)p = 1;
        n = sc3(SYS_munmap, p, 4096, 0);
        CHECK(n == 0, "munmap returned %ld", n);
    }

    /* Int arguments are the register's low 32 bits: the kernel drops what
     * is above them (libev leaves a generation count there with an fd). */
    const long hi = 5L << 32;
    int efd = (int)sc3(SYS_eventfd2, hi | 0, hi | 0, 0);
    int ep = (int)sc1(SYS_epoll_create1, 0);
    unsigned long long ev[2] = {1 /* EPOLLIN */, 0};
    CHECK(efd >= 0 && ep >= 0, "eventfd and epoll set");
    n = sc6(SYS_epoll_ctl, hi | ep, 1 /* ADD */, hi | efd, (long)ev, 0, 0);
    CHECK(n == 0, "epoll_ctl ADD, upper bits set in the fds: %ld", n);
    unsigned long long one = 1;
    n = sc3(SYS_write, hi | efd, (long)&one, 8);
    CHECK(n == 8, "write, upper bits set in the fd: %ld", n);
    n = sc6(SYS_epoll_ctl, hi | ep, 3 /* MOD */, hi | efd, (long)ev, 0, 0);
    CHECK(n == 0, "epoll_ctl MOD, upper bits set in the fds: %ld", n);
    n = sc3(SYS_read, hi | efd, (long)&one, 8);
    CHECK(n == 8 && one == 1, "read, upper bits set in the fd: %ld", n);
    n = sc3(SYS_fcntl, hi | efd, 1 /* F_GETFD */, 0);
    CHECK(n >= 0, "fcntl, upper bits set in the fd: %ld", n);
    n = sc3(SYS_kill, hi | pid1, hi | 0, 0);
    CHECK(n == 0, "kill(pid, 0), upper bits set in both: %ld", n);
    CHECK(sc1(SYS_close, hi | efd) == 0 && sc1(SYS_close, hi | ep) == 0, "close, upper bits set in the fd");

    check_flags();
    check_df_signals();

    check_regs("getpid", regtest, SYS_getpid, pid1);
    check_regs("syscall 1000", regtest, 1000, -ENOSYS);
    check_regs("getppid", regtest, SYS_getppid, ppid);
    for (int i = 1; i <= 3; i++) {
        char what[64];
        snprintf(what, sizeof what, "mov $39,%%eax; syscall (call %d)", i);
        check_regs(what, regtest_getpid, 0, pid1);
    }

    printf("%s\n", failures ? "raw_syscall: FAILED" : "raw_syscall: all ok");
    return failures ? 1 : 0;
}
