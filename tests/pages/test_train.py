"""Train: the controls build the config, the buttons drive the background job, and the chart follows it."""

from app_driver import (
    csv_uploader,
    current_job,
    current_settings,
    has_element,
    open_app,
    run_config,
    session,
    set_settings,
    stop_job,
    train,
    upload_csv,
    wait_for,
)

from dae_core import RunConfig, records
from dae_core.serving.snapshot import PAUSED, RUNNING

WAIT = 30.0  # seconds before a wait on the job gives up; only reached when something is broken


def test_train_page_loads_with_controls_and_an_empty_chart(app):
    app.switch_page("pages/train.py").run()
    assert not app.exception
    labels = [button.label for button in app.button]
    assert labels[:6] == ["Train", "Pause", "Resume", "Step", "Stop", "Reset"]
    disabled = {button.label: button.disabled for button in app.button}
    assert disabled == {
        "Train": False,
        "Pause": True,
        "Resume": True,
        "Step": False,
        "Stop": True,
        "Reset": True,
        "Use the preset for synthetic (tabular)": False,
        "Default settings": False,
    }
    assert has_element(app, "loss")


def test_every_control_changes_the_config(app):
    app.switch_page("pages/train.py").run()
    settings = {
        "dataset": "synthetic",
        "n_samples": 300,
        "n_features": 12,
        "hidden_dim": 4,
        "hidden_layers": "32,16",
        "activation": "tanh",
        "noise": "masking",
        "noise_level": 0.4,
        "loss": "huber",
        "optimizer": "sgd",
        "lr": 0.05,
        "batch_size": 0,
        "epochs": 7,
        "seed": 5,
    }
    set_settings(app, **settings)
    assert not app.exception and not app.error
    expected = RunConfig().replace(**{**settings, "hidden_layers": [32, 16]})
    assert current_settings(app) == expected
    assert app.query_params["hidden_layers"] == "32,16"  # the address bar mirrors the settings


def test_dataset_choice_shows_only_its_own_controls(app):
    app.switch_page("pages/train.py").run()
    keys = lambda: {widget.key for widget in app.number_input}  # noqa: E731
    assert {"w_n_samples", "w_n_features"} <= keys()
    set_settings(app, dataset="moons")
    assert "w_n_samples" in keys() and "w_n_features" not in keys()
    set_settings(app, dataset="digits")
    assert "w_n_samples" not in keys()
    set_settings(app, dataset="csv")
    assert csv_uploader(app) is not None
    assert "Upload a CSV table" in app.info[0].value


def test_bad_hidden_layers_show_an_error_and_keep_the_settings(app):
    app.switch_page("pages/train.py").run()
    set_settings(app, hidden_dim=5)
    set_settings(app, hidden_layers="64,x")
    assert not app.exception
    assert app.error[0].value.startswith("Hidden layers (hidden_layers) must be a list of ints. Got '64,x' instead.")
    assert current_settings(app) == RunConfig().replace(hidden_dim=5)
    assert app.button(key="btn_train").disabled


def test_switching_to_masking_clamps_a_large_gaussian_level(app):
    app.switch_page("pages/train.py").run()
    set_settings(app, noise_level=2.5)
    set_settings(app, noise="masking")
    assert not app.exception
    assert current_settings(app).noise == RunConfig().replace(noise="masking", noise_level=1.0).noise


def test_a_tiny_run_goes_through_the_job_to_the_end(app):
    train(app)
    snapshot = current_job(app).snapshot()
    assert snapshot.status == "done" and snapshot.epoch == 3
    assert app.success[0].value == "Done: finished 3 epochs."
    assert app.main.get("progress")[0].proto.text.startswith("Epoch 3/3")
    cards = {metric.label: metric.value for metric in app.metric}
    assert set(cards) == {"Test MSE", "Ratio to identity", "Ratio to PCA"}  # PSNR only for images
    assert float(cards["Test MSE"]) == round(snapshot.history[-1].test_mse, 4)
    assert has_element(app, "loss")
    assert [run.epochs for run in session(app).runs] == [3]  # kept for Experiments
    assert app.main.caption[0].value.endswith(", lr 0.001, on the CPU")


