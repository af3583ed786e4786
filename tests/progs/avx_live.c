/* Vector state must survive system calls and signal handlers.
 *
 * - ymm0-15, MXCSR and the x87 control word live across raw `syscall`
 *   instructions (getpid, sched_yield, an unknown number);
 * - ymm0-15 live across a call to glibc's write();
 * - ymm0-15 live across a signal delivered at a raw tgkill, whose handler
 *   clobbers every vector register and MXCSR;
 * - zmm0-31 and k0-7 across raw syscalls, when AVX-512 is available: a
 *   lean one, one the runtime serves with library code, one that blocks.
 *
 * Built with -mavx2. Exits 0 when all checks held, 1 otherwise. */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static int failures;

static void report(const char *what, int ok)
{
    printf("%s %s\n", ok ? "ok  " : "FAIL", what);
    if (!ok)
        failures++;
}

/* ymm_syscall(in, out, nr, fpu): loads ymm0-15 from in[16][32], MXCSR from
 * fpu[0] and the x87 control word from fpu[1], does `syscall` with rax=nr,
 * then stores ymm0-15 to out and MXCSR/FCW to fpu[2]/fpu[3]. */
__asm__(".text\n"
        ".globl ymm_syscall\n"
        ".type ymm_syscall,@function\n"
        "ymm_syscall:\n"
        "  ldmxcsr 0(%rcx)\n"
        "  fldcw 4(%rcx)\n"
        "  .irp r,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15\n"
        "  vmovdqu \\r*32(%rdi), %ymm\\r\n"
        "  .endr\n"
        "  push %rcx\n"
        "  mov %rdx, %rax\n"
        "  syscall\n"
        "  pop %rcx\n"
        "  .irp r,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15\n"
        "  vmovdqu %ymm\\r, \\r*32(%rsi)\n"
        "  .endr\n"
        "  stmxcsr 8(%rcx)\n"
        "  fnstcw 12(%rcx)\n"
        "  mov $0x1f80, %eax\n"
        "  mov %eax, 16(%rcx)\n"
        "  ldmxcsr 16(%rcx)\n"
        "  mov $0x37f, %eax\n"
        "  mov %eax, 16(%rcx)\n"
        "  fldcw 16(%rcx)\n"
        "  vzeroupper\n"
        "  ret\n"
        ".size ymm_syscall, .-ymm_syscall\n");
void ymm_syscall(const void *in, void *out, long nr, uint32_t *fpu);

/* ymm_getpid(in, out): ymm0-15 across `mov $39, %eax; syscall`, the shape
 * a runtime may rewrite after the first trap; called several times. */
__asm__(".text\n"
        ".globl ymm_getpid\n"
        ".type ymm_getpid,@function\n"
        "ymm_getpid:\n"
        "  .irp r,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15\n"
        "  vmovdqu \\r*32(%rdi), %ymm\\r\n"
        "  .endr\n"
        "  mov $39, %eax\n"
        "  syscall\n"
        "  .irp r,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15\n"
        "  vmovdqu %ymm\\r, \\r*32(%rsi)\n"
        "  .endr\n"
        "  vzeroupper\n"
        "  ret\n"
        ".size ymm_getpid, .-ymm_getpid\n");
void ymm_getpid(const void *in, void *out);

/* ymm_call(in, out, fn, buf, len): loads ymm0-15, calls fn(1, buf, len),
 * stores ymm0-15. */
__asm__(".text\n"
        ".globl ymm_call\n"
        ".type ymm_call,@function\n"
        "ymm_call:\n"
        "  push %rbx\n"
        "  push %r12\n"
        "  push %r13\n" /* %rsp is now 16-byte aligned */
        "  mov %rsi, %rbx\n"
        "  mov %rdx, %r12\n"
        "  .irp r,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15\n"
        "  vmovdqu \\r*32(%rdi), %ymm\\r\n"
        "  .endr\n"
        "  mov $1, %edi\n"
        "  mov %rcx, %rsi\n"
        "  mov %r8, %rdx\n"
        "  call *%r12\n"
        "  .irp r,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15\n"
        "  vmovdqu %ymm\\r, \\r*32(%rbx)\n"
        "  .endr\n"
        "  vzeroupper\n"
        "  pop %r13\n"
        "  pop %r12\n"
        "  pop %rbx\n"
        "  ret\n"
        ".size ymm_call, .-ymm_call\n");
void ymm_call(const void *in, void *out, void *fn, const char *buf, size_t len);

/* ymm_tgkill(in, out, pid, tid, sig): loads ymm0-15, does a raw
 * tgkill(pid, tid, sig) so the signal is delivered on the way back, then
 * stores ymm0-15. */
