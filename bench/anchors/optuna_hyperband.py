"""Optuna 3.1 anchor for bench/schedulers.ts: TPESampler + HyperbandPruner on the learning-curve families of bench/curves.ts.

Reads one JSON request on stdin: {"curves": <python source defining curve_problem>, "family", "seeds": [..], "R", "eta",
"total"}. Per seed: a study with TPESampler(seed=seed) (Optuna's defaults otherwise) and HyperbandPruner(min_resource=1,
max_resource=R, reduction_factor=eta); each trial suggests lr, a, b, c, d in [0, 1], reports the loss at steps 1..R and stops
when should_prune() says so. Trials run until `total` steps have been spent. Prints one JSON line per seed:
{"seed", "trials": [[steps_run, value_at_last_step, final_loss], ...]} in completion order (sequential: one trial at a time).
"""
import json
import sys

import optuna

optuna.logging.set_verbosity(optuna.logging.WARNING)
req = json.load(sys.stdin)
ns = {}
exec(req["curves"], ns)
R, eta, total = req["R"], req["eta"], req["total"]

for seed in req["seeds"]:
    final, at = ns["curve_problem"](req["family"], seed)
    log = []
    spent = [0]

    def objective(trial):
        p = {k: trial.suggest_float(k, 0.0, 1.0) for k in ns["KEYS"]}
        v = None
        for step in range(1, R + 1):
            v = at(p, step)
            spent[0] += 1
            trial.report(v, step)
            if trial.should_prune():
                log.append([step, v, final(p)])
                raise optuna.TrialPruned()
        log.append([R, v, final(p)])
        return v

    def stop(study, _trial):
        if spent[0] >= total:
            study.stop()

    # A fixed study name: HyperbandPruner assigns brackets by hashing it with the trial number (the default name is random).
    study = optuna.create_study(
        study_name=f"bench-{req['family']}-{seed}",
        sampler=optuna.samplers.TPESampler(seed=seed),
        pruner=optuna.pruners.HyperbandPruner(min_resource=1, max_resource=R, reduction_factor=eta),
    )
    study.optimize(objective, callbacks=[stop])
    print(json.dumps({"seed": seed, "trials": log}), flush=True)
