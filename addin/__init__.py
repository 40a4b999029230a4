"""CPD tracker core: the CPD model, institution profiles and the readiness engine.

Layers, each depending only on those above it:

1. ``addin.model``, ``addin.profile``, ``addin.readiness``: pure Python.
2. ``addin.workbook``: reading and writing workbooks (openpyxl).
3. ``addin.cli``: the ``cpd`` command line.
"""

__version__ = "0.1.0"
