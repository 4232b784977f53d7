"""Tests for dae_core.analysis: reconstructions from noisy inputs, codes, projections, probe, vector field."""

import numpy as np
import pytest
from sklearn.decomposition import PCA

from dae_core import RunConfig, Trainer, analysis, metrics
from dae_core.config import NOISE_TYPES
from dae_core.data import Dataset, Scaler, load_dataset
from dae_core.errors import ConfigError, DataError
from dae_core.noise import corrupt_array
from dae_core.training import fixed_noisy_test


def _train(config: RunConfig, dataset=None):
    trainer = Trainer(config, dataset)
    list(trainer.epochs())
    return trainer.result(), trainer.dataset


@pytest.fixture(scope="module")
def tabular():
    """A few epochs on the seed's data, shrunk: (trained model, dataset)."""
    return _train(RunConfig().replace(n_samples=200, n_features=8, hidden_dim=3, epochs=3))


@pytest.fixture(scope="module")
def digits():
    return _train(RunConfig().replace(dataset="digits", hidden_dim=16, epochs=8, batch_size=64, lr=3e-3))


@pytest.fixture(scope="module")
def moons():
    return _train(RunConfig().replace(dataset="moons", n_samples=200, hidden_dim=4, hidden_layers=[16], epochs=3))


# --- reconstruct -----------------------------------------------------------------------------------
def test_reconstruct_feeds_the_noisy_input_to_the_model(tabular):
    trained, dataset = tabular
    clean = dataset.X_test
    result = analysis.reconstruct(trained, clean, "gaussian", 0.5, seed=3)
    np.testing.assert_array_equal(result.clean, clean)
    np.testing.assert_array_equal(result.noisy, corrupt_array(clean, "gaussian", 0.5, 3))
    np.testing.assert_allclose(result.reconstructed, trained.denoise(result.noisy), rtol=1e-6)
    # The tensorflow #53357 mistake: reconstructing the clean input gives a different answer.
    assert not np.allclose(result.reconstructed, trained.denoise(clean), atol=1e-3)


def test_reconstruct_is_seeded(tabular):
    trained, dataset = tabular
    first = analysis.reconstruct(trained, dataset.X_test, "masking", 0.3, seed=1)
    again = analysis.reconstruct(trained, dataset.X_test, "masking", 0.3, seed=1)
    other = analysis.reconstruct(trained, dataset.X_test, "masking", 0.3, seed=2)
    np.testing.assert_array_equal(first.noisy, again.noisy)
    assert not np.array_equal(first.noisy, other.noisy)


@pytest.mark.parametrize("noise", NOISE_TYPES)
def test_reconstruct_reports_per_sample_errors_for_every_noise(tabular, noise):
    trained, dataset = tabular
    result = analysis.reconstruct(trained, dataset.X_test, noise, 0.3, seed=0)
    n, width = dataset.X_test.shape
    assert result.noisy.shape == result.reconstructed.shape == (n, width)
    np.testing.assert_allclose(result.per_sample_mse, metrics.per_sample_mse(result.clean, result.reconstructed))
    assert result.mse == pytest.approx(metrics.mse(result.clean, result.reconstructed))
    assert result.identity_mse == pytest.approx(metrics.mse(result.clean, result.noisy))
    assert result.per_sample_psnr is None and result.psnr is None  # standardized data has no fixed range


def test_reconstruct_without_noise_leaves_the_input_clean(tabular):
    trained, dataset = tabular
    result = analysis.reconstruct(trained, dataset.X_test, "gaussian", 0.0)
    np.testing.assert_array_equal(result.noisy, dataset.X_test)
    assert result.identity_mse == 0.0


def test_reconstruct_clips_bounded_data_and_reports_psnr(digits):
    trained, dataset = digits
    result = analysis.reconstruct(trained, dataset.X_test[:50], "gaussian", 0.5, seed=0)
    assert result.noisy.min() >= 0.0 and result.noisy.max() <= 1.0
    expected = 10 * np.log10(1.0 / metrics.per_sample_mse(result.clean, result.reconstructed))
    np.testing.assert_allclose(result.per_sample_psnr, expected)
    assert result.psnr == pytest.approx(metrics.psnr(result.clean, result.reconstructed))
    unclipped = analysis.reconstruct(trained, dataset.X_test[:50], "gaussian", 0.5, seed=0, clip=False)
    assert unclipped.noisy.min() < 0.0


