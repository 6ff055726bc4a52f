#!/bin/bash
# The library's layering: a lib/ module includes only headers of its own
# layer and of the layers below, as the Makefile's LAYERn lines say; no
# library code includes a program's files.
. "$(dirname "$0")/lib.sh"

layers=$TEST_TMP/layers
sed -n 's/^LAYER\([0-9]\) *= *\(.*\)/\1 \2/p' "$SRCDIR/Makefile" |
	while read -r n mods; do for m in $mods; do echo "$m $n"; done; done >"$layers"

test_expect_success 'the Makefile names the layers' '
	test_grep -q "^util 1$" layers && test_grep -q "^conf 2$" layers &&
	test_grep -q "^dir 3$" layers
'

test_expect_success 'every lib/ directory is in a layer' '
	for d in "$SRCDIR"/lib/*/; do
		m=$(basename "$d")
		grep -q "^$m " layers || { echo "lib/$m is in no layer"; exit 1; }
	done
'

test_expect_success 'no module includes a higher layer' '
	bad=0
	for f in "$SRCDIR"/lib/*/*.[ch]; do
		m=$(basename "$(dirname "$f")")
		mine=$(sed -n "s/^$m //p" layers)
		for inc in $(sed -n "s|^#include \"\([a-z0-9_]*\)/.*|\1|p" "$f"); do
			theirs=$(sed -n "s/^$inc //p" layers)
			if [ -z "$theirs" ] || [ "$theirs" -gt "$mine" ]; then
				echo "${f#$SRCDIR/} (layer $mine) includes $inc/ (layer ${theirs:-none})"
				bad=1
			fi
		done
	done
	[ $bad = 0 ]
'

test_expect_success 'library code never includes cmd/ or testsuite/' '
	! grep -n "#include \"\(\.\./\)*\(cmd\|testsuite\)/" "$SRCDIR"/lib/*/*.[ch]
'

test_expect_success 'each lib object exports only what its header declares' '
	bad=0
	for o in "$POSTERN_BUILD"/lib/*/*.o; do
		src=${o#$POSTERN_BUILD/}; src=${src%.o}
		hdr="$SRCDIR/$src.h"
		[ -e "$hdr" ] || hdr=$(dirname "$SRCDIR/$src")/$(basename "$(dirname "$src")").h
		for sym in $(nm -g --defined-only "$o" | awk "{print \$3}" | grep -v "^__"); do
			grep -qw "$sym" "$SRCDIR"/lib/$(basename "$(dirname "$src")")/*.h ||
				{ echo "$src.c exports $sym, declared in no header of its module"; bad=1; }
		done
	done
	[ $bad = 0 ]
'

test_done
