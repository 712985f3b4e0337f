"""Stand-in for ``matplotlib`` in the browser edition (no wasm build of it, nor of numpy, on PyPI or npm).

Pyodide builds matplotlib but publishes the build only on its CDN, and the site loads nothing from another origin.
Importing this says so in plain words, instead of a bare "No module named 'matplotlib'": the lessons' plots need the
desktop edition; the cells around them, which print the same numbers, run here as there.
"""

raise ModuleNotFoundError(
    "matplotlib has no build for the browser edition of the course, so this plot needs the desktop edition "
    "(`make lab`, see docs/lite.md). The cells that print the numbers behind it run here as on the desktop.",
    name="matplotlib")
