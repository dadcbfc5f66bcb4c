"""AZ-NAS progressivity (Lee & Ham, CVPR 2024): the smallest increase of the channel-covariance
spectral entropy from one cell output to the next."""

from naswot_db.core.scores import ScoreInfo, describe
from naswot_db.core.scores.az_expressivity import AZ_NAS_CITATION, AZ_NAS_NOTES

INFO = describe(ScoreInfo(
    name="az_progressivity",
    label="AZ-NAS progressivity",
    citation=AZ_NAS_CITATION,
    implementation="naswot_db.builder.scoring.az_progressivity:AzProgressivityScorer",
    needs_batch=False,
    needs_gradients=False,
    changes_weights=True,
    notes=AZ_NAS_NOTES,
))
