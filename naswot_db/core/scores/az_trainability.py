"""AZ-NAS trainability (Lee & Ham, CVPR 2024): the mean over consecutive cell outputs of -s - 1/s +
2, s the largest singular value of the Rademacher-probed Jacobian correlation."""

from naswot_db.core.scores import ScoreInfo, describe
from naswot_db.core.scores.az_expressivity import AZ_NAS_CITATION, AZ_NAS_NOTES

INFO = describe(ScoreInfo(
    name="az_trainability",
    label="AZ-NAS trainability",
    citation=AZ_NAS_CITATION,
    implementation="naswot_db.builder.scoring.az_trainability:AzTrainabilityScorer",
    needs_batch=False,
    needs_gradients=True,
    changes_weights=True,
    notes=AZ_NAS_NOTES,
))
