#!/usr/bin/env python3
"""Fills one person's journal with two years of realistic entries through the
JSON API: a questionnaire, patient details, a medicine history, an iron panel
every three months with an infusion, and a diary night for every day.

usage: seed_journal.py BASE_URL TOKEN PERSON_ID
"""
import datetime as dt
import http.client
import json
import sys
import urllib.parse

base, token, person = sys.argv[1], sys.argv[2], sys.argv[3]
url = urllib.parse.urlparse(base)
conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}


def call(method, path, body):
    conn.request(method, path, json.dumps(body), headers)
    r = conn.getresponse()
    text = r.read()
    if r.status >= 300:
        sys.exit(f"{method} {path}: {r.status} {text.decode()}")


today = dt.date.today()
start = today - dt.timedelta(days=729)
p = f"/api/v1/people/{person}"
call("PUT", f"{p}/patient", {"birth_date": "1971-05-04", "sex": "female", "weight_kg": 70})
call("PUT", f"{p}/symptoms", {
    "urge_to_move": True, "worse_at_rest": True, "relieved_by_movement": True,
    "worse_evening_or_night": True, "not_explained_by_other_condition": True,
    "days_per_week": 6, "irls_total": 24, "onset_time": "20:30", "body_parts": ["legs"]})
call("POST", f"{p}/medications", {"name": "sertraline", "dose": "50 mg", "started": str(start)})
call("POST", f"{p}/medications", {"name": "pramipexole", "dose": "0.25 mg",
                                   "started": str(start), "stopped": str(start + dt.timedelta(days=200)),
                                   "outcome": "ineffective"})
ferritin = 28.0
for quarter in range(8):
    day = start + dt.timedelta(days=quarter * 91)
    call("POST", f"{p}/labs", {"test": "ferritin", "value": ferritin, "unit": "ng/mL", "date": str(day)})
    call("POST", f"{p}/labs", {"test": "tsat", "value": 16 + quarter, "unit": "%", "date": str(day)})
    ferritin += 9
call("POST", f"{p}/iron-treatments", {"route": "iv", "product": "ferric carboxymaltose",
                                       "dose_mg": 1000, "date": str(start + dt.timedelta(days=100))})
for n in range(730):
    day = start + dt.timedelta(days=n)
    call("POST", f"{p}/diary", {"date": str(day), "severity": 3 + (n * 7) % 6,
                                 "sleep_hours": 5.5 + (n % 5) * 0.5, "body_parts": ["legs"]})
print(f"seeded person {person}: 2 years, {730 + 16 + 5} entries")
