"""Lessons: named presets with numbered steps, for a teacher to link to (``/?lesson=SLUG``) or run from the command
line (``python -m dae_core train --lesson SLUG``; ``sweep --lesson SLUG`` for those that compare).

Each lesson sets the data, model, noise and training settings, names the settings its Train page hides, and says
in steps what to look at and what to change next; each step knows when it is done (``dae_core.lesson_steps``).
Every preset here was measured to show its effect; the numbers in the steps are those measurements
(``tests/test_lessons.py`` checks the claims that the done-when list makes).
"""

from __future__ import annotations

from .config import RunConfig
from .errors import ConfigError
from .lesson_steps import (
    DIGIT_PIXELS,
    CodeSize,
    Cue,
    Lesson,
    NoiseAtLeast,
    NoiseLevels,
    ReachedNoise,
    Step,
    ThenAnother,
    beats_both,
    beats_identity,
    current_run,
    finished,
    loses_to_identity,
    noisy,
    some_run,
    trained,
    training,
    without_noise,
)
from .pretrain import PretrainSetup
from .robustness import TEST_LEVELS

DATA_SETTINGS = ("dataset", "n_samples", "n_features", "data_seed", "csv_path", "label_column")
TRAINING_DETAILS = ("loss", "optimizer", "weight_decay", "batch_size", "patience", "seed", "device",
                    "output_activation", "tied_weights", "activation")  # fmt: skip

DIGITS = RunConfig().replace(dataset="digits", hidden_layers=(128,), hidden_dim=32)
# The photos preset's data and model (PRESETS["photos"]: 2,000 patches of 12 x 12 into 64 tied units) at a learning
# rate of 3e-3, as in the Edges view (``views.VIEWS["edges"]``): in 200 epochs its filters split by masking level
# more clearly than at the preset's 1e-3.
PHOTOS = RunConfig().replace(
    dataset="photos", n_samples=2000, patch_size=12, hidden_layers=(), hidden_dim=64, tied_weights=True, lr=3e-3
)
# The bottom layer of the few-labels stack (``pretrain.PretrainSetup``): digits into 128 sigmoid units, masking 0.25.
PRETRAIN_LAYER = PretrainSetup().config
# The robustness view's model (``views.ROBUST``): digits into 128 sigmoid units and back, here at masking 0.25.
ROBUST = RunConfig().replace(dataset="digits", hidden_dim=128, hidden_layers=(), activation="sigmoid",
                             noise="masking", noise_level=0.25, epochs=100)  # fmt: skip

# The conditions the lessons' steps and cues share.
A_RUN_ENDED = some_run(finished)
NOW_TRAINING = current_run(training)
NOW_FINISHED = current_run(finished)
LARGE_CODE = CodeSize(DIGIT_PIXELS)  # bottleneck: a code that can copy a digit

