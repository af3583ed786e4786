/* caps.c - capabilities as a program's own: kept across setuid (PR_SET_KEEPCAPS), capset, bounding and ambient sets, execve.
 *
 *   caps            all sections (run as root); exit 0 if every check held
 *   caps SECTION    one section (drop, keep, capset, bounding, ambient)
 * Each section runs in a forked child, so that the next starts as root.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <grp.h>
#include <linux/capability.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

struct caps {
    uint64_t eff, prm, inh;
};

static struct caps get(void)
{
    struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct d[2] = {{0}};
    CHECK(syscall(SYS_capget, &h, d) == 0, "capget: %s", strerror(errno));
    return (struct caps){d[0].effective | (uint64_t)d[1].effective << 32,
                         d[0].permitted | (uint64_t)d[1].permitted << 32,
                         d[0].inheritable | (uint64_t)d[1].inheritable << 32};
}

static int set(struct caps c)
{
    struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct d[2] = {{(uint32_t)c.eff, (uint32_t)c.prm, (uint32_t)c.inh},
                                          {(uint32_t)(c.eff >> 32), (uint32_t)(c.prm >> 32),
                                           (uint32_t)(c.inh >> 32)}};
    return syscall(SYS_capset, &h, d) ? -errno : 0;
}

#define BIT(c) (1ull << (c))

/* show - the sets, as "all" (the root set), "none" or the bits. */
static void show(const char *what, struct caps c, uint64_t all)
{
#define NAME(x) ((x) == all ? "all" : (x) == 0 ? "none" : "some")
    say("%s: eff %s prm %s inh %s", what, NAME(c.eff), NAME(c.prm), NAME(c.inh));
    if (c.eff != all && c.eff)
        say("%s: eff bits %llx", what, (unsigned long long)c.eff);
#undef NAME
}

/* status_caps - the CapEff and CapAmb lines of /proc/self/status. */
static void status_caps(const char *what)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, "CapEff", 6) || !strncmp(line, "CapAmb", 6) || !strncmp(line, "Groups", 6))
            printf("%s: %s", what, line);
    if (f)
        fclose(f);
}

static uint64_t all;

/* in_parent - fork: the child runs the section (and ends with _exit or an
 * exec), the parent waits for it and goes on as root. */
static bool in_parent(const char *name)
{
    pid_t pid = fork();
    if (pid == 0)
        return false;
    int st;
    waitpid(pid, &st, 0);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "section %s: status %x", name, st);
    return true;
}

static void sec_drop(void)
{
    if (in_parent("drop"))
        return;
    CHECK(setresuid(65534, 65534, 65534) == 0, "setresuid: %s", strerror(errno));
    show("drop: after setresuid", get(), all);
    say("drop: setresgid -> %d", setresgid(65534, 65534, 65534) ? -errno : 0);
    say("drop: setgroups -> %d", setgroups(0, NULL) ? -errno : 0);
    say("drop: capset back -> %d", set((struct caps){BIT(CAP_SETGID), BIT(CAP_SETGID), 0}));
    _exit(failures ? 1 : 0);
}

static void sec_keep(void)
{
    if (in_parent("keep"))
        return;
    CHECK(prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) == 0, "keepcaps");
    say("keep: PR_GET_KEEPCAPS %d", prctl(PR_GET_KEEPCAPS, 0, 0, 0, 0));
    CHECK(setresuid(65534, 65534, 65534) == 0, "setresuid: %s", strerror(errno));
    show("keep: after setresuid", get(), all);
    say("keep: setresgid before capset -> %d", setresgid(65534, 65534, 65534) ? -errno : 0);
    say("keep: capset eff=SETGID -> %d", set((struct caps){BIT(CAP_SETGID), all, 0}));
    say("keep: setresgid -> %d", setresgid(65534, 65534, 65534) ? -errno : 0);
    gid_t g[1] = {65534};
    say("keep: setgroups -> %d", setgroups(1, g) ? -errno : 0);
    status_caps("keep");
    /* Back to effective uid 0: the effective set is the permitted again. */
    say("keep: seteuid(0) -> %d", setresuid(-1, 0, -1) ? -errno : 0);
    show("keep: after seteuid(0)", get(), all);
    _exit(failures ? 1 : 0);
}

