#!/usr/bin/env bash
# The seed's DenseNet201 and ResNet101V2 at full scale on a CUDA GPU (issue 31): whole 150x150 Model I images, the
# seed's 10 epochs over 10,000 training images per class, batch 64, AdamW at 1e-3 (bf16 autocast and channels_last on
# CUDA), each best checkpoint scored on the Model I test split and on model_i_varied test lenses; the metrics go to
# assets/gpu_reference.json, which the README's "GPU reference" paragraph quotes. Meant to finish in under 12 minutes
# of wall time on one H100; on a CPU it would take days (darksub bench train: about 7 images/s for DenseNet201).
#
#   bash 03_Model/gpu_reference.sh [RUN_DIR]          # default runs/gpu_reference; EPOCHS=2 for a shorter run
#
# Resumable: complete datasets are reused and training continues from its last epoch.
set -euo pipefail
cd "$(dirname "$0")/.."
RUN=${1:-runs/gpu_reference}
DARKSUB=${DARKSUB:-.venv/bin/darksub}
PYTHON=${PYTHON:-.venv/bin/python}
EPOCHS=${EPOCHS:-10}
N_TRAIN=${N_TRAIN:-10000}
N_TEST=${N_TEST:-1000}
BATCH=${BATCH:-64}
WORKERS=${WORKERS:-4}
DEVICE=${DEVICE:-cuda}  # DEVICE=cpu with tiny sizes only checks the script (tests/test_gpu_reference.py)
OUT=${OUT:-assets/gpu_reference.json}
if [ "$DEVICE" = cuda ]; then
    "$PYTHON" -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 'gpu_reference.sh needs a CUDA GPU (torch.cuda.is_available() is False)')"
fi
start=$SECONDS
$DARKSUB simulate "$RUN/data_model_i" --preset model_i --n-per-class train="$N_TRAIN" val="$N_TEST" test="$N_TEST" \
    --seed 3100 --device "$DEVICE" --reuse --no-progress
$DARKSUB simulate "$RUN/data_model_i_varied" --preset model_i_varied --n-per-class test="$N_TEST" --splits test \
    --seed 3101 --device "$DEVICE" --reuse --no-progress
echo "simulation: $(( SECONDS - start )) s"
for model in densenet201 resnet101v2; do
    t0=$SECONDS
    $DARKSUB train --model "$model" --data "$RUN/data_model_i" --img-size 150 --epochs "$EPOCHS" --batch-size "$BATCH" --lr 1e-3 \
        --patience 0 --workers "$WORKERS" --device "$DEVICE" --seed 0 --quiet --resume --out "$RUN/$model"
    for preset in model_i model_i_varied; do
        $DARKSUB evaluate "$RUN/data_$preset" --checkpoint "$RUN/$model" --device "$DEVICE" --n-boot 1000 \
            --out "$RUN/$model/test_$preset.json" --overwrite > /dev/null
    done
    echo "$model: $(( SECONDS - t0 )) s"
done
"$PYTHON" - "$RUN" "$OUT" "$(( SECONDS - start ))" "$DEVICE" <<'EOF'
import json, sys, datetime, torch
import darksub
from darksub.core import write_json
from darksub.train import read_history
run, out, wall, device = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
models = {}
for m in ('densenet201', 'resnet101v2'):
    side = json.load(open(f'{run}/{m}/best.json')); h = read_history(f'{run}/{m}/history.csv')
    tests = {p: json.load(open(f'{run}/{m}/test_{p}.json')) for p in ('model_i', 'model_i_varied')}
    models[m] = dict(train_config={k: side['train_config'][k] for k in ('epochs', 'batch_size', 'lr', 'img_size', 'amp', 'seed')},
                     images_seen=int(h['images_seen'][-1]), train_seconds=float(h['epoch_seconds'].sum()),
                     train_images_per_s=float(h['images_seen'][-1] / h['epoch_seconds'].sum()), best_epoch=side['metrics']['epoch'],
                     **{p: {k: t[k] for k in ('n', 'accuracy', 'auc_ovr_macro', 'auc_per_class', 'ci95')} for p, t in tests.items()})
write_json(out, dict(command='bash 03_Model/gpu_reference.sh', device=torch.cuda.get_device_name(0) if device == 'cuda' else device, torch=torch.__version__,
                     darksub=darksub.__version__, date=datetime.date.today().isoformat(), wall_seconds=wall, models=models))
for m, r in models.items():
    print(f"{m}: {r['images_seen']:,} images in {r['train_seconds']:.0f} s ({r['train_images_per_s']:.0f} images/s); test AUC "
          + ', '.join(f"{p} {r[p]['auc_ovr_macro']:.4f} [{r[p]['ci95']['auc_ovr_macro'][0]:.4f}, {r[p]['ci95']['auc_ovr_macro'][1]:.4f}]"
                      for p in ('model_i', 'model_i_varied')))
print(f"wrote {out} ({wall} s in all)")
EOF
