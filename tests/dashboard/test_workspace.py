"""The visitor's workspace: runs and the last model come back with the address, the share link never carries it,
and Forget my runs empties it."""

from app_driver import current_job, open_app, session, set_settings, share_link, stop_job, train

from dashboard.workspace import store


def test_a_reload_restores_the_runs_and_the_last_model(app):
    train(app)
    token = app.query_params["ws"]
    assert store().exists(token) and [r.run for r in store().runs(token)] == [1]
    assert "ws=" not in share_link(app)  # the share link gives the settings, never the runs

    reloaded = open_app(ws=token)  # F5: a new session opened with the same address
    try:
        state = session(reloaded)
        assert state.workspace == token and [r.run for r in state.runs] == [1]
        assert state.run.serial == 1 and state.run.job.status == "done" and state.upload is None
        reloaded.switch_page("pages/train.py").run()  # Train shows the run as it ended, as every page names it
        assert any(caption.value.startswith(f"Run {state.runs[0].name}") for caption in reloaded.caption)
        assert any(m.value.startswith("**Verdict:** ") for m in reloaded.markdown)
        reloaded.switch_page("pages/reconstructions.py").run()
        assert not reloaded.exception and not reloaded.info  # the model is on show, not "Train a model first"
        reloaded.switch_page("pages/experiments.py").run()
        assert reloaded.dataframe[0].value["name"].tolist() == [state.runs[0].name]
        train(reloaded)
        assert [r.run for r in store().runs(token)] == [1, 2]  # numbering goes on where it stopped
    finally:
        stop_job(reloaded)


def test_an_unknown_address_says_its_runs_are_gone_and_starts_afresh():
    app = open_app(ws="A" * 43)
    assert [w.value for w in app.warning][0].startswith("The runs saved under this address are gone")
    assert app.query_params["ws"] != "A" * 43 and session(app).runs == []
    forged = open_app(ws="../../etc/passwd")
    assert session(forged).workspace != "../../etc/passwd"


def test_forget_my_runs_empties_the_workspace(app):
    train(app)
    token = app.query_params["ws"]
    app.switch_page("pages/experiments.py").run()
    app.button(key="btn_forget").click().run()
    assert not app.exception
    assert session(app).runs == [] and not store().exists(token)
    assert app.query_params["ws"] != token  # later runs go to a new workspace
    assert open_app(ws=token).warning[0].value.startswith("The runs saved under this address are gone")


def test_a_bad_link_value_is_named_by_its_label_and_the_saved_runs_stay(app):
    train(app)
    token = app.query_params["ws"]
    reopened = open_app(ws=token, epochs="0", noise_level="lots")
    messages = [warning.value for warning in reopened.warning]
    assert any(m.startswith("Link parameter 'epochs=0' was ignored: Epochs (epochs) must be an int") for m in messages)
    assert not any("Config" in m for m in messages), messages  # no class names
    assert [r.run for r in session(reopened).runs] == [1]


def test_the_table_in_use_comes_back_after_a_reload_and_its_removal_too(app):
    from app_driver import upload_csv

    table = "a,b,c\n" + "\n".join(f"{i},{i % 3},{i % 5}" for i in range(30)) + "\n"
    app.switch_page("pages/train.py").run()
    upload_csv(app, "good.csv", table)
    token = app.query_params["ws"]
    reloaded = open_app(ws=token, dataset="csv")
    assert session(reloaded).csv.name == "good.csv" and session(reloaded).csv.data == table.encode()
    reloaded.switch_page("pages/train.py").run()
    assert any("In use: **good.csv**" in caption.value for caption in reloaded.caption)
    reloaded.button(key="btn_remove_table").click().run()
    assert session(open_app(ws=token)).csv is None


def test_two_tabs_on_one_address_keep_each_others_runs(app):
    train(app)
    token = app.query_params["ws"]
    second = open_app(ws=token)  # a second tab: both now hold run #1
    try:
        train(app)  # the first tab's run #2
        train(second)  # the second tab knows of run #2 from the store: it numbers its own #3
        assert [r.run for r in store().runs(token)] == [1, 2, 3]
        assert [r.run for r in session(open_app(ws=token)).runs] == [1, 2, 3]
    finally:
        stop_job(second)


def _start_a_long_run(app):
    app.switch_page("pages/train.py").run()
    set_settings(app, n_samples=200, epochs=10_000)
    app.button(key="btn_train").click().run()
    job = current_job(app)
    assert job.wait_for_epochs(2, 60)
    return job


def test_a_run_that_trains_belongs_to_the_address_a_reload_follows_it_and_it_is_filed_once(app):
    job = _start_a_long_run(app)
    token = app.query_params["ws"]
    reloaded = open_app(ws=token)  # F5 while it trains: a new session of the same address
    try:
        assert current_job(reloaded) is job and job.status == "running"
        reloaded.switch_page("pages/train.py").run()
        assert not reloaded.exception and reloaded.button(key="btn_pause").disabled is False
        assert session(reloaded).run.serial == session(app).run.serial == 1
        reloaded.button(key="btn_stop").click().run()  # either session controls the run
        assert job.join(30) and job.status == "stopped"
        assert [r.run for r in session(reloaded).runs] == [r.run for r in session(app).runs] == [1]
        assert [r.run for r in store().runs(token)] == [1]
    finally:
        stop_job(reloaded)


