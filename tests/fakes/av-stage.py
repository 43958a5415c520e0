#!/usr/bin/env python3
"""A fake av stage tool for av-schedule's tests.

Installed under the names av-script, av-voice, ... (symlinks); the name
says which section it writes.  It reads JSON Lines on stdin and prints
each document with its section added, like the real tools.  Controlled
by the environment:
  FAKE_MARK         file: one line "STAGE JOB ATTEMPT DOCID" is appended
                    when the stage finishes successfully
  FAKE_SLEEP        seconds to sleep before doing anything (all stages)
  FAKE_SLEEP_STAGE  the same for one stage (FAKE_SLEEP_VOICE=2)
  FAKE_FAIL_STAGE   "STATUS:N": exit STATUS the first N times this stage
                    runs for a job (counted in FAKE_STATE/STAGE-JOB)
  FAKE_STATE        directory for counters (default: dir of FAKE_MARK)
  FAKE_ARGS         file: the argv (after the program) is appended, one
                    line per run, words separated by spaces
"""
import json
import os
import sys
import time

stage = os.path.basename(sys.argv[0])
if stage.startswith("av-"):
    stage = stage[3:]
env = os.environ
job = env.get("AV_SCHEDULE_JOB", "-")
attempt = env.get("AV_SCHEDULE_ATTEMPT", "-")
mark = env.get("FAKE_MARK")
state = env.get("FAKE_STATE") or (os.path.dirname(mark) if mark else ".")

if env.get("FAKE_ARGS"):
    with open(env["FAKE_ARGS"], "a") as f:
        f.write(stage + " " + " ".join(sys.argv[1:]) + "\n")

delay = float(env.get("FAKE_SLEEP_" + stage.upper(), env.get("FAKE_SLEEP", "0")))
if delay > 0:
    time.sleep(delay)

fail = env.get("FAKE_FAIL_" + stage.upper())
if fail:
    status, times = fail.split(":")
    counter = os.path.join(state, "count-%s-%s" % (stage, job))
    n = 0
    if os.path.exists(counter):
        with open(counter) as f:
            n = int(f.read().strip() or "0")
    if n < int(times):
        with open(counter, "w") as f:
            f.write(str(n + 1))
        sys.stderr.write("av-%s: fake failure %d of %s\n" % (stage, n + 1, times))
        sys.exit(int(status))

out = []
for line in sys.stdin:
    line = line.strip()
    if not line:
        continue
    doc = json.loads(line)
    doc[stage] = {"fake": True, "job": job, "attempt": attempt}
    out.append(doc)
for doc in out:
    print(json.dumps(doc, separators=(",", ":")))
sys.stdout.flush()
if mark:
    with open(mark, "a") as f:
        for doc in out:
            f.write("%s %s %s %s\n" % (stage, job, attempt, doc.get("id", "-")))
