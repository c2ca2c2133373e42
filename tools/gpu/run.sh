#!/bin/bash
# Device run for issue #10 item 2: 4 vs 6 encoder layers, the model card's two-stage recipe.
# Usage (repo root): OUT=dir bash .gpu/run.sh [device] [extra args for every train call]
set -u
DEV=${1:-cuda}; shift || true
EXTRA="$*"
export PYTHONUNBUFFERED=1 GT_MINILM_DIR=${GT_MINILM_DIR:-/tmp/minilm}
W=${WORK:-/tmp/gv}
rm -rf $W; mkdir -p $W/data $W/r $W/logs
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --target $W/site .gpu/whl/*.whl || exit 1
export PYTHONPATH=$W/site:$PWD/.gpu/shim:$PWD
tar xJf .gpu/data/data.tar.xz -C $W/data || exit 1
python3 .gpu/rebuild_base.py .gpu/base.tar.xz $GT_MINILM_DIR || exit 1
(nvidia-smi -L; python3 -c 'import torch, transformers, sys, emoji; from nlp.model_files import base_model_dir; print(sys.version, torch.__version__, transformers.__version__, torch.cuda.is_available(), base_model_dir(), emoji.__file__)') > $W/logs/env.txt 2>&1
cat $W/logs/env.txt
T="python3 -m nlp.cli train advocacy --data-dir $W/data --device $DEV --threads 2 --seed 13"
run() {  # name, args...
  local name=$1; shift
  local t0=$SECONDS
  timeout ${TRAIN_TIMEOUT:-400} $T "$@" $EXTRA --out $W/r/$name > $W/logs/$name.log 2>&1
  local rc=$?
  echo "$name rc=$rc seconds=$((SECONDS-t0)) args: $*" | tee -a $W/logs/status.txt
  return $rc
}
T0=$SECONDS
( run s1-l4 --recipe v1 --epochs 1.3024 --n-layers 4 &&
  run s2-l4 --epochs 1 --n-layers 4 --init-from $W/r/s1-l4 ) &
( run s1-l6 --recipe v1 --epochs 1.3024 --n-layers 6 &&
  { run s2-l6 --epochs 1 --n-layers 6 --init-from $W/r/s1-l6 &
    run s2-l6e2 --epochs 2 --n-layers 6 --init-from $W/r/s1-l6; wait; } ) &
wait
echo "all runs: $((SECONDS-T0)) s" | tee -a $W/logs/status.txt
for s in s1-l4 s1-l6; do [ -f $W/r/$s/config.json ] && cp $W/r/$s/config.json $W/logs/$s.config.json; done
tar czf $OUT/meta.tar.gz -C $W logs
for v in s2-l4 s2-l6 s2-l6e2; do
  [ -f $W/r/$v/weights.safetensors ] || continue
  (cd $W/r/$v && sha256sum weights.safetensors > sha256.txt)
  tar cf - -C $W/r $v | split -b 15M - $OUT/$v.tar.part-
done
ls -la $OUT
