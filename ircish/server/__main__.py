"""`python -m ircish.server`: the same as `ircish-server`."""
import sys

from .cli import main

sys.exit(main())
