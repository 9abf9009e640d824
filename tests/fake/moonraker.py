#!/usr/bin/env python3
# Fake Moonraker for flashbay's tests: answers GET /printer/objects/query?print_stats
# like Moonraker does, on 127.0.0.1 and a free port.
#
#   moonraker.py PORTFILE STATEFILE
#
# PORTFILE gets the port once the server listens (wait for it). STATEFILE is
# read on every request (change it between requests):
#   standby | printing | paused | complete | cancelled | error   -> that print_stats.state
#   http503     HTTP 503 {"error": {"code": 503, "message": "Klippy Disconnected", ...}}
#   garbage     HTTP 200 with a body that is not JSON
#   slow        answers after 10 s (for timeouts)
# Every request line is appended to STATEFILE.log.
import http.server
import json
import os
import sys
import time

port_file, state_file = sys.argv[1], sys.argv[2]


class Handler(http.server.BaseHTTPRequestHandler):
	def log_message(self, fmt, *args):
		with open(state_file + ".log", "a") as f:
			f.write("%s %s\n" % (self.command, self.path))

	def send(self, code, body):
		data = body.encode()
		self.send_response(code)
		self.send_header("Content-Type", "application/json; charset=UTF-8")
		self.send_header("Content-Length", str(len(data)))
		self.end_headers()
		self.wfile.write(data)

	def do_GET(self):
		try:
			with open(state_file) as f:
				state = f.read().strip()
		except OSError:
			state = "standby"
		if self.path != "/printer/objects/query?print_stats":
			self.send(404, json.dumps({"error": {"code": 404, "message": "Not Found",
							     "traceback": ""}}))
			return
		if state == "slow":
			time.sleep(10)
			state = "standby"
		if state == "http503":
			self.send(503, json.dumps({"error": {"code": 503, "message": "Klippy Disconnected",
							     "traceback": ""}}))
			return
		if state == "garbage":
			self.send(200, "<html>not moonraker</html>")
			return
		self.send(200, json.dumps({"result": {"eventtime": 3798.412591, "status": {"print_stats": {
			"filename": "benchy.gcode" if state in ("printing", "paused") else "",
			"total_duration": 0.0, "print_duration": 0.0, "filament_used": 0.0,
			"state": state, "message": "",
			"info": {"total_layer": None, "current_layer": None}}}}}))


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.daemon_threads = True
with open(port_file + ".tmp", "w") as f:
	f.write("%d\n" % server.server_address[1])
os.replace(port_file + ".tmp", port_file)
server.serve_forever()
