import sys

from boltzprune.cli import main

sys.exit(main())
