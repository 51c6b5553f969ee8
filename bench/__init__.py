"""Benchmarks, each run as a module from the project root: `python -m bench.query` and so on.

Shared by the benchmarks and the tests: `bench.synthetic` (the synthetic directory),
`bench.databases` (throwaway databases) and `bench.local_server` (the app under uvicorn).
Nothing here is imported by app/, and nothing here imports tests/.
"""
