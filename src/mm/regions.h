/* regions.h - which program owns each piece of the address space. */
#pragma once
#include <stdbool.h>
#include <stdint.h>

struct vproc;

/*
 * Mappings stay real kernel mappings; this records who made them. A
 * program sees only its own regions: munmap of anything else does nothing
 * (as for unmapped memory), mprotect/madvise of it fail with ENOMEM, and a
 * MAP_FIXED over memory that is not its own fails with ENOMEM instead of
 * clobbering another program or the runtime.
 */

/* Called after a range stopped being what it was (unmapped, or mapped
 * over): the entry layer forgets rewritten call sites there. */
extern void (*regions_unmapped_hook)(uint64_t start, uint64_t len);
/* Told of a program's own mapping of a file's code (PROT_EXEC: ld.so maps
 * each library's text so), at for len, from offset off of host_fd. */
extern void (*regions_code_mapped_hook)(uint64_t at, uint64_t len, int host_fd, uint64_t off);

void regions_add(struct vproc *p, uint64_t start, uint64_t len);
/* p's pieces of [start, start+len) leave the table, nothing unmapped: done
 * before a kernel call that unmaps them (mremap, shmdt), never after. */
void regions_remove(struct vproc *p, uint64_t start, uint64_t len);
/* Unmap p's pieces of [start, start+len) (munmap; what is not p's stays). */
void regions_unmap(struct vproc *p, uint64_t start, uint64_t len);
/* Is [start, start+len) entirely p's? */
bool regions_owned(struct vproc *p, uint64_t start, uint64_t len);
/* Bytes of p's pieces within [start, start+len); len 0: up to the end. */
uint64_t regions_size(struct vproc *p, uint64_t start, uint64_t len);
/* The program owning addr, or NULL (the runtime, or nobody). */
struct vproc *regions_owner(uint64_t addr);
/* Call fn on each of p's pieces within [start, start+len). */
void regions_each(struct vproc *p, uint64_t start, uint64_t len,
		  void (*fn)(uint64_t s, uint64_t e, void *arg), void *arg);
/* A program asked for MADV_DONTFORK: a forked child will not have that
 * memory, which regions_after_fork then stops recording. */
void regions_note_dontfork(void);
/* In a forked child (one thread): records of memory the kernel did not
 * copy into it (MADV_DONTFORK) go, their sites forgotten; else the range
 * could hold the runtime's own memory later (a stub arena, a large
 * malloc), which the program's next unmap of its old pieces would take. */
void regions_after_fork(void);
/* Give all of from's regions to to (nothing is mapped or unmapped). */
void regions_reown(struct vproc *from, struct vproc *to);
/* Unmap and forget every program's regions but keep's (a forked child
 * that keeps one program). */
void regions_release_others(struct vproc *keep);
/* Unmap and forget all of p's regions. */
void regions_release(struct vproc *p);
