/* Vector and FP control state survives preemption.
 *
 * Two threads each load their own values into ymm0-15, their own MXCSR
 * rounding mode and x87 control word, then spin in one asm loop that keeps
 * all of it in registers (each round adds and subtracts a constant in every
 * ymm register, so the values come back) until main, which sleeps 300 ms,
 * says stop. Meant for one CPU (taskset -c 0 natively, --cpus 1 under
 * pegasus), where the threads can only take turns by being preempted; a
 * runtime that does not save vector state at preemption mixes them up.
 * Built with -mavx2. Exits 0 when both threads got their values back. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static atomic_int stop;

/* spin_ymm(in, out, stopflag, fpu) -> rounds. fpu[0] = MXCSR to load,
 * fpu[1] = x87 CW to load; fpu[2], fpu[3] = what they were at the end. */
__asm__(".text\n"
        ".globl spin_ymm\n"
        ".type spin_ymm,@function\n"
        "spin_ymm:\n"
        "  ldmxcsr 0(%rcx)\n"
        "  fldcw 4(%rcx)\n"
        "  .irp r,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15\n"
        "  vmovdqu \\r*32(%rdi), %ymm\\r\n"
        "  .endr\n"
        "  xor %eax, %eax\n"
        "1:\n"
        "  mov $1000, %r8d\n"
        "2:\n"
        "  .irp r,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15\n"
        "  vpaddd %ymm\\r, %ymm\\r, %ymm\\r\n" /* x2 ... */
        "  .endr\n"
        "  .irp r,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15\n"
        "  vpsrld $1, %ymm\\r, %ymm\\r\n" /* ... /2: back (values < 2^31) */
        "  .endr\n"
        "  dec %r8d\n"
        "  jnz 2b\n"
        "  inc %rax\n"
        "  cmpl $0, (%rdx)\n"
        "  je 1b\n"
        "  .irp r,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15\n"
        "  vmovdqu %ymm\\r, \\r*32(%rsi)\n"
        "  .endr\n"
        "  stmxcsr 8(%rcx)\n"
        "  fnstcw 12(%rcx)\n"
        "  vzeroupper\n"
        "  ret\n"
        ".size spin_ymm, .-spin_ymm\n");
long spin_ymm(const void *in, void *out, atomic_int *stopflag, uint32_t *fpu);

struct job {
    int id;
    uint32_t in[16][8], out[16][8];
    uint32_t fpu[4];
    long rounds;
};

static void *run(void *arg)
{
    struct job *j = arg;
    j->rounds = spin_ymm(j->in, j->out, &stop, j->fpu);
    /* back to the defaults for the C code that follows */
    uint32_t d[2] = { 0x1f80, 0x37f };
    __asm__ volatile("ldmxcsr %0\n\tfldcw %1" : : "m"(d[0]), "m"(d[1]));
    return NULL;
}

int main(void)
{
    static struct job j[2];
    pthread_t t[2];
    for (int k = 0; k < 2; k++) {
        j[k].id = k;
        for (int r = 0; r < 16; r++)
            for (int l = 0; l < 8; l++)
                j[k].in[r][l] = (uint32_t)((k + 1) * 0x01000000u + r * 0x10000u + l * 0x100u + 0x11u) & 0x7fffffffu;
        /* rounding: down for thread 0, up for thread 1; all exceptions masked */
        j[k].fpu[0] = k == 0 ? 0x3f80 : 0x5f80;
        /* x87: round to nearest / toward zero, double / extended precision */
        j[k].fpu[1] = k == 0 ? 0x027f : 0x0f7f;
    }
    for (int k = 0; k < 2; k++)
        pthread_create(&t[k], NULL, run, &j[k]);
    struct timespec ts = { 0, 300000000 };
    nanosleep(&ts, NULL);
    atomic_store(&stop, 1);
    int bad = 0;
    for (int k = 0; k < 2; k++) {
        pthread_join(t[k], NULL);
        int ymm_ok = memcmp(j[k].in, j[k].out, sizeof j[k].in) == 0;
        int mx_ok = (j[k].fpu[2] & 0xffc0) == (j[k].fpu[0] & 0xffc0); /* flags may be set */
        int cw_ok = (j[k].fpu[3] & 0xffff) == (j[k].fpu[1] & 0xffff);
        printf("thread %d: ymm0-15 %s, MXCSR %s, x87 CW %s, ran: %s\n", k, ymm_ok ? "kept" : "CHANGED",
               mx_ok ? "kept" : "CHANGED", cw_ok ? "kept" : "CHANGED", j[k].rounds > 0 ? "yes" : "no");
        if (!ymm_ok) {
            for (int r = 0; r < 16; r++)
                if (memcmp(j[k].in[r], j[k].out[r], 32))
                    printf("  ymm%d: %08x... expected %08x...\n", r, j[k].out[r][0], j[k].in[r][0]);
        }
        if (!mx_ok || !cw_ok)
            printf("  MXCSR %#x (want %#x), CW %#x (want %#x)\n", j[k].fpu[2], j[k].fpu[0], j[k].fpu[3],
                   j[k].fpu[1]);
        bad += !ymm_ok || !mx_ok || !cw_ok || j[k].rounds <= 0;
    }
    return bad ? 1 : 0;
}
