/* exec_stack: a program linked with an executable stack (PT_GNU_STACK
 * RWE), as GCC's nested functions need: their trampolines run on the
 * stack, the main thread's and a new thread's. */
#include <pthread.h>
#include <stdio.h>

static void call(void (*f)(void)) { f(); }

static void *thread(void *arg)
{
    int x = 41;
    void inc(void) { x++; }
    call(inc);
    printf("thread: %d\n", x);
    return arg;
}

int main(void)
{
    int y = 1;
    void inc(void) { y++; }
    call(inc);
    printf("main: %d\n", y);
    pthread_t t;
    pthread_create(&t, NULL, thread, NULL);
    pthread_join(t, NULL);
    return 0;
}
