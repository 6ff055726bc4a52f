#!/bin/bash
# A missing or damaged model is a temporary failure (exit 75) with the
# reason, never a silent SCL 0; the filter then writes nothing. Training
# replaces the model by rename, so readers during a retrain never fail.
. "$(dirname "$0")/lib.sh"
. "$SRCDIR/testsuite/fixtures/spam/setup.sh"
need dd

scl_setup || bail "cannot train the test model"
msg=$(scl_one spam)

# damaged NAME: a copy of the model and a config using it.
damaged() {
	cp "$SCL_MODEL" "$1.model" &&
	sed "s|$SCL_MODEL|$TEST_TMP/$1.model|" "$SCL_CONF" >"$1.json"
}

test_expect_code 75 'a missing model: exit 75, nothing on stdout' '
	scl-score -c "$SCL_CONF" --model nowhere.model <"$msg" >out 2>err; rc=$?
	test_grep -q "cannot use model .nowhere.model.: No such file or directory" err >&2 &&
	test ! -s out && exit $rc
'

test_expect_code 75 'one flipped byte in the weights: bad checksum' '
	damaged flip &&
	printf "\377" | dd of=flip.model bs=1 seek=5000 conv=notrunc 2>/dev/null &&
	scl-score -c flip.json <"$msg" >out 2>err; rc=$?
	test_grep -q "bad checksum (corrupt model)" err >&2 && test ! -s out && exit $rc
'

# The checksum runs in AVX2 registers where the CPU has them; glibc's
# tunable turns that off, and the same file must check the same.
test_expect_success 'without AVX2: the model checks, a flipped byte does not' '
	damaged flip2 &&
	GLIBC_TUNABLES=glibc.cpu.hwcaps=-AVX2 scl-score -c flip2.json check <"$msg" >out &&
	test_grep -Eq "^scl=[0-9] action=" out &&
	b=$(od -An -tu1 -j 300001 -N1 flip2.model) &&
	printf "\\$(printf %o $(((b + 1) % 256)))" |
		dd of=flip2.model bs=1 seek=300001 conv=notrunc 2>/dev/null &&
	! cmp -s flip2.model "$SCL_MODEL" &&
	{ GLIBC_TUNABLES=glibc.cpu.hwcaps=-AVX2 scl-score -c flip2.json check <"$msg" 2>err
	  test $? = 75; } &&
	test_grep -q "bad checksum (corrupt model)" err
'

test_expect_code 75 'a truncated model' '
	damaged trunc && truncate -s 100000 trunc.model &&
	scl-score -c trunc.json check <"$msg" 2>err; rc=$?
	test_grep -q "model file truncated" err >&2 && exit $rc
'

test_expect_code 75 'trailing bytes' '
	damaged trail && echo junk >>trail.model &&
	scl-score -c trail.json check <"$msg" 2>err; rc=$?
	test_grep -q "trailing bytes" err >&2 && exit $rc
'

test_expect_code 75 'not a model at all' '
	damaged magic && printf "XXXXXXXX" | dd of=magic.model bs=1 seek=0 conv=notrunc 2>/dev/null &&
	scl-score -c magic.json explain <"$msg" 2>err; rc=$?
	test_grep -q "not an scl-score model (bad magic)" err >&2 && exit $rc
'

test_expect_code 75 'an empty model file' '
	damaged empty && : >empty.model &&
	scl-score -c empty.json eval --spam "$msg" 2>err; rc=$?
	test_grep -q "file size is not a model" err >&2 && exit $rc
'

test_expect_code 75 'a version from the future' '
	damaged ver && printf "\011" | dd of=ver.model bs=1 seek=8 conv=notrunc 2>/dev/null &&
	scl-score -c ver.json check <"$msg" 2>err; rc=$?
	test_grep -q "model version 9, this scl-score reads version 4$" err >&2 && exit $rc
'

test_expect_code 75 'a version 3 model (16-bit weights) says to train a new one' '
	damaged old && printf "\003" | dd of=old.model bs=1 seek=8 conv=notrunc 2>/dev/null &&
	scl-score -c old.json <"$msg" >out 2>err; rc=$?
	test_grep -q "model version 3, this scl-score reads version 4 (an older model: train a new one with scl-score train)" err >&2 &&
	test ! -s out && exit $rc
'

test_expect_success 'readers during retraining never see a half model' '
	( for i in 1 2 3; do
		scl-score -c "$SCL_CONF" train --spam "$SCL_CORPUS/spam" --ham "$SCL_CORPUS/ham" 2>/dev/null
	  done; touch trained ) &
	n=0 &&
	while [ ! -e trained ]; do
		scl-score -c "$SCL_CONF" check <"$msg" >out || exit 1
		test_grep -Eq "^scl=[5-9] action=(junk|reject)" out || exit 1
		n=$((n + 1))
	done &&
	wait && echo "$n checks" && test $n -gt 0 &&
	test -z "$(ls "$(dirname "$SCL_MODEL")" | grep -v "^scl\.model\(\.lock\)\?$" | grep "^scl\.model")"
'

test_done
