#!/bin/sh
# Gives every workspace member an empty library and every target its manifest declares
# (`path = …`, `[[bench]]` by name) a stub `main`, so docker/Dockerfile can compile the
# dependencies from the manifests and Cargo.lock alone: that layer is rebuilt only when they
# change, not on every source edit. Run from the workspace root.
set -eu
for manifest in */Cargo.toml; do
  dir=${manifest%/Cargo.toml}
  mkdir -p "$dir/src"
  : > "$dir/src/lib.rs"
  awk '/^\[\[bench\]\]/ { bench = 1; next }
       bench && /^name *=/ { gsub(/^name *= *"|".*$/, ""); print "benches/" $0 ".rs"; bench = 0; next }
       /^path *=/ { gsub(/^path *= *"|".*$/, ""); print }' "$manifest" |
  while read -r target; do
    mkdir -p "$dir/$(dirname "$target")"
    echo 'fn main() {}' > "$dir/$target"
  done
done
