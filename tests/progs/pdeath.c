/* pdeath.c - PR_SET_PDEATHSIG of a grandchild whose parent exits, or is
 * SIGKILLed (no runtime code runs in its process then): the signal comes,
 * once. */
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>
static volatile sig_atomic_t got;
static void h(int s) { (void)s; got++; }
int main(void)
{
    for (int how = 0; how < 2; how++) {
        int a[2];
        pipe(a);
        pid_t p = fork();
        if (!p) {
            if (!fork()) {
                signal(SIGUSR2, h);
                prctl(PR_SET_PDEATHSIG, SIGUSR2);
                write(a[1], "r", 1);
                while (!got)
                    pause();
                usleep(300000); /* a second one would come meanwhile */
                char c = '0' + got;
                write(a[1], &c, 1);
                _exit(0);
            }
            if (how == 0) {
                usleep(50000);
                _exit(0);
            }
            for (;;)
                pause();
        }
        char b[2] = {0};
        read(a[0], b, 1);
        if (how == 1)
            kill(p, SIGKILL);
        int st;
        waitpid(p, &st, 0);
        struct pollfd pf = {a[0], POLLIN, 0};
        b[0] = '-';
        if (poll(&pf, 1, 3000) > 0)
            read(a[0], b, 1);
        printf("parent %s: the child's parent-death signal came %s time(s)\n", how ? "SIGKILLed" : "exited", b);
        close(a[0]);
        close(a[1]);
    }
    return 0;
}
