/* semundo.c - SEM_UNDO kept per program and applied when it ends, as Linux's exit_sem. */
#include "proc/semundo.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/sem.h>
#include <sys/syscall.h>

#include "core/rawsys.h"
#include "core/spinlock.h"
#include "proc/vproc.h"

/*
 * The kernel keeps SEM_UNDO adjustments per process and applies them when
 * the process ends. Programs share host processes (fused, spawned), so a
 * program's undo would wait for the host process's end: `sh -c './take;
 * ./check'` found the semaphore still taken. So no SEM_UNDO reaches the
 * kernel: each program keeps its adjustments (Linux's semadj, the negated
 * sum of its SEM_UNDO operations) and they are applied at its end. Linux's
 * rules: a fork's child starts with none, execve keeps them, SETVAL,
 * SETALL and IPC_RMID drop the semaphore's everywhere (here: in every
 * program of this host process; another's keeps its own).
 */

struct semadj {
	int semid;
	unsigned short num;
	int adj;
	struct semadj *next;
};

static spinlock_t lock = SPINLOCK_INIT;

void semundo_note(struct vproc *p, int semid, const struct sembuf *ops, size_t n)
{
	spin_lock(&lock);
	for (size_t i = 0; i < n; i++) {
		if (!(ops[i].sem_flg & SEM_UNDO) || !ops[i].sem_op)
			continue;
		struct semadj *a = p->semadj;
		while (a && (a->semid != semid || a->num != ops[i].sem_num))
			a = a->next;
		if (!a && (a = calloc(1, sizeof(*a)))) {
			a->semid = semid;
			a->num = ops[i].sem_num;
			a->next = p->semadj;
			p->semadj = a;
		}
		if (a)
			a->adj -= ops[i].sem_op;
	}
	spin_unlock(&lock);
}

/* settled - p's entries that came back to 0 go (a lock taken and given
 * back): nothing to undo, and a semop of 0 would wait for zero. */
static void settled(struct vproc *p)
{
	for (struct semadj **pp = &p->semadj; *pp;) {
		struct semadj *a = *pp;
		if (!a->adj) {
			*pp = a->next;
			free(a);
		} else {
			pp = &a->next;
		}
	}
}

/* drop - a's entries of semid (num < 0: every semaphore of it). */
static void drop(struct semadj **head, int semid, int num)
{
	for (struct semadj **pp = head; *pp;) {
		struct semadj *a = *pp;
		if (a->semid == semid && (num < 0 || a->num == num)) {
			*pp = a->next;
			free(a);
		} else {
			pp = &a->next;
		}
	}
}

void semundo_forget(int semid, int num)
{
	spin_lock(&lock);
	for (int i = 0; i < vproc_count(); i++) {
		struct vproc *p = vproc_at(i);
		if (p && !p->host_pid)
			drop(&p->semadj, semid, num);
	}
	spin_unlock(&lock);
}

void semundo_forked(struct vproc *p)
{
	p->semadj = NULL; /* the parent's (a copy of its memory) stay the parent's */
}

void semundo_exit(struct vproc *p)
{
	spin_lock(&lock);
	settled(p);
	struct semadj *list = p->semadj;
	p->semadj = NULL;
	spin_unlock(&lock);
	while (list) {
		struct semadj *a = list;
		list = a->next;
		/* semval + adj, clamped to [0, SEMVMX]; a semaphore removed
		 * meanwhile is nothing to undo. */
		struct sembuf op = { a->num, (short)a->adj, IPC_NOWAIT };
		long r = a->adj < -32767 || a->adj > 32767 ? -ERANGE
			 : raw_syscall3(SYS_semop, a->semid, (long)&op, 1);
		if (r == -EAGAIN || r == -ERANGE)
			raw_syscall6(SYS_semctl, a->semid, a->num, SETVAL, a->adj < 0 ? 0 : 32767, 0, 0);
		free(a);
	}
}