def test_salt_and_pepper_uses_the_unit_range_for_images(digits):
    trained, dataset = digits
    result = analysis.reconstruct(trained, dataset.X_test[:100], "salt_pepper", 0.5, seed=0)
    changed = result.noisy != result.clean
    assert set(np.unique(result.noisy[changed])) <= {0.0, 1.0}


def test_error_table_is_worst_first(tabular):
    trained, dataset = tabular
    result = analysis.reconstruct(trained, dataset.X_test, "gaussian", 0.4, seed=0)
    table = result.error_table()
    errors = [row["mse"] for row in table]
    assert errors == sorted(errors, reverse=True)
    assert table[0]["index"] == int(np.argmax(result.per_sample_mse))
    assert set(table[0]) == {"index", "mse", "noisy_mse"}
    assert sorted(row["index"] for row in table) == list(range(len(dataset.X_test)))


def test_reconstruct_handles_no_rows(tabular):
    trained, dataset = tabular
    result = analysis.reconstruct(trained, dataset.X_test[:0], "gaussian", 0.2)
    assert result.reconstructed.shape == (0, dataset.n_features)
    assert result.per_sample_mse.shape == (0,)


def test_reconstruct_rejects_rows_of_the_wrong_width(tabular):
    trained, _ = tabular
    with pytest.raises(DataError) as error:
        analysis.reconstruct(trained, np.zeros((4, 5)), "gaussian", 0.2)
    assert str(error.value) == (
        "The clean input must be a 2-D array with 8 columns (the model's input width). "
        "Got shape (4x5) instead. Pass rows scaled like the training data."
    )


def test_reconstruct_rejects_a_bad_noise_level(tabular):
    trained, dataset = tabular
    with pytest.raises(ConfigError) as error:
        analysis.reconstruct(trained, dataset.X_test, "masking", 1.5)
    assert str(error.value) == (
        "The 'noise_level' parameter of NoiseConfig must be a float in [0, 1]. Got 1.5 instead."
    )


# --- the run's own evaluation: one number per run ----------------------------------------------------
@pytest.mark.parametrize("noise", NOISE_TYPES)
@pytest.mark.parametrize("dataset", ["synthetic", "digits"])
def test_evaluating_as_trained_gives_the_kept_records_test_mse(noise, dataset):
    """Run #5: Train said 0.7243 and Reconstructions, at the same noise, 0.7147: it drew its own noise."""
    config = RunConfig().replace(dataset=dataset, epochs=2, noise=noise, noise_level=0.3, seed=5, batch_size=64)
    trained, data = _train(config if dataset == "digits" else config.replace(n_samples=200, n_features=8))
    kept = trained.kept_record
    result = analysis.evaluate_as_trained(trained, data)
    assert analysis.own_test_noise(trained) == (noise, 0.3)
    assert result.mse == pytest.approx(kept.test_mse, rel=1e-6)
    assert result.identity_mse == pytest.approx(kept.identity_mse, rel=1e-6)
    assert metrics.pca_mse(data.X_train, result.noisy, result.clean, config.model.hidden_dim) == (
        pytest.approx(kept.pca_mse, rel=1e-6)
    )
    if data.bounded:
        assert result.psnr == pytest.approx(kept.test_psnr, rel=1e-6)
    np.testing.assert_array_equal(result.noisy, fixed_noisy_test(config, data, 0.3).numpy())
    # reconstruct with the run's own test-noise seed draws the same inputs on the CPU
    again = analysis.reconstruct(
        trained, data.X_test, noise, 0.3, analysis.own_draw_seed(trained), low=data.low, high=data.high
    )
    np.testing.assert_array_equal(again.noisy, result.noisy)
    assert analysis.reconstruct(trained, data.X_test, noise, 0.3, seed=0, low=data.low, high=data.high).mse != (
        pytest.approx(kept.test_mse, rel=1e-6)
    )  # another draw, another number: why the page says so


