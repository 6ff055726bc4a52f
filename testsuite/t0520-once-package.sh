#!/bin/bash
# The Debian package: dpkg-buildpackage -us -uc -b builds it from the tree,
# lintian finds no error or warning, and (as root, as in CI) it installs:
# the postern user and /etc/postern exist, the units pass systemd-analyze
# verify in place, and purge removes it again.
. "$(dirname "$0")/lib.sh"

need dpkg-buildpackage
need lintian
need systemd-analyze
need git

# A copy of the work tree as git sees it (tracked and new files), so the
# package is built from exactly the sources, not from build directories.
src=$TEST_TMP/src/postern
test_expect_success 'dpkg-buildpackage -us -uc -b builds the package' '
	mkdir -p "$src" &&
	(cd "$SRCDIR" && git ls-files -co --exclude-standard -z | xargs -0 tar cf -) |
		(cd "$src" && tar xf -) &&
	(cd "$src" && dpkg-buildpackage -us -uc -b -j2 >"$TEST_TMP/build.log" 2>&1) ||
		{ tail -40 "$TEST_TMP/build.log"; exit 1; }
	deb=$(ls "$TEST_TMP"/src/postern_*_*.deb) && test -f "$deb"
'
deb=$(ls "$TEST_TMP"/src/postern_*_*.deb 2>/dev/null | head -1)

test_expect_success 'the package holds programs, pages, completions, units and examples' '
	dpkg-deb -c "$deb" | awk "{print \$6}" >contents &&
	for f in usr/bin/smtp-edge usr/bin/owa-cas usr/bin/um-sipd usr/bin/certsel \
		usr/share/man/man8/smtp-edge.8.gz usr/share/man/man5/postern.json.5.gz \
		usr/share/bash-completion/completions/smtp-edge \
		usr/share/zsh/vendor-completions/_smtp-edge \
		lib/systemd/system/smtp-edge.socket lib/systemd/system/certsel-check.timer \
		usr/share/postern/examples/postern.json; do
		grep -q "^\./$f$" contents || { echo "missing $f"; exit 1; }
	done
'

test_expect_success 'binaries are built with the hardening flags' '
	mkdir x && dpkg-deb -x "$deb" x &&
	readelf -d x/usr/bin/smtp-edge | grep -q "BIND_NOW" &&
	readelf -W --dyn-syms x/usr/bin/smtp-edge | grep -q "__[a-z_]*_chk"
'

test_expect_success 'lintian: no errors, no warnings' '
	lintian --tag-display-limit 0 "$deb" >lintian.out 2>&1
	! grep -E "^[EW]: " lintian.out || exit 1
'

if [ "$(id -u)" = 0 ]; then
	cleanup_push "dpkg --purge postern"
	test_expect_success 'as root: the package installs, makes the user and /etc/postern' '
		DEBIAN_FRONTEND=noninteractive dpkg -i "$deb" >install.log 2>&1 ||
			{ cat install.log; exit 1; }
		getent passwd postern >/dev/null &&
		test -f /etc/postern/postern.json &&
		test "$(stat -c %G /etc/postern/postern.json)" = postern
	'
	test_expect_success 'as root: the installed units pass systemd-analyze verify' '
		(cd /lib/systemd/system && systemd-analyze verify smtp-edge.service smtp-edge.socket \
			owa-cas.service owa-cas.socket eas-policy.service eas-policy.socket \
			autodiscover-gen.service autodiscover-gen.socket um-sipd.service \
			certsel-check.service certsel-check.timer smtp-edge-sync.service \
			smtp-edge-sync.timer) >verify.out 2>&1 || { cat verify.out; exit 1; }
		! test -s verify.out || { cat verify.out; exit 1; }
	'
	test_expect_success 'as root: the example config passes every daemon'"'"'s -n' '
		for p in smtp-edge owa-cas eas-policy autodiscover-gen um-sipd; do
			/usr/bin/$p -c /etc/postern/postern.json -n >n.out 2>&1 ||
				{ echo "$p:"; cat n.out; exit 1; }
		done
	'
	test_expect_success 'as root: purge removes programs and /etc/postern' '
		dpkg --purge postern >purge.log 2>&1 && ! test -e /usr/bin/smtp-edge &&
		! test -e /etc/postern
	'
else
	test_expect_success 'installing the package needs root (CI runs as root)' '
		echo "not root: run make check as root to install the package"; false
	'
fi

test_done
