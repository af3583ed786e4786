/* stack_depth.c - recurse N KiB deep on the main thread's stack: how far the
 * stack may grow is RLIMIT_STACK's at exec (`ulimit -s` in a shell).
 *
 *   stack_depth KIB    exit 0 if it got that deep (else the fault kills it)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int dive(int kib)
{
    volatile char frame[1024];
    memset((char *)frame, kib, sizeof frame);
    return kib ? dive(kib - 1) + frame[7] : frame[0];
}

int main(int argc, char **argv)
{
    int kib = argc > 1 ? atoi(argv[1]) : 1024;
    return dive(kib) == -1;
}
