"""`make bench`: each benchmarks/bench_*.py module has a `main()` that returns its figures as table
rows (benchmarks.results.Row), each ratio against a baseline measured in the same run. The runner
prints every row as it comes back, so a benchmark prints only what its rows leave out."""
