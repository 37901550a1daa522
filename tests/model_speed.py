"""Training and inference images/s of the crop_resnet_d4 variants compared for the default model (03_Model/README.md,
"The default model"): batch 64 of 150x150 images, 2 threads, channels_last, about 8 s of steps each, one run.

    .venv/bin/python tests/model_speed.py     (run it on a quiet machine)"""
import time, torch, torch.nn.functional as F, sys
from darksub.models import create_model
torch.set_num_threads(2)
cfgs = {'A w16 s22 c4.8': dict(widths=[16,32,64,128]),
        'B w16 s12 c5.0': dict(widths=[16,32,64,128], stem_strides=[1,2], crop_arcsec=5.0),
        'C w8-16-32-64 s12 c5.0': dict(widths=[8,16,32,64], stem_strides=[1,2], crop_arcsec=5.0),
        'D w8-16-48-96 s12 c5.0': dict(widths=[8,24,48,96], stem_strides=[1,2], crop_arcsec=5.0)}
x = torch.rand(64,1,150,150).contiguous(memory_format=torch.channels_last); y = torch.randint(0,3,(64,))
for name, kw in cfgs.items():
    m = create_model('crop_resnet_d4', **kw).train().to(memory_format=torch.channels_last)
    opt = torch.optim.AdamW(m.parameters(), 1e-3)
    def step():
        loss = F.cross_entropy(m(x), y); opt.zero_grad(); loss.backward(); opt.step()
    step(); step()
    t=time.perf_counter(); n=0
    while time.perf_counter()-t < 8: step(); n+=64
    tr = n/(time.perf_counter()-t)
    m.eval()
    with torch.no_grad():
        m(x[:32]); t=time.perf_counter(); m(x); m(x); inf = 128/(time.perf_counter()-t)
    print(f'{name}: params {sum(p.numel() for p in m.parameters())/1e6:.2f} M, train {tr:.0f} img/s, infer (8-view TTA) {inf:.0f} img/s', flush=True)
