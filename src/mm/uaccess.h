/* uaccess.h - fault-safe access to app memory: a bad pointer gives -EFAULT. */
#pragma once
#include <errno.h>
#include <stddef.h>
#include <stdint.h>

long pg_uaccess_copy(void *dst, const void *src, size_t n);
/* uaccess_copy_app - pg_uaccess_copy for copies whose app side may be
 * either (the channels' rings): page 0 is EFAULT too, where zpoline's sled
 * is readable (a send from address 8 sent the sled's bytes). */
long uaccess_copy_app(void *dst, const void *src, size_t n);
long pg_uaccess_put_4_8(void *dst, uint32_t a, uint64_t b);
long pg_uaccess_strnlen(const char *s, size_t max);
extern char uaccess_start[], uaccess_end[], uaccess_fixup[];

/* The app cannot name the kernel half of the address space, nor page 0
 * (below vm.mmap_min_addr; zpoline mode maps its sled there). */
#define UACCESS_MIN 4096ull
static inline int uaccess_range_ok(uint64_t addr, size_t n)
{
	return addr + n >= addr && addr + n <= 0x800000000000ull && (addr >= UACCESS_MIN || !n);
}

/* MAX_RW_COUNT - the most one read or write moves on Linux (INT_MAX
 * rounded down to a page); more is a short count. */
#define MAX_RW_COUNT 0x7ffff000ul

#define TASK_SIZE_MAX 0x7ffffffff000ull /* access_ok's bound (4-level paging) */

/* flat_len - a one-buffer call's length as Linux takes it, or -EFAULT:
 * read and write check the whole range first (vfs_read's access_ok: a
 * length of (size_t)-1 is EFAULT whatever the file), recv and send cut it
 * to MAX_RW_COUNT first (import_ubuf). Page 0 passes, as access_ok lets
 * it: the copy faults if anything is copied (an empty non-blocking read
 * is EAGAIN). No library call (the mid path asks). */
static inline long flat_len(uint64_t buf, size_t len, int vfs)
{
	if (!vfs && len > MAX_RW_COUNT)
		len = MAX_RW_COUNT;
	if (len > TASK_SIZE_MAX || buf > TASK_SIZE_MAX - len)
		return -EFAULT;
	return len > MAX_RW_COUNT ? (long)MAX_RW_COUNT : (long)len;
}

/* Is this argument kind a pointer the kernel will dereference? */
#define ARG_IS_BUFFER(kind) ((kind) == A_IBUF || (kind) == A_OBUF || (kind) == A_PATH || (kind) == A_STR || \
			   (kind) == A_IOV)

long pg_uaccess_cmpxchg32(uint32_t *p, uint32_t expect, uint32_t desired);

/* cmpxchg_user - atomic compare-and-swap on an app word, as another app
 * thread on another vCPU may write it: the old value, or -EFAULT. */
static inline long cmpxchg_user(uint64_t addr, uint32_t expect, uint32_t desired)
{
	if ((addr & 3) || !addr || !uaccess_range_ok(addr, 4))
		return -EFAULT;
	return pg_uaccess_cmpxchg32((uint32_t *)addr, expect, desired);
}

/* copy_from_user - copy n bytes at app address src into dst: 0 or -EFAULT. */
static inline long copy_from_user(void *dst, uint64_t src, size_t n)
{
	if (!uaccess_range_ok(src, n) || (n && !src))
		return -EFAULT;
	return pg_uaccess_copy(dst, (const void *)src, n);
}

/* copy_to_user - copy n bytes to app address dst: 0 or -EFAULT. */
static inline long copy_to_user(uint64_t dst, const void *src, size_t n)
{
	if (!uaccess_range_ok(dst, n) || (n && !dst))
		return -EFAULT;
	return pg_uaccess_copy((void *)dst, src, n);
}

/* put_user_4_8 - a 4-byte value then an 8-byte one, packed, at app
 * address dst (an epoll_event): 0 or -EFAULT. */
static inline long put_user_4_8(uint64_t dst, uint32_t a, uint64_t b)
{
	if (!uaccess_range_ok(dst, 12) || !dst)
		return -EFAULT;
	return pg_uaccess_put_4_8((void *)dst, a, b);
}

/* strncpy_from_user - copy a NUL-terminated app string of at most max-1
 * bytes: its length, -ENAMETOOLONG or -EFAULT. */
long strncpy_from_user(char *dst, uint64_t src, size_t max);