LESSONS = {
    lesson.slug: lesson
    for lesson in (
        Lesson(
            "denoise",
            "What denoising is",
            "A DAE on handwritten digits with half the pixels wiped out fills them back in, far better than both "
            "baselines.",
            DIGITS.replace(noise="masking", noise_level=0.5, epochs=200),
            (
                Step(
                    "Watch the **test MSE** (the model's error on masked test digits, against the clean ones) fall "
                    "below the dashed **identity** line (the masked digit itself) and the **PCA** line (the best "
                    "linear 32-number summary).",
                    done_when=some_run(beats_both),
                ),
                Step(
                    "Open **Reconstructions**: each row is a clean digit, the same digit with half its pixels set to "
                    "0, and the model's guess. The model never saw the clean test digits.",
                    done_when=some_run(beats_both),  # there is a model worth looking at
                ),
                Step(
                    "Back on **Train**, raise the **noise level** to 0.7 while it trains: the chart marks the change, "
                    "and the identity line jumps while the model's error rises much less.",
                    done_when=some_run(ReachedNoise(0.7)),
                    asks=("noise_level",),
                    cues=(
                        Cue(
                            "Press **Train** and raise the **noise level** to 0.7 while it trains: the chart marks "
                            "the change."
                        ),
                        Cue(
                            "Raise the **noise level** to 0.7 while it trains: the chart marks the change, and the "
                            "identity line jumps.",
                            (NOW_TRAINING,),
                        ),
                        Cue(
                            "The test curve is below both dashed lines: the model now beats both baselines. Open "
                            "**Reconstructions** to see the digits it fills in, then come back and raise the **noise "
                            "level** to 0.7 while it trains.",
                            (current_run(training, beats_both),),
                        ),
                        Cue(
                            "Done. Open **Reconstructions** to see the digits it filled in, then come back, press "
                            "**Train** and raise the **noise level** to 0.7 while it trains.",
                            (NOW_FINISHED,),
                        ),
                    ),
                ),
            ),
            hide=DATA_SETTINGS + TRAINING_DETAILS,
            done_cues=(
                Cue("Lesson done. **Reconstructions** shows the digits the model fills in."),
                Cue(
                    "Lesson done: at noise level 0.7 the identity line jumps while the model's error rises much "
                    "less. **Reconstructions** shows the digits it fills in.",
                    (some_run(ReachedNoise(0.7)),),
                ),
            ),
        ),
        Lesson(
            "tutorial",
            "The original tutorial, and why the identity wins there",
            "The tutorial's own setup: Gaussian noise of 0.2 on standardized data is so mild that returning the "
            "noisy input is hard to beat.",
            RunConfig(),
            (
                Step(
                    "Press **Train** and compare the test MSE with the dashed **identity** line: the noisy input "
                    "itself is off by only σ² = 0.04 per feature, while the model must squeeze 20 numbers through 8.",
                    done_when=A_RUN_ENDED,
                    cues=(
                        Cue(
                            "The test curve stays above the identity line: with noise this mild, returning the noisy "
                            "input is hard to beat.",
                            (current_run(training, loses_to_identity),),
                        ),
                    ),
                ),
                Step(
                    "The model does about as well as **PCA** with 8 components: on this data a linear summary is all "
                    "there is to learn.",
                    done_when=A_RUN_ENDED,
                ),
                Step(
                    "Raise the **noise level** to 1.0 and train again: now the identity is off by 1.0 per feature and "
                    "the model beats it.",
                    done_when=some_run(finished, NoiseAtLeast(1.0), beats_identity),
                    asks=("noise_level",),
                    cues=(
                        Cue("Now raise the **noise level** to 1.0 and press **Train**: watch the identity line jump."),
                        Cue(
                            "Training at noise level {noise_level:g}: the identity line jumped. Watch the test curve "
                            "cross it.",
                            (current_run(training, trained, NoiseAtLeast(1.0)),),
                        ),
                        Cue(
                            "The test curve has crossed the identity line: with this much noise the model wins. Open "
                            "**Reconstructions** to see how.",
                            (current_run(training, NoiseAtLeast(1.0), beats_identity),),
                        ),
                        Cue(
                            "At noise level {noise_level:g} this run ended before the test curve crossed the identity "
                            "line ({test_mse:.4f} against {identity_mse:.4f}): a longer run crosses it.",
                            (current_run(finished, NoiseAtLeast(1.0)),),
                        ),
                    ),
                ),
            ),
            hide=DATA_SETTINGS + TRAINING_DETAILS,
            done_cues=(
                Cue(
                    "Lesson done: at noise level 1.0 the identity is off by 1.0 per feature and the model beats it. "
                    "Open **Reconstructions** to see how.",
                    (some_run(finished, NoiseAtLeast(1.0), beats_identity),),
                ),
            ),
        ),
        Lesson(
            "manifold",
            "Denoising pulls points back onto the data",
            "On the two moons, a DAE learns a field of steps r(x̃) − x̃ that points from noisy points back to the "
            "moons, nearly the way the best possible denoiser does.",
            RunConfig().replace(
                dataset="moons", hidden_dim=2, hidden_layers=(64, 64), noise_level=0.3, lr=3e-3, epochs=300
            ),
            (
                Step(
                    "Watch the test MSE fall below the **identity** line: the model moves noisy points closer to "
                    "where they came from.",
                    done_when=some_run(beats_identity),
                    cues=(
                        Cue(
                            "The test curve is still above the identity line: the model has not found the moons yet. "
                            "Let it train.",
                            (current_run(training, loses_to_identity),),
                        ),
                    ),
                ),
                Step(
                    "Open **Reconstructions**: the arrows are the model's steps from noisy points. They point toward "
                    "the moons, not in one general direction.",
                    done_when=some_run(beats_identity),  # there is a field worth looking at
                ),
                Step(
                    "Try a **code size** of 1 and train again: the points collapse onto one curve, which looks tidy "
                    "but loses to the identity.",
                    done_when=some_run(finished, CodeSize(1, 1)),
                    asks=("hidden_dim",),
                    cues=(
                        Cue("Try a **code size** of 1 and train again: the points collapse onto one curve."),
                        Cue(
                            "The test curve has crossed the identity line: the model moves noisy points closer to the "
                            "moons. Open **Reconstructions** to see its steps, then try a **code size** of 1.",
                            (current_run(training, beats_identity),),
                        ),
                        Cue(
                            "Done. Open **Reconstructions** and compare the model's field with the best possible "
                            "denoiser's. Then try a **code size** of 1 and train again.",
                            (NOW_FINISHED,),
                        ),
                        Cue(
                            "A code of one number: watch the test curve against the identity line, then open "
                            "**Reconstructions** to see the points collapse onto one curve.",
                            (current_run(training, CodeSize(1, 1)),),
                        ),
                    ),
                ),
            ),
            hide=("n_features", "csv_path", "label_column", *TRAINING_DETAILS),
            done_cues=(
                Cue("Lesson done. **Reconstructions** shows the model's field beside the best possible denoiser's."),
                Cue(
                    "Lesson done: with a code of one number the points collapse onto one curve, which looks tidy but "
                    "loses to the identity. **Experiments** compares the runs.",
                    (some_run(finished, CodeSize(1, 1)),),
                ),
            ),
        ),
        Lesson(
            "bottleneck",
            "Why the noise matters when the code is large",
            "With a code larger than the input a plain autoencoder can learn the identity; trained on noisy inputs "
            "it cannot, and it denoises.",
            RunConfig().replace(dataset="digits", hidden_dim=128, noise="gaussian", noise_level=0.3, epochs=60),
            (
                Step(
                    "This model's code (128 numbers) is larger than a digit (64 pixels): nothing forces it to "
                    "summarise.",
                    done_when=some_run(LARGE_CODE, trained),  # it has been seen training
                ),
                Step(
                    "Set the **noise level** to 0 and train: the train loss falls to about 0.002, yet on "
                    "**Reconstructions** with test noise 0.3 it removes only part of the noise (test MSE about 0.030, "
                    "against 0.052 for the noisy digit itself).",
                    done_when=some_run(finished, LARGE_CODE, without_noise),
                    asks=("noise_level",),
                    cues=(
                        Cue("Set the **noise level** to 0 and press **Train**."),
                        Cue(
                            "Trained on noisy digits: the test MSE ({test_mse:.4f}) is measured on test digits with "
                            "the same noise, against {identity_mse:.4f} for the noisy digit itself. Next, the same "
                            "model without noise.",
                            (current_run(training, noisy),),
                        ),
                        Cue(
                            "Done with noise {noise_level:g}: test MSE {test_mse:.4f} against {identity_mse:.4f} for "
                            "the noisy digit. Now set the **noise level** to 0 and train the same model without noise.",
                            (current_run(finished, noisy),),
                        ),
                        Cue(
                            "No noise: the train loss falls toward 0, because a code of 128 numbers can simply copy "
                            "64 pixels. Nothing here says whether it can denoise.",
                            (current_run(training, without_noise),),
                        ),
                    ),
                ),
                Step(
                    "Set it back to 0.3 and train: the same large model, trained on noisy digits, reaches about 0.019.",
                    done_when=ThenAnother((finished, LARGE_CODE, without_noise), (finished, LARGE_CODE, noisy)),
                    asks=("noise_level",),
                    cues=(
                        Cue("Set the **noise level** back to 0.3 and train again."),
                        Cue(
                            "Done without noise. Open **Reconstructions** and set the test noise to Gaussian 0.3: "
                            "this model removes only part of it. Then set the **noise level** back to 0.3 and train "
                            "again.",
                            (current_run(finished, without_noise),),
                        ),
                        Cue(
                            "Trained on noisy digits: the test MSE ({test_mse:.4f}) is measured on test digits with "
                            "the same noise, against {identity_mse:.4f} for the noisy digit itself.",
                            (current_run(training, noisy),),
                        ),
                    ),
                ),
            ),
            hide=DATA_SETTINGS + TRAINING_DETAILS,
            done_cues=(
                Cue(
                    "Done with noise {noise_level:g}: test MSE {test_mse:.4f} against {identity_mse:.4f} for the "
                    "noisy digit. Compare it on **Experiments** with the run trained without noise.",
                    (
                        current_run(finished, noisy),
                        ThenAnother((finished, LARGE_CODE, without_noise), (finished, LARGE_CODE, noisy)),
                    ),
                ),
            ),
        ),
        Lesson(
            "features",
            "What the codes tell a classifier",
            "The codes of a DAE feed a linear classifier: how its accuracy on digits depends on the training noise. On "
            "8 × 8 digits the codes do no better than the raw pixels; denoising pays off elsewhere.",
            DIGITS.replace(noise="masking", noise_level=0.25, epochs=40),
            (
                Step(
                    "The **Latent space** page's linear probe scores the codes: a logistic regression trained on them "
                    "to recognise the digit.",
                    done_when=A_RUN_ENDED,  # there are trained codes to score
                ),
                Step(
                    "Compare the probe on the codes with the probe on the raw pixels, shown beside it.",
                    done_when=A_RUN_ENDED,
                ),
                Step(
                    "Change the **noise level** and train again, or run `python -m dae_core sweep --lesson features` "
                    "to train every level at once as one batched model. On 8 × 8 digits the codes score 0.96-0.97 at "
                    "every level, no better than the 64 raw pixels (0.972): denoising pays off elsewhere, in "
                    "robustness to damaged digits (the lesson `robust`) and as pre-training when only a few digits "
                    "are labelled (the lesson `pretrain`).",
                    done_when=NoiseLevels(2),
                    asks=("noise_level",),
                    cues=(
                        Cue("Change the **noise level** and train again: **Latent space** then scores the new codes."),
                        Cue(
                            "When this run is done, compare its probe on **Latent space** with the earlier run's.",
                            (NOW_TRAINING,),
                        ),
                        Cue(
                            "Done. Open **Latent space**: the probe's accuracy on these 32-number codes stands beside "
                            "its accuracy on the 64 raw pixels. Then change the **noise level** and train again, or "
                            "let **Views from the papers** train every level at once (*Probe accuracy against "
                            "noise*).",
                            (NOW_FINISHED,),
                        ),
                    ),
                ),
            ),
            hide=DATA_SETTINGS + TRAINING_DETAILS,
            sweep={"noise_level": [0.0, 0.1, 0.25, 0.5]},
            probe=True,
            done_cues=(
                Cue(
                    "Lesson done. Open **Latent space**: the probe's accuracy on these 32-number codes stands beside "
                    "its accuracy on the 64 raw pixels. Where denoising pays off: the lessons `robust` and `pretrain`."
                ),
                Cue(
                    "Lesson done. **Latent space** scores each run's codes; **Views from the papers** trains every "
                    "noise level at once (*Probe accuracy against noise*). The codes do no better than the raw "
                    "pixels; the lessons `robust` (damaged digits) and `pretrain` (few labels) show where denoising "
                    "pays off.",
                    (NoiseLevels(2),),
                ),
            ),
        ),
        Lesson(
            "edges",
            "Edges from photographs",
            "A DAE on small patches of photographs learns speckle without noise, and edge detectors when part of "
            "each patch is masked, as in Vincent et al. (2010).",
            # Measured with these settings (seed 0; one thread, 3-4 s of CPU a run): edge-likeness 0.016 (1 of 64
            # filters oriented) without noise, 0.203 at masking 0.3, 0.250 at 0.5; seeds 1-2: 0.0 / 0.141-0.172 /
            # 0.250-0.266. tests/test_lessons.py checks the gap.
            PHOTOS.replace(noise="masking", noise_level=0.0, epochs=200),
            (
                Step(
                    "This model squeezes 12 × 12 patches of two photographs (144 pixels) through 64 units, and "
                    "trains **without noise**: the dashed identity line sits at 0, since the test patches are clean, "
                    "and the model only learns to copy them.",
                    done_when=some_run(finished, without_noise),
                    cues=(
                        Cue(
                            "Without noise the model only has to copy each patch. When it is done, open **Filters**.",
                            (current_run(training, without_noise),),
                        ),
                    ),
                ),
                Step(
                    "Open **Filters**: each tile is what one unit looks for. Without noise nearly all are speckle; "
                    "their **edge-likeness**, the share tuned to one orientation, is about 0.02 (1 of 64).",
                    done_when=some_run(finished, without_noise),  # there are filters to look at
                ),
                Step(
                    "Back on **Train**, set the **noise level** to 0.5 (half of each patch's pixels set to 0) and "
                    "train again. On **Filters** many units are now edges, bars and stripes at one angle: "
                    "edge-likeness about 0.25 (16 of 64; 0.20 at 0.3).",
                    done_when=some_run(finished, NoiseAtLeast(0.3)),
                    asks=("noise_level",),
                    cues=(
                        Cue(
                            "Open **Filters** to see the speckle of the run without noise, then set the **noise "
                            "level** to 0.5 and train again."
                        ),
                        Cue(
                            "Done without noise. Open **Filters**: speckle, and an edge-likeness near 0. Then come "
                            "back, set the **noise level** to 0.5 and press **Train**.",
                            (current_run(finished, without_noise),),
                        ),
                        Cue(
                            "Masking {noise_level:g} of each patch: to fill in a missing pixel a unit has to follow "
                            "the edge it lies on. When this run is done, open **Filters**.",
                            (current_run(training, NoiseAtLeast(0.3)),),
                        ),
                    ),
                ),
            ),
            hide=(*DATA_SETTINGS, "patch_size", "architecture", *TRAINING_DETAILS),
            done_cues=(
                Cue(
                    "Lesson done. **Filters** shows each run's edge-likeness; **Views from the papers** trains "
                    "masking 0, 0.3 and 0.5 at once (*Edges from photographs*)."
                ),
                Cue(
                    "Lesson done: masked at {noise_level:g}, more of the filters are edges. Open **Filters** and "
                    "compare their edge-likeness with the run without noise (about 0.02), or train masking 0, 0.3 "
                    "and 0.5 at once on **Views from the papers** (*Edges from photographs*).",
                    (current_run(finished, NoiseAtLeast(0.3)),),
                ),
            ),
        ),
        Lesson(
            "robust",
            "Robustness to damaged inputs",
            "A classifier trained on clean digits misreads digits with half their pixels masked; a DAE that fills "
            "them in first wins back much of what was lost, and a plain autoencoder does not.",
            # Measured with these settings (`sweep --lesson robust --seed S`, masking 0 / 0.25 / 0.5 trained as one
            # batched model, 3-4 s): the README's numbers; tests/test_lessons.py checks the claim over seeds 0-2.
            ROBUST,
            (
                Step(
                    "This model (64 pixels → 128 sigmoid units → 64 pixels) trains on digits with a quarter of their "
                    "pixels masked. Watch its **test MSE** fall far below the dashed identity line (the masked digit "
                    "itself): it learns to fill in missing pixels.",
                    done_when=some_run(finished, noisy),
                    cues=(
                        Cue(
                            "Masked at {noise_level:g}: to score, the model has to guess each missing pixel from the "
                            "others. When it is done, open **Reconstructions**.",
                            (current_run(training, noisy, trained),),
                        ),
                    ),
                ),
                Step(
                    "Open **Reconstructions** and set the test noise to masking 0.5: the model fills in digits with "
                    "twice as many pixels missing as it trained on (test MSE about 0.04, against 0.12 for the masked "
                    "digit itself).",
                    done_when=some_run(finished, noisy),  # there is a model worth looking at
                ),
                Step(
                    "Open **Views from the papers** and choose *Robustness to damaged inputs*: a logistic regression "
                    "trained on clean digits reads 0.61 of the test digits with half their pixels masked, 0.58 after "
                    "the plain autoencoder has filled them in, and 0.72 and 0.74 after the DAEs trained at masking "
                    "0.25 and 0.5. Or run `python -m dae_core sweep --lesson robust`.",
                    done_when=some_run(finished, noisy),  # the view trains its own models: look once this one is done
                ),
                Step(
                    "Back on **Train**, set the **noise level** to 0 and train again: a plain autoencoder, which "
                    "with 128 units can copy a digit. On **Reconstructions** at masking 0.5 it leaves most holes as "
                    "they are (test MSE about 0.08), which is why it helps the classifier no more than the raw "
                    "pixels do.",
                    done_when=some_run(finished, without_noise),
                    asks=("noise_level",),
                    cues=(
                        Cue(
                            "Open **Views from the papers** (*Robustness to damaged inputs*), then come back, set the "
                            "**noise level** to 0 and press **Train**: the same model as a plain autoencoder."
                        ),
                        Cue(
                            "Done at masking {noise_level:g}. Open **Reconstructions** and set the test noise to "
                            "masking 0.5 to see it fill in the holes, and **Views from the papers** (*Robustness to "
                            "damaged inputs*) to see what that is worth to a classifier. Then set the **noise level** "
                            "to 0 and press **Train**.",
                            (current_run(finished, noisy),),
                        ),
                        Cue(
                            "No noise: the model only learns to copy digits, which 128 units can. When it is done, "
                            "open **Reconstructions** at test masking 0.5 and compare.",
                            (current_run(training, without_noise),),
                        ),
                    ),
                ),
            ),
            hide=DATA_SETTINGS + TRAINING_DETAILS,
            sweep={"noise_level": [0.0, 0.25, 0.5]},
            robustness=TEST_LEVELS,
            done_cues=(
                Cue(
                    "Lesson done. **Views from the papers** (*Robustness to damaged inputs*) trains masking 0, 0.25 "
                    "and 0.5 at once and has a classifier trained on clean digits read what each makes of damaged "
                    "ones."
                ),
                Cue(
                    "Lesson done: without noise the model copies what it is given, holes and all. **Views from the "
                    "papers** (*Robustness to damaged inputs*) shows what that costs a classifier trained on clean "
                    "digits: at masking 0.5 it reads 0.58 of them through the plain autoencoder, 0.74 through a DAE.",
                    (current_run(finished, without_noise),),
                ),
            ),
        ),
        Lesson(
            "pretrain",
            "Pre-training with few labels",
            "A stack of DAEs trained on unlabelled digits gives a classifier a head start when only a few digits per "
            "class are labelled, as in Vincent et al. (2010) and Erhan et al. (2010); with every label the head "
            "start is gone.",
            # Measured (5 seeds, `python -m dae_core pretrain`; one thread, 30-50 s): the README's table. The plain
            # autoencoder's stack (`--noise-level 0`) scored the same within the spread.
            PRETRAIN_LAYER,
            (
                Step(
                    "This model is the bottom layer of a stack: 64 pixels into 128 units, trained as a DAE with a "
                    "quarter of each digit masked, on every training digit and without a single label. Watch its "
                    "**test MSE** fall below the dashed identity line.",
                    done_when=A_RUN_ENDED,
                    cues=(
                        Cue(
                            "No labels yet: the layer only learns to fill in masked pixels. When it is done, open "
                            "**Views from the papers**.",
                            (NOW_TRAINING,),
                        ),
                    ),
                ),
                Step(
                    "Open **Views from the papers** and choose *Pre-training with few labels*. For 5 random starts it "
                    "trains this layer, a second one of 64 units on its codes, then puts a softmax layer on top and "
                    "fine-tunes the whole stack on 1 to 144 labelled digits per class. With one label per class the "
                    "pre-trained network scores 0.641, the same network from a random start 0.601 and logistic "
                    "regression on the pixels 0.580; with every label all three reach 0.97.",
                    done_when=A_RUN_ENDED,  # there is a layer to build the stacks on
                ),
                Step(
                    "Back on **Train**, set the **noise level** to 0 and train again: a plain autoencoder. On 8×8 "
                    "digits its stack does as well as the denoising one: `python -m dae_core pretrain "
                    "--noise-level 0` scores 0.643 at one label per class and 0.973 with every label.",
                    done_when=some_run(finished, without_noise),
                    asks=("noise_level",),
                    cues=(
                        Cue(
                            "Open **Views from the papers** (*Pre-training with few labels*), then set the **noise "
                            "level** to 0 and train again: the same layer as a plain autoencoder."
                        ),
                        Cue(
                            "Done. Open **Views from the papers** and choose *Pre-training with few labels*: it "
                            "builds stacks on this layer and fine-tunes them with few labels. Then come back, set "
                            "the **noise level** to 0 and press **Train**.",
                            (current_run(finished, noisy),),
                        ),
                        Cue(
                            "No noise: the layer only has to copy each digit. Its test MSE ({test_mse:.4f}) is "
                            "lower, since the test digits are clean too.",
                            (current_run(training, without_noise, trained),),
                        ),
                    ),
                ),
            ),
            hide=DATA_SETTINGS + TRAINING_DETAILS,
            done_cues=(
                Cue(
                    "Lesson done. **Views from the papers** (*Pre-training with few labels*) draws accuracy against "
                    "labels per class for the three networks."
                ),
                Cue(
                    "Lesson done: without noise the layer copies digits, and at this size its stack helps with few "
                    "labels as much as the denoising one. Compare on **Views from the papers** (*Pre-training with "
                    "few labels*).",
                    (current_run(finished, without_noise),),
                ),
            ),
        ),
        Lesson(
            "generate",
            "A DAE as a generative model",
            "Corrupt, reconstruct, corrupt again: a DAE's chain turns random points into draws from the moons, and "
            "models trained at several noise levels, used from the largest to the smallest, draw them best.",
            # The Sampling view's middle member (views.VIEWS["generate"]); its numbers are bench/bench_generate.py's.
            RunConfig().replace(
                dataset="moons",
                n_samples=4000,
                hidden_dim=32,
                hidden_layers=(64, 64),
                noise_level=0.35,
                lr=3e-3,
                epochs=100,
            ),
            (
                Step(
                    "Press **Train** and watch the test MSE fall below the **identity** line: the model moves noisy "
                    "points back toward the moons, a step r(x̃) − x̃ that estimates where the data is denser.",
                    done_when=some_run(beats_identity),
                    cues=(
                        Cue(
                            "The test curve is still above the identity line: the model has not found the moons yet. "
                            "Let it train.",
                            (current_run(training, loses_to_identity),),
                        ),
                    ),
                ),
                Step(
                    "Open **Reconstructions**: the flow x ← r(x) carries random points onto the moons and stops. Put "
                    "noise back in at every step (corrupt → reconstruct → corrupt) and the points keep moving along "
                    "the moons: a sampler (Bengio et al. 2013). **Views from the papers** (*Sampling from a DAE*) "
                    "runs 500 such chains per model for 10 steps: they land on the moons and score -0.001 to 0.012 in "
                    "MMD² to held-out points, against 0.014-0.021 for uniform noise, in seeds 0-4. Annealing from "
                    "the largest σ to the smallest scores -0.001 to 0.013.",
                    done_when=some_run(beats_identity),  # there is a model to look at
                ),
                Step(
                    "Train again at another **noise level**, 0.2 or 0.5: each level's model estimates the score "
                    "(r(x̃) − x̃) / σ² of the data blurred by that much noise. Used from the largest σ to the "
                    "smallest, they are what a diffusion model learns with one network.",
                    done_when=NoiseLevels(2),
                    asks=("noise_level",),
                    cues=(
                        Cue(
                            "Open **Reconstructions** to watch the flow carry points onto the moons, then train again "
                            "at another **noise level**, 0.2 or 0.5."
                        ),
                        Cue(
                            "The test curve has crossed the identity line. When the run is done, open "
                            "**Reconstructions**, then train again at another **noise level**.",
                            (current_run(training, beats_identity),),
                        ),
                        Cue(
                            "Done. Open **Reconstructions** to watch the flow carry points onto the moons, then train "
                            "again at another **noise level**, 0.2 or 0.5.",
                            (NOW_FINISHED,),
                        ),
                    ),
                ),
            ),
            hide=DATA_SETTINGS + TRAINING_DETAILS,
            done_cues=(
                Cue(
                    "Lesson done. **Views from the papers** (*Sampling from a DAE*) trains noise levels 0.2, 0.35 and "
                    "0.5 at once, draws from each, and anneals across them."
                ),
            ),
        ),
    )
}


