from newswatch.cli import run_main

run_main()
