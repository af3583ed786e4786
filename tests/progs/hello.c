/* What a program sees at startup: argc/argv, the environment, the auxiliary
 * vector and TLS. Built three ways (static, static-pie, dynamic PIE) and
 * compared natively against pegasus.
 *
 * Prints values that are the same run after run: nothing address-like is
 * printed, only relations (AT_PHDR points at this program's headers,
 * AT_ENTRY is _start, auxv follows envp on the initial stack...).
 * Exits with 3 + argc so the status carries information too, or 1 when a
 * check failed. */
#include <elf.h>
#include <link.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

extern char **environ;
extern void _start(void);
extern const ElfW(Ehdr) __ehdr_start; /* defined by the linker */

static int failures;
static __thread int tls_counter = 41;
static __thread char tls_buf[64];

static void check(const char *what, int ok)
{
    printf("%s %s\n", ok ? "ok  " : "FAIL", what);
    if (!ok)
        failures++;
}

static int phdr_cb(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    /* The first object is the main program. */
    const ElfW(Phdr) **out = data;
    if (!*out)
        *out = info->dlpi_phdr;
    return 1;
}

int main(int argc, char **argv)
{
    printf("argc=%d\n", argc);
    for (int i = 0; i < argc; i++) {
        /* argv[0] is printed as given, since it is part of the contract */
        printf("argv[%d]=%s\n", i, argv[i]);
    }
    check("argv[argc] is NULL", argv[argc] == NULL);
    check("environ follows argv on the stack", environ == argv + argc + 1);

    const char *v = getenv("PEGASUS_TEST_VAR");
    printf("PEGASUS_TEST_VAR=%s\n", v ? v : "(unset)");
    const char *lc = getenv("LC_ALL");
    printf("LC_ALL=%s\n", lc ? lc : "(unset)");

    /* The auxiliary vector sits right after envp's NULL. */
    char **e = environ;
    while (*e)
        e++;
    ElfW(auxv_t) *auxv = (ElfW(auxv_t) *)(e + 1);
    int n = 0, seen_pagesz = 0, ends_null = 0;
    for (; n < 64; n++) {
        if (auxv[n].a_type == AT_NULL) {
            ends_null = 1;
            break;
        }
        if (auxv[n].a_type == AT_PAGESZ && auxv[n].a_un.a_val == getauxval(AT_PAGESZ))
            seen_pagesz = 1;
    }
    check("auxv follows envp and ends with AT_NULL", ends_null);
    check("auxv on the stack agrees with getauxval(AT_PAGESZ)", seen_pagesz);

    printf("AT_PAGESZ=%lu\n", getauxval(AT_PAGESZ));
    printf("AT_SECURE=%lu\n", getauxval(AT_SECURE));
    const unsigned char *rnd = (const unsigned char *)getauxval(AT_RANDOM);
    int nonzero = 0;
    if (rnd)
        for (int i = 0; i < 16; i++)
            nonzero |= rnd[i];
    check("AT_RANDOM is non-null and its 16 bytes are not all zero", rnd && nonzero);
    const char *plat = (const char *)getauxval(AT_PLATFORM);
    printf("AT_PLATFORM=%s\n", plat ? plat : "(null)");
    const char *execfn = (const char *)getauxval(AT_EXECFN);
    printf("AT_EXECFN=%s\n", execfn ? execfn : "(null)");
    check("AT_UID/AT_EUID/AT_GID/AT_EGID match the credentials",
          getauxval(AT_UID) == getuid() && getauxval(AT_EUID) == geteuid() &&
              getauxval(AT_GID) == getgid() && getauxval(AT_EGID) == getegid());
    check("AT_ENTRY is _start", getauxval(AT_ENTRY) == (unsigned long)&_start);

    const ElfW(Phdr) *ph = NULL;
    dl_iterate_phdr(phdr_cb, &ph);
    check("AT_PHDR is the program's header table", getauxval(AT_PHDR) == (unsigned long)ph);
    check("AT_PHENT is sizeof(Elf64_Phdr)", getauxval(AT_PHENT) == sizeof(ElfW(Phdr)));
    int has_interp = 0;
    const ElfW(Phdr) *phdr = (const ElfW(Phdr) *)getauxval(AT_PHDR);
    for (unsigned long i = 0; phdr && i < getauxval(AT_PHNUM); i++)
        if (phdr[i].p_type == PT_INTERP)
            has_interp = 1;
    printf("PT_INTERP present: %s\n", has_interp ? "yes" : "no");
    printf("e_type=%s\n", __ehdr_start.e_type == ET_EXEC  ? "ET_EXEC"
                          : __ehdr_start.e_type == ET_DYN ? "ET_DYN"
                                                          : "other");
    check("AT_PHDR is inside the loaded ELF image",
          getauxval(AT_PHDR) == (unsigned long)&__ehdr_start + __ehdr_start.e_phoff);
    printf("AT_BASE is %s\n", getauxval(AT_BASE) ? "non-zero" : "zero");
    check("AT_BASE is non-zero exactly when there is an interpreter",
          !!getauxval(AT_BASE) == has_interp);
    check("AT_HWCAP is non-zero", getauxval(AT_HWCAP) != 0);
    check("AT_CLKTCK is 100", getauxval(AT_CLKTCK) == 100);
    check("AT_MINSIGSTKSZ is at least 1024 when present",
          getauxval(AT_MINSIGSTKSZ) == 0 || getauxval(AT_MINSIGSTKSZ) >= 1024);

    /* TLS works and is initialised. */
    tls_counter++;
    snprintf(tls_buf, sizeof tls_buf, "tls %d", tls_counter);
    check("TLS initialised and writable", strcmp(tls_buf, "tls 42") == 0);

    /* At process entry %rsp is 16-byte aligned and points at argc, and
     * argv starts right above it. */
    check("initial stack: %rsp was 16-byte aligned at entry", ((uintptr_t)argv & 15) == 8);
    check("initial stack: argc sits just below argv", ((long *)argv)[-1] == argc);

    int r = failures ? 1 : 3 + argc;
    printf("exit %d\n", r);
    return r;
}
