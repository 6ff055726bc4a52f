#!/bin/bash
# scl-score learn and learn --forget: learning moves the score toward the
# class, the same message counts once, forget restores the model byte for
# byte, relearning as the other class, and concurrent learn calls
# serialise on the model's lock (none is lost).
. "$(dirname "$0")/lib.sh"
. "$SRCDIR/testsuite/fixtures/spam/setup.sh"

scl_setup || bail "cannot train the test model"
# A ham-looking message that is in fact spam.
msg=$TEST_TMP/tricky.msg
sed "s/^Subject: .*/Subject: meeting agenda lottery/" "$(scl_one ham)" >"$msg"

test_expect_success 'learn --spam raises the score; learning it again counts once' '
	cp "$SCL_MODEL" before.model &&
	scl-score -c "$SCL_CONF" check <"$msg" >before &&
	test_grep -Eq "^scl=[0-4] action=deliver" before &&
	scl-score -c "$SCL_CONF" learn --spam <"$msg" >out1 &&
	test_grep -q "^learnt as spam$" out1 &&
	scl-score -c "$SCL_CONF" check <"$msg" >after &&
	test_grep -Eq "^scl=[5-9] action=junk" after &&
	cp "$SCL_MODEL" once.model &&
	scl-score -c "$SCL_CONF" learn --spam <"$msg" >out2 &&
	test_grep -q "^already learnt as spam$" out2 &&
	cmp once.model "$SCL_MODEL"
'

test_expect_success 'forget restores the score and the model exactly' '
	scl-score -c "$SCL_CONF" learn --forget <"$msg" >out &&
	test_grep -q "^forgotten$" out &&
	scl-score -c "$SCL_CONF" check <"$msg" >again &&
	test_cmp before again &&
	cmp before.model "$SCL_MODEL"
'

test_expect_code 1 'forgetting a message never learnt is a negative answer' '
	scl-score -c "$SCL_CONF" learn --forget <"$msg" >out; rc=$?
	test_grep -q "^not learnt before$" out >&2 || exit 99; exit $rc
'

test_expect_success 'learning as the other class replaces the first learning' '
	scl-score -c "$SCL_CONF" learn --spam <"$msg" &&
	scl-score -c "$SCL_CONF" learn --ham <"$msg" >out &&
	test_grep -q "^learnt as ham$" out &&
	scl-score -c "$SCL_CONF" check <"$msg" | test_grep -Eq "^scl=[0-4] " &&
	scl-score -c "$SCL_CONF" learn --forget <"$msg" &&
	cmp before.model "$SCL_MODEL"
'

test_expect_success 'concurrent learn calls serialise: none is lost' '
	i=0 &&
	for f in "$SCL_TEST"/spam/cur/* "$SCL_TEST"/ham/cur/*; do
		i=$((i + 1)); [ $i -le 12 ] || break
		scl-score -c "$SCL_CONF" learn --spam <"$f" >learn.$i 2>&1 &
	done &&
	wait &&
	test "$(cat learn.* | sort | uniq -c | sed "s/^ *//")" = "12 learnt as spam" &&
	i=0 &&
	for f in "$SCL_TEST"/spam/cur/* "$SCL_TEST"/ham/cur/*; do
		i=$((i + 1)); [ $i -le 12 ] || break
		scl-score -c "$SCL_CONF" learn --spam <"$f" || exit 1
	done >again.out &&
	test "$(sort again.out | uniq -c | sed "s/^ *//")" = "12 already learnt as spam" &&
	test -e "$SCL_MODEL.lock"
'

test_expect_code 64 'learn needs --spam or --ham' '
	scl-score -c "$SCL_CONF" learn <"$msg"
'

test_expect_code 75 'learn with no model is a temporary failure' '
	scl-score -c "$SCL_CONF" --model missing.model learn --spam <"$msg"
'

test_done
