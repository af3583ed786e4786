/* cli.h - the pegasus subcommands. */
#pragma once

int cmd_run(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_stats(int argc, char **argv);
/* Make the runtime's libraries SSE-only (may exec pegasus again); sets
 * pg_vec_lazy. PEGASUS_VEC_FULL=1 keeps XSAVE at every gate. */
void reexec_sse_only(char **argv);
