/* orphan_gone.c - a grandchild orphaned into the host's init (`sh -c
 * 'sleep 100 & echo $!'`), then killed: reaped outside the instance, it
 * is gone for every call that names its pid (getpgid and getsid said its
 * old group and session, and /proc listed it: monit's check that a
 * stopped service is gone never ended). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *said(long r)
{
    return r >= 0 ? "ok" : errno == ESRCH ? "ESRCH" : strerror(errno);
}

static int listed(int pid)
{
    DIR *d = opendir("/proc");
    struct dirent *e;
    int found = 0;
    while (d && (e = readdir(d)))
        found |= atoi(e->d_name) == pid;
    if (d)
        closedir(d);
    return found;
}

static int there(int pid)
{
    char p[32];
    snprintf(p, sizeof p, "/proc/%d", pid);
    return !access(p, F_OK);
}

/* kill 0 last: its failure once dropped the record the others read. */
static void show(const char *when, int pid)
{
    const char *pg = said(getpgid(pid)), *sid = said(getsid(pid));
    int l = listed(pid), t = there(pid);
    printf("%s: getpgid %s, getsid %s, /proc/PID %s, listed %d, kill 0 %s\n", when, pg, sid, t ? "there" : "gone", l,
           said(kill(pid, 0)));
}

int main(void)
{
    int fd[2];
    if (pipe(fd))
        return 2;
    pid_t sh = fork();
    if (sh == 0) {
        dup2(fd[1], 1);
        execl("/bin/sh", "sh", "-c", "sleep 100 & echo $!", (char *)0);
        _exit(127);
    }
    close(fd[1]);
    char b[32] = "";
    (void)!read(fd[0], b, sizeof b - 1);
    waitpid(sh, NULL, 0);
    int pid = atoi(b);
    show("alive", pid);
    kill(pid, SIGTERM);
    /* Until the host's init has reaped it. */
    for (int i = 0; i < 500 && there(pid); i++)
        nanosleep(&(struct timespec){ 0, 10000000 }, NULL);
    show("killed", pid);
    return 0;
}