__asm__(".text\n"
        ".globl ymm_tgkill\n"
        ".type ymm_tgkill,@function\n"
        "ymm_tgkill:\n"
        "  push %rbx\n"
        "  push %r12\n"
        "  mov %rdi, %rbx\n"
        "  mov %rsi, %r12\n"
        "  .irp r,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15\n"
        "  vmovdqu \\r*32(%rbx), %ymm\\r\n"
        "  .endr\n"
        "  mov %rdx, %rdi\n"
        "  mov %rcx, %rsi\n"
        "  mov %r8, %rdx\n"
        "  mov $234, %eax\n" /* tgkill */
        "  syscall\n"
        "  .irp r,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15\n"
        "  vmovdqu %ymm\\r, \\r*32(%r12)\n"
        "  .endr\n"
        "  vzeroupper\n"
        "  pop %r12\n"
        "  pop %rbx\n"
        "  ret\n"
        ".size ymm_tgkill, .-ymm_tgkill\n");
void ymm_tgkill(const void *in, void *out, long pid, long tid, long sig);

/* zmm_syscall(in, out, nr, a0, a1, a2): zmm0-31 from in[32][64], k0-7
 * from in[2048 + 8*r] (16 bits each, AVX512F kmovw); syscall nr(a0, a1,
 * a2); store back the same layout. */
__asm__(".text\n"
        ".globl zmm_syscall\n"
        ".type zmm_syscall,@function\n"
        "zmm_syscall:\n"
        "  push %rsi\n"
        "  .irp r,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31\n"
        "  vmovdqu64 \\r*64(%rdi), %zmm\\r\n"
        "  .endr\n"
        "  .irp r,1,2,3,4,5,6,7\n"
        "  kmovw 2048+\\r*8(%rdi), %k\\r\n"
        "  .endr\n"
        "  mov %rdx, %rax\n"
        "  mov %rcx, %rdi\n"
        "  mov %r8, %rsi\n"
        "  mov %r9, %rdx\n"
        "  syscall\n"
        "  pop %rsi\n"
        "  .irp r,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31\n"
        "  vmovdqu64 %zmm\\r, \\r*64(%rsi)\n"
        "  .endr\n"
        "  .irp r,1,2,3,4,5,6,7\n"
        "  kmovw %k\\r, 2048+\\r*8(%rsi)\n"
        "  .endr\n"
        "  vzeroupper\n"
        "  ret\n"
        ".size zmm_syscall, .-zmm_syscall\n");
void zmm_syscall(const void *in, void *out, long nr, long a0, long a1, long a2);

static unsigned char in[16 * 32], out[16 * 32];
static unsigned char zin[32 * 64 + 64], zout[32 * 64 + 64];
static volatile int handled;
static uint32_t handler_mxcsr;

/* Writes one byte to the pipe once the reader has had time to block. */
static void *late_writer(void *arg)
{
    usleep(50000);
    if (write(*(int *)arg, "x", 1) != 1)
        failures++;
    return NULL;
}

static void fill(unsigned char *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (unsigned char)(seed * 131 + i * 7 + 1);
}

static int compare(const unsigned char *a, const unsigned char *b, int nregs, int width,
                   const char *what)
{
    int ok = 1;
    for (int r = 0; r < nregs; r++) {
        const unsigned char *x = a + r * width, *y = b + r * width;
        if (memcmp(x, y, 16) != 0) {
            printf("     %s: low 128 bits of register %d changed\n", what, r);
            ok = 0;
        } else if (memcmp(x + 16, y + 16, width - 16) != 0) {
            printf("     %s: upper bits of register %d changed\n", what, r);
            ok = 0;
        }
    }
    return ok;
}

