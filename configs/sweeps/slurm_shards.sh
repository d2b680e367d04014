#!/usr/bin/env bash
# Split a grid or random sweep over a Slurm job array, then join the shards.
#
#   sbatch --array=0-15 configs/sweeps/slurm_shards.sh configs/sweeps/grid_edge.toml
#   # when all 16 tasks are done:
#   accel merge --sweep configs/sweeps/grid_edge.toml --out reports/runs/grid_edge \
#       reports/runs/grid_edge/shard-*
#
# Each task walks the same ask sequence and evaluates the ids with id % N == K, so the merged
# results are exactly what one run would give. A task killed by the scheduler continues with
# --resume when resubmitted.
#SBATCH --job-name=accel-sweep
#SBATCH --cpus-per-task=8
#SBATCH --time=01:00:00
set -euo pipefail
sweep=${1:?usage: sbatch --array=0-(N-1) $0 <sweep.toml>}
k=${SLURM_ARRAY_TASK_ID:?run under sbatch --array}
n=${SLURM_ARRAY_TASK_COUNT:?run under sbatch --array}
name=$(basename "$sweep" .toml)
out=reports/runs/$name/shard-$k
resume=()
[ -s "$out/results.jsonl" ] && resume=(--resume)
accel sweep "$sweep" --shard "$k/$n" --jobs "${SLURM_CPUS_PER_TASK:-1}" --out "$out" "${resume[@]}"