def test_the_device_setting_shows_only_on_a_server_with_a_gpu(app, monkeypatch):
    import torch

    app.switch_page("pages/train.py").run()
    assert "w_device" not in {widget.key for widget in app.selectbox}  # a CPU server: nothing to choose
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    app.run()
    assert app.selectbox(key="w_device").value == "cpu"
    set_settings(app, device="auto")
    assert current_settings(app) == RunConfig().replace(device="auto")


def test_images_get_a_psnr_card(app):
    train(app, dataset="digits", epochs=1)
    assert "PSNR" in {metric.label for metric in app.metric}


def test_pause_holds_step_adds_one_epoch_and_resume_continues(app):
    app.switch_page("pages/train.py").run()
    set_settings(app, n_samples=200, epochs=10_000)
    app.button(key="btn_train").click().run()
    job = current_job(app)
    app.button(key="btn_pause").click().run()
    held = job.wait_for(lambda s: s.status == PAUSED, WAIT).epoch
    app.run()
    assert app.button(key="btn_resume").disabled is False and app.button(key="btn_pause").disabled is True

    app.button(key="btn_step").click().run()
    # Held again after the step, with exactly one more epoch: nothing ran while it was paused.
    assert job.wait_for(lambda s: s.epoch > held and s.status == PAUSED, WAIT).epoch == held + 1
    app.run()  # in the browser the polling chart triggers this rerun when the status changes
    app.button(key="btn_resume").click().run()
    wait_for(lambda: job.snapshot().epoch > held + 2)
    assert job.status == RUNNING
    app.button(key="btn_stop").click().run()
    wait_for(lambda: job.status == "stopped")
    app.run()
    assert "Run stopped: stopped by the user." in [w.value for w in app.warning]


def test_lr_and_noise_changes_reach_a_running_job_and_are_marked(app):
    app.switch_page("pages/train.py").run()
    set_settings(app, n_samples=200, epochs=10_000)
    app.button(key="btn_train").click().run()
    job = current_job(app)
    set_settings(app, lr=0.01, noise_level=0.3)
    wait_for(lambda: len(job.snapshot().events) == 2)
    assert sorted(event.text for event in job.snapshot().events) == [
        "learning rate 0.001 → 0.01",
        "noise level 0.2 → 0.3",
    ]
    assert job.config.train.lr == 0.001  # the run's own config is untouched; the change is an event
    stop_job(app)


def test_step_without_a_run_trains_exactly_one_epoch(app):
    app.switch_page("pages/train.py").run()
    set_settings(app, n_samples=200, epochs=50)
    app.button(key="btn_step").click().run()
    job = current_job(app)
    snapshot = job.wait_for(lambda s: s.epoch >= 1 and s.status == PAUSED, WAIT)
    assert (snapshot.status, snapshot.epoch) == (PAUSED, 1)
    job.stop()
    assert job.join(WAIT) and job.snapshot().epoch == 1  # it held after the one epoch until it was stopped


def test_reset_keeps_the_run_in_experiments_and_clears_the_chart(app):
    train(app)
    app.button(key="btn_reset").click().run()
    assert current_job(app) is None
    assert len(session(app).runs) == 1
    assert app.button(key="btn_reset").disabled


def test_training_again_keeps_the_earlier_run(app):
    train(app)
    train(app, hidden_dim=2)
    assert [run.config["model"]["hidden_dim"] for run in session(app).runs] == [8, 2]


def test_csv_upload_trains_on_the_table():
    app = open_app()
    try:
        app.switch_page("pages/train.py").run()
        rows = "\n".join(f"{i},{i * 2 % 7},{i % 3},{i % 2}" for i in range(40))
        upload_csv(app, "table.csv", f"a,b,c,label\n{rows}\n")
        app.selectbox(key="w_label_column").set_value("label").run()
        assert not app.error
        assert "table.csv: 40 rows × 3 features" in [caption.value for caption in app.caption]
        config = current_settings(app)
        assert (config.data.dataset, config.data.label_column) == ("csv", "label")
        assert config.data.csv_path == ""  # a file path for the command line; the upload is the session's table
        assert session(app).csv.name == "table.csv"
        set_settings(app, epochs=2)
        app.button(key="btn_train").click().run()
        assert current_job(app).join(timeout=60)
        assert current_job(app).snapshot().status == "done"
    finally:
        stop_job(app)


