"""The serving app as `lakegate serve` runs it: the serving core joined with the use cases' request
enrichers (online features and request rules). uvicorn calls `create_app` in each worker."""

from __future__ import annotations

APP_FACTORY = "lakegate.cli.serve_app:create_app"


def create_app():
    from lakegate.serving.server import build_app

    return build_app(enricher_factory())


def enricher_factory():
    """Models Lakegate trained get their use case's enricher; other MLflow models get None (pyfunc)."""
    from lakegate.environment import current_environment, lakegate_home
    from lakegate.pii import resolve_hmac_key
    from ml_assets.features.serving import enricher_for

    env, home = current_environment(), lakegate_home()
    key: list[bytes] = []

    def factory(use_case: str | None):
        if not key:
            key.append(resolve_hmac_key(env.pii, home))
        return enricher_for(use_case, home, key[0])

    return factory
