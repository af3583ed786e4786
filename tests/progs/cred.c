/* cred.c - one program drops root as a daemon does; another beside it keeps root's ids and rights.
 *
 *   cred drop        setgroups, setresgid, setresuid to nobody; what that allows
 *   cred neighbour   once the other dropped (file "dropped" written): its ids, /etc/shadow
 *
 * The same lines natively (two processes) and fused (two programs of one
 * instance, on one vCPU: one kernel thread runs both). Needs root.
 */
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testlib.h"

#define NOBODY 65534

static int readable(const char *path)
{
    int fd = open(path, O_RDONLY);
    if (fd >= 0)
        close(fd);
    return fd >= 0;
}

static int drop(void)
{
    int mark = open("dropped", O_WRONLY | O_CREAT | O_TRUNC, 0644); /* as root, written once dropped */
    msleep(200);
    if (setgroups(0, NULL) || setresgid(NOBODY, NOBODY, NOBODY) || setresuid(NOBODY, NOBODY, NOBODY)) {
        perror("drop");
        return 1;
    }
    uid_t r, e, s;
    getresuid(&r, &e, &s);
    say("drop: uids %d %d %d, groups %d", r, e, s, getgroups(0, NULL));
    say("drop: setuid(0) %s", setuid(0) ? "refused" : "allowed");
    say("drop: /etc/shadow %s", readable("/etc/shadow") ? "readable" : "refused");
    if (write(mark, "x", 1) != 1)
        return 1;
    close(mark);
    msleep(600);
    return 0;
}

static int neighbour(void)
{
    struct stat st;
    for (int i = 0; i < 300 && (stat("dropped", &st) || !st.st_size); i++)
        msleep(10);
    int denied = 0;
    for (int i = 0; i < 50; i++) {
        denied += !readable("/etc/shadow");
        msleep(5);
    }
    uid_t r, e, s;
    getresuid(&r, &e, &s);
    say("neighbour: uids %d %d %d, /etc/shadow denied %d of 50", r, e, s, denied);
    return 0;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    if (argc == 2 && !strcmp(argv[1], "drop"))
        return drop();
    if (argc == 2 && !strcmp(argv[1], "neighbour"))
        return neighbour();
    fprintf(stderr, "usage: cred drop|neighbour\n");
    return 2;
}
