"""Every value a visitor can give past a server limit (a setting, an upload, a view's levels) is refused where it is
given, with a message that names the limit's variable and says how to stay within it; the settings stay as they
were, and nothing trains with another value instead. Under the public profile, as on a shared demo."""

import pytest
from app_driver import csv_uploader, current_job, current_settings, model_uploader, session, set_settings, sweeps

import dashboard.server
from dae_core.serving.limits import LIMITS_TABLE, Limits

TRAIN, VIEWS, TUNE = "pages/train.py", "pages/papers.py", "pages/tune.py"
START = {TRAIN: "btn_train", VIEWS: "btn_view_train", TUNE: "btn_tune_start"}  # the button that would start work
FORM_LIMITS = {  # the limits a visitor can reach from a page: each needs a case below
    "max_rows",
    "max_features",
    "max_epochs",
    "max_parameters",
    "upload_mb",
    "max_sweep_members",
    "max_trials",
}
SERVER_LIMITS = {  # the server's own: time, queue and workspace sizes, never a value a visitor gives
    "wall_seconds",
    "idle_seconds",
    "max_concurrent_jobs",
    "workers",
    "max_queue",
    "runs_per_session",  # how many runs a visitor has going: refused where work enters (tests/dashboard/test_visitor_runs.py)
    "workspace_runs",
    "workspace_mb",
    "store_mb",
    "retention_days",
    "sessions_per_minute",
}
FORM_KEPT = "\n\nThe settings were not changed; fix the value above."  # what the settings form adds under a refusal
MB = 2**20


def _number(name: str, value: int):
    def give(app):
        app.number_input(key=f"w_{name}").set_value(value).run()

    return give


def _trials(value: int):
    def give(app):
        app.number_input(key="tune_trials").set_value(value).run()

    return give


def _text(key: str, value: str):
    def give(app):
        app.text_input(key=key).set_value(value).run()

    return give


