/* procfd_link.c - paths through /proc/self/fd in calls the kernel resolves: linkat of an O_TMPFILE file, and kin. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Each call made through one site, several times: the first ones trap,
 * the later ones are rewritten (the lean path served them wrong). */
static int link_once(int fd, const char *to)
{
    char proc[64];
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
    unlink(to);
    return linkat(AT_FDCWD, proc, AT_FDCWD, to, AT_SYMLINK_FOLLOW);
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    int bad = 0;
    for (int i = 0; i < 4; i++) {
        int fd = open(".", O_TMPFILE | O_WRONLY, 0644);
        if (fd < 0) {
            printf("O_TMPFILE: %s\n", strerror(errno));
            return 0;
        }
        char text[32];
        int n = snprintf(text, sizeof text, "payload %d\n", i);
        if (write(fd, text, n) != n)
            return 1;
        int r = link_once(fd, "committed");
        char buf[64] = { 0 };
        int f = open("committed", O_RDONLY);
        ssize_t got = f >= 0 ? read(f, buf, sizeof buf - 1) : -1;
        printf("linkat %d: %d %s, %s\n", i, r, r < 0 ? strerror(errno) : "",
               got == n && !memcmp(buf, text, n) ? "the right file" : "ANOTHER FILE");
        bad |= r != 0;
        if (f >= 0)
            close(f);
        close(fd);
        /* fchownat and utimensat through the same kind of path */
        fd = open("committed", O_RDONLY);
        char proc[64];
        snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
        struct timespec ts[2] = { { 1000000000, 0 }, { 1000000000, 0 } };
        r = utimensat(AT_FDCWD, proc, ts, 0);
        struct stat st;
        fstat(fd, &st);
        printf("utimensat %d: %d, mtime %s\n", i, r, st.st_mtime == 1000000000 ? "set" : "NOT SET");
        close(fd);
        unlink("committed");
    }
    return bad;
}
