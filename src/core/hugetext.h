/* hugetext.h - the runtime's text on one 2 MiB page where the host allows it. */
#pragma once
#include <stdbool.h>

/* hugetext_reserve - at start, before any program: the rest of the text's
 * 2 MiB-aligned range (past its end: the linker aligns it so) is taken,
 * so that no program's mapping lands where the text will spread. */
void hugetext_reserve(void);

/*
 * hugetext_move - at the first fork: copy the runtime's text onto an
 * anonymous 2 MiB page (MADV_COLLAPSE) mapped where the text was. A fork
 * then copies one page-table entry for it, not one per 4 KiB page, and
 * the child finds it mapped (no fault). Not at start: the huge page takes
 * 0.5-5 ms to get (zeroed, perhaps compacted), which only forks repay.
 * Nothing changes where hugetext_reserve could not take the range, where
 * the kernel makes no huge page (before 6.1: no MADV_COLLAPSE), or with
 * PEGASUS_HUGETEXT=0 (profilers name functions from the file mapping,
 * which this replaces): false. Other threads may run the text meanwhile:
 * the same bytes stay at the same addresses throughout.
 */
bool hugetext_move(void);
