/* Non-PIE programs that exec others at fixed addresses (built static,
 * not position-independent, at 0x400000; Go's toolchain and gcc's driver
 * are such programs). Run a few times in one instance, so that call sites
 * seen by the first run are rewritten as the image is mapped.
 *
 *   nonpie_exec                  prints a line and exits 0
 *   nonpie_big big               (built with BIG) a 20 MiB .bss: the
 *                                image spans 0x400000-~0x1800000 (an
 *                                arena for the stubs of the first runs'
 *                                sites was made at 0x1000000: its exec
 *                                failed, ENOMEM)
 *   nonpie_exec vfork PROG...    vfork, exec PROG in the child, print how
 *                                it ended (a failed exec: 99); a child
 *                                whose exec failed in a host process of
 *                                its own died of SIGSEGV on its parent's
 *                                memory, gone there
 *   nonpie_exec exec PROG...     exec PROG, or print the error
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#ifdef BIG
static char big[20 << 20];
#else
static char big[1 << 12];
#endif

int main(int argc, char **argv)
{
    if (argc < 2) {
        puts("nonpie_exec: nothing to do");
        return 0;
    }
    if (!strcmp(argv[1], "big")) {
        big[12345] = 1;
        puts("big: ran");
        return big[12345] - 1;
    }
    if (argc < 3)
        return 2;
    if (!strcmp(argv[1], "exec")) {
        execv(argv[2], argv + 2);
        printf("exec %s: %s\n", argv[2], strerror(errno));
        return 1;
    }
    fflush(stdout);
    pid_t p = vfork();
    if (p == 0) {
        execv(argv[2], argv + 2);
        _exit(99);
    }
    int st = 0;
    waitpid(p, &st, 0);
    if (WIFSIGNALED(st))
        printf("vfork child: killed by signal %d\n", WTERMSIG(st));
    else
        printf("vfork child: exit %d\n", WEXITSTATUS(st));
    return 0;
}
