/* insn_sweep.c - entry/insn_len checked against objdump: every instruction objdump lists in a file's code, its length ours or declined. */
#include <ctype.h>
#include <elf.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "entry/insn_len.h"

/*
 * Usage: insn_sweep [-s] FILE...
 * For each executable section of each FILE, objdump's listing (-d -z -w)
 * gives the address of each instruction, and so each one's length; ours
 * must be the same, or 0 (declined). Prints a line a file, with the first
 * few disagreements. Exit status 1 if any length differs, or (-s, strict)
 * if any instruction was declined.
 */

struct section {
	uint64_t addr, size, off;
};

static const Elf64_Shdr *section_of(const uint8_t *m, size_t len, const char *name)
{
	const Elf64_Ehdr *e = (const void *)m;
	if (len < sizeof(*e) || memcmp(e->e_ident, ELFMAG, SELFMAG) || e->e_shoff + (uint64_t)e->e_shnum * sizeof(Elf64_Shdr) > len)
		return NULL;
	const Elf64_Shdr *sh = (const void *)(m + e->e_shoff);
	const char *names = (const char *)m + sh[e->e_shstrndx].sh_offset;
	for (int i = 0; i < e->e_shnum; i++)
		if (!strcmp(names + sh[i].sh_name, name))
			return &sh[i];
	return NULL;
}

static int check(const char *file, bool strict)
{
	int fd = open(file, O_RDONLY);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0) {
		printf("%s: cannot open\n", file);
		return 1;
	}
	const uint8_t *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (m == MAP_FAILED)
		return 1;
	char cmd[4200];
	snprintf(cmd, sizeof(cmd), "objdump -d -z -w '%s'", file);
	FILE *f = popen(cmd, "r");
	if (!f)
		return 1;
	char line[4096], sec[256] = "";
	const Elf64_Shdr *sh = NULL;
	uint64_t n = 0, declined = 0, differ = 0;
	while (fgets(line, sizeof(line), f)) {
		unsigned long a;
		if (sscanf(line, "Disassembly of section %255[^:]:", sec) == 1) {
			sh = section_of(m, (size_t)st.st_size, sec);
			continue;
		}
		/* "addr:<tab>raw bytes<tab>instruction"; data objdump knows by
		 * its symbols has no second tab. */
		char *bytes = strchr(line, '\t'), *insn = bytes ? strchr(bytes + 1, '\t') : NULL;
		if (!sh || sscanf(line, " %lx:", &a) != 1 || !insn || strstr(insn, "(bad)") ||
		    a < sh->sh_addr || a >= sh->sh_addr + sh->sh_size)
			continue;
		uint64_t want = 0;
		for (char *c = bytes + 1; c < insn; c++)
			want += isxdigit(c[0]) && isxdigit(c[1]) && (c += 2);
		uint64_t at = a - sh->sh_addr;
		const uint8_t *p = m + sh->sh_offset + at;
		int got = insn_len(p, sh->sh_size - at);
		if (got == 1 && p[0] == 0x9b && want > 1) { /* fwait, then the x87 instruction */
			int x87 = insn_len(p + 1, sh->sh_size - at - 1);
			got = x87 ? x87 + 1 : 0;
		}
		n++;
		if (!got) {
			if (declined++ < 3)
				printf("  %s %#lx: declined (%lu bytes)\n", sec, a, (unsigned long)want);
		} else if ((uint64_t)got != want) {
			if (differ++ < 10)
				printf("  %s %#lx: %d bytes, objdump %lu\n", sec, a, got, (unsigned long)want);
		}
	}
	pclose(f);
	printf("%s: %lu instructions, %lu lengths differ, %lu declined\n", file, (unsigned long)n,
	       (unsigned long)differ, (unsigned long)declined);
	return differ || !n || (strict && declined);
}

int main(int argc, char **argv)
{
	bool strict = argc > 1 && !strcmp(argv[1], "-s");
	int bad = 0;
	for (int i = 1 + strict; i < argc; i++)
		bad |= check(argv[i], strict);
	return bad;
}
