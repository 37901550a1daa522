"""Draw the default model's learning curve (validation macro AUC against training images seen) beside the runs it was
chosen over, from their history.csv files, into one PNG.

    .venv/bin/python tests/learning_curve.py OUT.png LABEL=HISTORY.csv:IMAGES_PER_EPOCH [...]

e.g. (03_Model/README.md, "The default model"):
    .venv/bin/python tests/learning_curve.py assets/03_default_model_learning_curve.png \
        'recipe, fine-tuned (val: varied 3000 + model_i 1500)=03_Model/history/crop_resnet_d4_varied.csv:67200' \
        'pilot, fine-tuned, 1 thread (val: varied 900)=03_Model/history/pilot_finetune.csv:16000' \
        'pilot, from scratch, stride-1 stem (val: varied 900)=03_Model/history/pilot_scratch_stride1.csv:16000'"""
import sys
import matplotlib
matplotlib.use('Agg')
import matplotlib.pyplot as plt
from darksub.plots import plot_learning_curves, save_figure, set_style

if __name__ == '__main__':
    out, specs = sys.argv[1], sys.argv[2:]
    runs = {}
    for s in specs:
        label, _, rest = s.rpartition('=')  # labels may hold '=', paths not
        path, _, per_epoch = rest.rpartition(':')
        runs[label] = (path, int(per_epoch))
    set_style()
    fig, ax = plt.subplots(figsize=(7, 4.2))
    plot_learning_curves(ax, runs, title='learning curves: validation macro AUC vs training images seen')
    save_figure(fig, out)
    print(out)
