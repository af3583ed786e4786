/* hugetext.h - the runtime's text on one 2 MiB page where the host allows it. */
#pragma once
#include <stdbool.h>

/*
 * hugetext_move - at the first fork: copy the runtime's text onto an
 * anonymous 2 MiB page (MADV_COLLAPSE) mapped where the text was. A fork
 * then copies one page-table entry for it, not one per 4 KiB page, and
 * the child finds it mapped (no fault). Nothing changes where the text is
 * not alone in its 2 MiB-aligned range, where the kernel makes no huge
 * page, or with PEGASUS_HUGETEXT=0 (profilers name functions from the
 * file mapping, which this replaces): false, and nothing changed. Other
 * threads may run the text meanwhile: the same bytes stay at the same
 * addresses throughout.
 */
bool hugetext_move(void);
