#!/bin/bash
# The systemd units and timers make install puts in place pass
# systemd-analyze verify, name installed programs, and keep the hardening
# the daemons are documented to run under.
. "$(dirname "$0")/lib.sh"

need systemd-analyze

# Installed under a private PREFIX so ExecStart= names real files.
root=$TEST_TMP/root
test_expect_success 'make install with a private PREFIX' '
	make -s -C "$SRCDIR" install O="$POSTERN_BUILD" PREFIX="$root" >/dev/null &&
	test -d "$root/lib/systemd/system"
'

units=$root/lib/systemd/system
test_expect_success 'a service for every daemon, a socket for the socket-activated ones' '
	for d in smtp-edge owa-cas eas-policy autodiscover-gen um-sipd; do
		test -f "$units/$d.service" || { echo "no $d.service"; exit 1; }
	done &&
	for s in smtp-edge owa-cas eas-policy autodiscover-gen; do
		test_grep -q "^FileDescriptorName=" "$units/$s.socket" || exit 1
	done
'

test_expect_success 'timers for certsel --check and smtp-edge sync' '
	test_grep -q "^ExecStart=.*certsel --check" "$units/certsel-check.service" &&
	test_grep -q "^ExecStart=.*smtp-edge sync" "$units/smtp-edge-sync.service" &&
	test_grep -q "^OnCalendar=" "$units/certsel-check.timer" &&
	test_grep -q "^OnUnitActiveSec=" "$units/smtp-edge-sync.timer"
'

test_expect_success 'ExecStart= names the installed programs' '
	grep -h "^ExecStart=" "$units"/*.service | sed "s/^ExecStart=//; s/ .*//" >execs &&
	while read -r x; do
		case $x in "$root"/bin/*) test -x "$x" || { echo "$x missing"; exit 1; } ;;
		*) echo "ExecStart outside PREFIX: $x"; exit 1 ;; esac
	done <execs
'

test_expect_success 'systemd-analyze verify accepts every unit' '
	(cd "$units" && systemd-analyze verify --man=no ./*) >verify.out 2>&1 ||
		{ cat verify.out; exit 1; }
	! test -s verify.out || { cat verify.out; exit 1; }
'

test_expect_success 'daemons run as postern with the hardening options' '
	for d in smtp-edge owa-cas eas-policy autodiscover-gen um-sipd; do
		for k in User=postern NoNewPrivileges=yes ProtectSystem=strict PrivateTmp=yes \
			"RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6"; do
			grep -qx "$k" "$units/$d.service" || { echo "$d.service lacks $k"; exit 1; }
		done
	done
'

test_expect_success 'systemd-analyze security rates the daemons OK or better' '
	for d in smtp-edge owa-cas eas-policy autodiscover-gen um-sipd; do
		systemd-analyze security --offline=yes "$units/$d.service" 2>&1 | tail -1 >score &&
		level=$(sed -n "s/.*level for .*: \([0-9.]*\).*/\1/p" score) &&
		test -n "$level" &&
		awk -v l="$level" "BEGIN { exit !(l <= 3.0) }" ||
			{ echo "$d: $(cat score)"; exit 1; }
	done
'

test_expect_success 'make uninstall removes the units' '
	make -s -C "$SRCDIR" uninstall O="$POSTERN_BUILD" PREFIX="$root" >/dev/null &&
	! test -e "$units/smtp-edge.service"
'

test_done
