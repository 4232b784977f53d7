"""A walk through every step of every lesson on the Train page: the panel marks each step done, next or to do, and
the cue under the live chart speaks of the next step, appears only when it is due, goes once its step is done, and
never names a setting the link hides.

Each walk opens the lesson's link, stops and forgets the run the link started (so it begins from an empty
workspace), and then trains as the steps ask, with few epochs where the lesson shows them: the training steps use
**Step** (one epoch, then hold) to see the cues of a run that is still going. The quality claims (which epoch
beats which baseline) are those of seeded training on the CPU, measured; the tests assert the steps' states, not
how good a model gets.
"""

import re

from app_driver import current_job, open_app, session, set_settings, stop_job, wait_for

from dae_core.lesson_steps import DONE, NEXT, TO_DO, Attempt, beats_identity, names_setting
from dae_core.serving.snapshot import PAUSED
from dashboard.controls import STEP_BADGES

D, N, T = DONE, NEXT, TO_DO
BADGE = re.compile(r":\w+-badge\[:material/\w+: (.+)\]")
STATE_OF_LABEL = {label: state for state, (label, _, _) in STEP_BADGES.items()}


# --- reading the page -------------------------------------------------------------------------------------------
def panel(at) -> tuple[list[str], list[str]]:
    """The lesson panel's step states (from their badges) and step texts, in order."""
    states = [STATE_OF_LABEL[m[1]] for m in (BADGE.fullmatch(e.value) for e in at.markdown) if m]
    texts = [e.value.split(".** ", 1)[1] for e in at.markdown if e.value.startswith("**Step ")]
    return states, texts


def shown_cue(at) -> str | None:
    cues = [alert.value for alert in at.info if alert.icon == ":material/school:"]
    assert len(cues) <= 1, cues
    return cues[0] if cues else None


def progress_now(at):
    """The lesson's progress from the session's runs and its current run, as the page should have drawn it."""
    lab = session(at)
    job = current_job(at)
    snapshot = job.snapshot() if job is not None else None
    current = None if snapshot is None else Attempt(snapshot.config, snapshot.history, snapshot.finished)
    return lab.teaching.lesson.progress(list(lab.runs), current, lab.teaching.hide)


def check(at, states: tuple[str, ...], *cue_starts: str) -> str | None:
    """The panel shows ``states`` and the cue starts with one of ``cue_starts`` (none: no cue), as the lesson's
    progress says; nothing shown names a hidden setting. Returns the cue."""
    assert not at.exception and not at.error, [e.value for e in at.error]
    shown_states, texts = panel(at)
    progress, cue = progress_now(at), shown_cue(at)
    assert tuple(shown_states) == progress.states == states, (shown_states, progress.states)
    assert texts == [step.text for step in progress.steps]
    assert cue == progress.cue
    if cue_starts:
        assert cue is not None and cue.startswith(cue_starts), cue
    else:
        assert cue is None, cue
    for name in session(at).teaching.hide:
        assert not any(names_setting(text, name) for text in [*texts, cue or ""]), (name, cue)
    return cue


# --- driving it -------------------------------------------------------------------------------------------------
def click(at, key: str):
    at.button(key=key).click().run()
    assert not at.exception, at.exception


def start_afresh(at):
    """Reset the run the link started and forget it: the walk starts with no run and an empty Experiments."""
    job = current_job(at)
    click(at, "btn_reset")
    job.join(timeout=10)
    filed = 1 if job.snapshot().history else 0
    wait_for(lambda: len(session(at).runs) == filed)  # filed by the job's thread when it ends
    session(at).runs.clear()
    at.run()


def step_to(at, epoch: int):
    """Press **Step** until the current run holds after ``epoch`` epochs; with no run going, the first press starts
    a new, paused one (with the settings as they are now)."""
    job = current_job(at)
    if job is None or job.snapshot().finished:
        click(at, "btn_step")
        job = current_job(at)
        wait_for(lambda: held_after(job, 1))
    while job.snapshot().epoch < epoch:
        before = job.snapshot().epoch
        click(at, "btn_step")
        wait_for(lambda before=before: held_after(job, before + 1))
    at.run()


