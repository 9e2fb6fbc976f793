"""Live quality agrees with scikit-learn; unknown until labels come; SLA percentiles within 1%."""

import numpy as np
import pytest
from sklearn import metrics as skm

from lakegate.monitoring.quality import QUALITY_FIELDS, RELATIVE_ACCURACY, SlaProfile, quality_metrics


def test_quality_agrees_with_scikit_learn_on_the_labelled_records():
    rng = np.random.default_rng(0)
    scores = rng.uniform(size=2000)
    truth = (rng.uniform(size=2000) < scores).astype(float)
    predictions = (scores > 0.4).astype(float)
    labels = truth.copy()
    labels[rng.choice(2000, 500, replace=False)] = np.nan  # a quarter not labelled yet
    got = quality_metrics(labels, predictions, scores)
    known = ~np.isnan(labels)
    y, yhat, s = truth[known], predictions[known], scores[known]
    tn, fp, fn, tp = skm.confusion_matrix(y, yhat).ravel()
    assert got["precision"] == pytest.approx(skm.precision_score(y, yhat))
    assert got["recall"] == pytest.approx(skm.recall_score(y, yhat))
    assert got["f1_score"] == pytest.approx(skm.f1_score(y, yhat))
    assert got["roc_auc"] == pytest.approx(skm.roc_auc_score(y, s))
    assert got["false_positive_rate"] == pytest.approx(fp / (fp + tn))
    assert got["false_negative_rate"] == pytest.approx(fn / (fn + tp))
    assert got["label_coverage"] == pytest.approx(0.75)


def test_roc_auc_counts_tied_scores_half_as_scikit_learn_does():
    y = np.array([1, 0, 1, 0, 1, 0], float)
    scores = np.array([0.5, 0.5, 0.9, 0.1, 0.5, 0.9])
    assert quality_metrics(y, scores > 0.5, scores)["roc_auc"] == pytest.approx(skm.roc_auc_score(y, scores))


def test_without_labels_quality_is_unknown_never_guessed():
    got = quality_metrics([np.nan] * 5, [1, 0, 1, 0, 1], [0.9, 0.1, 0.8, 0.2, 0.7])
    assert got == {**dict.fromkeys(QUALITY_FIELDS), "label_coverage": 0.0}
    assert quality_metrics([], [], [])["label_coverage"] is None


def test_figures_with_an_empty_denominator_are_unknown():
    got = quality_metrics([0, 0, 0], [0, 0, 0], [0.1, 0.2, 0.3])
    assert got["precision"] is None and got["recall"] is None and got["roc_auc"] is None
    assert got["false_positive_rate"] == 0.0


def test_sla_percentiles_are_within_the_sketch_accuracy_of_numpy():
    rng = np.random.default_rng(3)
    latency = rng.lognormal(2, 0.8, 5000)
    status = np.where(rng.uniform(size=5000) < 0.02, 503, 200)
    sla = SlaProfile().observe(latency, status).figures()
    for q, name in ((0.5, "latency_p50_ms"), (0.99, "latency_p99_ms")):
        assert sla[name] == pytest.approx(np.quantile(latency, q, method="lower"), rel=RELATIVE_ACCURACY)
    assert sla["error_rate"] == pytest.approx((status >= 400).mean())
    assert sla["request_count"] == 5000


def test_sla_sketches_merge_to_the_sketch_of_all_requests():
    rng = np.random.default_rng(4)
    latency, status = rng.gamma(2, 3, 1000), np.full(1000, 200)
    whole = SlaProfile().observe(latency, status)
    parts = SlaProfile().observe(latency[:300], status[:300]).merge(SlaProfile().observe(latency[300:], status[300:]))
    assert parts.to_dict() == whole.to_dict()
    assert SlaProfile.from_dict(whole.to_dict()).figures() == whole.figures()
    assert SlaProfile().figures()["latency_p99_ms"] is None and SlaProfile().figures()["error_rate"] is None
