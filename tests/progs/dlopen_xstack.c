/* dlopen_xstack: a program whose stack is not executable loads a library
 * linked with -z execstack: glibc makes the main stack (mprotect with
 * PROT_GROWSDOWN) and the threads' stacks executable, and the library's
 * trampolines run on both. Prints each stack's permissions from
 * /proc/self/maps.
 *
 *   dlopen_xstack [LIBRARY]
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <pthread.h>
#include <dlfcn.h>
static void perms(const char *tag, void *addr) {
    FILE *f = fopen("/proc/self/maps", "r"); char l[512];
    while (fgets(l, sizeof l, f)) { unsigned long a, b; char p[8]; if (sscanf(l, "%lx-%lx %7s", &a, &b, p) == 3 && (unsigned long)addr >= a && (unsigned long)addr < b) { printf("%s: %s\n", tag, p); break; } }
    fclose(f);
}
static void *thr(void *a) { int x; perms("thread stack", &x); if (a) { int (*fn)(int) = (int (*)(int))a; printf("thread lib call: %d\n", fn(3)); } return NULL; }
int main(int argc, char **argv) {
    int x; perms("main stack", &x);
    pthread_t t; pthread_create(&t, NULL, thr, NULL); pthread_join(t, NULL);
    if (argc > 1) {
        void *h = dlopen(argv[1], RTLD_NOW);
        if (!h) { printf("dlopen: %s\n", dlerror()); return 1; }
        perms("main stack after dlopen", &x);
        int (*fn)(int) = (int (*)(int))dlsym(h, "libfn");
        printf("main lib call: %d\n", fn(2));
        pthread_create(&t, NULL, thr, (void *)fn); pthread_join(t, NULL);
    }
    return 0;
}
