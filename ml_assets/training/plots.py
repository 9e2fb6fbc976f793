"""Evaluation images (PNG): ROC and precision-recall curves, confusion matrix, feature importance.

Figures are built with matplotlib's object API on the Agg canvas: no pyplot, no global backend,
no display needed. matplotlib (about 1 s to import) loads when the first figure is drawn, not when
the graph's definitions load.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from sklearn.inspection import permutation_importance
from sklearn.metrics import precision_recall_curve, roc_curve

if TYPE_CHECKING:
    from matplotlib.figure import Figure

PNG_FILES = ("roc_curve.png", "pr_curve.png", "confusion_matrix.png", "feature_importance.png")


def _figure(width: float = 5.5, height: float = 4.5) -> Figure:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100)
    FigureCanvasAgg(fig)
    return fig


def _save(fig: Figure, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path, format="png", metadata={"Software": None})
    return path


def roc_plot(curves: dict[str, tuple[np.ndarray, np.ndarray]], path: Path) -> Path:
    """curves: part → (y_true, scores)."""
    fig = _figure()
    ax = fig.add_subplot()
    for part, (y, s) in curves.items():
        fpr, tpr, _ = roc_curve(y, s)
        ax.plot(fpr, tpr, label=part)
    ax.plot([0, 1], [0, 1], linestyle="--", color="grey", linewidth=0.8)
    ax.set(xlabel="false positive rate", ylabel="true positive rate (recall)", title="ROC curve")
    ax.legend(loc="lower right")
    return _save(fig, path)


def pr_plot(curves: dict[str, tuple[np.ndarray, np.ndarray]], threshold: float, path: Path) -> Path:
    fig = _figure()
    ax = fig.add_subplot()
    for part, (y, s) in curves.items():
        precision, recall, _ = precision_recall_curve(y, s)
        line = ax.plot(recall, precision, label=f"{part} (base rate {np.mean(y):.2f})")[0]
        flagged = np.asarray(s) >= threshold
        if flagged.any():
            y = np.asarray(y)
            ax.scatter([y[flagged].sum() / max(y.sum(), 1)], [y[flagged].mean()], color=line.get_color(), zorder=3)
    ax.set(xlabel="recall", ylabel="precision", title=f"Precision-recall (dot: threshold {threshold:.3f})", xlim=(0, 1), ylim=(0, 1.02))
    ax.legend(loc="upper right")
    return _save(fig, path)


def confusion_plot(metrics: dict[str, float], part: str, path: Path) -> Path:
    cells = np.array([[metrics["tn"], metrics["fp"]], [metrics["fn"], metrics["tp"]]])
    fig = _figure(4.5, 4)
    ax = fig.add_subplot()
    ax.imshow(cells, cmap="Blues")
    for (i, j), value in np.ndenumerate(cells):
        ax.text(j, i, f"{int(value):,}", ha="center", va="center", color="black", fontsize=12)
    ax.set_xticks([0, 1], ["no review", "review"])
    ax.set_yticks([0, 1], ["no review", "review"])
    ax.set(xlabel="predicted", ylabel="actual", title=f"Confusion matrix ({part}, at threshold)")
    return _save(fig, path)


def feature_importance(model, x: pd.DataFrame, y: np.ndarray, seed: int, max_rows: int = 1000, repeats: int = 3) -> pd.DataFrame:
    """Permutation importance of each model-input column (drop in PR AUC) on a sample of `x`."""
    if len(x) > max_rows:
        sample = np.random.default_rng(seed).choice(len(x), size=max_rows, replace=False)
        sample.sort()
        x, y = x.iloc[sample], np.asarray(y)[sample]
    result = permutation_importance(model, x, y, scoring="average_precision", n_repeats=repeats, random_state=seed, n_jobs=1)
    table = pd.DataFrame({"column": x.columns, "importance": result.importances_mean, "std": result.importances_std})
    return table.sort_values(["importance", "column"], ascending=[False, True]).reset_index(drop=True)


def importance_plot(importance: pd.DataFrame, path: Path, top: int = 20) -> Path:
    shown = importance.head(top).iloc[::-1]
    fig = _figure(6.5, max(3.0, 0.3 * len(shown) + 1.2))
    ax = fig.add_subplot()
    ax.barh(shown["column"], shown["importance"], xerr=shown["std"], color="#4c72b0")
    ax.set(xlabel="drop in PR AUC when shuffled (validation sample)", title="Permutation feature importance")
    return _save(fig, path)
