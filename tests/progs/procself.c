/* What /proc/self says about the running program: a runtime that loads
 * programs itself must make these look as they do under Linux.
 * Prints the basename of /proc/self/exe, /proc/self/cmdline, whether
 * /proc/self/maps shows the executable, and /proc/self/comm. */
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    char buf[4096];
    ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
    buf[n > 0 ? n : 0] = 0;
    char exe[4096];
    snprintf(exe, sizeof exe, "%s", buf);
    printf("exe basename: %s\n", n > 0 ? basename(buf) : "(unreadable)");
    printf("exe is argv[0] resolved: %s\n",
           strcmp(basename(exe), basename(argv[0])) == 0 ? "yes" : "no");

    int fd = open("/proc/self/cmdline", O_RDONLY);
    n = fd >= 0 ? read(fd, buf, sizeof buf) : -1;
    if (fd >= 0)
        close(fd);
    printf("cmdline:");
    for (ssize_t i = 0, start = 0; i < n; i++)
        if (buf[i] == 0) {
            printf(" [%s]", buf + start);
            start = i + 1;
        }
    printf("\n");

    fd = open("/proc/self/comm", O_RDONLY);
    n = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
    if (fd >= 0)
        close(fd);
    buf[n > 0 ? n : 0] = 0;
    printf("comm: %s", buf);

    FILE *f = fopen("/proc/self/maps", "r");
    int mapped = 0;
    while (f && fgets(buf, sizeof buf, f)) {
        char *nl = strchr(buf, '\n');
        if (nl)
            *nl = 0;
        char *path = strchr(buf, '/');
        if (path && strcmp(path, exe) == 0)
            mapped++;
    }
    if (f)
        fclose(f);
    printf("maps shows the executable: %s\n", mapped ? "yes" : "no");
    return argc;
}
