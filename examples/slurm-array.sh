#!/bin/sh
# slurm-array.sh - render a list of project bundles as a Slurm job array.
#
#   ls bundles/*.tar.gz > bundles.txt
#   AV_EXAMPLES=$PWD/examples \
#       sbatch --array=1-$(wc -l < bundles.txt)%16 examples/slurm-array.sh bundles.txt
#   # afterwards, on the submitting machine:
#   for f in bundles/*.done.tar.gz; do av-project import "$f"; done
#
# Task N (SLURM_ARRAY_TASK_ID, counted from 1 as in --array=1-N) renders
# line N of the list with bundle-worker.sh; the result is written beside
# the bundle as NAME.done.tar.gz (on the shared file system).  Paths in
# the list are relative to the directory sbatch was run in (the job's
# working directory).  A temporary failure (exit status 75) asks Slurm to
# requeue the task (at most MaxBatchRequeue times, a slurm.conf setting).
#
# Needs av on every node.  sbatch runs a copy of this script from its
# spool directory, so bundle-worker.sh is looked up in AV_EXAMPLES (sbatch
# passes the environment on), then beside this script (when run by hand),
# then on PATH.  AV_WORKER_STAGES picks the stages (see bundle-worker.sh).
#SBATCH --job-name=av-render
#SBATCH --cpus-per-task=2
#SBATCH --mem=2G
#SBATCH --time=00:30:00
#SBATCH --output=av-render-%A_%a.log
#SBATCH --requeue
set -eu
list=${1:?usage: sbatch --array=1-N slurm-array.sh LIST}
n=${SLURM_ARRAY_TASK_ID:?run this through sbatch --array}
case $n in
'' | *[!0-9]* | 0 | 0*)
    echo "slurm-array.sh: array index '$n': use --array=1-N (task N takes line N)" >&2
    exit 64
    ;;
esac
[ -r "$list" ] || { echo "slurm-array.sh: cannot read '$list'" >&2; exit 66; }
bundle=$(sed -n "${n}p" "$list")
[ -n "$bundle" ] || { echo "slurm-array.sh: no line $n in '$list'" >&2; exit 64; }
worker=
for d in "${AV_EXAMPLES:-}" "$(dirname "$0")"; do
    if [ -n "$d" ] && [ -f "$d/bundle-worker.sh" ]; then
        worker=$d/bundle-worker.sh
        break
    fi
done
[ -n "$worker" ] || worker=$(command -v bundle-worker.sh) || {
    echo "slurm-array.sh: bundle-worker.sh not found: set AV_EXAMPLES to its directory" >&2
    exit 69
}
rc=0
sh "$worker" "$bundle" "${bundle%.tar.gz}.done.tar.gz" || rc=$?
if [ "$rc" -eq 75 ] && [ -n "${SLURM_JOB_ID:-}" ]; then
    scontrol requeue "${SLURM_ARRAY_JOB_ID:-$SLURM_JOB_ID}_${n}" || true
fi
exit "$rc"
