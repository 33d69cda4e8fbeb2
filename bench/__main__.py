"""`python -m bench` (or `make bench`): see bench/run.py."""

from bench.run import main

main()