def test_bad_csv_upload_shows_what_to_fix(app):
    app.switch_page("pages/train.py").run()
    rows = "\n".join(f"{i},x{i}" for i in range(20))
    upload_csv(app, "bad.csv", f"a,name\n{rows}\n")
    assert not app.exception
    assert [error.value for error in app.error] == [
        "bad.csv: Column(s) 'name' are not numeric. Remove them from the table, or name one as the label column "
        "(--label-column on the command line, Label column in the app)."
    ]
    assert app.button(key="btn_train").disabled and app.button(key="btn_step").disabled  # one message, no second
    assert current_job(app) is None


def test_other_changes_during_a_run_wait_for_train(app):
    app.switch_page("pages/train.py").run()
    set_settings(app, n_samples=200, epochs=10_000, noise_level=2.0)
    app.button(key="btn_train").click().run()
    set_settings(app, noise="masking")  # the level is clamped to 1.0, which the running Gaussian job never sees
    assert not app.exception
    assert "Changed settings apply when you press **Train**" in app.main.caption[0].value
    assert current_job(app).config.noise.noise == "gaussian"
    stop_job(app)


def test_a_run_waiting_for_a_free_slot_says_it_is_queued_and_where(app, monkeypatch):
    import dashboard.server
    from dae_core.serving.pool import WorkerPool

    monkeypatch.setattr(dashboard.server, "pool", lambda: WorkerPool(0))  # every worker busy: nobody gets one
    app.switch_page("pages/train.py").run()
    app.button(key="btn_train").click().run()
    assert current_job(app).status == "queued"
    assert app.warning[0].value == (
        "Queued (1st in line): every training slot on this server is busy. The run starts when one frees up."
    )
    assert app.button(key="btn_stop").disabled is False
    app.button(key="btn_stop").click().run()
    assert current_job(app).status == "stopped"  # it left the queue at once


def test_a_finished_run_gets_a_verdict_in_words(app):
    app.switch_page("pages/train.py").run()
    train(app, n_samples=200, epochs=5, noise_level=1.0)
    verdicts = [m.value for m in app.markdown if m.value.startswith("**Verdict:** ")]
    history = current_job(app).snapshot().history
    assert verdicts == [f"**Verdict:** {records.verdict(history, len(history))}"]


def test_choosing_a_dataset_offers_its_preset(app):
    from dae_core.lessons import preset_for

    app.switch_page("pages/train.py").run()
    set_settings(app, dataset="moons")
    button = app.button(key="btn_preset")
    assert button.label == "Use the preset for moons (2-D)" and "hidden_layers 64,64" in button.help
    button.click().run()
    assert current_settings(app) == preset_for(RunConfig().replace(dataset="moons"))
    assert not has_element(app, "btn_preset")  # nothing left to offer
    assert app.number_input(key="w_hidden_dim").value == 2 and app.text_input(key="w_hidden_layers").value == "64,64"


def test_a_conv_run_on_photos_trains_from_the_train_page_and_filters_draws_its_kernels(app):
    at = train(app, dataset="photos", architecture="conv", conv_channels="8", code_channels=4)
    assert run_config(at).model.architecture == "conv" and run_config(at).model.conv_channels == (8,)
    assert not has_element(at, "w_hidden_dim") and has_element(at, "w_code_channels")
    at.switch_page("pages/filters.py").run()
    assert not at.exception and not at.error
    set_settings(at.switch_page("pages/train.py").run(), dataset="synthetic")
    assert run_config(at).model.architecture == "conv"  # the run that trained keeps its settings
    assert current_settings(at).model.architecture == "dense" and has_element(at, "w_hidden_dim")


def test_mnist_without_its_files_says_where_to_put_them(app, tmp_path, monkeypatch):
    monkeypatch.setenv("DAE_DATA_DIR", str(tmp_path))
    at = app.switch_page("pages/train.py").run()
    set_settings(at, dataset="mnist")
    at.button(key="btn_train").click().run()
    shown = " ".join(str(e.value) for e in [*at.error, *at.warning, *at.info])
    assert "python -m dae_core datasets fetch mnist" in shown and str(tmp_path) in shown
