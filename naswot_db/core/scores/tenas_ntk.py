"""TE-NAS's NTK condition number (Chen et al., ICLR 2021) as AZ-NAS re-implements it per
architecture: lambda_max / lambda_min of the empirical NTK on one batch.  Lower is better."""

from naswot_db.core.scores import ScoreInfo, describe

INFO = describe(ScoreInfo(
    name="tenas_ntk",
    label="TE-NAS NTK condition number",
    citation="Chen et al., Neural Architecture Search on ImageNet in Four GPU Hours: A "
             "Theoretically Inspired Perspective (TE-NAS), ICLR 2021",
    implementation="naswot_db.builder.scoring.tenas_ntk:TenasNtkScorer",
    higher_is_better=False,
    needs_gradients=True,
    notes=(
        "cvlab-yonsei/AZ-NAS NB201/ZeroShotProxy/compute_te_nas_score.py get_ntk_n (from "
        "VITA-Group/TENAS lib/procedures/ntk.py): the build's real batch, train mode, the "
        "network's own init (TE-NAS's kaiming fan-out re-init is not applied: AZ-NAS's per-arch "
        "port leaves the init to its caller)",
        "per image i, the gradient of the sum of its logits with respect to every parameter "
        "whose name contains 'weight' (conv, linear and BatchNorm weights); NTK = G G^T",
        "condition number = largest / smallest eigenvalue (eigh), NaN -> 100000 as the "
        "reference; stored as the condition number itself (AZ-NAS negates it): lower is better",
        "G in float32; the NTK and its eigenvalues in float64 (the reference: float32, whose "
        "smallest eigenvalue is rounding noise once the condition number passes ~1e6)",
        "the logits are the network's as the space builds it: NB201 and NATS-sss have one "
        "output (the reference: 10 classes), so the sum of logits is that output",
    ),
))
