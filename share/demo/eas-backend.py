#!/usr/bin/python3
"""The demo's ActiveSync backend behind eas-policy: a stand-in mail
server that answers every command with an empty folder hierarchy
(FolderSync Status 1, SyncKey 1, in WBXML) and logs one line per
request, so that what eas-policy lets through can be seen.

usage: eas-backend.py PORT"""
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# <FolderSync xmlns="FolderHierarchy:"><Status>1</Status><SyncKey>1</SyncKey></FolderSync>
REPLY = bytes.fromhex("03016a000007564c03310001520331000101")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0") or 0)
        if n:
            self.rfile.read(n)
        print("backend: %s %s user=%s" % (self.command, self.path,
              self.headers.get("X-MS-PolicyKey", "-")), flush=True)
        self.send_response(200)
        self.send_header("Content-Type", "application/vnd.ms-sync.wbxml")
        self.send_header("Content-Length", str(len(REPLY)))
        self.end_headers()
        self.wfile.write(REPLY)

    do_OPTIONS = do_POST


server = ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler)
print("backend: listening on 127.0.0.1:%s" % sys.argv[1], flush=True)
server.serve_forever()
