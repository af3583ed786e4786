/* vec_futex.c - vector registers live across futex waits that switch threads.
 *
 * Two threads take turns through raw FUTEX_WAIT/FUTEX_WAKE syscalls while
 * each keeps its own values in ymm registers (and zmm and an opmask where
 * the CPU has AVX-512) across the syscall: a runtime that switches threads
 * inside the call must give each thread its own vector state back. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <immintrin.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/syscall.h>

static int turn;
static int bad;
static int avx512;

static long fx(int *a, int op, int v)
{
    long r;
    register long r10 __asm__("r10") = 0;
    __asm__ volatile("syscall" : "=a"(r) : "a"(SYS_futex), "D"(a), "S"(op), "d"(v), "r"(r10)
                     : "rcx", "r11", "memory");
    return r;
}

__attribute__((target("avx2"))) static void ymm_round(long id, __m256i *v1, __m256i *v2)
{
    __asm__ volatile("" : "+x"(*v1), "+x"(*v2));
    int32_t o[8];
    _mm256_storeu_si256((void *)o, *v1);
    bad += o[7] != 0x1000 + id;
    _mm256_storeu_si256((void *)o, *v2);
    bad += o[3] != 0x2000 + id;
}

__attribute__((target("avx512f"))) static void zmm_turns(long id)
{
    __m512i z = _mm512_set1_epi64(0x30000 + id);
    __mmask16 k = (__mmask16)(0x5a00 + id);
    for (int i = 0; i < 5000; i++) {
        while (__atomic_load_n(&turn, __ATOMIC_ACQUIRE) != id)
            fx(&turn, FUTEX_WAIT_PRIVATE, !id);
        __asm__ volatile("" : "+v"(z), "+k"(k));
        int64_t q[8];
        _mm512_storeu_si512(q, z);
        bad += q[5] != 0x30000 + id;
        bad += k != (__mmask16)(0x5a00 + id);
        __atomic_store_n(&turn, !id, __ATOMIC_RELEASE);
        fx(&turn, FUTEX_WAKE_PRIVATE, 1);
    }
}

__attribute__((target("avx2"))) static void *th(void *arg)
{
    long id = (long)arg;
    __m256i v1 = _mm256_set1_epi32(0x1000 + id), v2 = _mm256_set1_epi32(0x2000 + id);
    for (int i = 0; i < 5000; i++) {
        while (__atomic_load_n(&turn, __ATOMIC_ACQUIRE) != id)
            fx(&turn, FUTEX_WAIT_PRIVATE, !id);
        ymm_round(id, &v1, &v2);
        __atomic_store_n(&turn, !id, __ATOMIC_RELEASE);
        fx(&turn, FUTEX_WAKE_PRIVATE, 1);
    }
    if (avx512)
        zmm_turns(id);
    return NULL;
}

int main(void)
{
    __builtin_cpu_init();
    if (!__builtin_cpu_supports("avx2")) {
        printf("no AVX2: nothing to check\n");
        return 0;
    }
    avx512 = __builtin_cpu_supports("avx512f");
    pthread_t a, b;
    pthread_create(&a, NULL, th, (void *)0);
    pthread_create(&b, NULL, th, (void *)1);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    printf("vector registers wrong after a futex switch: %d\n", bad);
    return bad != 0;
}
