/* zombie_proc.c - /proc of a zombie child (forked or spawned, ended, not reaped): what its files say. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* show - the zombie p's files (a spawned one's SigIgn is what it had
 * ignored at its end, not compared). */
static void show(pid_t p, const char *how)
{
    char path[64], buf[4096];
    const char *names[] = { "status", "cmdline", "comm", "stat", "environ" };
    for (int i = 0; i < 5; i++) {
        snprintf(path, sizeof path, "/proc/%d/%s", p, names[i]);
        FILE *f = fopen(path, "r");
        if (!f) {
            printf("%s %s: %s\n", how, names[i], strerror(errno));
            continue;
        }
        size_t n = fread(buf, 1, sizeof buf - 1, f);
        buf[n] = 0;
        fclose(f);
        if (i == 0) {
            for (char *l = strtok(buf, "\n"); l; l = strtok(NULL, "\n"))
                if ((!strncmp(l, "Sig", 3) && strncmp(l, "SigQ", 4) && strncmp(l, "SigIgn", 6)) ||
                    !strncmp(l, "Umask", 5) || !strncmp(l, "State", 5) || !strncmp(l, "Threads", 7) ||
                    !strncmp(l, "Vm", 2))
                    printf("%s %s\n", how, l);
        } else if (i == 3) {
            char *s = strrchr(buf, ')');
            printf("%s stat: state %c\n", how, s ? s[2] : '?');
        } else {
            printf("%s %s: %zu bytes\n", how, names[i], n);
        }
    }
    snprintf(path, sizeof path, "/proc/%d/exe", p);
    printf("%s exe: %s\n", how, readlink(path, buf, sizeof buf) < 0 ? strerror(errno) : "a link");
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    pid_t p = fork();
    if (p == 0)
        _exit(0);
    usleep(200000);
    show(p, "forked");
    waitpid(p, NULL, 0);
    char *av[] = { "true", NULL };
    if (posix_spawn(&p, "/bin/true", NULL, NULL, av, environ) == 0) {
        usleep(200000);
        show(p, "spawned");
        waitpid(p, NULL, 0);
    }
    return 0;
}
