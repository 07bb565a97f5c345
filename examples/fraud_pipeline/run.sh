#!/bin/sh
# SPDX-License-Identifier: MIT
# The fraud pipeline in one command, after the README's setup (`make`):
#   examples/fraud_pipeline/run.sh [-P rows=50000] [-P alpha=0.001] [--no-cache] ...
# runs it with build/ferry (or $FERRY) on $FERRY_TRACKING_URI (default: ./ferry.db), then
# prints the registered model's lineage: model <- train step <- prep step <- its inputs.
# Extra arguments go to `ferry pipelines run`. Exits with the pipeline's status.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
FERRY=${FERRY:-$root/build/ferry}
[ -x "$FERRY" ] || { echo "run.sh: no $FERRY: run make in $root first" >&2; exit 2; }
export FERRY_PYTHON="${FERRY_PYTHON:-/usr/bin/python3}"
"$FERRY_PYTHON" -c 'import sklearn' 2>/dev/null || {
	echo "run.sh: $FERRY_PYTHON has no scikit-learn: apt-get install python3-sklearn," \
		"or set FERRY_PYTHON to a python that has it" >&2
	exit 2
}
model=fraud # the model_name param, for the lineage shown at the end
prev=
for a in "$@"; do
	case $prev$a in -Pmodel_name=* | --parammodel_name=*) model=${a#model_name=} ;; esac
	prev=$a
done
"$FERRY" pipelines run "$here" "$@"
echo
echo "lineage of the newest version of the registered model $model:"
"$FERRY" lineage "models:/$model/latest"
