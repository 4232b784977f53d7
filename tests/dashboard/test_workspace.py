"""The visitor's workspace: runs and the last model come back with the address, the share link never carries it,
and Forget my runs empties it."""

from app_driver import open_app, session, share_link, stop_job, train

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
        assert state.upload.saved and state.upload.label.startswith("saved run #1")
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
