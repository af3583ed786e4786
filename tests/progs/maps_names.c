/* maps_names: /proc/self/maps names the break, the main stack and the
 * vDSO pages as Linux does: which named lines there are, that a local
 * lies in [stack] and memory from sbrk in [heap], and that each line's
 * name starts where the kernel puts it. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(void)
{
    char *grown = sbrk(8192); /* the break moves: a [heap] line */
    volatile char here = 0;
    if (grown == (void *)-1)
        return 2;
    grown[0] = 1;
    FILE *f = fopen("/proc/self/maps", "r");
    if (!f)
        return 2;
    char line[512];
    static const char *const names[] = { "[heap]\n", "[stack]\n", "[vdso]\n", "[vvar]\n", "[vsyscall]\n" };
    int seen[5] = { 0 };
    int local_in = 0, brk_in = 0, column_ok = 1;
    while (fgets(line, sizeof line, f)) {
        unsigned long lo, hi;
        char *name = strchr(line, '[');
        if (!name || sscanf(line, "%lx-%lx", &lo, &hi) != 2)
            continue;
        column_ok &= name - line == 73;
        for (int i = 0; i < 5; i++)
            seen[i] += !strcmp(name, names[i]);
        if (!strcmp(name, "[stack]\n"))
            local_in = (unsigned long)&here >= lo && (unsigned long)&here < hi;
        if (!strcmp(name, "[heap]\n"))
            brk_in = (unsigned long)grown >= lo && (unsigned long)grown + 8192 <= hi;
    }
    for (int i = 0; i < 5; i++) /* where they lie differs: in a fixed order */
        printf("%d x %s", seen[i], names[i]);
    printf("a local in [stack]: %s\nsbrk's memory in [heap]: %s\nnames at column 73: %s\n", local_in ? "yes" : "no",
           brk_in ? "yes" : "no", column_ok ? "yes" : "no");
    return 0;
}
