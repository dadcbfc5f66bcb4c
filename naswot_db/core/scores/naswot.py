"""NASWOT as the paper's reference code computes it (REFERENCE-FACTS section 1): log|det K| of the
binary ReLU codes' kernel, with the reference's hook quirks.  NASLib's variant is ``nwot``."""

from naswot_db.core.scores import ScoreInfo, describe

INFO = describe(ScoreInfo(
    name="naswot",
    label="NASWOT",
    citation="Mellor et al., Neural Architecture Search without Training, ICML 2021",
    implementation="naswot_db.builder.scoring.naswot:NaswotScorer",
    naslib_name="nwot",
))
