"""EPE-NAS (Suite-Zero): per-class correlation of the input Jacobian rows, combined over classes."""

from naswot_db.scores import ScoreInfo, describe

INFO = describe(ScoreInfo(
    name="epe_nas",
    citation="Lopes et al., EPE-NAS: Efficient Performance Estimation Without Training for Neural Architecture Search, ICANN 2021",
    implementation="naswot_db.builder.scoring.epe_nas:EpeNasScorer",
    needs_labels=True,
    needs_gradients=True,
    suite_zero=True,
    naslib_name="epe_nas",
))
