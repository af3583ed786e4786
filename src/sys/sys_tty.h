/* sys_tty.h - a terminal's job control: foreground groups in programs' ids. */
#pragma once

struct uthread;

/* tty_ioctl - serve ioctl a[] if it is a job-control one (the foreground
 * group, or a change a background group's caller makes); else
 * TTY_NOT_JOB_CONTROL. */
#define TTY_NOT_JOB_CONTROL 1
long tty_ioctl(struct uthread *ut, const long a[6]);