def held_after(job, epoch: int) -> bool:
    """The job has trained ``epoch`` epochs and holds (it reports the epoch a moment before it pauses)."""
    snapshot = job.snapshot()
    return snapshot.epoch >= epoch and snapshot.status == PAUSED


def finish(at, button: str = "btn_resume"):
    """Press ``button`` (Resume, or Train) and wait for the run to end."""
    click(at, button)
    assert current_job(at).join(timeout=60), "the run did not finish"
    at.run()


def walk(query: dict, body):
    at = open_app(**query)
    try:
        start_afresh(at)
        body(at)
    finally:
        stop_job(at)


# --- the walks --------------------------------------------------------------------------------------------------
def test_tutorial_with_the_learning_rate_and_epochs_hidden():
    def body(at):
        check(at, (N, T, T))  # no run: nothing to say yet
        step_to(at, 1)
        check(at, (N, T, T))  # one epoch: too early to say it loses to the identity
        step_to(at, 6)
        check(at, (N, T, T), "The test curve stays above the identity line")
        finish(at)  # the preset's 50 epochs
        cue = check(at, (D, D, N), "Now raise the **noise level** to 1.0 and press **Train**")
        assert "epoch" not in cue  # the epochs are hidden: no "raise the epochs"
        set_settings(at, noise_level=1.0)
        check(at, (D, D, N), "Now raise the **noise level** to 1.0")  # raised, but no run trains at 1.0 yet
        step_to(at, 1)  # a new run, at 1.0: the identity line jumps; the model crosses it at epoch 3
        check(at, (D, D, N), "Training at noise level 1: the identity line jumped")
        step_to(at, 3)
        assert beats_identity(Attempt(current_job(at).config, current_job(at).snapshot().history))
        check(at, (D, D, N), "The test curve has crossed the identity line")
        finish(at)
        cue = check(at, (D, D, D), "Lesson done: at noise level 1.0")
        assert "raise" not in cue.lower()  # what users saw: "Now raise the noise level to 1.0" after doing it

    walk({"lesson": "tutorial", "hide": "lr,epochs"}, body)


def test_denoise():
    def body(at):
        check(at, (N, T, T))
        set_settings(at, epochs=4)
        step_to(at, 1)  # masking half the pixels: it beats both baselines from its first epoch
        check(at, (D, D, N), "The test curve is below both dashed lines")
        finish(at)
        check(at, (D, D, N), "Done. Open **Reconstructions** to see the digits it filled in")
        step_to(at, 1)  # train again, and raise the noise level while it trains
        check(at, (D, D, N), "The test curve is below both dashed lines", "Raise the **noise level** to 0.7")
        set_settings(at, noise_level=0.7)  # a live change: it reaches the held run at its next epoch
        finish(at)
        assert [record.noise_level for record in current_job(at).snapshot().history] == [0.5, 0.7, 0.7, 0.7]
        cue = check(at, (D, D, D), "Lesson done: at noise level 0.7")
        assert "raise" not in cue.lower()

    walk({"lesson": "denoise"}, body)


def test_manifold():
    def body(at):
        check(at, (N, T, T))
        set_settings(at, epochs=6)
        step_to(at, 3)  # the first three epochs lose to the identity: too early to say so
        check(at, (N, T, T))
        step_to(at, 4)  # and the fourth crosses it
        check(at, (D, D, N), "The test curve has crossed the identity line")
        finish(at)
        check(at, (D, D, N), "Done. Open **Reconstructions** and compare the model's field")
        set_settings(at, hidden_dim=1)
        step_to(at, 1)
        check(at, (D, D, N), "A code of one number")
        finish(at)
        check(at, (D, D, D), "Lesson done: with a code of one number the points collapse")

    walk({"lesson": "manifold"}, body)


