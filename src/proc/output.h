/* output.h - program output prefixed with its name, like docker compose. */
#pragma once

/* A pipe whose read end the output thread copies to pegasus's fd (1 or 2),
 * each line prefixed with "name | "; returns the write end, or -1. */
int output_pipe(const char *name, int fd);
/* Let the output thread drain what is buffered (at the end). */
void output_flush(void);

/* In a forked child: the parent's pump prefixes its output. */
void output_after_fork(void);
