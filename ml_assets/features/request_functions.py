"""Every use case's request-time feature function, by the name its spec gives (UseCase.request_features).

Each function runs inside its model (a FunctionTransformer), so the module that defines it is
pickled by value with the model: `module_of` names it for the model's logging.
"""

from __future__ import annotations

import sys
from types import ModuleType
from typing import Callable

import pandas as pd

from ml_assets.features.machine_request import machine_request_features
from ml_assets.features.request import claim_request_features

RequestFeatures = Callable[[pd.DataFrame], pd.DataFrame]

REQUEST_FEATURE_FUNCTIONS: dict[str, RequestFeatures] = {
    f.__name__: f for f in (claim_request_features, machine_request_features)
}


def request_feature_function(name: str) -> RequestFeatures:
    try:
        return REQUEST_FEATURE_FUNCTIONS[name]
    except KeyError:
        raise ValueError(f"no request feature function {name!r} (known: {', '.join(REQUEST_FEATURE_FUNCTIONS)})") from None


def module_of(function: RequestFeatures) -> ModuleType:
    """The module to pickle by value with a model that runs `function`."""
    return sys.modules[function.__module__]
