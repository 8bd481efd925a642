"""The functional areas, one package each; `catalog.py` lists them in build order."""
