"""Exporters: the files that carry fleet's browser-extension policy to managed machines (Registry.pol, .reg, ...)."""
