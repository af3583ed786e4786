/* tty_pgrp.h - a terminal's foreground group and job-control groups, in
 * programs' ids and in the host's. */
#pragma once
#include <stdbool.h>

struct vproc;

/* tty_host_group - the host process group that stands for program group
 * vpgid on a terminal: its leader's host process group (a forked child
 * that leads one), this process's own if its programs run here, or vpgid
 * itself if it is not the instance's (the kernel then judges it). */
int tty_host_group(int vpgid);

/* tty_foreground_set - a program here made vpgid the terminal's
 * foreground group, given to the kernel as host group `host`. */
void tty_foreground_set(int vpgid, int host);

/* tty_foreground_of - the program group the kernel's foreground host
 * group `host` stands for, as a program of group caller_pgid sees it. */
int tty_foreground_of(int host, int caller_pgid);

/* tty_signal_group - the program group here that takes a signal from the
 * terminal (Ctrl-C, Ctrl-Z): the foreground group a program here set, while
 * the kernel's foreground is this host process's group; else fallback.
 * Async-signal-safe. */
int tty_signal_group(int fallback);

/* tty_mirror_pgid - p (alone in its host process, or a forked child's
 * stand-in here) moved to group pgid: its host process moves to the host
 * group that stands for it, so that the terminal signals the job as the
 * shell chose it (Ctrl-Z reaches a job, not an empty group). Best effort:
 * the virtual move stands whatever the host says. */
void tty_mirror_pgid(struct vproc *p, bool alone);
