/* elf.c - parsing and checking an x86-64 ELF executable's headers. */
#include "loader/elf.h"

#include <string.h>

#define PAGE 4096ull
#define USER_TOP 0x800000000000ull

const char *elf_strerror(enum elf_error e)
{
	switch (e) {
	case ELF_OK: return "ok";
	case ELF_NOT_ELF: return "exec format error (not an ELF file or script)";
	case ELF_WRONG_ARCH: return "exec format error (not an x86-64 executable)";
	case ELF_BAD_TYPE: return "exec format error (not an executable ELF type)";
	default: return "exec format error (corrupt ELF headers)";
	}
}

static bool add_overflows(uint64_t a, uint64_t b, uint64_t limit)
{
	return a + b < a || a + b > limit;
}

/* check_load - one PT_LOAD segment must lie in the file and in user space,
 * with file offset and address congruent modulo the page size. */
static bool check_load(const Elf64_Phdr *ph, uint64_t file_size)
{
	return ph->p_filesz <= ph->p_memsz &&
	       !add_overflows(ph->p_offset, ph->p_filesz, file_size) &&
	       !add_overflows(ph->p_vaddr, ph->p_memsz, USER_TOP) &&
	       (ph->p_offset % PAGE) == (ph->p_vaddr % PAGE);
}

enum elf_error elf_parse(const uint8_t *buf, size_t len, uint64_t file_size, struct elf_info *out)
{
	Elf64_Ehdr ehdr, *eh = &ehdr; /* copied: buf need not be aligned */
	if (len < SELFMAG || memcmp(buf, ELFMAG, SELFMAG))
		return ELF_NOT_ELF;
	if (len < sizeof(*eh))
		return ELF_CORRUPT;
	memcpy(eh, buf, sizeof(*eh));
	if (eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_ident[EI_DATA] != ELFDATA2LSB ||
	    eh->e_machine != EM_X86_64)
		return ELF_WRONG_ARCH;
	if (eh->e_type != ET_EXEC && eh->e_type != ET_DYN)
		return ELF_BAD_TYPE;
	if (eh->e_ident[EI_VERSION] != EV_CURRENT || eh->e_phentsize != sizeof(Elf64_Phdr) ||
	    eh->e_phnum == 0 || eh->e_phnum > ELF_MAX_PHNUM ||
	    add_overflows(eh->e_phoff, (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr), len))
		return ELF_CORRUPT;

	memset(out, 0, offsetof(struct elf_info, interp) + 1);
	out->type = eh->e_type;
	out->entry = eh->e_entry;
	out->phnum = eh->e_phnum;
	memcpy(out->phdr, buf + eh->e_phoff, eh->e_phnum * sizeof(Elf64_Phdr));

	bool have_load = false, have_phdr = false;
	out->lo = UINT64_MAX;
	for (int i = 0; i < out->phnum; i++) {
		const Elf64_Phdr *ph = &out->phdr[i];
		switch (ph->p_type) {
		case PT_LOAD:
			if (!check_load(ph, file_size))
				return ELF_CORRUPT;
			if (ph->p_memsz == 0)
				break;
			have_load = true;
			if ((ph->p_vaddr & ~(PAGE - 1)) < out->lo)
				out->lo = ph->p_vaddr & ~(PAGE - 1);
			if (((ph->p_vaddr + ph->p_memsz + PAGE - 1) & ~(PAGE - 1)) > out->hi)
				out->hi = (ph->p_vaddr + ph->p_memsz + PAGE - 1) & ~(PAGE - 1);
			/* Headers inside this segment's file bytes are mapped there. */
			if (!have_phdr && eh->e_phoff >= ph->p_offset &&
			    eh->e_phoff - ph->p_offset < ph->p_filesz)
				out->phdr_vaddr = ph->p_vaddr + (eh->e_phoff - ph->p_offset);
			break;
		case PT_PHDR:
			have_phdr = true;
			out->phdr_vaddr = ph->p_vaddr;
			break;
		case PT_INTERP:
			if (out->has_interp || ph->p_filesz < 2 || ph->p_filesz > ELF_INTERP_MAX ||
			    add_overflows(ph->p_offset, ph->p_filesz, len))
				return ELF_CORRUPT;
			memcpy(out->interp, buf + ph->p_offset, ph->p_filesz);
			if (out->interp[ph->p_filesz - 1] != 0 || strlen(out->interp) + 1 != ph->p_filesz)
				return ELF_CORRUPT;
			out->has_interp = true;
			break;
		}
	}
	if (!have_load || out->hi - out->lo > USER_TOP / 2)
		return ELF_CORRUPT;
	if (out->type == ET_EXEC && out->lo < PAGE)
		return ELF_CORRUPT;
	return ELF_OK;
}
