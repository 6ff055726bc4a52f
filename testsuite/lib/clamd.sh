# clamd from clamav-daemon on a unix socket in $TEST_TMP, with a test
# signature database only (never freshclam, never the network): the
# EICAR test string and a custom signature, POSTERN-TEST-VIRUS-7f3a.
# Every scan is logged (LogClean), so a test can tell a scan happened.

# clamd_start: exports CLAMD_SOCK and CLAMD_LOG; returns once clamd
# listens.
clamd_start() {
	need clamd od
	local dir=$TEST_TMP/clamd tries=200 hex
	mkdir -p "$dir/db"
	hex() { printf "%s" "$1" | od -An -tx1 | tr -d " \n"; }
	{
		printf 'Eicar-Test-Signature:0:*:%s\n' "$(hex 'EICAR-STANDARD-ANTIVIRUS-TEST-FILE')"
		printf 'Postern.Test.Custom:0:*:%s\n' "$(hex 'POSTERN-TEST-VIRUS-7f3a')"
	} >"$dir/db/postern-test.ndb"
	cat >"$dir/clamd.conf" <<-CONF
	Foreground yes
	LocalSocket $dir/clamd.sock
	DatabaseDirectory $dir/db
	LogFile $dir/clamd.log
	LogClean yes
	LogTime no
	TemporaryDirectory $dir
	ScanMail yes
	SelfCheck 3600
	User $(id -un)
	CONF
	export CLAMD_SOCK=$dir/clamd.sock CLAMD_LOG=$dir/clamd.log
	bg_start clamd clamd --config-file="$dir/clamd.conf"
	while [ "$tries" -gt 0 ]; do
		[ -S "$CLAMD_SOCK" ] && grep -q "Self checking" "$CLAMD_LOG" 2>/dev/null && return 0
		sleep 0.05; tries=$((tries - 1))
	done
	bail "clamd did not start: $(tail -n 5 "$TEST_TMP/clamd.log" "$CLAMD_LOG" 2>&1)"
}

# clamd_scans: the number of streams clamd has scanned so far.
clamd_scans() { grep -c '^instream(' "$CLAMD_LOG" 2>/dev/null || true; }
