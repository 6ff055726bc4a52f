#!/bin/bash
# Docs do not drift: man pages pass mandoc -T lint, their generated config
# sections match the key tables, the completions match the option tables,
# and every program has --help, a man page and completions.
. "$(dirname "$0")/lib.sh"
need mandoc bash

test_expect_success 'every man page passes mandoc -T lint' '
	for m in "$SRCDIR"/man/*.[1-8]; do
		mandoc -T lint -W warning "$m" || exit 1
	done
'

test_expect_success 'generated config sections are current' '
	sh "$SRCDIR/man/gen-config.sh" --check "$POSTERN_BUILD"
'

test_expect_success 'postern.json(5) documents the shared sections from their tables' '
	mandoc -T ascii "$SRCDIR/man/postern.json.5" | sed "s/.\x08//g" >page &&
	test_grep -q "directory" page && test_grep -q "level (debug|info|warning|error)" page &&
	test_grep -q "resolver" page
'

test_expect_success 'committed completions are current' '
	sh "$SRCDIR/completions/gen.sh" --check "$POSTERN_BUILD"
'

test_expect_success 'every program has a man page, completions and --help' '
	for d in "$SRCDIR"/cmd/*/; do
		[ -d "$d" ] || continue
		p=$(basename "$d")
		ls "$SRCDIR"/man/$p.[18] >/dev/null || { echo "$p: no man page"; exit 1; }
		test -f "$SRCDIR/completions/bash/$p" || { echo "$p: no bash completion"; exit 1; }
		test -f "$SRCDIR/completions/zsh/_$p" || { echo "$p: no zsh completion"; exit 1; }
		"$BIN/$p" --help >/dev/null || { echo "$p: --help fails"; exit 1; }
	done
'

test_expect_success 'generated bash completion completes options, arguments and commands' '
	sh "$SRCDIR/completions/gen.sh" --one "$BIN/postern-testd" gen &&
	bash -c "
		. gen/bash/postern-testd
		COMP_WORDS=(postern-testd --con); COMP_CWORD=1; _postern_postern_testd
		echo opts: \${COMPREPLY[*]}
		COMP_WORDS=(postern-testd --log-format \"\"); COMP_CWORD=2; _postern_postern_testd
		echo fmt: \${COMPREPLY[*]}
		COMP_WORDS=(postern-testd -v lo); COMP_CWORD=2; _postern_postern_testd
		echo cmd: \${COMPREPLY[*]}
	" >out &&
	test_grep -q "^opts: --config$" out &&
	test_grep -q "^fmt: text json$" out &&
	test_grep -q "^cmd: lookup$" out
'

test_expect_success 'generated zsh completion is valid zsh' '
	sh "$SRCDIR/completions/gen.sh" --one "$BIN/postern-testd" gen &&
	test_grep -q "^#compdef postern-testd" gen/zsh/_postern-testd &&
	test_grep -q "{-c,--config}\"\[config file" gen/zsh/_postern-testd &&
	if command -v zsh >/dev/null; then zsh -n gen/zsh/_postern-testd; fi
'

test_expect_success 'the README picture is made from its source (make docs)' '
	need dot &&
	dot -Tsvg "$SRCDIR/share/doc/perimeter.dot" >perimeter.svg &&
	test_cmp "$SRCDIR/share/doc/perimeter.svg" perimeter.svg
'

test_expect_success 'make install puts programs, pages, completions and share/ under DESTDIR' '
	make -s -C "$SRCDIR" install O="$POSTERN_BUILD" DESTDIR="$TEST_TMP/root" PREFIX=/usr >/dev/null &&
	test -f root/usr/share/man/man5/postern.json.5 &&
	test -f root/usr/share/postern/ldap/postern.ldif &&
	test -d root/usr/share/bash-completion/completions &&
	make -s -C "$SRCDIR" uninstall O="$POSTERN_BUILD" DESTDIR="$TEST_TMP/root" PREFIX=/usr >/dev/null &&
	! test -e root/usr/share/man/man5/postern.json.5
'

test_done
