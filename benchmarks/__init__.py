"""`make bench`: each benchmarks/bench_*.py module has a `main()` that prints its figures as ratios
against a baseline measured in the same run."""
