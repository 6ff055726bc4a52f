#!/bin/bash
# `smtp-edge check-ip --policy NAME` and `smtp-edge spf --policy NAME`
# judge with a named policy's keys on top of the section's, as a session
# on that policy's listener would: the inbound policy's block list and
# deny list, its SPF actions and hostname; without --policy (or with
# "default") the section alone; an unknown policy is a config error.
. "$(dirname "$0")/lib.sh"

dns_start $DNS_DEFAULT_ZONES "$SRCDIR/testsuite/fixtures/spf/layer1.zone"
cd "$TEST_TMP" || exit 1

cat >edge.json <<JSON
{
  "dns": { "resolver": ["$DNS_RESOLVER"], "timeout": "3s" },
  "smtp-edge": {
    "hostname": "edge.example.test",
    "spf": { "enabled": false },
    "policies": {
      "inbound": {
        "hostname": "mx.example.test",
        "dnsbl": [ { "zone": "bl1.test", "weight": 2 } ],
        "dnsbl_threshold": 2,
        "deny": ["198.51.100.0/24"],
        "spf": { "enabled": true, "fail": "reject", "softfail": "tag" }
      },
      "outbound": { "allow": ["192.0.2.0/24"] }
    }
  }
}
JSON

test_expect_success 'check-ip: the section alone has no lists, accept' '
	smtp-edge -c edge.json check-ip 192.0.2.10 >out &&
	test_grep -qx "decision=accept reason=\"no list matched\"" out &&
	! grep -q "^policy=" out
'

test_expect_code 1 'check-ip --policy inbound: its block list refuses the listed client' '
	smtp-edge -c edge.json check-ip --policy inbound 192.0.2.10 >out; rc=$?
	cat >expect <<-\OUT &&
	client=192.0.2.10
	policy=inbound
	dnsbl zone=bl1.test weight=2 answer=127.0.0.2 status=listed
	score=2 threshold=2
	decision=reject reason="dnsbl score 2 >= 2 (bl1.test=2)"
	reply="554 5.7.1 Service unavailable; client [192.0.2.10] blocked using bl1.test"
	OUT
	test_cmp expect out || exit 99; exit $rc
'

test_expect_code 1 'check-ip --policy inbound: its deny list' '
	smtp-edge -c edge.json check-ip 198.51.100.7 --policy inbound >out; rc=$?
	test_grep -q "^decision=reject" out || exit 99; exit $rc
'

test_expect_success 'check-ip --policy outbound: its allow list, in JSON too' '
	smtp-edge -c edge.json --json check-ip --policy outbound 192.0.2.10 >out &&
	test "$(jq -r .policy out)" = outbound &&
	test "$(jq -r .decision out)" = allow &&
	smtp-edge -c edge.json check-ip --policy default 192.0.2.10 >out &&
	test_grep -qx "decision=accept reason=\"no list matched\"" out
'

test_expect_code 78 'check-ip --policy with an unknown name' '
	smtp-edge -c edge.json check-ip --policy sideways 192.0.2.10 >out 2>err; rc=$?
	test_grep "no policy sideways in smtp-edge.policies (there are: inbound, outbound)" err ||
		exit 99
	exit $rc
'

test_expect_code 1 'spf --policy inbound: fail, and the policy rejects it' '
	smtp-edge -c edge.json spf --policy inbound --ip 192.0.2.99 --sender bob@example.test \
		--helo client.test >out; rc=$?
	test_grep -qx fail out &&
	test_grep -qx "policy=inbound action=reject" out &&
	test_grep "receiver=mx.example.test;" out || exit 99
	exit $rc
'

test_expect_code 1 'spf without --policy: the same result, no action line' '
	smtp-edge -c edge.json spf --ip 192.0.2.99 --sender bob@example.test --helo client.test \
		>out; rc=$?
	test_grep -qx fail out && ! grep -q "^policy=" out || exit 99
	exit $rc
'

test_expect_code 1 'spf --policy outbound: SPF is off there (JSON)' '
	smtp-edge -c edge.json --json spf --policy outbound --ip 192.0.2.99 \
		--sender bob@example.test >out; rc=$?
	test "$(jq -r .result out)" = fail &&
	test "$(jq -r .action out)" = none &&
	test "$(jq -r .policy out)" = outbound || exit 99
	exit $rc
'

test_done
