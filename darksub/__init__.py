__version__ = "0.1.0"

# PyPI's torchvision is a CUDA build: beside the CPU torch its compiled ops fail to load and
# `import torchvision` (hence `import timm`) crashes. Register pure-torch fallbacks first, only
# when the compiled operators are missing (see nbs_lib/01_compat.ipynb).
from .compat import ensure_torchvision_ops as _ensure_torchvision_ops
_ensure_torchvision_ops()
