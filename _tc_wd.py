import time, random, torch
torch.set_num_threads(1)
from text_safety import load_reports, nlpaug_ops, run_nlpaug
from mmr_augment.text import parse, WordDropout
texts=load_reports('/work/shared/data/iu_xray_test_reports.csv')
reports=[parse(t) for t in texts]
chunks=[reports[i:i+64] for i in range(0,len(reports),64)]
op=WordDropout(rate=0.1)
aug=nlpaug_ops()["nlpaug RandomWordAug(delete)"]
for c in chunks: op(c, generator=0)
random.seed(0)
def cpu(fn, n=3):
    t=time.process_time()
    for s in range(n): fn(s)
    return (time.process_time()-t)/n
mine=cpu(lambda s: [op(c, generator=s+1) for c in chunks], 5)
base=cpu(lambda s: [run_nlpaug(aug,t) for t in texts], 2)
print(f"WordDropout {len(texts)/mine:,.0f}/s nlpaug {len(texts)/base:,.0f}/s ratio {base/mine:.2f}")
import cProfile, pstats
pr=cProfile.Profile(); pr.enable()
for s in range(3): [op(c, generator=s+10) for c in chunks]
pr.disable(); pstats.Stats(pr).sort_stats('tottime').print_stats(12)
