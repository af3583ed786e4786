/* reload.c - dlopen a library, call its raw syscall 200 times, dlclose it,
 * and again, ROUNDS times: the library is mapped anew (often at the same
 * address), with its syscall instruction as it is in the file. Prints the
 * calls' agreement with getppid(); exits 0 if every call agreed. */
#include <dlfcn.h>
#include <stdio.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    const char *lib = argc > 1 ? argv[1] : "./librelib.so";
    int bad = 0, rounds = 5;
    for (int r = 0; r < rounds; r++) {
        void *h = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
        if (!h) {
            fprintf(stderr, "dlopen: %s\n", dlerror());
            return 2;
        }
        long (*fn)(void) = (long (*)(void))dlsym(h, "relib_getppid");
        for (int i = 0; fn && i < 200; i++)
            bad += fn() != getppid();
        dlclose(h);
    }
    printf("%d rounds of 200 calls, %d wrong\n", rounds, bad);
    return bad != 0;
}
