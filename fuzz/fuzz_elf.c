/* fuzz_elf.c - libFuzzer target for the ELF header parser (src/loader/elf.c).
 *
 * elf_parse() is pure, so every input is tried several ways:
 *   1. the whole input, file_size = len (a small file read in full);
 *   2. the whole input, file_size chosen by bytes 9-10 of e_ident
 *      (EI_PAD, which the parser ignores): smaller than len, so PT_LOAD
 *      offsets must be checked against file_size and not against len;
 *   3. the whole input, file_size = len + bytes 11-14: a large file of which
 *      only the head was read, as src/loader/exec.c does;
 *   4. a prefix of the input (length from byte 15), file_size = len: the
 *      headers may lie beyond the bytes that were read.
 * Each prefix buffer is a fresh exact-size heap copy, so ASan sees any read
 * past the end.
 *
 * On success the result must hold the invariants the loader relies on
 * (check_info); between runs with the same bytes, a larger file_size may
 * only accept more (the check is monotone) and must give the same result.
 * A broken invariant calls abort() after printing which one.
 *
 * Built two ways: by fuzz/run-libfuzzer.sh with clang -fsanitize=fuzzer, and
 * by meson with fuzz/driver.c as the plain replay tool fuzz_elf_replay. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "loader/elf.h"

#define PAGE 4096ull
#define USER_TOP 0x800000000000ull

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void broken(const char *what, const char *how)
{
	fprintf(stderr, "fuzz_elf: invariant broken (%s): %s\n", how, what);
	abort();
}

#define CHECK(cond, how)                  \
	do {                                  \
		if (!(cond))                      \
			broken(#cond, how);           \
	} while (0)

static void check_info(const struct elf_info *ei, const uint8_t *buf, size_t len,
		       uint64_t file_size, const char *how)
{
	CHECK(ei->type == ET_EXEC || ei->type == ET_DYN, how);
	CHECK(ei->phnum >= 1 && ei->phnum <= ELF_MAX_PHNUM, how);
	CHECK(ei->phnum * sizeof(Elf64_Phdr) <= len, how);
	CHECK(ei->lo <= ei->hi, how);
	CHECK(ei->lo % PAGE == 0, how);
	CHECK(ei->hi % PAGE == 0, how);
	CHECK(ei->hi <= USER_TOP, how);
	CHECK(ei->type != ET_EXEC || ei->lo >= PAGE, how);

	/* The program headers are a copy of the file's. */
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)buf;
	CHECK(eh->e_phoff <= len && len - eh->e_phoff >= ei->phnum * sizeof(Elf64_Phdr), how);
	CHECK(!memcmp(ei->phdr, buf + eh->e_phoff, ei->phnum * sizeof(Elf64_Phdr)), how);

	int loads = 0, interps = 0;
	for (unsigned i = 0; i < ei->phnum; i++) {
		const Elf64_Phdr *ph = &ei->phdr[i];
		if (ph->p_type == PT_LOAD) {
			CHECK(ph->p_offset + ph->p_filesz >= ph->p_offset, how);
			CHECK(ph->p_offset + ph->p_filesz <= file_size, how);
			CHECK(ph->p_filesz <= ph->p_memsz, how);
			CHECK(ph->p_offset % PAGE == ph->p_vaddr % PAGE, how);
			if (ph->p_memsz) {
				loads++;
				CHECK(ph->p_vaddr + ph->p_memsz > ph->p_vaddr, how);
				CHECK(ph->p_vaddr >= ei->lo, how);
				CHECK(ph->p_vaddr + ph->p_memsz <= ei->hi, how);
			}
		} else if (ph->p_type == PT_INTERP) {
			interps++;
		}
	}
	CHECK(loads >= 1, how);
	CHECK(interps <= 1, how);
	CHECK(ei->has_interp == (interps == 1), how);
	if (ei->has_interp) {
		const void *nul = memchr(ei->interp, 0, sizeof(ei->interp));
		CHECK(nul != NULL, how);
		size_t n = (const char *)nul - ei->interp;
		CHECK(n >= 1, how);
		for (unsigned i = 0; i < ei->phnum; i++) {
			const Elf64_Phdr *ph = &ei->phdr[i];
			if (ph->p_type == PT_INTERP) {
				CHECK(ph->p_filesz == n + 1, how);
				CHECK(ph->p_offset <= len && len - ph->p_offset >= ph->p_filesz, how);
				CHECK(!memcmp(ei->interp, buf + ph->p_offset, n + 1), how);
			}
		}
	}
}

