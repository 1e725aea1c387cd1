"""`make bench`: each benchmarks/bench_*.py module has a `main()` that prints its figures and returns
them as table rows (benchmarks.results.Row), each ratio against a baseline measured in the same run."""
