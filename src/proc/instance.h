/* instance.h - an instance: the fused programs of one pegasus process and their ends. */
#pragma once
#include <stdbool.h>

struct vproc;

/* What to run: one entry per program, as the command line or a pod file
 * describes it. */
struct prog_spec {
	char *name;          /* for messages, traces and output prefixes */
	char **argv;
	char **env;          /* its whole environment */
	char *cwd;           /* NULL: pegasus's own */
	char *stdio[3];      /* NULL: inherit; "null": /dev/null; else a file path */
	int line;            /* where a pod file defines it (0: command line) */
};

enum exit_policy {
	EXIT_FIRST,  /* the first program's end ends the instance (default) */
	EXIT_ALL,    /* the instance ends when every program has ended */
	EXIT_NAMED,  /* the end of the program named exit_name ends it */
};

struct instance_spec {
	struct prog_spec *progs;
	int nprogs;
	enum exit_policy exit_policy;
	char *exit_name;
	int grace_ms;        /* between SIGTERM and SIGKILL at the end */
	bool prefix;         /* prefix each output line with "name | " */
	void *arena;         /* what a pod file's parsing allocated */
};

/* Note the fds above stderr pegasus was started with, for the programs
 * (before the runtime opens any of its own). */
void instance_note_inherited_fds(void);

/* Note the signal mask and the ignored signals pegasus was started with,
 * which its programs inherit as an exec'd program would (before the
 * runtime installs its own handlers). */
void instance_note_host_signals(void);

/* Load every program (nothing runs until all are loaded), then run them;
 * returns only on failure to start, with the exit status to use. */
int instance_run(struct instance_spec *spec);

/* A signal from outside the instance (another process, the terminal) was
 * routed to its first program (async-signal-safe). */
void instance_outside_signal(int sig, bool to_all_roots);

/* instance_program_finishing - a program is about to end (vproc.c, before
 * its state says so): the instance waits for its instance_program_ended. */
void instance_program_finishing(void);
/* The last thread of p has gone: p is over (runtime context). */
void instance_program_ended(struct vproc *p);

/* In a forked child: p is the instance's one program, whose end ends the
 * host process (a new monitor; the parent's is not here). */
void instance_after_fork(struct vproc *p);
/* Does the host process end with p's end (a forked child's last program)? */
bool instance_ends_with(struct vproc *p);
