"""Re-run notebooks in place with a fresh kernel, so their committed outputs match the current runtime.

    python scripts/execute_notebooks.py notebooks/01_handlers.ipynb [more.ipynb ...]

Run from the repository root (each notebook runs with its own folder as the working directory).
"""

import os
import sys
import time

import nbformat
from nbclient import NotebookClient


def execute(path: str) -> float:
    notebook = nbformat.read(path, as_version=4)
    started = time.perf_counter()
    NotebookClient(notebook, timeout=120, kernel_name="python3",
                   resources={"metadata": {"path": os.path.dirname(os.path.abspath(path))}}).execute()
    # The kernel's name as JupyterLab shows it: any other name makes JupyterLab rewrite (and autosave) the
    # notebook the moment a learner opens it.
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
    nbformat.write(notebook, path)
    return time.perf_counter() - started


if __name__ == "__main__":
    for notebook_path in sys.argv[1:]:
        print(f"{notebook_path}: {execute(notebook_path):.1f} s")
