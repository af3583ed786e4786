# dollar0.sh - a #! script's $0 is the name its caller used (relative stays relative).
d=$(mktemp -d)
mkdir "$d/bin"
printf '#!/bin/sh\necho "0=$0"\n' >"$d/bin/tool"
chmod +x "$d/bin/tool"
cd "$d" && ./bin/tool && bin/tool && (cd bin && ../bin/tool) && PATH="$d/bin:$PATH" tool | sed "s|$d|D|"
rm -r "$d"
