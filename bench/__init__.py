"""Benchmarks (not tests), each run from the project root as `python -m bench.<name>`
(`make bench` runs them all); their recorded results are in `bench/results/`. What they
share with the tests (the fake Twilio, processes, pages, databases) is in
`tests/harness/`."""
