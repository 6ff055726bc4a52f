#!/bin/bash
# scl-score train and eval on a synthetic corpus: Maildir, mbox and plain
# files; spam lands at junk or above and ham below; eval's rates and
# 1-ROCA% as text and JSON; no progress bar when stderr is no terminal.
. "$(dirname "$0")/lib.sh"
. "$SRCDIR/testsuite/fixtures/spam/setup.sh"
need jq

test_expect_success 'train from Maildir folders writes a model' '
	scl_setup &&
	test -s "$SCL_MODEL" &&
	test_grep -q "trained .*spam=150 ham=150" "$TEST_TMP/train.log" &&
	! grep -q "$(printf "\r")" "$TEST_TMP/train.log"
'

test_expect_success 'test spam scores at junk or above, test ham below' '
	scl-score -c "$SCL_CONF" check --batch "$SCL_TEST"/spam/cur/* >spam.out &&
	scl-score -c "$SCL_CONF" check --batch "$SCL_TEST"/ham/cur/* >ham.out &&
	test $(wc -l <spam.out) = 20 && test $(wc -l <ham.out) = 20 &&
	! grep -Ev " scl=[5-9] action=(junk|reject) p=0\.[5-9]" spam.out &&
	! grep -v " scl=[0-4] action=deliver p=0\.[0-4]" ham.out
'

test_expect_success 'check prints exactly scl=N action=ACTION p=P' '
	scl-score -c "$SCL_CONF" check <"$(scl_one spam)" >out &&
	test $(wc -l <out) = 1 &&
	test_grep -Eq "^scl=[5-9] action=(junk|reject) p=0\.[0-9]{4}$" out
'

test_expect_success 'eval reports rates per threshold and 1-ROCA%' '
	scl-score -c "$SCL_CONF" eval --spam "$SCL_TEST/spam" --ham "$SCL_TEST/ham" >eval.out &&
	test_grep -q "^ham 20 spam 20 1-ROCA% 0.0000$" eval.out &&
	test_grep -Eq "^5 +0 +0.000 +0 +0.000$" eval.out &&
	test $(grep -c "^[1-9] " eval.out) = 9
'

test_expect_success 'eval --json' '
	scl-score -c "$SCL_CONF" --json eval --spam "$SCL_TEST/spam" --ham "$SCL_TEST/ham" >eval.json &&
	test "$(jq -r ".ham, .spam, .roca_percent, (.thresholds | length)" eval.json | tr "\n" " ")" = "20 20 0 9 " &&
	test "$(jq -r ".thresholds[4] | [.scl, .ham_fp, .spam_fn] | @tsv" eval.json)" = "$(printf "5\t0\t0")"
'

test_expect_success 'train reads mbox files and single message files too' '
	for f in "$SCL_CORPUS"/spam/cur/*; do echo "From spam@x Mon Mar  2 10:00:00 2026"; cat "$f"; echo; done >spam.mbox &&
	mkdir hamfiles && cp "$SCL_CORPUS"/ham/cur/* hamfiles/ &&
	scl_conf mbox.json && sed -i "s|$SCL_MODEL|$TEST_TMP/mbox.model|" mbox.json &&
	scl-score -c mbox.json train --spam spam.mbox --ham hamfiles 2>log &&
	test_grep -q "spam=150 ham=150" log &&
	scl-score -c mbox.json check <"$(scl_one spam)" | test_grep -Eq "action=(junk|reject)"
'

test_expect_code 64 'train without ham is a usage error' '
	scl-score -c "$SCL_CONF" train --spam "$SCL_CORPUS/spam"
'

test_expect_code 64 'paths before --spam or --ham are a usage error' '
	scl-score -c "$SCL_CONF" train "$SCL_CORPUS/spam"
'

test_expect_code 66 'a missing corpus path is an error' '
	scl-score -c "$SCL_CONF" --model other.model train --spam nowhere --ham "$SCL_CORPUS/ham"
'

test_done
