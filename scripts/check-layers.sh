#!/usr/bin/env bash
# check-layers.sh - fail on an #include that goes up the layers of src/
# (docs/ARCHITECTURE.md, "Layers"): a file may include its own folder's
# headers and those of the layers below it, never one above. With no cycle
# between folders, a newcomer can read the tree bottom-up.
#
# usage: scripts/check-layers.sh [SRC_DIR] [STAMP]   (STAMP: touched on success)
set -u
src=${1:-$(dirname "$0")/../src}
# Lowest first.
LAYERS=(core mm sched fs net loader proc sys entry cli)
rank() {
    local i
    for i in "${!LAYERS[@]}"; do
        [ "${LAYERS[$i]}" = "$1" ] && { echo "$i"; return; }
    done
    echo -1
}
bad=0
while IFS= read -r f; do
    rel=${f#"$src"/}
    layer=${rel%%/*}
    r=$(rank "$layer")
    [ "$r" -ge 0 ] || continue
    while IFS= read -r inc; do
        to=${inc%%/*}
        t=$(rank "$to")
        if [ "$t" -gt "$r" ]; then
            echo "layers: $rel includes $inc ($layer may not depend on $to)" >&2
            bad=1
        fi
    done < <(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([a-z]*\/[^"]*\)".*/\1/p' "$f")
done < <(find "$src" -type f \( -name '*.c' -o -name '*.h' -o -name '*.S' \) | sort)
[ "$bad" = 0 ] || exit 1
[ $# -ge 2 ] && touch "$2"
exit 0
