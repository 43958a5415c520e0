#!/bin/sh
# slurm-array.sh - render a list of project bundles as a Slurm job array.
#
#   ls bundles/*.tar.gz > bundles.txt
#   sbatch --array=1-$(wc -l < bundles.txt)%16 examples/slurm-array.sh bundles.txt
#   # afterwards, on the submitting machine:
#   for f in bundles/*.done.tar.gz; do av-project import "$f"; done
#
# Task N renders line N of the list with bundle-worker.sh; the result is
# written beside the bundle as NAME.done.tar.gz (on the shared file
# system).  A temporary failure (exit status 75) asks Slurm to requeue the
# task.  Needs av on every node, and this directory on the shared file
# system (set AV_EXAMPLES if it lives elsewhere).
#SBATCH --job-name=av-render
#SBATCH --cpus-per-task=2
#SBATCH --mem=2G
#SBATCH --time=00:30:00
#SBATCH --output=av-render-%A_%a.log
#SBATCH --requeue
set -eu
list=${1:?usage: sbatch --array=1-N slurm-array.sh LIST}
n=${SLURM_ARRAY_TASK_ID:?run this through sbatch --array}
bundle=$(sed -n "${n}p" "$list")
[ -n "$bundle" ] || { echo "no line $n in $list" >&2; exit 64; }
dir=${AV_EXAMPLES:-$(dirname "$0")}
rc=0
sh "$dir/bundle-worker.sh" "$bundle" "${bundle%.tar.gz}.done.tar.gz" || rc=$?
if [ "$rc" -eq 75 ] && [ -n "${SLURM_JOB_ID:-}" ]; then
    scontrol requeue "${SLURM_ARRAY_JOB_ID}_${n}" || true
fi
exit "$rc"