def _csv(app):
    big = "a,b\n" + "1,2\n" * (11 * MB // 4)  # 11 MB
    csv_uploader(app).set_value(("big.csv", big.encode(), "text/csv")).run()


def _model_file(app):
    model_uploader(app).set_value(("big.dae", bytes(11 * MB), "application/zip")).run()


CASES = [  # limit, page, settings before, what the visitor gives, the message (the variable, then how to fix it)
    # A refusal on Train leaves its button disabled; a refused model file changes nothing that Train uses.
    pytest.param(
        "max_rows", TRAIN, {}, _number("n_samples", 50_000),
        "The number of samples is limited to 20,000 rows here (DAE_MAX_ROWS); 50,000 rows asked. "
        "Ask for at most 20,000." + FORM_KEPT,
        id="rows",
    ),
    pytest.param(
        "max_features", TRAIN, {}, _number("n_features", 500),
        "The number of features is limited to 256 columns here (DAE_MAX_FEATURES); 500 columns asked. "
        "Ask for at most 256." + FORM_KEPT,
        id="features",
    ),
    pytest.param(
        "max_epochs", TRAIN, {}, _number("epochs", 99_999),  # past the config's own 10,000 too: the limit speaks
        "The number of epochs is limited to 2,000 epochs here (DAE_MAX_EPOCHS); 99,999 epochs asked. "
        "Ask for at most 2,000." + FORM_KEPT,
        id="epochs",
    ),
    pytest.param(
        "max_parameters", TRAIN, {"dataset": "digits", "hidden_layers": "512"}, _number("hidden_dim", 1024),
        "This model has 1,116,224 parameters; the limit here is 1,000,000 (DAE_MAX_PARAMETERS). Use a smaller "
        "code size or fewer, narrower hidden layers." + FORM_KEPT,  # 64 → 512 → 1024, mirrored
        id="parameters",
    ),
    pytest.param(
        "upload_mb", TRAIN, {"dataset": "csv"}, _csv,
        "The table big.csv was not used: This table is 11.0 MB; uploads are limited to 10 MB here (DAE_UPLOAD_MB). "
        "Upload a smaller one.",
        id="upload-csv",
    ),
    pytest.param(
        "upload_mb", TRAIN, {}, _model_file,
        "This model file is 11.0 MB; uploads are limited to 10 MB here (DAE_UPLOAD_MB). Upload a smaller one.",
        id="upload-model-file",
    ),
    pytest.param(
        "max_sweep_members", VIEWS, {}, _text("paper_levels_filters", "0, 0.25, 0.5"),
        "This view trains one model per noise level, 3 models; the limit here is 2 (DAE_MAX_SWEEP_MEMBERS). "
        "Give at most 2 noise levels.",
        id="sweep-members",
    ),
    pytest.param(
        "max_trials", TUNE, {}, _trials(25),
        "Trials must be between 1 and 20, the most one search runs here (DAE_MAX_TRIALS). Got 25.",
        id="trials",
    ),
]  # fmt: skip


def test_every_limit_a_visitor_can_reach_has_a_case_and_every_limit_is_sorted():
    """A new limit must be placed: reachable from a page (then it needs a case here), or the server's own."""
    assert all(name in LIMITS_TABLE for name in FORM_LIMITS)
    assert set(LIMITS_TABLE) == FORM_LIMITS | SERVER_LIMITS and not FORM_LIMITS & SERVER_LIMITS
    assert {case.values[0] for case in CASES} == FORM_LIMITS


@pytest.mark.parametrize(("limit", "page", "before", "give", "message"), CASES)
def test_a_value_past_a_limit_is_refused_naming_it_and_nothing_trains(app, monkeypatch, limit, page, before, give,
                                                                      message):  # fmt: skip
    environ = {"DAE_PROFILE": "public"}
    if limit == "max_sweep_members":  # the public 16 is past a view's own 6 levels: a smaller limit, to reach it
        environ["DAE_MAX_SWEEP_MEMBERS"] = "2"
    monkeypatch.setattr(dashboard.server, "LIMITS", Limits.from_env(environ))
    app.switch_page(page).run()
    set_settings(app, **before)
    config = current_settings(app)

    give(app)

    shown = [error.value for error in app.error]
    assert shown == [message] and LIMITS_TABLE[limit][0] in shown[0], shown
    assert not app.exception
    assert current_settings(app) == config, "the settings changed"
    assert session(app).csv is None and session(app).upload is None
    if limit != "upload_mb" or "csv" in before.values():
        assert app.button(key=START[page]).disabled
    app.run()
    assert current_job(app) is None and not sweeps(app), "a run started anyway"
    assert current_settings(app) == config


def test_a_refused_value_stays_in_its_field_and_a_value_within_is_taken(app, monkeypatch):
    monkeypatch.setattr(dashboard.server, "LIMITS", Limits.from_env({"DAE_PROFILE": "public"}))
    app.switch_page(TRAIN).run()
    app.number_input(key="w_epochs").set_value(99_999).run()
    assert app.number_input(key="w_epochs").value == 99_999  # as typed, beside the message saying why not
    app.number_input(key="w_epochs").set_value(2_000).run()
    assert not app.error and current_settings(app).train.epochs == 2_000
    assert not app.button(key="btn_train").disabled


def test_train_pressed_with_a_refused_value_in_the_same_moment_starts_nothing(app, monkeypatch):
    """The user's report: type 99999 in Epochs and press Train at once. Both reach the server in one run; the run
    must not start with the epochs from before."""
    monkeypatch.setattr(dashboard.server, "LIMITS", Limits.from_env({"DAE_PROFILE": "public"}))
    app.switch_page(TRAIN).run()
    app.number_input(key="w_epochs").set_value(99_999)
    app.button(key="btn_train").click().run()
    assert current_job(app) is None
    assert [error.value for error in app.error] == [  # the run buttons' column comes first, then the settings'
        "**Train** started no run: Epochs holds a value that cannot be used (see the message under the settings). "
        "Fix it, then press **Train** again.",
        "The number of epochs is limited to 2,000 epochs here (DAE_MAX_EPOCHS); 99,999 epochs asked. "
        "Ask for at most 2,000." + FORM_KEPT,
    ]


def test_a_model_too_large_for_an_uploaded_tables_columns_is_refused_as_typed(app, monkeypatch):
    monkeypatch.setattr(dashboard.server, "LIMITS", Limits.from_env({"DAE_PROFILE": "public"}))
    app.switch_page(TRAIN).run()
    set_settings(app, dataset="csv")
    header = ",".join(f"c{i}" for i in range(200))
    table = header + "\n" + "\n".join(",".join(str((i * j) % 7) for j in range(200)) for i in range(20)) + "\n"
    csv_uploader(app).set_value(("wide.csv", table.encode(), "text/csv")).run()
    assert not app.error, [error.value for error in app.error]
    config = current_settings(app)
    app.number_input(key="w_hidden_dim").set_value(4096).run()  # 200 → 4096, mirrored
    assert [error.value for error in app.error] == [
        "This model has 1,642,696 parameters; the limit here is 1,000,000 (DAE_MAX_PARAMETERS). Use a smaller "
        "code size or fewer, narrower hidden layers." + FORM_KEPT
    ]
    assert current_settings(app) == config and app.button(key="btn_train").disabled
