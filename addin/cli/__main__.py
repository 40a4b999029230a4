"""python -m addin.cli: the ``cpd`` command line."""
from . import main

main()
