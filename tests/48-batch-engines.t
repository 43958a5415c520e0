#!/bin/sh
# The batch-engine examples run here without the engines: the Slurm array
# script as sbatch would run it (a copy in a spool directory, one task per
# SLURM_ARRAY_TASK_ID, the working directory the submit directory) and
# the Kubernetes Indexed Job's pod command once per JOB_COMPLETION_INDEX
# (read from the manifest with the project's YAML loader, Kubernetes'
# $(VAR) expansion applied, the volumes mapped to local directories).
# Each task must take its own bundle through bundle-worker.sh; the worker
# runs only the script stage here (AV_WORKER_STAGES), to stay quick.
. "$AVK_TOP/tests/lib.sh"
scratch
EX=$AVK_TOP/examples
W=$T/w

av-project init "$W" >/dev/null 2>&1
cd "$W" || exit 1
av-project new --duration 5 "alpha" "beta" "gamma" > docs.jsonl 2>/dev/null
mkdir bundles
n=0
for id in $(sed 's/.*"id":"\([a-z0-9]*\)".*/\1/' docs.jsonl); do
    n=$((n + 1))
    name=$id
    [ $n = 2 ] && name="odd name $id"     # a space: quoting all the way
    av-project export "$id" -o "bundles/$name.tar.gz" 2>/dev/null
