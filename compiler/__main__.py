"""`python -m compiler` is the same as the `chapbook` command."""

from compiler.cli import main

main()
