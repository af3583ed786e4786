/* elf.h - parsing and checking an x86-64 ELF executable's headers. */
#pragma once
#include <elf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ELF_MAX_PHNUM 128
#define ELF_INTERP_MAX 4096

/* What the loader needs of an executable, checked for consistency. */
struct elf_info {
	uint16_t type;                /* ET_EXEC or ET_DYN */
	uint64_t entry;               /* e_entry, before relocation */
	uint16_t phnum;
	Elf64_Phdr phdr[ELF_MAX_PHNUM];
	uint64_t phdr_vaddr;          /* where the headers are in memory, unrelocated */
	uint64_t lo, hi;              /* page-aligned span of the PT_LOAD segments */
	bool has_interp;
	char interp[ELF_INTERP_MAX];
};

enum elf_error {
	ELF_OK = 0,
	ELF_NOT_ELF,      /* no ELF magic */
	ELF_WRONG_ARCH,   /* ELF, but not x86-64 little-endian 64-bit */
	ELF_BAD_TYPE,     /* not an executable (a .o, a core file...) */
	ELF_CORRUPT,      /* headers inconsistent or out of the file */
};

const char *elf_strerror(enum elf_error e);

/**
 * elf_parse - check and extract the headers of an ELF image.
 * @buf: the first bytes of the file (at least up to the program headers)
 * @len: bytes in @buf
 * @file_size: size of the whole file, to bound offsets
 * @out: filled on success
 *
 * Pure: no I/O, no allocation. Fuzzed by fuzz/fuzz_elf.c.
 */
enum elf_error elf_parse(const uint8_t *buf, size_t len, uint64_t file_size, struct elf_info *out);
