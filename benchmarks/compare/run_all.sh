#!/bin/sh
# Runs the PyTorch CPU peer over every preset and records the load average next to each run.
# Usage: benchmarks/compare/run_all.sh OUTDIR [THREADS] [EPOCHS] [extra args for pytorch_ae.py...]
# Set CAP_CONV=N to train the conv presets on only N samples per epoch (slow epochs).
set -eu
out=${1:?usage: run_all.sh OUTDIR [THREADS] [EPOCHS] [extra...]}; threads=${2:-2}; epochs=${3:-1}
shift $(( $# < 3 ? $# : 3 ))
here=$(dirname "$0")
mkdir -p "$out"
for m in dense32 deep mlp256 deep3 deep-rmsprop conv conv-dense; do
  extra=""
  case $m in conv*) [ -n "${CAP_CONV:-}" ] && extra="--train-samples $CAP_CONV";; esac
  echo "## $m  $(uptime)"
  /usr/bin/python3 "$here/pytorch_ae.py" --model "$m" --epochs "$epochs" --threads "$threads" $extra "$@" \
    --json "$out/$m-t$threads.json"
  echo "## done $(uptime)"
done
