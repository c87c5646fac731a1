"""Wire models, one module per resource: ``<Thing>Create`` in, ``<Thing>Public`` out.

Each model is imported from the module that defines it.
"""