def test_a_run_cut_off_by_the_server_stopping_is_kept_as_interrupted_with_its_epochs(app):
    from dashboard.workspace import interrupt_live_runs

    _start_a_long_run(app)
    token = app.query_params["ws"]
    try:
        assert interrupt_live_runs() == 1  # what the server does when it stops (app.py's start-up hook)
        [kept] = store().runs(token)
        assert kept.status == "interrupted" and kept.epochs >= 2
        assert kept.reason == "the server stopped while it trained; the epochs it had are kept"
    finally:
        stop_job(app)
    assert [r.status for r in store().runs(token)] == ["interrupted"]  # the stop that followed files nothing more
    after = open_app(ws=token)  # the restarted server's page: the run is listed, and shown as it was cut off
    assert [(r.run, r.status) for r in session(after).runs] == [(1, "interrupted")]
    after.switch_page("pages/train.py").run()
    assert any(w.value.startswith("Run interrupted: the server stopped while it trained") for w in after.warning)
    assert session(after).run.job.trained_model() is not None  # its weights were kept too


def _an_interrupted_run(app):
    from dashboard.workspace import interrupt_live_runs

    _start_a_long_run(app)
    token = app.query_params["ws"]
    current_job(app).wait_for_epochs(20, 60)
    interrupt_live_runs()
    stop_job(app)
    after = open_app(ws=token)
    after.switch_page("pages/train.py").run()
    return after, token


def test_an_interrupted_run_can_be_continued_from_its_weights(app):
    after, token = _an_interrupted_run(app)
    [cut] = session(after).runs
    try:
        after.button(key="btn_continue").click().run()
        assert not after.exception
        job = current_job(after)
        assert session(after).run.serial == 2 and job.config.train.epochs == 10_000 - cut.epochs
        assert job.wait_for_epochs(1, 60)
        first = job.snapshot().history[0].test_mse
        fresh = cut.history[0].test_mse  # the interrupted run's own first epoch, from fresh weights
        assert first < fresh and abs(first - cut.history[-1].test_mse) < abs(fresh - cut.history[-1].test_mse)
    finally:
        stop_job(after)


def test_an_interrupted_run_can_be_discarded(app):
    after, token = _an_interrupted_run(app)
    after.button(key="btn_discard").click().run()
    assert not after.exception
    assert session(after).runs == [] and session(after).run is None and store().runs(token) == []


VICTIM = "v" * 43  # another browser's cookie


def test_another_browsers_address_offers_a_copy_and_never_adds_to_that_workspace(app):
    train(app)
    token = app.query_params["ws"]  # the address the attacker sends
    victim = open_app(browser=VICTIM, ws=token, dataset="csv")
    state = session(victim)
    assert state.workspace != token and state.runs == [] and state.run is None
    assert victim.query_params["ws"] == state.workspace  # the victim's address bar now holds their own token
    assert [i.value for i in victim.info][0].startswith(
        "This address holds 1 run made in another browser. They stay there as they are, read-only to you"
    )
    train(victim, dataset="synthetic")
    assert [r.run for r in store().runs(token)] == [1]  # nothing of the victim's reaches the attacker's workspace
    assert [r.run for r in store().runs(state.workspace)] == [1] and not victim.info  # the offer is over
    attacker = open_app(ws=token)  # the attacker reloads their own address
    assert [r.run for r in session(attacker).runs] == [1] and session(attacker).csv is None


def test_a_copy_of_another_browsers_runs_is_the_visitors_own(app):
    train(app)
    token = app.query_params["ws"]
    second = open_app(browser=VICTIM, ws=token)  # the same person's second device
    second.button(key="btn_copy_foreign").click().run()
    state = session(second)
    assert state.workspace != token and [r.run for r in state.runs] == [1] and state.run.serial == 1
    train(second)
    assert [r.run for r in store().runs(state.workspace)] == [1, 2] and [r.run for r in store().runs(token)] == [1]
    assert [r.run for r in session(open_app(browser=VICTIM, ws=state.workspace)).runs] == [1, 2]


def test_a_browser_that_sends_no_cookie_keeps_its_runs_to_its_session_and_a_lesson_waits_for_a_click():
    lesson = open_app(browser="", lesson="denoise")  # a page another site frames sends no cookie
    assert current_job(lesson) is None
    assert "Press Train to start the lesson's run" in " ".join(w.value for w in lesson.warning)
    lesson.switch_page("pages/train.py").run()
    assert current_job(lesson) is None  # still nothing trains: the page waits for the Train button
    token = lesson.query_params["ws"]
    assert session(open_app(browser="", ws=token)).workspace != token  # another cookie-less session: not its own
