"""The manifold lesson's field alignment: what Reconstructions shows is what the command line reports.

Users saw 0.79 on the page where the README says 0.90: the page scored the model on a noise draw of its own. It now
opens at the run's own evaluation (``analysis.evaluate_as_trained``), the noisy test inputs training scored.
"""

import json
import re

import pytest
from app_driver import current_job, open_app, stop_job

from dae_core.cli import main


def _cli_report(capsys) -> dict:
    assert main(["train", "--lesson", "manifold", "--json"]) == 0
    return json.loads(capsys.readouterr().out.splitlines()[-1])


def test_the_lesson_s_page_shows_the_field_alignment_the_command_line_reports(capsys):
    report = _cli_report(capsys)
    at = open_app(lesson="manifold")  # the lesson's run starts on arrival
    try:
        job = current_job(at)
        assert job is not None and job.join(timeout=120), "the lesson's run did not finish"
        at.switch_page("pages/reconstructions.py").run()
        assert not at.exception and not at.error, [e.value for e in at.error]
        [note] = [m.value for m in at.markdown if m.value.startswith("**Field alignment ")]
        shown = float(re.match(r"\*\*Field alignment (-?\d\.\d\d)\*\*", note).group(1))
        assert shown == round(report["field_alignment"], 2), (shown, report["field_alignment"])
        cards = {metric.label: metric.value for metric in at.metric}
        assert float(cards["Test MSE"]) == pytest.approx(report["test_mse"], abs=1e-4)  # the same evaluation
    finally:
        stop_job(at)
