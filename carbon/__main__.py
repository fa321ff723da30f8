"""`python -m carbon` is the same as the `carbon` command."""

from carbon.entry import main

main()