def test_the_trainer_scores_every_epoch_on_the_fixed_noisy_test_inputs(tiny_config):
    trainer = Trainer(tiny_config.replace(noise="salt_pepper"))
    noisy, *_ = trainer.evaluation_set()
    np.testing.assert_array_equal(noisy.numpy(), fixed_noisy_test(trainer.config, trainer.dataset, 0.2).numpy())


def test_after_a_live_noise_change_the_kept_epoch_is_evaluated_at_its_own_level(tiny_config):
    trainer = Trainer(tiny_config.replace(epochs=4))
    epochs = trainer.epochs()
    first, second = next(epochs), next(epochs)
    at_two = trainer.state_copy()
    trainer.update(trainer.settings.replace_live(noise_level=0.6))
    records = [first, second, *epochs]
    assert [r.noise_level for r in records] == [0.2, 0.2, 0.6, 0.6]

    last = trainer.result()  # epoch 4, trained and scored at 0.6
    assert analysis.own_test_noise(last) == ("gaussian", 0.6)
    assert analysis.evaluate_as_trained(last, trainer.dataset).mse == pytest.approx(records[-1].test_mse, rel=1e-6)

    kept = trainer.result(weights=at_two, weights_epoch=2)  # early stopping's case: the weights of epoch 2
    assert kept.settings.noise.noise_level == 0.6 and analysis.own_test_noise(kept) == ("gaussian", 0.2)
    assert analysis.evaluate_as_trained(kept, trainer.dataset).mse == pytest.approx(second.test_mse, rel=1e-6)


