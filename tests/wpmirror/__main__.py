"""``python -m tests.wpmirror [--port N]``: serve the second mirror in the foreground."""

import argparse

from . import WpMirrorServer

parser = argparse.ArgumentParser(prog="python -m tests.wpmirror", description=__doc__)
parser.add_argument("--port", type=int, default=8766, help="port on 127.0.0.1 (default 8766)")
args = parser.parse_args()
server = WpMirrorServer(port=args.port)
print(f"Gulf Wire mirror on http://127.0.0.1:{args.port}/ (Ctrl-C stops it)", flush=True)
server.serve_forever()
