#!/usr/bin/env python3
"""A stand-in for the datatracker's two notify APIs, on 127.0.0.1 only.

Checks the form fields and payload shapes the real endpoints expect and
appends each accepted call as one JSON line to LOG.  Usage:
fake_datatracker.py PORTFILE LOG APIKEY
"""
import json
import sys
import urllib.parse
from http.server import BaseHTTPRequestHandler, HTTPServer

portfile, log, apikey = sys.argv[1:4]


def check_attended(form):
    d = json.loads(form["attended"][0])
    assert set(d) == {"session_id", "attendees"}, d
    assert isinstance(d["session_id"], int)
    for a in d["attendees"]:
        assert set(a) == {"user_id", "join_time"}, a
        assert isinstance(a["user_id"], int)
        assert a["join_time"].endswith("Z") and "T" in a["join_time"]
    return d


def check_bluesheet(form):
    int(form["session_id"][0])
    b = json.loads(form["bluesheet"][0])
    assert isinstance(b, list)
    for x in b:
        assert set(x) == {"name", "affiliation"}, x
        assert isinstance(x["name"], str) and isinstance(x["affiliation"], str)
    return {"session_id": int(form["session_id"][0]), "bluesheet": b}


class H(BaseHTTPRequestHandler):
    def do_POST(self):
        n = int(self.headers.get("Content-Length", 0))
        form = urllib.parse.parse_qs(self.rfile.read(n).decode("utf-8"),
                                     strict_parsing=True)
        if form.get("apikey") != [apikey]:
            return self.reply(403, "bad apikey")
        try:
            if self.path == "/api/notify/session/attendees":
                d = check_attended(form)
            elif self.path == "/api/notify/session/bluesheet":
                d = check_bluesheet(form)
            else:
                return self.reply(404, "no such API")
        except Exception as e:  # any shape problem is the client's fault
            return self.reply(400, "bad payload: %r" % e)
        with open(log, "a") as f:
            f.write(json.dumps({"path": self.path, "data": d}) + "\n")
        self.reply(200, "Done")

    def reply(self, code, text):
        body = text.encode()
        self.send_response(code)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *a):
        pass


srv = HTTPServer(("127.0.0.1", 0), H)
with open(portfile + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
import os
os.rename(portfile + ".tmp", portfile)
srv.serve_forever()
