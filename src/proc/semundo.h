/* semundo.h - SEM_UNDO kept per program and applied when it ends, as Linux's exit_sem. */
#pragma once
#include <stddef.h>

struct sembuf;
struct vproc;

/* semundo_note - p's semop on semid succeeded (its SEM_UNDO flags were
 * not given to the kernel): the adjustments of ops[0..n) that asked for
 * SEM_UNDO are p's to undo. */
void semundo_note(struct vproc *p, int semid, const struct sembuf *ops, size_t n);
/* semundo_forget - SETVAL (num), SETALL or IPC_RMID (num -1) of semid: its
 * adjustments go, in every program of this host process. */
void semundo_forget(int semid, int num);
/* semundo_forked - in a fork's child: none of its parent's. */
void semundo_forked(struct vproc *p);
/* semundo_exit - p ends: its adjustments are applied and freed. */
void semundo_exit(struct vproc *p);
