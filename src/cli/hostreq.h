/* hostreq.h - what pegasus needs of the host. */
#pragma once

/* NULL if pegasus can run here; else one line naming what is missing and
 * what to do (pegasus run prints it and exits 125). */
const char *host_missing(void);

/* How this host switches %fs between programs and the runtime. */
const char *host_fs_path(void);
