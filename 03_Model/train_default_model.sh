#!/usr/bin/env bash
# The recipe of the shipped default model `crop_resnet_d4_varied` (03_Model/README.md, "Shipped weights:
# crop_resnet_d4_varied"): simulate its training data, then fine-tune the shipped Model I model on lenses whose host
# varies (model_i_varied) mixed with Model I lenses. Resumable: run the same command again after an interruption
# (complete datasets are reused, training continues from its last epoch).
#
#   bash 03_Model/train_default_model.sh [DATA_DIR] [RUN_DIR]     # defaults: data, runs/default_model
#   cp RUN_DIR/best.safetensors 03_Model/crop_resnet_d4_varied.safetensors; cp RUN_DIR/best.json 03_Model/crop_resnet_d4_varied.json
#
# Runs in the background as: nohup bash 03_Model/train_default_model.sh > runs/logs/default_model.log 2>&1 &
set -euo pipefail
DATA=${1:-data}
RUN=${2:-runs/default_model}
DARKSUB=${DARKSUB:-darksub}
EPOCHS=${EPOCHS:-10}
STEPS=${STEPS:-1050}  # optimiser steps of 64 images per epoch
start=$SECONDS
$DARKSUB simulate "$DATA/varied_s31" --preset model_i_varied --n-per-class train=20000 val=1000 --splits train val \
    --seed 31 --backend compile --reuse --no-progress
$DARKSUB simulate "$DATA/model_i_s32" --preset model_i --n-per-class train=7000 val=500 --splits train val \
    --seed 32 --backend compile --reuse --no-progress
echo "simulation: $(( SECONDS - start )) s"
$DARKSUB train --model crop_resnet_d4 --init crop_resnet_d4 --model-arg crop_arcsec=5.0 \
    --data "$DATA/varied_s31" "$DATA/model_i_s32" --epochs "$EPOCHS" --steps-per-epoch "$STEPS" --batch-size 64 \
    --lr 1e-3 --patience 0 --seed 0 --threads 2 --quiet --resume --out "$RUN"
echo "recipe: $(( SECONDS - start )) s in all"
