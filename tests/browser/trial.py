"""Trial for the web UI browser test: reports an intermediate result every 0.4 s and a
final one. The configuration lr=0.001, tag=plain runs until it is killed (the test
kills it from the UI); every other one finishes in a few seconds. Trials tagged plain
write a picture (an SVG holding a script that must never run) and a text file to their
output directory, for the trial page's output files."""

import os
import time

import hone

params = hone.get_params()
lr = float(params["lr"])
slow = lr == 0.001 and params["tag"] == "plain"
steps = 400 if slow else 15
if params["tag"] == "plain":
    out = os.environ["HONE_OUTPUT_DIR"]
    with open(os.path.join(out, "cell.svg"), "w") as f:
        f.write('<svg xmlns="http://www.w3.org/2000/svg" width="120" height="60">'
                '<script>alert("svg script ran")</script>'
                '<rect width="120" height="60" fill="#36c"/></svg>\n')
    with open(os.path.join(out, "notes.txt"), "w") as f:
        f.write(f"lr {lr}\n")
value = 0.0
for step in range(steps):
    time.sleep(0.4)
    value = 1.0 - 1.0 / (1.0 + lr * 100 * (step + 1))
    print(f"step {step} value {value:.4f} tag {params['tag']}", flush=True)
    hone.report_intermediate(value)
hone.report_final({"default": value, "loss": 1.0 - value})
