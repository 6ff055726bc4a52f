#!/bin/sh
# Regenerates the config-key lists inside the man pages from the programs'
# own key tables (between the BEGIN/END GENERATED marker comments), so the
# docs cannot drift from the code. With --check, changes nothing and fails
# when a page is out of date. Usage: gen-config.sh [--check] BUILD_DIR
set -eu
check=0
[ "${1:-}" = --check ] && { check=1; shift; }
build=$1
cd "$(dirname "$0")/.."
status=0
for page in man/*.[1-8]; do
	[ -e "$page" ] || continue
	grep -q '^\.\\" BEGIN GENERATED KEYS' "$page" || continue
	name=$(basename "$page"); prog=${name%.*}
	if [ "$prog" = postern.json ]; then
		gen="$build/tools/conf-doc"
	else
		gen="$build/bin/$prog --dump-config-doc"
	fi
	if [ ! -x "${gen%% *}" ]; then
		echo "$page: ${gen%% *} is not built" >&2
		[ $check = 1 ] && status=1
		continue
	fi
	new=$(mktemp)
	keys=$(mktemp)
	$gen >"$keys"
	awk -v keys="$keys" '
		/^\.\\" BEGIN GENERATED KEYS/ { print; while ((getline l < keys) > 0) print l; skip = 1; next }
		/^\.\\" END GENERATED KEYS/ { skip = 0 }
		!skip { print }' "$page" >"$new"
	if cmp -s "$new" "$page"; then
		rm -f "$new"
	elif [ $check = 1 ]; then
		echo "$page: config keys out of date; run make docs" >&2
		diff -u "$page" "$new" | head -n 20 >&2
		rm -f "$new"; status=1
	else
		mv "$new" "$page"; echo "updated $page"
	fi
	rm -f "$keys"
done
exit $status