static void sec_capset(void)
{
    if (in_parent("capset"))
        return;
    struct caps c = get();
    say("capset: raise eff beyond prm -> %d", set((struct caps){all, c.prm & ~BIT(CAP_KILL), 0}));
    say("capset: drop KILL from prm -> %d", set((struct caps){c.eff & ~BIT(CAP_KILL), c.prm & ~BIT(CAP_KILL), 0}));
    say("capset: take it back -> %d", set((struct caps){all, all, 0}));
    show("capset: now", get(), all);
    say("capset: inh=CHOWN -> %d", set((struct caps){0, BIT(CAP_CHOWN), BIT(CAP_CHOWN)}));
    show("capset: then", get(), all);
    /* Without CAP_SETUID, a uid change is refused even for uid 0. */
    say("capset: setuid(1) without CAP_SETUID -> %d", setuid(1) ? -errno : 0);
    struct __user_cap_header_struct h = {0x12345678, 0};
    errno = 0;
    long r = syscall(SYS_capget, &h, NULL);
    say("capget: unknown version, no data -> %ld, version %s", r,
        h.version == _LINUX_CAPABILITY_VERSION_3 ? "v3" : "other");
    _exit(failures ? 1 : 0);
}

static void sec_bounding(void)
{
    if (in_parent("bounding"))
        return;
    say("bounding: NET_RAW in %d", prctl(PR_CAPBSET_READ, CAP_NET_RAW, 0, 0, 0));
    say("bounding: drop -> %d", prctl(PR_CAPBSET_DROP, CAP_NET_RAW, 0, 0, 0) ? -errno : 0);
    say("bounding: NET_RAW in %d", prctl(PR_CAPBSET_READ, CAP_NET_RAW, 0, 0, 0));
    say("bounding: cap 99 -> %d", prctl(PR_CAPBSET_READ, 99, 0, 0, 0) < 0 ? -errno : 0);
    /* An exec as root takes the bounding set: NET_RAW is gone for good. */
    fflush(stdout);
    execl("/bin/sh", "sh", "-c", "grep -E '^Cap(Eff|Bnd)' /proc/self/status | sed 's/^/bounding: after exec /'", (char *)NULL);
}

static void sec_ambient(void)
{
    if (in_parent("ambient"))
        return;
    struct caps c = get();
    say("ambient: raise without inh -> %d",
        prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_NET_BIND_SERVICE, 0, 0) ? -errno : 0);
    CHECK(set((struct caps){c.eff, c.prm, BIT(CAP_NET_BIND_SERVICE)}) == 0, "inh");
    CHECK(prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) == 0, "keepcaps");
    CHECK(setresuid(65534, 65534, 65534) == 0, "setresuid");
    say("ambient: is set after setresuid %d", prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_NET_BIND_SERVICE, 0, 0));
    say("ambient: raise -> %d", prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_NET_BIND_SERVICE, 0, 0) ? -errno : 0);
    say("ambient: is set %d", prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_NET_BIND_SERVICE, 0, 0));
    /* A non-root exec keeps only the ambient set. */
    fflush(stdout);
    execl("/bin/sh", "sh", "-c", "grep -E '^Cap(Prm|Eff|Amb)' /proc/self/status | sed 's/^/ambient: after exec /'", (char *)NULL);
}

static const struct section sections[] = {
    {"drop", sec_drop}, {"keep", sec_keep}, {"capset", sec_capset}, {"bounding", sec_bounding}, {"ambient", sec_ambient},
};

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    all = get().prm;
    return run_sections("caps", argc, argv, sections, sizeof sections / sizeof sections[0]);
}
