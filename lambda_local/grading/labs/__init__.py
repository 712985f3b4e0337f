"""The checks of each lab, one module per lab (``labNN_name.py``).

A module sets ``LAB`` (the lab's folder name, ``"01-greeting"``) and ``TITLE``, and defines its checks at module
level with :func:`lambda_local.grading.check`, in the order they are shown. Adding a lab is adding one module here
(its starting files are ``labs/NN-name/``, copied into the package when it is built); an instructor's ``--checks`` files use the same
format.
"""
