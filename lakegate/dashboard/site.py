"""The dashboard as a whole: its facts source, home and registry, turned into pages by path, into a
self-contained snapshot for an evidence bundle, and served on 127.0.0.1 with its token."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import uvicorn

from lakegate.dashboard import assets
from lakegate.dashboard.context import Reading
from lakegate.dashboard.facts import FactsSource, ModelFacts
from lakegate.dashboard.pages import NotFound, feature_page, model_page, overview_page
from lakegate.dashboard.server import DashboardApp
from lakegate.environment import Environment
from lakegate.registry import Registry
from lakegate.tokens import env_or_generated_token

HOST = "127.0.0.1"  # every server binds to loopback; reach it from elsewhere through a tunnel


def token_file(home: Path) -> Path:
    return home / "secrets" / "dashboard_read.token"


def dashboard_token(env: Environment, home: Path) -> bytes:
    config = env.dashboard
    return env_or_generated_token(config.token_env, config.allow_generated_token, token_file(home), "dashboard read-only")


@dataclass
class Dashboard:
    home: Path
    env: Environment
    facts: FactsSource
    registry: Registry

    def _reading(self) -> Reading:
        return Reading.of(self.home, self.env, self.registry)

    def _facts_of(self, use_case: str) -> ModelFacts:
        found = {f.use_case: f for f in self.facts()}
        if use_case not in found:
            raise NotFound(f"no use case {use_case!r}; known: {', '.join(sorted(found))}")
        return found[use_case]

    def render(self, path: str, query: dict[str, str]) -> str:
        parts = [p for p in path.split("/") if p]
        scripts = assets.linked()
        if not parts:
            return overview_page(self._reading(), self.facts(), scripts)
        if parts[0] == "model" and len(parts) == 2:
            return model_page(self._reading(), self._facts_of(parts[1]), query, scripts)
        if parts[0] == "model" and len(parts) == 3 and parts[2] == "feature":
            return feature_page(self._reading(), self._facts_of(parts[1]), query, scripts)
        raise NotFound(f"no page {path}")

    def snapshot(self, use_case: str, query: dict[str, str] | None = None) -> str:
        """The model page (its filters' defaults unless `query` says) with every script inlined: it
        opens from a file, offline."""
        return model_page(self._reading(), self._facts_of(use_case), query or {}, assets.inlined())

    def serve(self, port: int) -> None:
        app = DashboardApp(dashboard_token(self.env, self.home), self.render)
        self.render("/", {})  # warm the registry client and the readers: the first visitor waits for neither
        uvicorn.Server(uvicorn.Config(app, host=HOST, port=port, access_log=False, log_level="warning",
                                      lifespan="on")).run()
