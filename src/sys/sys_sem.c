/* sys_sem.c - semop, semtimedop and semctl: SEM_UNDO kept by the program (proc/semundo.c). */
#include <errno.h>
#include <sys/sem.h>
#include <sys/syscall.h>

#include "mm/uaccess.h"
#include "proc/semundo.h"
#include "sched/vcpu.h"
#include "sys/kcall.h"
#include "sys/systab.h"

/* Operations copied to look for SEM_UNDO: more (up to SEMOPM, 500) go as
 * they are, SEM_UNDO and all. */
#define NOPS 64

/* semop_call - semop (a[3] 0) or semtimedop: the kernel's, without the
 * SEM_UNDO flags, which the program keeps once it succeeded. */
static long semop_call(struct uthread *ut, long nr, const long a[6])
{
	const struct sysent *e = systab_get(nr);
	size_t n = (size_t)a[2];
	struct sembuf ops[NOPS], mine[NOPS];
	if (!n || n > NOPS || copy_from_user(ops, a[1], n * sizeof(ops[0])))
		return kcall(ut, nr, e, a); /* the kernel's answer (E2BIG, EINVAL, EFAULT) */
	bool undo = false;
	for (size_t i = 0; i < n; i++) {
		mine[i] = ops[i];
		undo |= (ops[i].sem_flg & SEM_UNDO) != 0;
		mine[i].sem_flg &= ~SEM_UNDO;
	}
	if (!undo)
		return kcall(ut, nr, e, a);
	long b[6] = { a[0], (long)mine, a[2], a[3], a[4], a[5] };
	long r = kcall(ut, nr, e, b);
	if (r == 0)
		semundo_note(ut->proc, (int)a[0], ops, n);
	return r;
}

long sys_semop(struct uthread *ut, const long a[6])
{
	return semop_call(ut, SYS_semop, a);
}

long sys_semtimedop(struct uthread *ut, const long a[6])
{
	return semop_call(ut, SYS_semtimedop, a);
}

long sys_semctl(struct uthread *ut, const long a[6])
{
	long r = kcall(ut, SYS_semctl, systab_get(SYS_semctl), a);
	int cmd = (int)a[2] & ~0x100; /* IPC_64 */
	if (r >= 0 && (cmd == SETVAL || cmd == SETALL || cmd == IPC_RMID))
		semundo_forget((int)a[0], cmd == SETVAL ? (int)a[1] : -1);
	return r;
}
