"""EPE-NAS (Suite-Zero): per-class correlation of the input Jacobian rows, combined over classes."""

from naswot_db.core.scores import NAN_SENTINEL, ScoreInfo, describe

INFO = describe(ScoreInfo(
    name="epe_nas",
    citation="Lopes et al., EPE-NAS: Efficient Performance Estimation Without Training for Neural Architecture Search, ICANN 2021",
    implementation="naswot_db.builder.scoring.epe_nas:EpeNasScorer",
    needs_labels=True,
    needs_gradients=True,
    suite_zero=True,
    naslib_name="epe_nas",
    class_head=True,
    notes=(
        "n_classes is the network's output count, as in the reference: on the class head, 10 for CIFAR-10, 120 for ImageNet16-120.",
        'Scored on the network with one output per class of the dataset.',
    ),
    settings=(NAN_SENTINEL,),
))
