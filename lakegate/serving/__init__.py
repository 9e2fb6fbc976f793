"""Model serving: the embedded runtime (`lakegate serve`), its endpoints and control plane.

See docs/architecture.md (Serving) for which module does what.
"""