# --- oracle: a linear autoencoder without noise finds the PCA subspace ------------------------------
@pytest.fixture(scope="module")
def low_rank():
    """Rank-3 data in 10 columns plus a little isotropic noise, standardized."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(600, 3)) @ rng.normal(size=(3, 10)) + 0.05 * rng.normal(size=(600, 10))
    scaler = Scaler("standard").fit(X[:480])
    names = [f"x{i}" for i in range(10)]
    return Dataset("low_rank", scaler.transform(X[:480]), scaler.transform(X[480:]), None, None, scaler, names)


def test_linear_autoencoder_without_noise_matches_pca(low_rank):
    config = RunConfig().replace(
        hidden_dim=3,
        activation="identity",
        output_activation="identity",
        noise_level=0.0,
        epochs=60,
        batch_size=32,
        lr=1e-2,
    )
    trained, _ = _train(config, low_rank)
    result = analysis.reconstruct(trained, low_rank.X_test, "gaussian", 0.0)
    pca_mse = metrics.pca_mse(low_rank.X_train, low_rank.X_test, low_rank.X_test, 3)
    assert 0.9 * pca_mse <= result.mse <= 1.25 * pca_mse  # measured: 1.15x after 60 epochs, 23x after 5
    # Same subspace: the projector onto the decoder's columns equals PCA's.
    decoder = trained.model.decoder[0].weight.detach().numpy().astype(np.float64)  # (10, 3)
    q, _ = np.linalg.qr(decoder)
    components = PCA(3).fit(low_rank.X_train).components_  # (3, 10)
    assert np.linalg.norm(q @ q.T - components.T @ components) < 0.1  # measured: 0.01; 0.38 after 5 epochs


def test_identity_activation_model_is_linear(low_rank):
    """Guards the oracle above: with identity activations the DAE is an affine map."""
    config = RunConfig().replace(hidden_dim=3, activation="identity", output_activation="identity", epochs=1)
    trained, _ = _train(config, low_rank)
    a, b = low_rank.X_test[:1], low_rank.X_test[1:2]
    mid = trained.denoise((a + b) / 2)
    np.testing.assert_allclose(mid, (trained.denoise(a) + trained.denoise(b)) / 2, atol=1e-5)


# --- codes and projections -------------------------------------------------------------------------
def test_codes_have_the_code_width(tabular):
    trained, dataset = tabular
    z = analysis.codes(trained, dataset.X_test)
    assert z.shape == (len(dataset.X_test), 3)
    np.testing.assert_array_equal(z, trained.encode(dataset.X_test))


def test_pca_projection_agrees_with_sklearn_up_to_sign():
    codes = np.random.default_rng(0).normal(size=(80, 6)) * np.arange(1, 7)
    projected = analysis.project(codes, "pca")
    reference = PCA(2).fit_transform(codes)
    assert projected.shape == (80, 2)
    for column in range(2):
        a, b = projected[:, column], reference[:, column]
        assert np.allclose(a, b, atol=1e-8) or np.allclose(a, -b, atol=1e-8)


def test_pca_projection_of_a_one_wide_code_gets_a_zero_column():
    codes = np.arange(10.0)[:, None]
    projected = analysis.project(codes, "pca")
    assert projected.shape == (10, 2)
    np.testing.assert_array_equal(projected[:, 1], 0.0)
    np.testing.assert_allclose(np.abs(projected[:, 0]), np.abs(codes[:, 0] - 4.5))


@pytest.mark.parametrize("method", ["pca", "tsne"])
@pytest.mark.parametrize("n_rows", [0, 1, 3])
def test_projection_of_very_few_rows(method, n_rows):
    assert analysis.project(np.ones((n_rows, 4)), method).shape == (n_rows, 2)


def test_tsne_is_seeded_and_keeps_clusters_apart():
    rng = np.random.default_rng(0)
    codes = np.vstack([rng.normal(0, 1, (40, 5)), rng.normal(12, 1, (40, 5))])
    first = analysis.project(codes, "tsne", seed=0)
    np.testing.assert_array_equal(first, analysis.project(codes, "tsne", seed=0))
    # Every point's nearest neighbour in the projection comes from its own cluster.
    distances = np.linalg.norm(first[:, None] - first[None], axis=2)
    np.fill_diagonal(distances, np.inf)
    nearest = distances.argmin(axis=1)
    assert np.all((nearest < 40) == (np.arange(80) < 40))


def test_tsne_handles_a_one_wide_code():
    codes = np.concatenate([np.zeros(20), np.full(20, 5.0)])[:, None] + np.linspace(0, 0.1, 40)[:, None]
    assert analysis.project(codes, "tsne").shape == (40, 2)


def test_project_rejects_an_unknown_method():
    with pytest.raises(ConfigError) as error:
        analysis.project(np.zeros((5, 2)), "umap")
    assert str(error.value) == "The 'method' parameter of project must be one of 'pca', 'tsne'. Got 'umap' instead."


def test_tsne_refuses_too_many_rows():
    with pytest.raises(DataError) as error:
        analysis.project(np.zeros((analysis.MAX_TSNE_ROWS + 1, 2)), "tsne")
    assert str(error.value) == (
        "t-SNE on 5001 rows would take minutes; at most 5000 are allowed. "
        "Pick rows with analysis.subsample(n_rows, 1000) first."
    )


def test_subsample_is_deterministic_sorted_and_unique():
    picked = analysis.subsample(5000, 1000, seed=3)
    assert len(picked) == 1000 == len(np.unique(picked))
    assert np.all(np.diff(picked) > 0) and picked.max() < 5000
    np.testing.assert_array_equal(picked, analysis.subsample(5000, 1000, seed=3))
    assert not np.array_equal(picked, analysis.subsample(5000, 1000, seed=4))
    np.testing.assert_array_equal(analysis.subsample(7, 1000), np.arange(7))


# --- linear probe ----------------------------------------------------------------------------------
def test_probe_on_digits_codes_beats_chance(digits):
    trained, dataset = digits
    result = analysis.probe(trained, dataset)
    assert result["n_classes"] == 10
    assert result["chance_accuracy"] < 0.15
    assert result["code_accuracy"] > 0.6
    assert result["raw_accuracy"] > 0.9


def test_probe_matches_the_metric_on_codes(tabular):
    trained, dataset = tabular
    result = analysis.probe(trained, dataset)
    expected = metrics.linear_probe(
        trained.encode(dataset.X_train), dataset.y_train, trained.encode(dataset.X_test), dataset.y_test
    )
    assert result["code_accuracy"] == expected
    assert result["n_classes"] == 2


def test_probe_without_class_labels_is_none(tabular):
    trained, dataset = tabular
    unlabelled = Dataset("t", dataset.X_train, dataset.X_test, None, None, dataset.scaler, dataset.feature_names)
    assert analysis.probe(trained, unlabelled) is None
    rng = np.random.default_rng(0)
    continuous = Dataset(
        "t",
        dataset.X_train,
        dataset.X_test,
        rng.normal(size=len(dataset.X_train)),
        rng.normal(size=len(dataset.X_test)),
        dataset.scaler,
        dataset.feature_names,
    )
    assert analysis.probe(trained, continuous) is None
    one_class = Dataset(
        "t",
        dataset.X_train,
        dataset.X_test,
        np.zeros(len(dataset.X_train), int),
        np.zeros(len(dataset.X_test), int),
        dataset.scaler,
        dataset.feature_names,
    )
    assert analysis.probe(trained, one_class) is None


# --- vector field ----------------------------------------------------------------------------------
def test_vector_field_is_the_displacement_on_a_grid_over_the_data(moons):
    trained, dataset = moons
    points, displacement = analysis.vector_field(trained, dataset.X_train, grid_size=5, margin=0.5)
    assert points.shape == displacement.shape == (25, 2)
    np.testing.assert_allclose(points.min(axis=0), dataset.X_train.min(axis=0) - 0.5, rtol=1e-6)
    np.testing.assert_allclose(points.max(axis=0), dataset.X_train.max(axis=0) + 0.5, rtol=1e-6)
    assert len(np.unique(points[:, 0])) == 5 and len(np.unique(points[:, 1])) == 5
    np.testing.assert_allclose(displacement, trained.denoise(points) - points, atol=1e-6)


def test_the_field_of_a_known_linear_model_is_its_analytic_value():
    """A 2-2-2 model with identity activations: r(x) = D(Ex + b) + c, so r(x) − x = (DE − I)x + Db + c."""
    import torch

    from dae_core import RunConfig
    from dae_core.data import Scaler
    from dae_core.training import TrainedModel

    config = RunConfig().replace(dataset="moons", hidden_dim=2, activation="identity", output_activation="identity")
    E, b = np.array([[1.0, 0.5], [-0.2, 2.0]]), np.array([0.1, -0.3])
    D, c = np.array([[0.3, 0.0], [0.4, -1.0]]), np.array([0.05, 0.2])
    weights = {name: torch.tensor(value, dtype=torch.float32) for name, value in
               {"encoder.0.weight": E, "encoder.0.bias": b, "decoder.0.weight": D, "decoder.0.bias": c}.items()}  # fmt: skip
    scaler = Scaler("standard").fit(np.random.default_rng(0).normal(size=(20, 2)))
    trained = TrainedModel.build(config, scaler, ["x", "y"], weights=weights)
    data = np.array([[-1.0, -1.0], [1.0, 1.0]])
    points, displacement = analysis.vector_field(trained, data, grid_size=3, margin=0.0)
    expected = points @ (D @ E - np.eye(2)).T + D @ b + c
    np.testing.assert_allclose(displacement, expected, rtol=1e-5, atol=1e-6)


def test_the_best_field_points_to_the_posterior_mean():
    train = np.array([[0.0, 0.0], [2.0, 0.0]])
    step = analysis.best_field(np.array([[0.5, 0.0], [1.0, 0.0]]), train, 1.0)
    near, far = np.exp(-0.125), np.exp(-1.125)
    np.testing.assert_allclose(step, [[2 * far / (near + far) - 0.5, 0.0], [0.0, 0.0]], atol=1e-12)  # 1.0: midway


def test_vector_field_needs_2d_data(tabular):
    trained, dataset = tabular
    with pytest.raises(DataError) as error:
        analysis.vector_field(trained, dataset.X_train)
    assert str(error.value) == (
        "The reconstruction vector field needs 2-D data, but the data has 8 features. "
        "Use the moons, circles or spiral dataset."
    )
    with pytest.raises(DataError) as error:
        analysis.vector_field(trained, dataset.X_train[:, :2])
    assert str(error.value) == (
        "The reconstruction vector field needs a model of 2-D data, but this model takes 8 features. "
        "Train on moons, circles or spiral."
    )


def test_vector_field_rejects_a_bad_grid(moons):
    trained, dataset = moons
    with pytest.raises(ConfigError) as error:
        analysis.vector_field(trained, dataset.X_train, grid_size=1)
    assert str(error.value) == "The 'grid_size' parameter of vector_field must be an int in [2, 200]. Got 1 instead."
    with pytest.raises(ConfigError) as error:
        analysis.vector_field(trained, dataset.X_train, margin=-1.0)
    assert str(error.value) == "The 'margin' parameter of vector_field must be a float in [0, 100]. Got -1.0 instead."
    with pytest.raises(DataError) as error:
        analysis.vector_field(trained, dataset.X_train[:0])
    assert str(error.value) == "The reconstruction vector field needs at least one data point to place its grid."


def test_vector_field_works_on_every_manifold_dataset():
    for name in ("circles", "spiral"):
        config = RunConfig().replace(dataset=name, n_samples=100, hidden_dim=2, epochs=1)
        dataset = load_dataset(config.data)
        trained, _ = _train(config, dataset)
        points, displacement = analysis.vector_field(trained, dataset.X_train, grid_size=4)
        assert points.shape == (16, 2) and np.isfinite(displacement).all()


def test_representative_samples_spread_from_the_best_to_the_worst():
    from dae_core.analysis import Reconstruction

    clean = np.zeros((11, 2))
    errors = np.array([5, 0, 9, 1, 7, 3, 10, 2, 8, 4, 6], dtype=float)  # row i's error
    noisy = clean.copy()
    rebuilt = np.sqrt(errors)[:, None] * np.ones((1, 2))
    rec = Reconstruction(clean, noisy, rebuilt, errors, None)
    assert rec.representative(3).tolist() == [1, 0, 6]  # errors 0, 5 and 10: best, middle, worst
    assert rec.representative(50).tolist() == np.argsort(errors).tolist()  # all of them, best first


# --- flow ------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def manifold():
    from dae_core.lessons import lesson

    return _train(lesson("manifold").config.replace(epochs=150))


def test_flow_steps_carry_random_points_onto_the_data(manifold):
    trained, dataset = manifold
    low, high = dataset.X_train.min(axis=0), dataset.X_train.max(axis=0)
    start = np.random.default_rng(0).uniform(low, high, size=(200, 2))
    path = analysis.flow(trained, start, steps=5)
    assert len(path) == 6 and np.allclose(path[0], start)
    distance = [float(np.mean(analysis.distance_to_data(points, dataset.X_train))) for points in path]
    # each early step brings them closer; once settled on the model's curve they stay (within noise)
    assert distance[1] < distance[0] and distance[2] < distance[1] and distance[3] < distance[2], distance
    assert distance[-1] < 0.25 * distance[0], distance


def test_flow_checks_its_steps(manifold):
    trained, _ = manifold
    with pytest.raises(DataError) as error:
        analysis.flow(trained, np.zeros((3, 2)), steps=-1)
    assert str(error.value) == "The 'steps' parameter of flow must be an int in [0, 1000]. Got -1 instead."


# --- a whole photograph, tile by tile ----------------------------------------------------------------
@pytest.fixture(scope="module")
def photos():
    """A tiny model of 8 x 8 photo patches."""
    return _train(RunConfig().replace(dataset="photos", patch_size=8, n_samples=200, hidden_dim=8, epochs=2))


def test_tile_starts_step_by_the_stride_and_end_at_the_border():
    np.testing.assert_array_equal(analysis.tile_starts(256, 12, 6), [*range(0, 241, 6), 244])
    np.testing.assert_array_equal(analysis.tile_starts(36, 12, 12), [0, 12, 24])  # flush already: no extra tile
    np.testing.assert_array_equal(analysis.tile_starts(12, 12, 6), [0])


@pytest.mark.parametrize("stride", [12, 6, 5, 1])
def test_stitching_exact_reconstructions_gives_the_image_back_exactly(stride):
    image = np.random.default_rng(0).random((37, 50), dtype=np.float32)
    tiles = analysis.cut_tiles(image, 12, stride)
    assert tiles.shape == (len(analysis.tile_starts(37, 12, stride)), len(analysis.tile_starts(50, 12, stride)), 12, 12)
    stitched = analysis.denoise_tiled(lambda rows: rows.copy(), image, 12, stride, batch_size=7)
    assert stitched.dtype == np.float32
    np.testing.assert_array_equal(stitched, image)


def test_overlapping_tiles_are_averaged():
    """Two tiles 12 wide at columns 0 and 6 of an image 18 wide: the first comes back all 0, the second all 1."""
    stitched = analysis.denoise_tiled(lambda rows: np.repeat(np.arange(len(rows), dtype=np.float32)[:, None], 144, 1),
                                      np.zeros((12, 18), np.float32), 12, 6)  # fmt: skip
    np.testing.assert_array_equal(stitched[:, :6], 0)
    np.testing.assert_array_equal(stitched[:, 6:12], 0.5)
    np.testing.assert_array_equal(stitched[:, 12:], 1)


def test_sample_photo_is_the_patches_source_in_zero_one():
    from dae_core import data

    china = data.sample_photo("china")
    assert china.shape == (427, 640) and china.dtype == np.float32 and (china.min(), china.max()) == (0, 1)
    np.testing.assert_allclose(data.sample_photo("flower") * 255, data._grayscale_photos()[1], rtol=1e-6)
    with pytest.raises(DataError) as error:
        data.sample_photo("moon")
    assert str(error.value) == "The 'photo' parameter must be one of 'china', 'flower'. Got 'moon' instead."


def test_denoise_photo_corrupts_once_and_stitches_the_model_s_tiles(photos):
    trained, _ = photos
    result = analysis.denoise_photo(trained, "flower", "gaussian", 0.3, seed=5, crop=40)
    offset, scale = trained.scaler.offset_[0], trained.scaler.scale_[0]
    from dae_core.data import sample_photo

    photo = sample_photo("flower")[193:233, 300:340]  # the central 40 x 40 of 427 x 640
    np.testing.assert_allclose(result.clean, np.clip((photo * 255 - offset) / scale, 0, 1), atol=1e-6)
    ones = np.ones(1600, np.float32)
    noisy = corrupt_array(result.clean.reshape(1, -1), "gaussian", 0.3, 5, low=0 * ones, high=ones, clip=True)
    np.testing.assert_array_equal(result.noisy, noisy.reshape(40, 40))
    assert (result.tile_size, result.stride) == (8, 4)  # half the patch by default
    np.testing.assert_array_equal(result.denoised, analysis.denoise_tiled(trained.denoise, result.noisy, 8, 4))
    by_hand = 10 * np.log10(1 / np.mean((result.clean.astype(np.float64) - result.denoised) ** 2))
    assert result.denoised_psnr == pytest.approx(by_hand, rel=1e-9)
    assert result.noisy_mse == pytest.approx(np.mean((result.clean.astype(np.float64) - result.noisy) ** 2))
    assert result.denoised_psnr > result.noisy_psnr  # even two epochs remove some Gaussian noise


def test_an_identity_model_gives_the_photograph_back(photos, monkeypatch):
    trained, _ = photos
    monkeypatch.setattr(trained, "denoise", lambda rows: rows)
    result = analysis.denoise_photo(trained, "china", "masking", 0.0, crop=None, downscale=3, stride=3)
    assert result.clean.shape == (142, 213)  # 427 x 640 shrunk by 3, uncropped
    np.testing.assert_array_equal(result.denoised, result.clean)
    assert (result.denoised_mse, result.denoised_psnr, result.noisy_psnr) == (0, float("inf"), float("inf"))


def test_denoise_photo_refuses_other_models_and_bad_sizes(photos, digits):
    with pytest.raises(DataError) as error:
        analysis.denoise_photo(digits[0], "china", "gaussian", 0.2)
    assert str(error.value) == (
        "Denoising a whole photograph needs a model trained on the 'photos' dataset; this one was trained on "
        "'digits'. Train one on photos."
    )
    with pytest.raises(ConfigError) as error:
        analysis.denoise_photo(photos[0], "china", "gaussian", 0.2, crop=4)
    assert str(error.value) == "The 'crop' parameter of denoise_photo must be an int >= 8. Got 4 instead."
    with pytest.raises(DataError) as error:
        analysis.denoise_photo(photos[0], np.zeros((6, 20)), "gaussian", 0.2, crop=None)
    assert str(error.value) == (
        "The photograph is 6x20 pixels, smaller than the model's 8x8 patches. Use a larger crop or a smaller downscale."
    )
