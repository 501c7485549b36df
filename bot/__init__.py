"""Composition root: settings, app factory, CLI, middlewares, sandbox."""
