"""Lakegate core: environments, engine, lake, CLI. Knows no asset."""