done
ls bundles/*.tar.gz > bundles.txt
is "$(grep -c . bundles.txt)" 3 "three bundles listed"
# done_for LINE: the result file of line LINE of bundles.txt
done_for() { b=$(sed -n "$1p" "$W/bundles.txt"); printf '%s\n' "${b%.tar.gz}.done.tar.gz"; }
ndone() { find "$W/bundles" -name '*.done.tar.gz' | grep -c .; }

# ---- Slurm: the script's own form
awk '/^#SBATCH/ { if (cmd) bad = 1 } !/^#/ && !/^[[:space:]]*$/ { cmd = 1 } END { exit bad }' "$EX/slurm-array.sh"
ok $? "every #SBATCH line comes before the first command (sbatch stops reading there)"
like "$(grep '^#   .*sbatch' "$EX/slurm-array.sh")" 'sbatch --array=1-' "documented with --array=1-N, as the script counts lines from 1"
unlike "$(grep '^#SBATCH' "$EX/slurm-array.sh")" 'array' "the array range is left to the command line"

# slurm_task N [VAR=VALUE...]: run array task N as slurmd would: a copy of
# the script in its spool directory, run in the submit directory
mkdir -p "$T/spool"
cp "$EX/slurm-array.sh" "$T/spool/slurm_script"
chmod +x "$T/spool/slurm_script"
slurm_task() {
    _t=$1; shift
    run env SLURM_JOB_ID=$((900 + _t)) SLURM_ARRAY_JOB_ID=900 \
        SLURM_ARRAY_TASK_ID="$_t" SLURM_SUBMIT_DIR="$W" \
        AV_WORKER_STAGES=script "$@" "$T/spool/slurm_script" bundles.txt
}
for i in 1 2 3; do
    slurm_task $i AV_EXAMPLES="$EX"
    is "$rc" 0 "Slurm task $i: exit 0"
    ok "$([ -s "$(done_for $i)" ] && [ "$(ndone)" = $i ]; echo $?)" "task $i wrote the result of line $i, and only that"
done
for f in bundles/*.done.tar.gz; do av-project import "$f" >/dev/null 2>&1; done
is "$(sqlite3 .av/store.db "SELECT count(*) FROM projects WHERE json_extract(doc, '\$.script.title') IS NOT NULL")" 3 "imported back: the three projects scripted"
is "$(sqlite3 .av/store.db "SELECT count(*) FROM projects")" 3 "no duplicate projects"

slurm_task 0 AV_EXAMPLES="$EX"
is "$rc" 64 "index 0 (--array=0-N): refused"
like "$err" "use --array=1-N" "says how to submit"
slurm_task 4 AV_EXAMPLES="$EX"
is "$rc" 64 "an index past the list: refused"
like "$err" "no line 4" "says which line is missing"
rm -f bundles/*.done.tar.gz
slurm_task 1
is "$rc" 69 "the spool copy without AV_EXAMPLES: no worker found"
like "$err" "set AV_EXAMPLES" "says what to set"
run env SLURM_ARRAY_TASK_ID=2 AV_WORKER_STAGES=script sh "$EX/slurm-array.sh" bundles.txt
is "$rc" 0 "run by hand from examples/: the worker beside it"
ok "$([ -s "$(done_for 2)" ] && [ "$(ndone)" = 1 ]; echo $?)" "line 2 rendered"

# a temporary failure (75) asks Slurm to requeue the task
mkdir "$T/tbin" "$T/sbin"
ln -s "$(command -v av-project)" "$T/tbin/av-project"
printf '#!/bin/sh\necho "av-script: HTTP 503" >&2\nexit 75\n' > "$T/tbin/av-script"
printf '#!/bin/sh\necho "$*" >> "%s/scontrol.log"\n' "$T" > "$T/sbin/scontrol"
chmod +x "$T/tbin/av-script" "$T/sbin/scontrol"
rm -f bundles/*.done.tar.gz
slurm_task 3 AV_EXAMPLES="$EX" AV_BIN_DIR="$T/tbin" PATH="$T/sbin:$PATH"
is "$rc" 75 "a temporary failure: exit 75"
is "$(cat "$T/scontrol.log" 2>/dev/null)" "requeue 900_3" "scontrol requeue of this array task"
is "$(ndone)" 0 "no result"

# ---- Kubernetes: the manifest, read with the project's libyaml loader
run "$AVK_BUILD/tests/yaml2json" "$EX/k8s-indexed-job.yaml"
is "$rc" 0 "the manifest parses as YAML"
printf '%s\n' "$out" > job.json
cat > k8s.py <<'EOF2'
import json, os, subprocess, sys

job = json.load(open(sys.argv[2]))
spec = job["spec"]
pod = spec["template"]["spec"]
worker = pod["containers"][0]


def expand(s, env):
    """Kubernetes' $(VAR) expansion of command, args and env values."""
    out, i = [], 0
    while i < len(s):
        if s[i] == "$" and i + 1 < len(s) and s[i + 1] == "$":
            out.append("$")
            i += 2
        elif s.startswith("$(", i) and s.find(")", i + 2) >= 0:
            j = s.find(")", i + 2)
            name = s[i + 2:j]
            out.append(env[name] if name in env else s[i:j + 1])
            i = j + 1
        else:
            out.append(s[i])
            i += 1
    return "".join(out)


def pod_env(index):
    env = {e["name"]: e.get("value", "") for e in worker.get("env", [])}
    env["JOB_COMPLETION_INDEX"] = str(index)
    return env


if sys.argv[1] == "checks":
    vols = {v["name"]: v for v in pod.get("volumes", [])}
    mounts = worker.get("volumeMounts", [])
    rules = spec.get("podFailurePolicy", {}).get("rules", [])
    fail = [r for r in rules if r["action"] == "FailIndex"]
    cmd = worker.get("command", []) + worker.get("args", [])
    checks = [
        ("apiVersion batch/v1, kind Job",
         job["apiVersion"] == "batch/v1" and job["kind"] == "Job"),
        ("completionMode Indexed", spec.get("completionMode") == "Indexed"),
        ("completions: one per bundle (%s)" % sys.argv[3],
         spec.get("completions") == int(sys.argv[3])),
        ("parallelism at most completions",
         1 <= spec.get("parallelism", 1) <= spec["completions"]),
        ("restartPolicy Never (backoffLimitPerIndex and podFailurePolicy need it)",
         pod.get("restartPolicy") == "Never"),
        ("backoffLimitPerIndex set", spec.get("backoffLimitPerIndex", 0) >= 1),
        ("exit codes other than 75 fail the index at once",
         len(fail) == 1 and fail[0]["onExitCodes"]["operator"] == "NotIn"
         and fail[0]["onExitCodes"]["values"] == [75]
         and fail[0]["onExitCodes"].get("containerName") == worker["name"]),
        ("every mount names a volume",
         mounts and all(m["name"] in vols for m in mounts)),
        ("the list comes from the ConfigMap av-bundles",
         any(v.get("configMap", {}).get("name") == "av-bundles"
             for v in vols.values())),
        ("the pod runs bundle-worker.sh with JOB_COMPLETION_INDEX",
         any("bundle-worker.sh" in c for c in cmd)
         and any("JOB_COMPLETION_INDEX" in c for c in cmd)),
        ("Kubernetes' $(VAR) expansion leaves the command as written",
         all(expand(c, pod_env(1)) == c for c in cmd)),
    ]
    for name, good in checks:
        print("%d %s" % (0 if good else 1, name))
    sys.exit(0)

# run INDEX ROOT: the pod command for INDEX, each volume's mount path
# mapped to ROOT/<volume name>, bundle-worker.sh found on PATH
index, root = int(sys.argv[3]), sys.argv[4]
env = pod_env(index)
argv = [expand(c, env) for c in worker["command"] + worker.get("args", [])]
for m in sorted(worker["volumeMounts"], key=lambda m: -len(m["mountPath"])):
    local = os.path.join(root, m["name"])
    argv = [a.replace(m["mountPath"] + "/", local + "/") for a in argv]
full = dict(os.environ)
full.update(env)
sys.exit(subprocess.call(argv, env=full))
EOF2
python3 k8s.py checks job.json 3 > k8s.checks
while read -r good name; do ok "$good" "k8s: $name"; done < k8s.checks
is "$(grep -c . k8s.checks)" 11 "k8s: all checks ran"

# one pod per index; volumes: bundles (the bundle files), config (list)
mkdir -p k8s/bundles k8s/config "$T/podbin"
cp bundles/*.tar.gz k8s/bundles/
rm -f k8s/bundles/*.done.tar.gz
(cd k8s/bundles && ls ./*.tar.gz | sed 's|^\./||') > k8s/config/list
ln -s "$EX/bundle-worker.sh" "$T/podbin/bundle-worker.sh"
kdone() { find "$W/k8s/bundles" -name '*.done.tar.gz' | grep -c .; }
for i in 0 1 2; do
    run env PATH="$T/podbin:$PATH" AV_WORKER_STAGES=script python3 k8s.py run job.json $i "$W/k8s"
    is "$rc" 0 "pod with JOB_COMPLETION_INDEX=$i: exit 0"
    line=$(sed -n "$((i + 1))p" k8s/config/list)
    ok "$([ -s "k8s/bundles/${line%.tar.gz}.done.tar.gz" ] && [ "$(kdone)" = $((i + 1)) ]; echo $?)" "index $i wrote the result of line $((i + 1)), and only that"
done
run env PATH="$T/podbin:$PATH" python3 k8s.py run job.json 3 "$W/k8s"
is "$rc" 64 "an index past the list: exit 64 (fails the index)"
av-project init k8sw >/dev/null 2>&1
for f in k8s/bundles/*.done.tar.gz; do av-project --store k8sw import "$f" >/dev/null 2>&1; done
is "$(sqlite3 k8sw/.av/store.db "SELECT count(*) FROM projects WHERE json_extract(doc, '\$.script.title') IS NOT NULL")" 3 "the three results import, scripted"
done_testing