# Per dataset, settings that show the effect, measured like the lessons' presets: a 2-D set needs hidden layers
# and a 1- or 2-number code to pull points back onto its curve; digits one overcomplete layer, whose filters turn
# from speckle into strokes with masking.
PRESETS = {
    # synthetic: σ 0.2 is too mild on this table (see the tutorial lesson). At σ 1.0 a 32-number code, wider than the
    # 20 columns, came within 1% of the best a 20-trial search found (bench/bench_presets.py: test MSE 0.497 against
    # 0.495; identity and PCA-32 1.03); the tutorial's code of 8 scored 0.724.
    "synthetic": {"hidden_dim": 32, "noise_level": 1.0, "epochs": 100},
    # digits: one overcomplete layer (64 pixels → 100 units) with tied weights, as in Vincent et al. (2008, fig. 3),
    # for Filters to show strokes. Measured, seeds 0-2 (one core, 2-3 s): first-layer filter_smoothness 0.487-0.494
    # against 0.089-0.097 for the same model without noise (the speckle); test MSE 0.27-0.28 of the identity's (and
    # of PCA-100's, the identity on 64 pixels). Others, smoothness at masking 0.5 / at noise 0 (test MSE / better
    # baseline's): 100 epochs of it 0.45-0.47 / 0.11-0.12 (0.28-0.29); untied 0.43 / 0.12 (0.27-0.28), code 128
    # 0.42-0.44 / 0.10-0.11 (0.26-0.27). Before: 128 → 32 untied, 100 epochs, 0.42-0.44 / 0.19-0.21 (0.27-0.29),
    # its strongest weights on the near-blank border pixels (speckle on Filters); 300 epochs 0.38-0.39 / 0.09-0.11
    # (0.23-0.25); 128 → 64 0.42-0.44 / 0.16-0.18 (0.24-0.25).
    "digits": {"hidden_layers": (), "hidden_dim": 100, "tied_weights": True, "noise": "masking", "noise_level": 0.5,
               "epochs": 200},
    # photos: 2,000 patches of 12 x 12 pixels into a 64-number code, masking 0.3, tied weights as for digits. Measured,
    # seeds 0-2 (one core, 2-5 s): test MSE 0.0063-0.0067 against identity 0.080-0.082 and PCA-64 0.050-0.052
    # (0.12-0.13x the better); first-layer filter_smoothness 0.67-0.68 (untied 0.42-0.44, 0.0065-0.0069).
    "photos": {"n_samples": 2000, "patch_size": 12, "hidden_layers": (), "hidden_dim": 64, "tied_weights": True,
               "noise": "masking", "noise_level": 0.3, "epochs": 100},
    # mnist: the conv model at its defaults (one 32-channel stride-2 stage, a code of 32 x 14 x 14) against heavy
    # Gaussian noise, 5,000 digits. Measured on 5,000 real MNIST digits (4,000 train / 1,000 test files), seeds 0-2
    # (one core, 17-28 s): PSNR 20.3-20.7 dB, 4.8-5.3 dB above the best classic denoiser (a 3 x 3 median, MSE 0.028;
    # the noisy input 0.079). A sigmoid output stalled there for 2 seeds of 3: conv models default to identity.
    "mnist": {"n_samples": 5000, "architecture": "conv", "noise": "gaussian", "noise_level": 0.4, "epochs": 10},
    "moons": {"hidden_layers": (64, 64), "hidden_dim": 2, "noise": "gaussian", "noise_level": 0.3, "lr": 3e-3,
              "epochs": 300},
    "circles": {"hidden_layers": (64, 64), "hidden_dim": 2, "noise": "gaussian", "noise_level": 0.3, "lr": 3e-3,
                "epochs": 300},
    "spiral": {"hidden_layers": (64, 64), "hidden_dim": 2, "noise": "gaussian", "noise_level": 0.3, "lr": 3e-3,
               "epochs": 300},
}  # fmt: skip


def preset_for(config: RunConfig) -> RunConfig | None:
    """The preset of ``config``'s dataset, or None when there is none (a CSV table): ``config``'s data settings, and
    every other setting the preset's or the default, so nothing is kept from the settings before (an earlier
    preset's learning rate, say)."""
    changes = PRESETS.get(config.data.dataset)
    return None if changes is None else RunConfig(data=config.data).replace(**changes)


# Home's one-click run: the denoise lesson's digits with half their pixels masked, long enough to watch. Measured on
# one 2-core machine's core: it beats both baselines from its first epochs, and at epoch 800 (12.5 s) its test MSE
# is 0.0195 against the identity's 0.1168 and PCA's 0.1051; it was still improving (0.0255 at epoch 200).
FIRST_RUN = LESSONS["denoise"].config.replace(epochs=800)


def lesson(slug: str) -> Lesson:
    """The lesson named ``slug``, or a ``ConfigError`` that lists the lessons."""
    if slug not in LESSONS:
        raise ConfigError(f"There is no lesson {slug!r}. The lessons are: {', '.join(LESSONS)}.")
    return LESSONS[slug]
