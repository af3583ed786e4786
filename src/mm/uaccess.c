/* uaccess.c - string copies from app memory on top of the fault-safe core. */
#include "mm/uaccess.h"


long strncpy_from_user(char *dst, uint64_t src, size_t max)
{
	if (!uaccess_range_ok(src, 1))
		return -EFAULT;
	long n = pg_uaccess_strnlen((const char *)src, max);
	if (n < 0)
		return n;
	if ((size_t)n >= max)
		return -ENAMETOOLONG;
	/* Copy again through the fault-safe path: another thread may unmap it. */
	long r = pg_uaccess_copy(dst, (const char *)src, n);
	if (r < 0)
		return r;
	dst[n] = 0;
	return n;
}

long uaccess_copy_app(void *dst, const void *src, size_t n)
{
	if (n && ((uintptr_t)dst < UACCESS_MIN || (uintptr_t)src < UACCESS_MIN))
		return -EFAULT;
	return pg_uaccess_copy(dst, src, n);
}
