/* vfork_ctty.c - a vfork child that calls setsid, makes a pty its
 * controlling terminal (TIOCSCTTY) and execs, as Go's os/exec does with
 * Setsid and Setctty: the ioctl succeeds and the program it execs has the
 * terminal (/dev/tty opens, tcgetsid names its session). Its output comes
 * back through the pty's master. An exec that fails after it returns its
 * error to the child. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    int m = posix_openpt(O_RDWR | O_NOCTTY);
    if (m < 0 || grantpt(m) || unlockpt(m))
        return 2;
    int s = open(ptsname(m), O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (s < 0)
        return 2;
    volatile int err = 0;
    pid_t p = vfork();
    if (p == 0) {
        if (setsid() < 0 || dup2(s, 0) < 0 || dup2(s, 1) < 0 || dup2(s, 2) < 0 || ioctl(0, TIOCSCTTY, 0) < 0) {
            err = errno;
            _exit(126);
        }
        execv(argv[1], argv + 1);
        _exit(127);
    }
    close(s);
    printf("setsid and TIOCSCTTY in the vfork child: %s\n", err ? strerror(err) : "ok");
    char buf[4096];
    ssize_t n;
    while ((n = read(m, buf, sizeof buf)) > 0) /* EIO once the child's side closes */
        for (ssize_t i = 0; i < n; i++)
            if (buf[i] != '\r')
                putchar(buf[i]);
    int st;
    waitpid(p, &st, 0);
    printf("status %d\n", WEXITSTATUS(st));
    /* The same, exec'ing what cannot be run (no ELF, no #!): the error
     * comes back to the child, as natively. */
    char bad[] = "/tmp/vfork_cttyXXXXXX";
    int b = mkstemp(bad);
    if (b < 0 || write(b, "not a program\n", 14) != 14 || fchmod(b, 0755))
        return 2;
    close(b);
    s = open(ptsname(m), O_RDWR | O_NOCTTY | O_CLOEXEC);
    err = 0;
    p = vfork();
    if (p == 0) {
        if (setsid() < 0 || ioctl(s, TIOCSCTTY, 0) < 0) {
            err = errno;
            _exit(126);
        }
        execl(bad, bad, (char *)0);
        err = errno;
        _exit(127);
    }
    waitpid(p, &st, 0);
    unlink(bad);
    printf("exec of a file that is no program: %s, %s %d\n", strerror(err),
           WIFSIGNALED(st) ? "killed by" : "status", WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
    return 0;
}