static void clobber_handler(int sig)
{
    (void)sig;
    uint32_t m;
    __asm__ volatile("stmxcsr %0" : "=m"(m));
    handler_mxcsr = m;
    /* Clobber every vector register and the rounding mode. */
    uint32_t rz = 0x7f80;
    __asm__ volatile("ldmxcsr %0\n"
                     "vpcmpeqd %%ymm0, %%ymm0, %%ymm0\n"
                     ".irp r,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15\n"
                     "vmovdqa %%ymm0, %%ymm\\r\n"
                     ".endr\n"
                     :
                     : "m"(rz)
                     : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8",
                       "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15");
    volatile double d = 1.0;
    for (int i = 0; i < 10; i++)
        d = d * 3.0 / 7.0;
    handled++;
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    __builtin_cpu_init();
    if (!__builtin_cpu_supports("avx2")) {
        printf("avx2 not available: nothing to check\n");
        return 0;
    }

    static const struct {
        const char *name;
        long nr;
    } calls[] = {{"getpid", SYS_getpid}, {"sched_yield", SYS_sched_yield}, {"syscall 1000", 1000}};
    for (unsigned i = 0; i < sizeof calls / sizeof calls[0]; i++) {
        char what[96];
        uint32_t fpu[5] = {0x7f80 /* round toward zero, all masked */, 0x27f /* x87 53-bit */,
                           0, 0, 0};
        fill(in, sizeof in, i + 1);
        memset(out, 0, sizeof out);
        ymm_syscall(in, out, calls[i].nr, fpu);
        snprintf(what, sizeof what, "ymm0-15 across raw %s", calls[i].name);
        report(what, compare(in, out, 16, 32, what));
        snprintf(what, sizeof what, "MXCSR and x87 control word across raw %s", calls[i].name);
        report(what, fpu[2] == 0x7f80 && fpu[3] == 0x27f);
    }

    for (int i = 1; i <= 3; i++) {
        char what[96];
        fill(in, sizeof in, 20 + i);
        memset(out, 0, sizeof out);
        ymm_getpid(in, out);
        snprintf(what, sizeof what, "ymm0-15 across mov $39,%%eax; syscall (call %d)", i);
        report(what, compare(in, out, 16, 32, what));
    }

    /* Bind write() first so lazy binding is out of the picture. */
    static const char line[] = "a line from glibc write()\n";
    if (write(1, line, sizeof line - 1) != sizeof line - 1)
        failures++;
    for (int i = 1; i <= 3; i++) {
        char what[96];
        fill(in, sizeof in, 7 + i);
        memset(out, 0, sizeof out);
        ymm_call(in, out, (void *)write, line, sizeof line - 1);
        snprintf(what, sizeof what, "ymm0-15 across glibc write() (call %d)", i);
        report(what, compare(in, out, 16, 32, what));
    }

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = clobber_handler;
    sigaction(SIGUSR1, &sa, NULL);
    fill(in, sizeof in, 9);
    memset(out, 0, sizeof out);
    long pid = getpid(), tid = syscall(SYS_gettid);
    uint32_t before = 0x5f80 /* round down */, after;
    __asm__ volatile("ldmxcsr %0" : : "m"(before));
    ymm_tgkill(in, out, pid, tid, SIGUSR1);
    __asm__ volatile("stmxcsr %0" : "=m"(after));
    uint32_t dflt = 0x1f80;
    __asm__ volatile("ldmxcsr %0" : : "m"(dflt));
    report("signal handler ran once at the raw tgkill", handled == 1);
    report("ymm0-15 across a signal handler that clobbers them",
           compare(in, out, 16, 32, "ymm0-15 across a signal handler"));
    report("MXCSR restored after the handler", before == after);
    printf("     handler started with MXCSR %#x\n", handler_mxcsr);

    if (__builtin_cpu_supports("avx512f")) {
        /* A lean call, a call the runtime serves with library code (a path
         * and a log line), and a read that blocks until another thread
         * writes (the reader's uthread is switched out and back). */
        int pfd[2];
        pthread_t th;
        char byte;
        if (pipe(pfd) || pthread_create(&th, NULL, late_writer, &pfd[1]))
            failures++;
        const struct {
            const char *name;
            long nr, a0, a1, a2;
        } zcalls[] = {{"getpid", SYS_getpid, 0, 0, 0},
                      {"openat of a missing file", SYS_openat, AT_FDCWD, (long)"/nonexistent/avx", O_RDONLY},
                      {"unknown syscall 1001", 1001, 0, 0, 0},
                      {"read that blocks", SYS_read, 0, (long)&byte, 1}};
        for (unsigned i = 0; i < sizeof zcalls / sizeof zcalls[0]; i++) {
            char what[96];
            long a0 = zcalls[i].nr == SYS_read ? pfd[0] : zcalls[i].a0;
            fill(zin, sizeof zin, 11 + i);
            memset(zout, 0, sizeof zout);
            zmm_syscall(zin, zout, zcalls[i].nr, a0, zcalls[i].a1, zcalls[i].a2);
            snprintf(what, sizeof what, "zmm0-31 across raw %s", zcalls[i].name);
            report(what, compare(zin, zout, 32, 64, what));
            int kok = 1;
            for (int r = 1; r < 8; r++)
                kok &= memcmp(zin + 2048 + 8 * r, zout + 2048 + 8 * r, 2) == 0;
            snprintf(what, sizeof what, "k1-7 across raw %s", zcalls[i].name);
            report(what, kok);
        }
        pthread_join(th, NULL);
    } else {
        printf("     avx512 not available: zmm/k checks skipped\n");
    }

    printf("%s\n", failures ? "avx_live: FAILED" : "avx_live: all ok");
    return failures ? 1 : 0;
}
