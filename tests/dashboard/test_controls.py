"""The live view of a run: metric cards and the test MSE's change from the epoch before."""

from app_driver import train


def test_an_unchanged_test_mse_is_shown_as_no_change(app):
    """A change that rounds to zero is not a red "↑ +0.0000"."""
    train(app, epochs=2, lr=1e-9)
    card = next(metric for metric in app.metric if metric.label == "Test MSE")
    assert card.delta == "±0.0000"
    assert card.proto.color == card.proto.MetricColor.GRAY
    assert card.proto.direction == card.proto.MetricDirection.NONE


def test_a_falling_test_mse_is_a_good_change(app):
    train(app, epochs=5, lr=0.01)
    card = next(metric for metric in app.metric if metric.label == "Test MSE")
    assert card.delta.startswith("-") and card.proto.color == card.proto.MetricColor.GREEN
