#!/usr/bin/env bash
# The GPU checks and benchmarks, in one unattended run on a lent GPU machine (one H200 here):
#   device run:  bash bench/gpu.sh   (with .gpu/ carried: an fp16 copy of the text model, see below)
# Each step has its own time limit and writes its log under $OUT (or ./var/gpu when $OUT is unset).
# .gpu/all-MiniLM-L6-v2-fp16 is the packaged all-MiniLM-L6-v2 with its weights cast to fp16, so that it
# fits the 64 MiB a device call may carry; the GPU runs the model in fp16 anyway.
set -u
OUT=${OUT:-var/gpu}
mkdir -p "$OUT"
export PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1 RETRIEVER_TEXT_MODEL=.gpu/all-MiniLM-L6-v2-fp16 RETRIEVER_CACHE=/tmp/recsys-cache

nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv | tee "$OUT/gpu.txt"
python3 -c "import torch, sentence_transformers, sklearn; print('torch', torch.__version__, 'cuda', torch.version.cuda, torch.cuda.get_device_name(), 'sentence-transformers', sentence_transformers.__version__, 'sklearn', sklearn.__version__)" | tee -a "$OUT/gpu.txt"

echo "== two-tower training throughput (bf16, 1M items)"
timeout 200 python3 bench/train.py --device cuda --preset h200 2>&1 | tee "$OUT/train.txt"

echo "== text embedding throughput"
timeout 60 python3 bench/embed.py --device cuda --n 20000 --batch-size 256 2>&1 | tee "$OUT/embed.txt"
# The 20,000 papers/s target: fp16, texts longest first (a batch pads to its own longest), large batches.
timeout 120 python3 bench/embed.py --device cuda --n 200000 --batch-size 1024 --fp16 --sort 2>&1 | tee -a "$OUT/embed.txt"

echo "== evaluation harness on simulated readers, on the GPU"
timeout 45 python3 -m recsys.simulate --readers 1000 --out /tmp/sim --with-embeddings 2>&1 | tail -1 | tee "$OUT/sim.txt"
timeout 150 python3 -m recsys.evaluate --items /tmp/sim/items.jsonl --interactions /tmp/sim/interactions.csv \
  --split leave-one-out --seeds 3 --device cuda --out "$OUT/report.json" 2>&1 | tee "$OUT/evaluate.txt"
