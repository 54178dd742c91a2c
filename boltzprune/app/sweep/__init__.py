"""Sweeps: a grid of experiment runs on a Dask cluster (``run``) and their summary
(``report``)."""
