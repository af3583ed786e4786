/* cpuid_race.c - four threads run 300 CPUID sites in step: where CPUID faults, each site's first faults race its rewrite. */
#include <cpuid.h>
#include <pthread.h>
#include <stdio.h>

/* Every thread meets each site for the first time together: one thread's
 * fault rewrites the site while another's, taken on the old bytes, is
 * still on its way (a JVM died of it, 1 run in 30: OrderAccess's CPUID). */
static pthread_barrier_t bar;
static volatile unsigned sink;

#define F(n) __attribute__((noinline)) static void f##n(void) { unsigned a, b, c, d; __cpuid(n & 1, a, b, c, d); sink += a ^ b; }
#define F10(n) F(n##0) F(n##1) F(n##2) F(n##3) F(n##4) F(n##5) F(n##6) F(n##7) F(n##8) F(n##9)
#define F100(n) F10(n##0) F10(n##1) F10(n##2) F10(n##3) F10(n##4) F10(n##5) F10(n##6) F10(n##7) F10(n##8) F10(n##9)
F100(1) F100(2) F100(3)
#define T(n) f##n,
#define T10(n) T(n##0) T(n##1) T(n##2) T(n##3) T(n##4) T(n##5) T(n##6) T(n##7) T(n##8) T(n##9)
#define T100(n) T10(n##0) T10(n##1) T10(n##2) T10(n##3) T10(n##4) T10(n##5) T10(n##6) T10(n##7) T10(n##8) T10(n##9)
static void (*const sites[])(void) = { T100(1) T100(2) T100(3) };

static void *run(void *arg)
{
    (void)arg;
    pthread_barrier_wait(&bar);
    for (unsigned i = 0; i < sizeof(sites) / sizeof(sites[0]); i++)
        sites[i]();
    return NULL;
}

int main(void)
{
    pthread_t t[4];
    pthread_barrier_init(&bar, NULL, 4);
    for (int i = 0; i < 4; i++)
        pthread_create(&t[i], NULL, run, NULL);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    printf("%zu CPUID sites on 4 threads: done\n", sizeof(sites) / sizeof(sites[0]));
    return 0;
}