def test_bottleneck():
    def body(at):
        check(at, (N, T, T))
        set_settings(at, epochs=3)
        step_to(at, 1)
        check(at, (D, N, T), "Trained on noisy digits: the test MSE")
        finish(at)
        cue = check(at, (D, N, T), "Done with noise 0.3: test MSE")
        assert "Compare" not in cue  # what users saw: "Compare ... with the run trained without noise" before it ran
        set_settings(at, noise_level=0.0)
        step_to(at, 1)
        check(at, (D, N, T), "No noise: the train loss falls toward 0")
        finish(at)
        check(at, (D, D, N), "Done without noise. Open **Reconstructions**")
        [verdict] = [m.value for m in at.markdown if m.value.startswith("**Verdict:** ")]
        assert "larger code" not in verdict  # its code (128) is already larger than a digit (64)
        set_settings(at, noise_level=0.3)
        finish(at, "btn_train")
        cue = check(at, (D, D, D), "Done with noise 0.3: test MSE")
        assert cue.endswith("Compare it on **Experiments** with the run trained without noise.")

    walk({"lesson": "bottleneck"}, body)


def test_features():
    def body(at):
        check(at, (N, T, T))
        set_settings(at, epochs=3)
        step_to(at, 1)
        check(at, (N, T, T))  # nothing to say while it trains
        finish(at)
        check(at, (D, D, N), "Done. Open **Latent space**")
        set_settings(at, noise_level=0.5)
        step_to(at, 1)
        check(at, (D, D, N), "When this run is done, compare its probe on **Latent space**")
        finish(at)
        check(at, (D, D, D), "Lesson done. **Latent space** scores each run's codes")

    walk({"lesson": "features"}, body)


def test_edges():
    def body(at):
        check(at, (N, T, T))
        set_settings(at, epochs=3)
        step_to(at, 1)
        check(at, (N, T, T), "Without noise the model only has to copy each patch")
        finish(at)
        check(at, (D, D, N), "Done without noise. Open **Filters**")
        set_settings(at, noise_level=0.5)
        step_to(at, 1)
        check(at, (D, D, N), "Masking 0.5 of each patch")
        finish(at)
        check(at, (D, D, D), "Lesson done: masked at 0.5, more of the filters are edges")

    walk({"lesson": "edges"}, body)


def test_robust():
    def body(at):
        check(at, (N, T, T, T))
        set_settings(at, epochs=3)
        step_to(at, 1)
        check(at, (N, T, T, T), "Masked at 0.25: to score, the model has to guess each missing pixel")
        finish(at)
        check(at, (D, D, D, N), "Done at masking 0.25. Open **Reconstructions**")
        set_settings(at, noise_level=0.0)
        step_to(at, 1)
        check(at, (D, D, D, N), "No noise: the model only learns to copy digits")
        finish(at)
        check(at, (D, D, D, D), "Lesson done: without noise the model copies what it is given")

    walk({"lesson": "robust"}, body)


def test_generate():
    def body(at):
        check(at, (N, T, T))
        set_settings(at, epochs=20)
        finish(at, "btn_train")
        check(at, (D, D, N), "Done. Open **Reconstructions** to watch the flow")
        set_settings(at, noise_level=0.5)
        step_to(at, 1)
        check(at, (D, D, N), "Open **Reconstructions** to watch the flow", "The test curve has crossed")
        finish(at)
        check(at, (D, D, D), "Lesson done. **Views from the papers** (*Sampling from a DAE*)")

    walk({"lesson": "generate"}, body)


def test_pretrain():
    def body(at):
        check(at, (N, T, T))
        set_settings(at, epochs=3)
        step_to(at, 1)
        check(at, (N, T, T), "No labels yet: the layer only learns to fill in masked pixels")
        finish(at)
        check(at, (D, D, N), "Done. Open **Views from the papers** and choose *Pre-training with few labels*")
        set_settings(at, noise_level=0.0)
        step_to(at, 1)
        check(at, (D, D, N), "No noise: the layer only has to copy each digit")
        finish(at)
        check(at, (D, D, D), "Lesson done: without noise the layer copies digits")

    walk({"lesson": "pretrain"}, body)
