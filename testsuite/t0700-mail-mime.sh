#!/bin/bash
# The MIME parser through the mimedump tool on fixture messages: the tree
# it prints, the same tree for CRLF and LF and for every chunk size fed,
# the text and URLs, and a 1,000-part message within the limits.
. "$(dirname "$0")/lib.sh"
need mimedump sed
FIX=$SRCDIR/testsuite/fixtures/mail

for f in nested broken; do
	test_expect_success "tree of $f.eml" '
		mimedump "$FIX/'$f'.eml" >'$f'.out &&
		test_cmp "$FIX/'$f'.tree" '$f'.out
	'
	test_expect_success "$f.eml with CRLF gives the same tree" '
		sed "s/\$/\r/" "$FIX/'$f'.eml" >'$f'.crlf &&
		mimedump '$f'.crlf >'$f'.crlf.out &&
		test_cmp "$FIX/'$f'.tree" '$f'.crlf.out
	'
	test_expect_success "$f.eml fed in chunks gives the same tree and offsets" '
		mimedump -o "$FIX/'$f'.eml" >'$f'.whole &&
		for c in 1 2 3 7 64 4096; do
			mimedump -o -c $c "$FIX/'$f'.eml" >'$f'.chunk.$c &&
			test_cmp '$f'.whole '$f'.chunk.$c || exit 1
		done
	'
done

test_expect_success 'text: subject, QP latin1, HTML without its script' '
	mimedump -t "$FIX/nested.eml" >text &&
	printf "R\303\251sum\303\251 attached\nCaf\303\251 http://plain.example.test/x\nHi there\n\ndeep text\n" >expect &&
	test_cmp expect text
'

test_expect_success 'URLs: in text and in href, entities decoded' '
	mimedump -u "$FIX/nested.eml" >urls &&
	printf "http://plain.example.test/x\nhttps://html.example.test/?a=1&b=2\n" >expect &&
	test_cmp expect urls
'

test_expect_success 'decoding a part: base64 attachment, garbage skipped' '
	mimedump -d 3 "$FIX/broken.eml" >part3 &&
	printf hello >expect && test_cmp expect part3
'

test_expect_success '1,000 sibling parts and 1,000 nested ones stay within the limits' '
	{ printf "Content-Type: multipart/mixed; boundary=s\n\n"
	  i=0; while [ $i -lt 1200 ]; do printf -- "--s\n\npart %d\n" $i; i=$((i+1)); done
	  printf -- "--s--\n"; } >many.eml &&
	mimedump many.eml >many.out &&
	test "$(wc -l <many.out)" = 1000 &&
	test_grep -q "^0 multipart/mixed.*parts-limit" many.out &&
	{ i=0; while [ $i -lt 1000 ]; do printf "Content-Type: multipart/mixed; boundary=b%d\n\n--b%d\n" $i $i; i=$((i+1)); done
	  printf "\ndeep\n"; } >deep.eml &&
	mimedump deep.eml >deep.out &&
	test "$(wc -l <deep.out)" = 33 &&
	test_grep -q "depth-limit" deep.out
'

test_done
