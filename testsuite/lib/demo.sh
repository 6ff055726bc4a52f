# Fixture helpers for the tests that start share/demo.sh (t0950, t1500).

# demo_base: the first of 14 consecutive ports that this process can bind
# (TCP and UDP) on 127.0.0.1, below the range of ephemeral ports that
# other tests' connections take.
demo_base() {
	/usr/bin/python3 - <<-'PY'
	import random, socket, sys
	for _ in range(200):
	    b = random.randrange(10000, 32000)
	    try:
	        held = []
	        for p in range(b, b + 14):
	            for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
	                s = socket.socket(socket.AF_INET, kind)
	                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
	                s.bind(("127.0.0.1", p))
	                held.append(s)
	        print(b)
	        sys.exit(0)
	    except OSError:
	        pass
	    finally:
	        for s in held:
	            s.close()
	sys.exit(1)
	PY
}
