"""The package version: one place, read by the package, its model files and the HTTP server."""

__version__ = "0.2.0"  # 0.2: the package moved into its pipeline folders; 0.1 model files name the old modules