/* Everything but interp[] past its NUL, which the parser need not clear. */
static void check_same(const struct elf_info *a, const struct elf_info *b, const char *how)
{
	CHECK(a->type == b->type && a->entry == b->entry && a->phnum == b->phnum, how);
	CHECK(!memcmp(a->phdr, b->phdr, a->phnum * sizeof(Elf64_Phdr)), how);
	CHECK(a->phdr_vaddr == b->phdr_vaddr && a->lo == b->lo && a->hi == b->hi, how);
	CHECK(a->has_interp == b->has_interp, how);
	CHECK(!a->has_interp || !strcmp(a->interp, b->interp), how);
}

static enum elf_error parse(const uint8_t *buf, size_t len, uint64_t file_size,
			    struct elf_info *ei, const char *how)
{
	/* Poison the output so the checks see what the parser really wrote. */
	memset(ei, 0xa5, sizeof(*ei));
	enum elf_error e = elf_parse(buf, len, file_size, ei);
	CHECK(e >= ELF_OK && e <= ELF_CORRUPT, how);
	CHECK(elf_strerror(e) != NULL, how);
	if (e == ELF_OK)
		check_info(ei, buf, len, file_size, how);
	return e;
}

static uint64_t le(const uint8_t *p, int n)
{
	uint64_t v = 0;
	for (int i = n - 1; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* struct elf_info is ~9 KiB: keep it off the stack, allocated once. */
	static struct elf_info *ei, *ej;
	if (!ei) {
		ei = malloc(sizeof(*ei));
		ej = malloc(sizeof(*ej));
		if (!ei || !ej)
			abort();
	}

	/* An exact-size copy (libFuzzer gives one, a replay tool may not), at
	 * malloc alignment, as the parser casts the buffer to Elf64_Ehdr. */
	uint8_t *buf = malloc(size ? size : 1);
	if (!buf)
		abort();
	memcpy(buf, data, size);

	/* 1. The whole file. */
	enum elf_error e1 = parse(buf, size, size, ei, "file_size=len");

	/* Knobs from e_ident[EI_PAD..], ignored by the parser. */
	uint64_t small = size, big = size, cut = size;
	if (size >= 16) {
		small = le(buf + 9, 2) % (size + 1);
		big = size + le(buf + 11, 4);
		cut = size * buf[15] / 255;
	}

	/* 2. A smaller file_size: may only reject more. */
	enum elf_error e2 = parse(buf, size, small, ej, "file_size<len");
	if (e2 == ELF_OK) {
		CHECK(e1 == ELF_OK, "monotone in file_size");
		check_same(ei, ej, "same result for smaller file_size");
	}

	/* 3. Only the head of a bigger file was read: may only accept more. */
	enum elf_error e3 = parse(buf, size, big, ej, "file_size>len");
	if (e1 == ELF_OK) {
		CHECK(e3 == ELF_OK, "monotone in file_size");
		check_same(ei, ej, "same result for bigger file_size");
	}

	/* 4. A prefix of the file in the buffer, as a short read would give. */
	if (cut < size) {
		uint8_t *head = malloc(cut ? cut : 1);
		if (!head)
			abort();
		memcpy(head, buf, cut);
		enum elf_error e4 = parse(head, cut, size, ej, "prefix of the file");
		/* Fewer bytes read can only lose headers, never gain acceptance. */
		if (e4 == ELF_OK) {
			CHECK(e1 == ELF_OK, "prefix accepted, whole file rejected");
			check_same(ei, ej, "same result from a prefix");
		}
		free(head);
	}

	free(buf);
	return 0;
}
