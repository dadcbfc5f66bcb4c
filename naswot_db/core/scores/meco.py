"""MeCo (Jiang et al., NeurIPS 2023): the minimum eigenvalue of the channel correlation matrix of
every module's output on one image, summed over modules."""

from naswot_db.core.scores import ScoreInfo, describe

INFO = describe(ScoreInfo(
    name="meco",
    label="MeCo",
    citation="Jiang et al., MeCo: Zero-Shot NAS with One Data and Single Forward Pass via Minimum "
             "Eigenvalue of Correlation, NeurIPS 2023",
    implementation="naswot_db.builder.scoring.meco:MecoScorer",
    notes=(
        "HamsterMimi/MeCo correlation/NAS_Bench_201.py get_score: one image (the first of the "
        "build's batch, as the script's batch_size=1 loader), one forward in train mode, the "
        "network's own init (init_w_type none)",
        "a forward hook on every module of named_modules(), the root and containers included; "
        "per output, sample 0 reshaped to channels x positions, torch.corrcoef, NaN/inf "
        "entries set to 0, the minimum real part of torch.linalg.eig; NaN/inf minima dropped, "
        "the rest summed (float32)",
        "a module returning a tuple (the root of this package's networks: logits, features) "
        "contributes its first tensor, as the hook's data_output[0] would",
        "a module output of one row per sample (the classifier, pooled features) gives a "
        "correlation of single values: all NaN, set to 0, minimum 0",
    ),
))
